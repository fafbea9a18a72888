//! `edgec run`: runs a model with the reference interpreter and compares or writes its outputs.

use super::RunArgs;
use crate::compare::{compare, Tolerance};
use crate::onnx::{load_model, ImportOptions};
use ir::Tensor;
use std::path::Path;
use std::process::ExitCode;

pub fn run(a: &RunArgs) -> Result<ExitCode, String> {
    if a.target.is_none() && a.opt.any() {
        return Err("the optimizer flags (--print-before/--print-after/--disable-pass/-v) need --target".into());
    }
    let model_inputs: Vec<String> = crate::onnx::inspect_model(&a.model)
        .map_err(|e| e.to_string())?
        .inputs
        .into_iter()
        .map(|v| v.name)
        .collect();
    let (inputs, expected) = if let Some(dir) = &a.test_data {
        // Tensor files name the graph input they feed; unnamed ones bind by position.
        let td = super::bench::inputs::read_test_data(dir, &model_inputs)?;
        if td.outputs.is_empty() {
            return Err(format!("{}: no output_0.pb", dir.display()));
        }
        let (ins, outs) = (td.inputs, td.outputs);
        (ins, Some(outs))
    } else {
        let mut ins = Vec::new();
        for spec in &a.input {
            let (name, file) = spec
                .split_once('=')
                .ok_or_else(|| format!("--input `{spec}`: expected NAME=FILE.npy"))?;
            if !model_inputs.iter().any(|m| m == name) {
                return Err(format!("--input `{name}`: the model has no such input (it has: {})", model_inputs.join(", ")));
            }
            ins.push((name.to_string(), crate::npy::read_npy(Path::new(file))?));
        }
        (ins, None)
    };
    for m in &model_inputs {
        if !inputs.iter().any(|(n, _)| n == m) {
            return Err(format!("no value given for model input `{m}` (use --input {m}=FILE.npy or --test-data DIR)"));
        }
    }
    let mut opts = ImportOptions::default();
    for (n, t) in &inputs {
        opts.input_shapes.insert(n.clone(), t.shape().to_vec());
    }
    let model = load_model(&a.model, &opts).map_err(|e| e.to_string())?;
    let t0 = std::time::Instant::now();
    let outputs = match &a.target {
        None => {
            let o = ir::interp::run(&model.graph, &inputs).map_err(|e| e.to_string())?;
            eprintln!("interpreter: {:.3}s", t0.elapsed().as_secs_f64());
            o
        }
        Some(t) => run_native(&model.graph, t, &a.model, &inputs, &a.opt)?,
    };
    if let Some(dir) = &a.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, t) in &outputs {
            let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
            let p = dir.join(format!("{safe}.npy"));
            crate::npy::write_npy(&p, t)?;
            println!("wrote {} ({} {:?})", p.display(), t.dtype(), t.shape());
        }
    }
    let Some(expected) = expected else {
        if a.output_dir.is_none() {
            for (name, t) in &outputs {
                println!("{name}: {} {:?}", t.dtype(), t.shape());
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    if expected.len() != outputs.len() {
        return Err(format!("the test data has {} outputs, the model {}", expected.len(), outputs.len()));
    }
    let tol = Tolerance { atol: a.atol, rtol: a.rtol };
    let mut ok = true;
    for ((name, got), (_, want)) in outputs.iter().zip(&expected) {
        let c = compare(got, want, tol);
        let verdict = if c.passed() { "PASS" } else { "FAIL" };
        ok &= c.passed();
        match &c.structural {
            Some(s) => println!("{name}: {s} {verdict}"),
            None => println!(
                "{name}: max abs {:.3e}, max rel {:.3e}, {} of {} outside tolerance {verdict}",
                c.max_abs,
                c.max_rel,
                c.mismatches,
                want.len()
            ),
        }
    }
    println!("{}", if ok { "PASS" } else { "FAIL" });
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Optimize and compile for a profile, link with the harness, run (natively or under qemu).
fn run_native(
    g: &ir::Graph,
    target: &str,
    model: &Path,
    inputs: &[(String, Tensor)],
    opt: &super::optimize::OptArgs,
) -> Result<Vec<(String, Tensor)>, String> {
    let profile = targets::Profile::resolve(target).map_err(|e| e.to_string())?;
    let mut optimized = g.clone();
    super::optimize::optimize(&mut optimized, &profile, opt)?;
    let g = &optimized;
    let t0 = std::time::Instant::now();
    let name = crate::native::default_name(model);
    let art = crate::native::compile(g, &profile, &name, codegen::Keep::default())?;
    let t1 = std::time::Instant::now();
    let linked = crate::native::link(&art, &profile)?;
    // Graph inputs in order, taken by name from what was given.
    let mut ordered = vec![];
    for &id in g.inputs() {
        let n = &g.node(id).name;
        let t = inputs.iter().find(|(m, _)| m == n).ok_or_else(|| format!("no value for input `{n}`"))?;
        ordered.push(t.1.clone());
    }
    let t2 = std::time::Instant::now();
    let outs = linked.run(&ordered)?;
    eprintln!(
        "{}: compiled in {:.2}s, linked in {:.2}s, ran in {:.3}s",
        profile.name,
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        t2.elapsed().as_secs_f64()
    );
    Ok(g.outputs().iter().map(|(n, _)| n.clone()).zip(outs).collect())
}
