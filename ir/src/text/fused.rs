//! Text of fused elementwise expressions: `steps = [unary.relu(in0), binary.add(s0, in1)]`.
//! A step is an elementwise op spelled as in node lines (with `{attrs}` when it has any),
//! applied to `inN` (node input N), `sN` (step N) or a float literal.

use super::attrs::{collect_entries, parse_op, spell, AttrValue};
use super::cursor::Cursor;
use super::lexer::Tok;
use super::literal::{fmt_float, parse_float};
use super::PrintOptions;
use crate::op::*;
use crate::IrError;

fn print_arg(a: &FusedArg, out: &mut String) {
    match a {
        FusedArg::In(i) => out.push_str(&format!("in{i}")),
        FusedArg::Step(i) => out.push_str(&format!("s{i}")),
        FusedArg::Const(x) => out.push_str(&fmt_float(x.0)),
    }
}

fn parse_arg(c: &mut Cursor) -> Result<FusedArg, IrError> {
    if let Some(Tok::Ident(s)) = c.peek() {
        let s = s.clone();
        let num = |p: &str| s.strip_prefix(p).and_then(|n| n.parse::<usize>().ok());
        if let Some(i) = num("in") {
            c.next_tok();
            return Ok(FusedArg::In(i));
        }
        if let Some(i) = num("s") {
            c.next_tok();
            return Ok(FusedArg::Step(i));
        }
    }
    parse_float::<f32>(c).map(|x| FusedArg::Const(F32(x)))
}

impl AttrValue for FusedStep {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        let (op, args): (Op, Vec<&FusedArg>) = match self {
            FusedStep::Unary(u, a) => (Op::Unary(u.clone()), vec![a]),
            FusedStep::Binary(b, x, y) => (Op::Binary(b.clone()), vec![x, y]),
            FusedStep::Where(c, x, y) => (Op::Where, vec![c, x, y]),
            FusedStep::Cast(to, a) => (Op::Cast { to: *to, saturate: true }, vec![a]),
        };
        let (name, attrs) = spell(&op, opts);
        out.push_str(&name);
        if !attrs.is_empty() {
            out.push('{');
            out.push_str(&attrs.join(", "));
            out.push('}');
        }
        out.push('(');
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            print_arg(a, out);
        }
        out.push(')');
    }

    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        let line = c.line();
        let name = match c.next_tok() {
            Some(Tok::Ident(n)) => n,
            other => return Err(c.err_prev(format!("expected a fused step like `unary.relu(in0)`, found {}", Cursor::show(other)))),
        };
        let entries = if c.eat('{') { collect_entries(c, '}')? } else { vec![] };
        let op = parse_op(&name, entries, line)?;
        c.expect('(', "to open a fused step's operands")?;
        let mut args = vec![];
        if !c.eat(')') {
            loop {
                args.push(parse_arg(c)?);
                if c.eat(')') {
                    break;
                }
                c.expect(',', "between fused step operands")?;
            }
        }
        let want = match &op {
            Op::Unary(_) | Op::Cast { .. } => 1,
            Op::Binary(_) => 2,
            Op::Where => 3,
            _ => return Err(c.err_prev(format!("`{name}` is not an elementwise op that can be fused"))),
        };
        if args.len() != want {
            return Err(c.err_prev(format!("`{name}` takes {want} operands, got {}", args.len())));
        }
        let mut it = args.into_iter();
        let mut next = || it.next().unwrap();
        Ok(match op {
            Op::Unary(u) => FusedStep::Unary(u, next()),
            Op::Binary(b) => FusedStep::Binary(b, next(), next()),
            Op::Where => FusedStep::Where(next(), next(), next()),
            Op::Cast { to, .. } => FusedStep::Cast(to, next()),
            _ => unreachable!(),
        })
    }
}

impl AttrValue for FusedExpr {
    fn print(&self, opts: &PrintOptions, out: &mut String) {
        self.steps.print(opts, out)
    }
    fn parse(c: &mut Cursor) -> Result<Self, IrError> {
        Ok(FusedExpr { steps: Vec::<FusedStep>::parse(c)? })
    }
}

#[cfg(test)]
mod tests {
    use crate::text::{parse, print, PrintOptions};
    use crate::{BinaryOp, DType, FusedArg, FusedExpr, FusedStep, Graph, Op, TensorType, UnaryOp, F32};

    #[test]
    fn fused_ops_round_trip_through_text() {
        let mut g = Graph::new("f");
        let x = g.add_input("x", TensorType::fixed(DType::F32, &[2, 3]));
        let b = g.add_input("b", TensorType::fixed(DType::F32, &[3]));
        let e = FusedExpr {
            steps: vec![
                FusedStep::Binary(BinaryOp::Add, FusedArg::In(0), FusedArg::In(1)),
                FusedStep::Unary(UnaryOp::LeakyRelu { alpha: F32(0.125) }, FusedArg::Step(0)),
                FusedStep::Binary(BinaryOp::Mul, FusedArg::Step(1), FusedArg::Const(F32(-1.5))),
                FusedStep::Cast(DType::F16, FusedArg::Step(2)),
            ],
        };
        let y = g
            .add_node("y", Op::Fused(e), &[Some(x), Some(b)], vec![TensorType::fixed(DType::F16, &[2, 3])])
            .unwrap();
        g.add_output("y", crate::ValueId::new(y, 0)).unwrap();
        let text = print(&g, PrintOptions::default());
        assert!(text.contains("unary.leaky_relu{alpha = 0.125}(s0)"), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(print(&back, PrintOptions::default()), text);
        let bad = text.replace("(s0)", "(s7)");
        assert!(crate::verify::verify(&parse(&bad).unwrap()).is_err() || parse(&bad).is_err());
    }
}
