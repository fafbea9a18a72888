//! The rule-file reader (format in docs/adding-a-rule.md). A file is a sequence of rules:
//!
//! ```text
//! # law: x · 1 = x
//! rule mul-one
//!   lhs (mul ?x ?c)
//!   rhs ?x
//!   if (fill ?c 1) (same-type ?x ?root)
//!   example ?x: f32[a,b]; ?c: f32[] = 1
//! ```
//! `each $U: relu tanh` makes one rule per word (named `<name>-<word>`, `$U` replaced
//! everywhere); `builtin <name>` replaces `rhs`/`if` for rules implemented in code.

use super::cond::{Arg, Cond};
use super::example::{parse_specs, Example};
use super::{Action, RuleDef};
use crate::egraph::builtin::Builtin;
use crate::egraph::error::EgraphError;
use crate::egraph::lang::TNode;
use egg::{Pattern, PatternAst, Var};

/// One rule as written, before template expansion.
#[derive(Default, Clone)]
struct Raw {
    name: String,
    law: String,
    line: usize,
    lhs: Option<String>,
    rhs: Option<String>,
    builtin: Option<String>,
    conds: Vec<String>,
    each: Option<(String, Vec<String>)>,
    examples: Vec<String>,
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty() && s.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// Split `(a b) (c (d))` into top-level parenthesised groups.
fn groups(s: &str) -> Result<Vec<String>, String> {
    let (mut out, mut depth, mut cur) = (Vec::new(), 0i32, String::new());
    for ch in s.chars() {
        match ch {
            '(' => {
                depth += 1;
                cur.push(ch);
            }
            ')' => {
                depth -= 1;
                cur.push(ch);
                if depth < 0 {
                    return Err(format!("unbalanced `)` in `{s}`"));
                }
                if depth == 0 {
                    out.push(std::mem::take(&mut cur).trim().to_string());
                }
            }
            c if depth == 0 && !c.is_whitespace() => return Err(format!("expected `(` in `{s}`, got `{c}`")),
            c => {
                if depth > 0 {
                    cur.push(c)
                }
            }
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced `(` in `{s}`"));
    }
    Ok(out)
}

fn parse_cond(s: &str) -> Result<Cond, String> {
    let inner = s.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or("condition needs parentheses")?;
    let mut words = inner.split_whitespace();
    let name = words.next().ok_or("empty condition")?.to_string();
    let args = words
        .map(|w| {
            if w == "?root" {
                Ok(Arg::Root)
            } else if w.starts_with('?') {
                w.parse::<Var>().map(Arg::Var).map_err(|e| format!("{e:?}"))
            } else {
                w.parse::<f64>().map(Arg::Num).map_err(|_| format!("bad condition argument `{w}`"))
            }
        })
        .collect::<Result<_, _>>()?;
    let c = Cond { name, args };
    c.validate()?;
    Ok(c)
}

fn pattern(s: &str, what: &str) -> Result<Pattern<TNode>, String> {
    s.parse::<Pattern<TNode>>().map_err(|e| format!("{what} `{s}`: {e}"))
}

fn example(s: &str) -> Result<Example, String> {
    let s = s.trim();
    if s.starts_with('(') {
        let (term, specs) = s.split_once(" where ").ok_or("an example with a term needs `<term> where <specs>`")?;
        let term: PatternAst<TNode> = term.trim().parse().map_err(|e| format!("example term `{term}`: {e}"))?;
        return Ok(Example { term: Some(term), vars: parse_specs(specs)? });
    }
    Ok(Example { term: None, vars: parse_specs(s)? })
}

fn build(raw: &Raw, theme: &str) -> Result<RuleDef, String> {
    let lhs = pattern(raw.lhs.as_deref().ok_or("missing `lhs`")?, "lhs")?;
    let action = match (&raw.rhs, &raw.builtin) {
        (Some(r), None) => {
            let conds = raw
                .conds
                .iter()
                .map(|c| groups(c)?.iter().map(|g| parse_cond(g)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?
                .concat();
            let rhs = pattern(r, "rhs")?;
            let bound = lhs.vars();
            for v in rhs.vars() {
                if !bound.contains(&v) && v.to_string() != "?root" {
                    return Err(format!("rhs uses {v}, which lhs does not bind"));
                }
            }
            for c in &conds {
                for a in &c.args {
                    if let Arg::Var(v) = a {
                        if !bound.contains(v) {
                            return Err(format!("condition `{}` uses {v}, which lhs does not bind", c.name));
                        }
                    }
                }
            }
            Action::Rewrite { rhs, conds }
        }
        (None, Some(b)) => {
            if !raw.conds.is_empty() {
                return Err("a builtin rule takes no `if` (its conditions are in code)".into());
            }
            Action::Builtin(Builtin::from_name(b).ok_or_else(|| format!("unknown builtin `{b}`"))?)
        }
        _ => return Err("a rule needs exactly one of `rhs` and `builtin`".into()),
    };
    let examples = raw.examples.iter().map(|e| example(e)).collect::<Result<Vec<_>, _>>()?;
    if examples.is_empty() {
        return Err("a rule needs at least one `example` (the soundness test instantiates it)".into());
    }
    Ok(RuleDef { name: raw.name.clone(), law: raw.law.clone(), theme: theme.to_string(), line: raw.line, lhs, action, examples })
}

/// Expand `each` templates.
fn expand(raw: &Raw) -> Vec<Raw> {
    let Some((var, words)) = &raw.each else { return vec![raw.clone()] };
    let sub = |s: &str, w: &str| s.replace(var.as_str(), w);
    words
        .iter()
        .map(|w| Raw {
            name: format!("{}-{}", raw.name, w.replace('_', "-")),
            law: sub(&raw.law, w),
            line: raw.line,
            lhs: raw.lhs.as_deref().map(|s| sub(s, w)),
            rhs: raw.rhs.as_deref().map(|s| sub(s, w)),
            builtin: raw.builtin.clone(),
            conds: raw.conds.iter().map(|s| sub(s, w)).collect(),
            each: None,
            examples: raw.examples.iter().map(|s| sub(s, w)).collect(),
        })
        .collect()
}

/// Parse one rule file (`theme` is its name without `.rules`).
pub fn parse_file(theme: &str, src: &str) -> Result<Vec<RuleDef>, EgraphError> {
    let err = |line: usize, msg: String| EgraphError::RuleFile { file: theme.to_string(), line, msg };
    let mut raws: Vec<Raw> = Vec::new();
    let mut law: Option<String> = None;
    for (i, line) in src.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            if let Some(l) = c.trim().strip_prefix("law:") {
                law = Some(l.trim().to_string());
            }
            continue;
        }
        if let Some(name) = t.strip_prefix("rule ") {
            let name = name.trim();
            if !is_kebab(name) {
                return Err(err(n, format!("rule name `{name}` is not kebab-case")));
            }
            let law = law.take().ok_or_else(|| err(n, format!("rule `{name}` needs a `# law:` comment line before it")))?;
            raws.push(Raw { name: name.into(), law, line: n, ..Default::default() });
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            return Err(err(n, format!("expected `rule <name>`, `# …` or an indented clause, got `{t}`")));
        }
        let raw = raws.last_mut().ok_or_else(|| err(n, "a clause before the first `rule`".into()))?;
        let (kw, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let rest = rest.trim().to_string();
        let dup = |x: bool| if x { Err(err(n, format!("`{kw}` given twice"))) } else { Ok(()) };
        match kw {
            "lhs" => {
                dup(raw.lhs.is_some())?;
                raw.lhs = Some(rest);
            }
            "rhs" => {
                dup(raw.rhs.is_some())?;
                raw.rhs = Some(rest);
            }
            "builtin" => {
                dup(raw.builtin.is_some())?;
                raw.builtin = Some(rest);
            }
            "if" => raw.conds.push(rest),
            "example" => raw.examples.push(rest),
            "each" => {
                dup(raw.each.is_some())?;
                let (v, words) = rest.split_once(':').ok_or_else(|| err(n, "expected `each $VAR: word word…`".into()))?;
                let v = v.trim();
                if !v.starts_with('$') {
                    return Err(err(n, format!("template variable `{v}` must start with `$`")));
                }
                raw.each = Some((v.to_string(), words.split_whitespace().map(String::from).collect()));
            }
            _ => return Err(err(n, format!("unknown clause `{kw}` (lhs, rhs, builtin, if, each, example)"))),
        }
    }
    let mut out = Vec::new();
    for raw in &raws {
        for r in expand(raw) {
            out.push(build(&r, theme).map_err(|m| err(r.line, format!("rule `{}`: {m}", r.name)))?);
        }
    }
    Ok(out)
}
