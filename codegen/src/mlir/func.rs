//! A function being written as MLIR text: fresh SSA names, constants hoisted to the entry
//! block, structured `scf.for` loop nests, and loads/stores that convert between a dtype's
//! storage type and the type it is computed in.

use super::types::{elem_type, Scalar};
use ir::DType;
use std::collections::HashMap;
use std::fmt::Write;

pub struct Func {
    name: String,
    args: Vec<(String, String)>,
    prologue: Vec<String>,
    body: Vec<String>,
    indent: usize,
    next: usize,
    consts: HashMap<(String, String), String>,
    pub private: bool,
    /// Module-level constant tables (`memref.global`) emitted before the function.
    globals: Vec<String>,
}

impl Func {
    pub fn new(name: impl Into<String>) -> Self {
        Func {
            name: name.into(),
            args: vec![],
            prologue: vec![],
            body: vec![],
            indent: 1,
            next: 0,
            consts: HashMap::new(),
            private: true,
            globals: vec![],
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Add an argument of MLIR type `ty`; returns its SSA name.
    pub fn arg(&mut self, ty: impl Into<String>) -> String {
        let n = format!("%arg{}", self.args.len());
        self.args.push((n.clone(), ty.into()));
        n
    }

    pub fn fresh(&mut self) -> String {
        self.next += 1;
        format!("%v{}", self.next)
    }

    /// Emit a raw line at the current indentation.
    pub fn line(&mut self, s: impl AsRef<str>) {
        let pad = "  ".repeat(self.indent);
        self.body.push(format!("{pad}{}", s.as_ref()));
    }

    /// Emit `%v = <rhs>` and return `%v`.
    pub fn op(&mut self, rhs: impl AsRef<str>) -> String {
        let v = self.fresh();
        self.line(format!("{v} = {}", rhs.as_ref()));
        v
    }

    /// A constant of MLIR type `ty` (hoisted, deduplicated). `lit` is the literal text.
    pub fn cst(&mut self, lit: impl Into<String>, ty: &str) -> String {
        let lit = lit.into();
        let key = (lit.clone(), ty.to_string());
        if let Some(v) = self.consts.get(&key) {
            return v.clone();
        }
        let v = self.fresh();
        self.prologue.push(format!("  {v} = arith.constant {lit} : {ty}"));
        self.consts.insert(key, v.clone());
        v
    }

    pub fn idx(&mut self, n: usize) -> String {
        self.cst(n.to_string(), "index")
    }

    /// A float constant of scalar type `s` (exact: printed as a hex bit pattern).
    pub fn fconst(&mut self, x: f64, s: Scalar) -> String {
        match s {
            Scalar::Float(32) => self.cst(format!("0x{:08X}", (x as f32).to_bits()), "f32"),
            Scalar::Float(_) => self.cst(format!("0x{:016X}", x.to_bits()), "f64"),
            Scalar::Int { bits, .. } => self.cst(format!("{}", x as i64), &format!("i{bits}")),
            Scalar::Bool => self.cst(if x != 0.0 { "1" } else { "0" }, "i1"),
        }
    }

    /// An integer constant of scalar type `s`.
    pub fn iconst(&mut self, x: i64, s: Scalar) -> String {
        match s {
            Scalar::Int { bits, .. } => self.cst(x.to_string(), &format!("i{bits}")),
            Scalar::Bool => self.cst(if x != 0 { "1" } else { "0" }, "i1"),
            Scalar::Float(_) => self.fconst(x as f64, s),
        }
    }

    /// `scf.for %i = lo to hi step 1 { f(i) }`.
    pub fn for_range(&mut self, lo: usize, hi: usize, f: impl FnOnce(&mut Func, &str)) {
        self.for_step(lo, hi, 1, f)
    }

    pub fn for_step(&mut self, lo: usize, hi: usize, step: usize, f: impl FnOnce(&mut Func, &str)) {
        let (l, h, s) = (self.idx(lo), self.idx(hi), self.idx(step));
        let iv = self.fresh();
        self.line(format!("scf.for {iv} = {l} to {h} step {s} {{"));
        self.indent += 1;
        f(self, &iv);
        self.indent -= 1;
        self.line("}");
    }

    /// `scf.for` carrying values: `inits` are (value, type); `f` gets the induction variable and
    /// the carried values and returns the values to yield. Returns the loop results.
    pub fn for_iter(
        &mut self,
        lo: usize,
        hi: usize,
        step: usize,
        inits: &[(String, String)],
        f: impl FnOnce(&mut Func, &str, &[String]) -> Vec<String>,
    ) -> Vec<String> {
        let (l, h, s) = (self.idx(lo), self.idx(hi), self.idx(step));
        self.for_iter_ssa(&l, &h, &s, inits, f)
    }

    /// `for_iter` from `lo` to `hi` (SSA index values) with step 1.
    pub fn for_iter_dyn(
        &mut self,
        lo: &str,
        hi: &str,
        inits: &[(String, String)],
        f: impl FnOnce(&mut Func, &str, &[String]) -> Vec<String>,
    ) -> Vec<String> {
        let s = self.idx(1);
        self.for_iter_ssa(lo, hi, &s, inits, f)
    }

    fn for_iter_ssa(
        &mut self,
        l: &str,
        h: &str,
        s: &str,
        inits: &[(String, String)],
        f: impl FnOnce(&mut Func, &str, &[String]) -> Vec<String>,
    ) -> Vec<String> {
        let iv = self.fresh();
        let carried: Vec<String> = inits.iter().map(|_| self.fresh()).collect();
        let args: Vec<String> =
            carried.iter().zip(inits).map(|(c, (v, _))| format!("{c} = {v}")).collect();
        let tys: Vec<&str> = inits.iter().map(|(_, t)| t.as_str()).collect();
        // One result is named %vN; several are %rN:k and read as %rN#i.
        let (head, outs) = if inits.len() == 1 {
            let v = self.fresh();
            (v.clone(), vec![v])
        } else {
            let base = self.fresh().replace("%v", "%r");
            let outs = (0..inits.len()).map(|i| format!("{base}#{i}")).collect();
            (format!("{base}:{}", inits.len()), outs)
        };
        self.line(format!(
            "{head} = scf.for {iv} = {l} to {h} step {s} iter_args({}) -> ({}) {{",
            args.join(", "),
            tys.join(", ")
        ));
        self.indent += 1;
        let ys = f(self, &iv, &carried);
        self.line(format!("scf.yield {} : {}", ys.join(", "), tys.join(", ")));
        self.indent -= 1;
        self.line("}");
        outs
    }

    /// A perfect loop nest over `dims` (row-major, innermost last); `f` gets the indices.
    pub fn nest(&mut self, dims: &[usize], f: impl FnOnce(&mut Func, &[String])) {
        fn go(fun: &mut Func, dims: &[usize], ivs: &mut Vec<String>, f: Box<dyn FnOnce(&mut Func, &[String]) + '_>) {
            if ivs.len() == dims.len() {
                let v = ivs.clone();
                f(fun, &v);
                return;
            }
            let d = dims[ivs.len()];
            let mut f = Some(f);
            fun.for_range(0, d, |fun, iv| {
                ivs.push(iv.to_string());
                go(fun, dims, ivs, f.take().unwrap());
                ivs.pop();
            });
        }
        let mut ivs = vec![];
        go(self, dims, &mut ivs, Box::new(f));
    }

    /// Load `mem[idx]` (memref of type `mty`, dtype `dt`) as its compute scalar.
    pub fn load(&mut self, mem: &str, mty: &str, idx: &[String], dt: DType) -> String {
        let raw = self.op(format!("memref.load {mem}[{}] : {mty}", idx.join(", ")));
        self.widen(&raw, dt)
    }

    /// Store a compute scalar of dtype `dt` into `mem[idx]`.
    pub fn store(&mut self, v: &str, mem: &str, mty: &str, idx: &[String], dt: DType) {
        let s = self.narrow(v, dt);
        self.line(format!("memref.store {s}, {mem}[{}] : {mty}", idx.join(", ")));
    }

    /// Storage value → compute value (f16/bf16 → f32, bool i8 → i1).
    pub fn widen(&mut self, raw: &str, dt: DType) -> String {
        match dt {
            DType::F16 | DType::BF16 => {
                let e = elem_type(dt).unwrap();
                self.op(format!("arith.extf {raw} : {e} to f32"))
            }
            DType::Bool => {
                let z = self.cst("0", "i8");
                self.op(format!("arith.cmpi ne, {raw}, {z} : i8"))
            }
            _ => raw.to_string(),
        }
    }

    /// Compute value → storage value.
    pub fn narrow(&mut self, v: &str, dt: DType) -> String {
        match dt {
            DType::F16 | DType::BF16 => {
                let e = elem_type(dt).unwrap();
                self.op(format!("arith.truncf {v} : f32 to {e}"))
            }
            DType::Bool => self.op(format!("arith.extui {v} : i1 to i8")),
            _ => v.to_string(),
        }
    }

    /// A constant 1-D table of element type `elem` (values as MLIR literals) in a module-level
    /// `memref.global`; returns the memref (fetched in the entry block) and its type.
    pub fn global_table(&mut self, elem: &str, values: &[String]) -> (String, String) {
        let ty = format!("memref<{}x{elem}>", values.len().max(1));
        let sym = format!("{}_tbl{}", self.name, self.globals.len());
        let vals = if values.is_empty() { "0".to_string() } else { values.join(", ") };
        self.globals.push(format!("memref.global \"private\" constant @{sym} : {ty} = dense<[{vals}]>"));
        let v = self.fresh();
        self.prologue.push(format!("  {v} = memref.get_global @{sym} : {ty}"));
        (v, ty)
    }

    /// The finished `func.func` text (after its constant tables).
    pub fn finish(self) -> String {
        let mut s = String::new();
        for g in &self.globals {
            let _ = writeln!(s, "{g}");
        }
        let args: Vec<String> = self.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let vis = if self.private { "private " } else { "" };
        let _ = writeln!(s, "func.func {vis}@{}({}) {{", self.name, args.join(", "));
        for l in &self.prologue {
            let _ = writeln!(s, "{l}");
        }
        for l in &self.body {
            let _ = writeln!(s, "{l}");
        }
        let _ = writeln!(s, "  return\n}}");
        s
    }

    /// Indentation control for callers writing regions by hand (linalg bodies).
    pub fn enter(&mut self) {
        self.indent += 1;
    }
    pub fn leave(&mut self) {
        self.indent -= 1;
    }
}
