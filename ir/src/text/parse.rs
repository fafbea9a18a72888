//! The graph parser: reads the statements (syntax), then builds the graph (names, arity, edges).

use super::arity::arity;
use super::attrs::{collect_entries, parse_op};
use super::cursor::Cursor;
use super::lexer::{lex, Tok};
use super::literal::{fmt_name, parse_int, parse_tensor, parse_type};
use crate::{Graph, IrError, NodeId, Op, Tensor, TensorType, ValueId};
use std::collections::{HashMap, HashSet};

/// `%name` or `%name#port`.
struct Ref {
    name: String,
    port: Option<u32>,
    line: usize,
}

enum Body {
    Const(Tensor),
    Op { spelled: String, op: Op, args: Vec<Option<Ref>> },
}

/// `%name[:count] = body [: types]`
struct Stmt {
    line: usize,
    name: String,
    count: Option<usize>,
    body: Body,
    types: Option<Vec<TensorType>>,
}

struct Syntax {
    name: String,
    params: Vec<(String, TensorType, usize)>,
    stmts: Vec<Stmt>,
    outputs: Vec<(Ref, Option<String>)>,
}

pub fn parse_graph(src: &str) -> Result<Graph, IrError> {
    let toks = lex(src)?;
    let syntax = parse_syntax(&mut Cursor::new(&toks))?;
    build(syntax)
}

fn perr(line: usize, msg: String) -> IrError {
    IrError::Parse { line, msg }
}

fn parse_syntax(c: &mut Cursor) -> Result<Syntax, IrError> {
    c.skip_newlines();
    if !c.eat_ident("graph") {
        let found = Cursor::show(c.peek().cloned());
        return Err(c.err_here(format!("expected `graph <name>(<inputs>) {{`, found {found}")));
    }
    let name = match c.next_tok() {
        Some(Tok::Ident(s) | Tok::Str(s)) => s,
        other => return Err(c.err_prev(format!("expected the graph name, found {}", Cursor::show(other)))),
    };
    c.expect('(', "after the graph name")?;
    let mut params = Vec::new();
    loop {
        c.skip_newlines();
        if c.eat(')') {
            break;
        }
        let line = c.line();
        let pname = match c.next_tok() {
            Some(Tok::Value(s)) => s,
            other => {
                return Err(c.err_prev(format!("expected a graph input `%name: type`, found {}", Cursor::show(other))))
            }
        };
        c.expect(':', &format!("after graph input `%{}`", fmt_name(&pname)))?;
        params.push((pname, parse_type(c)?, line));
        c.skip_newlines();
        if c.eat(')') {
            break;
        }
        c.expect(',', "between graph inputs")?;
    }
    c.expect('{', "to open the graph body")?;
    let mut stmts = Vec::new();
    let outputs = loop {
        c.skip_newlines();
        match c.peek() {
            Some(Tok::Ident(s)) if s == "return" => {
                c.next_tok();
                break parse_return(c)?;
            }
            Some(Tok::Value(_)) => stmts.push(parse_stmt(c)?),
            Some(Tok::Punct('}')) => return Err(c.err_here("the graph body has no `return`".into())),
            None => return Err(c.err_here("unexpected end of input: the graph body has no `return`".into())),
            Some(t) => return Err(c.err_here(format!("expected a node `%name = …` or `return`, found {t}"))),
        }
    };
    c.skip_newlines();
    c.expect('}', "to close the graph body after `return`")?;
    c.skip_newlines();
    if let Some(t) = c.peek() {
        return Err(c.err_here(format!("unexpected {t} after the end of the graph")));
    }
    Ok(Syntax { name, params, stmts, outputs })
}

fn parse_ref(c: &mut Cursor) -> Result<Ref, IrError> {
    let line = c.line();
    let name = match c.next_tok() {
        Some(Tok::Value(s)) => s,
        other => return Err(c.err_prev(format!("expected a value `%name`, found {}", Cursor::show(other)))),
    };
    let port = if c.eat('#') { Some(parse_int::<u32>(c, "an output number")?) } else { None };
    Ok(Ref { name, port, line })
}

fn parse_return(c: &mut Cursor) -> Result<Vec<(Ref, Option<String>)>, IrError> {
    let mut outs = Vec::new();
    if matches!(c.peek(), None | Some(Tok::Newline | Tok::Punct('}'))) {
        return Ok(outs);
    }
    loop {
        let r = parse_ref(c)?;
        let alias = if c.eat_ident("as") {
            match c.next_tok() {
                Some(Tok::Str(s)) => Some(s),
                other => {
                    return Err(
                        c.err_prev(format!("expected a quoted output name after `as`, found {}", Cursor::show(other)))
                    )
                }
            }
        } else {
            None
        };
        outs.push((r, alias));
        if !c.eat(',') {
            return Ok(outs);
        }
        c.skip_newlines();
    }
}

