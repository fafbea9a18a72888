//! A position in a token slice with the small helpers every parsing function uses.

use super::lexer::{Tok, Token};
use crate::IrError;

pub struct Cursor<'a> {
    toks: &'a [Token],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(toks: &'a [Token]) -> Self {
        Cursor { toks, pos: 0 }
    }

    pub fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    pub fn next_tok(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        Some(t.tok.clone())
    }

    /// Line of the current token (or of the last one at the end).
    pub fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map_or(1, |t| t.line)
    }

    /// Line of the token just consumed.
    pub fn prev_line(&self) -> usize {
        self.pos.checked_sub(1).and_then(|i| self.toks.get(i)).map_or_else(|| self.line(), |t| t.line)
    }

    pub fn err_here(&self, msg: String) -> IrError {
        IrError::Parse { line: self.line(), msg }
    }

    pub fn err_prev(&self, msg: String) -> IrError {
        IrError::Parse { line: self.prev_line(), msg }
    }

    /// How a token is named in error messages.
    pub fn show(t: Option<Tok>) -> String {
        t.map_or_else(|| "end of input".to_string(), |t| t.to_string())
    }

    /// Consume punctuation `p` if it is next.
    pub fn eat(&mut self, p: char) -> bool {
        if self.peek() == Some(&Tok::Punct(p)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consume identifier `kw` if it is next.
    pub fn eat_ident(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, p: char, context: &str) -> Result<(), IrError> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = Cursor::show(self.peek().cloned());
            Err(self.err_here(format!("expected `{p}` {context}, found {found}")))
        }
    }

    pub fn skip_newlines(&mut self) {
        while self.peek() == Some(&Tok::Newline) {
            self.pos += 1;
        }
    }

    /// The end of a statement: a newline or the end of input.
    pub fn expect_line_end(&mut self, context: &str) -> Result<(), IrError> {
        match self.peek() {
            None => Ok(()),
            Some(Tok::Newline) => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(self.err_here(format!("expected end of line {context}, found {t}"))),
        }
    }
}
