//! Tokens of the IR text form and the lexer that produces them, each with its line number.

use crate::IrError;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// `%name` or `%"any name"` (unescaped).
    Value(String),
    /// `[A-Za-z_?][A-Za-z0-9_.?]*`: op names, keywords, dtypes, symbolic dims.
    Ident(String),
    /// Raw text of a number: `12`, `-0.5`, `1e-7`, `-inf`, `0x00803F`.
    Num(String),
    /// `"..."` (unescaped).
    Str(String),
    /// One of `( ) [ ] { } , = : # < >`.
    Punct(char),
    /// `...` (elided constant data).
    Ellipsis,
    Newline,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn short(s: &str) -> String {
            if s.chars().count() > 40 {
                format!("{}…", s.chars().take(40).collect::<String>())
            } else {
                s.to_string()
            }
        }
        match self {
            Tok::Value(n) => write!(f, "`%{}`", short(&super::literal::fmt_name(n))),
            Tok::Ident(s) | Tok::Num(s) => write!(f, "`{}`", short(s)),
            Tok::Str(s) => write!(f, "`{}`", short(&super::literal::quote(s))),
            Tok::Punct(c) => write!(f, "`{c}`"),
            Tok::Ellipsis => f.write_str("`...`"),
            Tok::Newline => f.write_str("end of line"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '?'
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '?'
}

/// Characters of a bare value name after `%`.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Split the text into tokens. Comments (`// …`) are dropped; newlines are tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, IrError> {
    let mut toks = Vec::new();
    let mut line = 1;
    let mut it = src.char_indices().peekable();
    let err = |line: usize, msg: String| IrError::Parse { line, msg };
    while let Some(&(start, c)) = it.peek() {
        match c {
            '\n' => {
                it.next();
                toks.push(Token { tok: Tok::Newline, line });
                line += 1;
            }
            c if c.is_whitespace() => {
                it.next();
            }
            '/' => {
                it.next();
                if it.peek().map(|&(_, c)| c) != Some('/') {
                    return Err(err(line, "unexpected `/` (comments start with `//`)".into()));
                }
                while let Some(&(_, c)) = it.peek() {
                    if c == '\n' {
                        break;
                    }
                    it.next();
                }
            }
            '(' | ')' | '[' | ']' | '{' | '}' | ',' | '=' | ':' | '#' | '<' | '>' => {
                it.next();
                toks.push(Token { tok: Tok::Punct(c), line });
            }
            '"' => {
                it.next();
                let s = lex_string(&mut it, line)?;
                toks.push(Token { tok: Tok::Str(s), line });
            }
            '%' => {
                it.next();
                if it.peek().map(|&(_, c)| c) == Some('"') {
                    it.next();
                    let s = lex_string(&mut it, line)?;
                    toks.push(Token { tok: Tok::Value(s), line });
                } else {
                    let mut end = start + 1;
                    while let Some(&(i, c)) = it.peek() {
                        if !is_name_char(c) {
                            break;
                        }
                        end = i + c.len_utf8();
                        it.next();
                    }
                    if end == start + 1 {
                        return Err(err(
                            line,
                            "expected a value name after `%` (quote names with other characters: %\"a/b\")".into(),
                        ));
                    }
                    toks.push(Token { tok: Tok::Value(src[start + 1..end].to_string()), line });
                }
            }
            '.' => {
                let rest = &src[start..];
                if rest.starts_with("...") {
                    for _ in 0..3 {
                        it.next();
                    }
                    toks.push(Token { tok: Tok::Ellipsis, line });
                } else {
                    return Err(err(line, "unexpected `.`".into()));
                }
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                it.next();
                let mut end = start + 1;
                let hex = src[start..].trim_start_matches(['-', '+']).starts_with("0x");
                let mut prev = c;
                while let Some(&(i, c)) = it.peek() {
                    let exp_sign = (c == '-' || c == '+') && !hex && (prev == 'e' || prev == 'E');
                    if !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || exp_sign) {
                        break;
                    }
                    end = i + c.len_utf8();
                    prev = c;
                    it.next();
                }
                if end == start + 1 && !c.is_ascii_digit() {
                    return Err(err(line, format!("unexpected `{c}`")));
                }
                toks.push(Token { tok: Tok::Num(src[start..end].to_string()), line });
            }
            c if is_ident_start(c) => {
                let mut end = start;
                while let Some(&(i, c)) = it.peek() {
                    if !is_ident_char(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    it.next();
                }
                toks.push(Token { tok: Tok::Ident(src[start..end].to_string()), line });
            }
            other => return Err(err(line, format!("unexpected character {other:?}"))),
        }
    }
    Ok(toks)
}