fn parse_stmt(c: &mut Cursor) -> Result<Stmt, IrError> {
    let line = c.line();
    let name = match c.next_tok() {
        Some(Tok::Value(s)) => s,
        other => return Err(c.err_prev(format!("expected `%name`, found {}", Cursor::show(other)))),
    };
    let count = if c.eat(':') { Some(parse_int::<usize>(c, "an output count")?) } else { None };
    c.expect('=', &format!("after `%{}`", fmt_name(&name)))?;
    let spelled = match c.next_tok() {
        Some(Tok::Ident(s)) => s,
        other => return Err(c.err_prev(format!("expected an op name, found {}", Cursor::show(other)))),
    };
    let body = if spelled == "const" {
        Body::Const(parse_tensor(c)?)
    } else {
        c.expect('(', &format!("after op `{spelled}`"))?;
        let mut args = Vec::new();
        loop {
            c.skip_newlines();
            if c.eat(')') {
                break;
            }
            if c.eat_ident("_") {
                args.push(None);
            } else {
                args.push(Some(parse_ref(c)?));
            }
            c.skip_newlines();
            if c.eat(')') {
                break;
            }
            c.expect(',', "between op inputs")?;
        }
        let entries = if c.eat('{') { collect_entries(c, '}')? } else { Vec::new() };
        let op = parse_op(&spelled, entries, line)?;
        Body::Op { spelled, op, args }
    };
    let types = if c.eat(':') {
        let mut ts = vec![parse_type(c)?];
        while c.eat(',') {
            c.skip_newlines();
            ts.push(parse_type(c)?);
        }
        Some(ts)
    } else {
        None
    };
    c.expect_line_end("after the node")?;
    Ok(Stmt { line, name, count, body, types })
}

/// Name → (node, number of outputs); every name defined anywhere → its line.
struct Scope {
    defined: HashMap<String, (NodeId, usize)>,
    lines: HashMap<String, usize>,
}

impl Scope {
    fn resolve(&self, r: &Ref) -> Result<ValueId, IrError> {
        let Some(&(id, count)) = self.defined.get(&r.name) else {
            let n = fmt_name(&r.name);
            return Err(match self.lines.get(&r.name) {
                Some(l) => perr(r.line, format!("`%{n}` is used before its definition (line {l})")),
                None => perr(r.line, format!("use of undefined value `%{n}`")),
            });
        };
        let port = r.port.unwrap_or(0);
        if port as usize >= count {
            let n = fmt_name(&r.name);
            return Err(perr(r.line, format!("`%{n}` has {count} outputs; there is no output {port}")));
        }
        Ok(ValueId::new(id, port))
    }
}

fn build(s: Syntax) -> Result<Graph, IrError> {
    let mut scope = Scope { defined: HashMap::new(), lines: HashMap::new() };
    let all = s.params.iter().map(|(n, _, l)| (n, *l)).chain(s.stmts.iter().map(|st| (&st.name, st.line)));
    for (name, line) in all {
        if let Some(first) = scope.lines.get(name) {
            return Err(perr(line, format!("`%{}` is defined twice (first on line {first})", fmt_name(name))));
        }
        scope.lines.insert(name.clone(), line);
    }
    let mut g = Graph::new(s.name);
    for (name, ty, _) in s.params {
        let v = g.add_input(name.clone(), ty);
        scope.defined.insert(name, (v.node, 1));
    }
    for st in s.stmts {
        let line = st.line;
        let named = fmt_name(&st.name);
        let id = match st.body {
            Body::Const(t) => {
                let count = st.count.unwrap_or(1);
                let types = match st.types {
                    Some(ts) if ts.len() != count => {
                        return Err(perr(
                            line,
                            format!("`%{named}` declares {count} outputs but lists {} types", ts.len()),
                        ))
                    }
                    Some(ts) => ts,
                    None if count == 0 => vec![],
                    None if count == 1 => vec![t.ty()],
                    None => {
                        return Err(perr(
                            line,
                            format!("`%{named}` declares {count} outputs: list their types after `:`"),
                        ))
                    }
                };
                let v = g.add_const(st.name.clone(), t);
                g.node_mut(v.node).outputs = types;
                v.node
            }
            Body::Op { spelled, op, args } => {
                let types = match st.types {
                    Some(ts) => ts,
                    None if st.count == Some(0) => vec![],
                    None => {
                        return Err(perr(
                            line,
                            format!("`%{named}` has no output types: write `: <type>, …` after the op"),
                        ))
                    }
                };
                if let Some(count) = st.count.filter(|&n| n != types.len()) {
                    return Err(perr(
                        line,
                        format!("`%{named}` declares {count} outputs but lists {} types", types.len()),
                    ));
                }
                let filled: Vec<bool> = args.iter().map(Option::is_some).collect();
                arity(&op).check(&filled, types.len()).map_err(|m| perr(line, format!("`{spelled}` {m}")))?;
                let ins = args
                    .iter()
                    .map(|a| a.as_ref().map(|r| scope.resolve(r)).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                g.add_node(st.name.clone(), op, &ins, types).map_err(|e| perr(line, e.to_string()))?
            }
        };
        let count = g.node(id).outputs.len();
        scope.defined.insert(st.name, (id, count));
    }
    let mut names = HashSet::new();
    for (r, alias) in s.outputs {
        let v = scope.resolve(&r)?;
        let name = alias.unwrap_or_else(|| r.name.clone());
        if !names.insert(name.clone()) {
            return Err(perr(r.line, format!("two graph outputs are named {}", super::literal::quote(&name))));
        }
        g.add_output(name, v).map_err(|e| perr(r.line, e.to_string()))?;
    }
    Ok(g)
}