/// The rest of a string literal after its opening quote, with escapes resolved.
fn lex_string(it: &mut std::iter::Peekable<std::str::CharIndices<'_>>, line: usize) -> Result<String, IrError> {
    let err = |msg: &str| IrError::Parse { line, msg: msg.to_string() };
    let mut s = String::new();
    loop {
        let Some((_, c)) = it.next() else {
            return Err(err("unterminated string"));
        };
        match c {
            '"' => return Ok(s),
            '\n' => return Err(err("unterminated string (write newlines as \\n)")),
            '\\' => {
                let Some((_, e)) = it.next() else {
                    return Err(err("unterminated string"));
                };
                match e {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    '0' => s.push('\0'),
                    '\\' => s.push('\\'),
                    '"' => s.push('"'),
                    '\'' => s.push('\''),
                    'u' => {
                        if it.next().map(|(_, c)| c) != Some('{') {
                            return Err(err("bad escape: expected \\u{hex}"));
                        }
                        let mut hex = String::new();
                        loop {
                            match it.next() {
                                Some((_, '}')) => break,
                                Some((_, c)) if c.is_ascii_hexdigit() && hex.len() < 6 => hex.push(c),
                                _ => return Err(err("bad escape: expected \\u{hex} with 1 to 6 hex digits")),
                            }
                        }
                        let ch = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| err("bad escape: \\u{…} is not a Unicode scalar value"))?;
                        s.push(ch);
                    }
                    other => return Err(err(&format!("unknown escape `\\{other}` in string"))),
                }
            }
            c => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_a_node_line() {
        assert_eq!(
            toks("%s:2 = split(%\"a/b\"#1, _) {axis = -1} // c\n"),
            vec![
                Tok::Value("s".into()),
                Tok::Punct(':'),
                Tok::Num("2".into()),
                Tok::Punct('='),
                Tok::Ident("split".into()),
                Tok::Punct('('),
                Tok::Value("a/b".into()),
                Tok::Punct('#'),
                Tok::Num("1".into()),
                Tok::Punct(','),
                Tok::Ident("_".into()),
                Tok::Punct(')'),
                Tok::Punct('{'),
                Tok::Ident("axis".into()),
                Tok::Punct('='),
                Tok::Num("-1".into()),
                Tok::Punct('}'),
                Tok::Newline,
            ]
        );
    }

    #[test]
    fn numbers_and_strings() {
        assert_eq!(
            toks("[1e-7, -inf, 0x00Ef, 2.5E+3] \"a\\\"\\u{e9}\\n\" ..."),
            vec![
                Tok::Punct('['),
                Tok::Num("1e-7".into()),
                Tok::Punct(','),
                Tok::Num("-inf".into()),
                Tok::Punct(','),
                Tok::Num("0x00Ef".into()),
                Tok::Punct(','),
                Tok::Num("2.5E+3".into()),
                Tok::Punct(']'),
                Tok::Str("a\"é\n".into()),
                Tok::Ellipsis,
            ]
        );
    }

    #[test]
    fn errors_carry_lines() {
        assert_eq!(lex("a\nb\n\"x").unwrap_err(), IrError::Parse { line: 3, msg: "unterminated string".into() });
        assert!(matches!(lex("\n$"), Err(IrError::Parse { line: 2, .. })));
        assert!(lex("\"\\u{110000}\"").is_err());
        assert!(lex("% x").is_err());
    }
}
