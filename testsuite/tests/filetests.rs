//! File tests of the optimizer: each `testsuite/filetests/<pass>/*.ir` file is IR text with a
//! `// RUN: <pass>,<pass>…` line (optional `// TARGET: <profile>` and `// OPTION: key = value`
//! lines), the input graph, a `// ----- expected -----` line and the
//! expected IR after the pipeline. The runner checks the printed result against the
//! expectation (printing a diff), and runs the reference interpreter on random inputs before
//! and after the pipeline, so every file is also a soundness test. Format and commands:
//! testsuite/filetests/README.md. `EDGEC_BLESS=1 cargo test -p testsuite --test filetests`
//! rewrites the expectations.

use ir::text::PrintOptions;
use ir::{DType, Dim, Graph, Op, Tensor};
use passes::{PassContext, PassManager};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const SEPARATOR: &str = "// ----- expected -----";
const FULL: PrintOptions = PrintOptions { elide_above: None };
/// Random input sets per file.
const RUNS: u64 = 3;
/// Size given to symbolic input dims.
const SYM_SIZE: usize = 3;

/// A parsed test file.
struct FileTest {
    /// The pipeline spec after `RUN:` (`cse,dce`, or `default`).
    run: String,
    /// Profile name after `TARGET:` (default `cortex-a76`, so results do not depend on the host).
    target: String,
    /// `// OPTION: key = value` lines: fields of `passes::PassOptions`.
    options: Vec<(String, String)>,
    /// Everything up to the separator (header comments + input graph).
    input: String,
    /// The expected text after the separator, if any.
    expected: Option<String>,
}

fn parse_file(text: &str) -> Result<FileTest, String> {
    let (input, expected) = match text.split_once(&format!("\n{SEPARATOR}\n")) {
        Some((a, b)) => (format!("{a}\n"), Some(b.to_string())),
        None => (text.to_string(), None),
    };
    let header = |key: &str| {
        input.lines().find_map(|l| {
            l.trim().strip_prefix("//").map(str::trim).and_then(|l| l.strip_prefix(key)).map(|v| v.trim().to_string())
        })
    };
    let run = header("RUN:").ok_or("no `// RUN: <pass>,<pass>` line")?;
    let target = header("TARGET:").unwrap_or_else(|| "cortex-a76".to_string());
    let mut options = vec![];
    for l in input.lines() {
        if let Some(kv) = l.trim().strip_prefix("//").map(str::trim).and_then(|l| l.strip_prefix("OPTION:")) {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("`{l}`: expected `// OPTION: key = value`"))?;
            options.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(FileTest { run, target, options, input, expected })
}

/// Pass options from the OPTION lines (only the size thresholds are settable).
fn pass_options(ft: &FileTest) -> Result<passes::PassOptions, String> {
    let mut o = passes::PassOptions::default();
    for (k, v) in &ft.options {
        let n: usize = v.parse().map_err(|_| format!("OPTION {k}: `{v}` is not a number"))?;
        match k.as_str() {
            "fold_limit_bytes" => o.fold_limit_bytes = n,
            "cse_const_elements" => o.cse_const_elements = n,
            _ => return Err(format!("unknown OPTION `{k}` (known: fold_limit_bytes, cse_const_elements)")),
        }
    }
    Ok(o)
}

/// The pipeline named by a RUN line.
fn pipeline(spec: &str) -> Result<Vec<&'static dyn passes::Pass>, String> {
    if spec == "default" {
        return Ok(passes::default_pipeline());
    }
    let p = passes::registry::parse_pipeline(spec).map_err(|e| e.to_string())?;
    if p.is_empty() {
        return Err("the RUN line names no pass".into());
    }
    Ok(p)
}

/// What checking one file found.
#[derive(Debug, Default)]
struct Outcome {
    /// The actual output text (for blessing).
    actual: String,
    /// Problems, each a paragraph.
    problems: Vec<String>,
}

fn check(ft: &FileTest) -> Result<Outcome, String> {
    let before = ir::text::parse(&ft.input).map_err(|e| format!("input: {e}"))?;
    ir::verify::verify(&before).map_err(|e| format!("the input graph does not verify: {e}"))?;
    let profile = targets::Profile::resolve(&ft.target).map_err(|e| e.to_string())?;
    let mut after = before.clone();
    let cx = PassContext::with_options(&profile, pass_options(ft)?);
    PassManager::new(pipeline(&ft.run)?).verify_each(true).run(&mut after, &cx).map_err(|e| e.to_string())?;
    let mut out = Outcome { actual: ir::text::print(&after, FULL), problems: vec![] };
    match &ft.expected {
        None => out.problems.push(format!("no `{SEPARATOR}` section (run with EDGEC_BLESS=1 to write it)")),
        Some(want) if want.trim_end() != out.actual.trim_end() => {
            let diff = similar::TextDiff::from_lines(want.trim_end(), out.actual.trim_end());
            out.problems.push(format!(
                "output differs from the expectation:\n{}",
                diff.unified_diff().context_radius(3).header("expected", "actual")
            ));
        }
        Some(_) => {}
    }
    for seed in 0..RUNS {
        if let Err(e) = same_outputs(&before, &after, seed) {
            out.problems.push(format!("random inputs (seed {seed}): {e}"));
            break;
        }
    }
    Ok(out)
}

/// Random inputs for every graph input: floats in [-2, 2), integers in [0, 3) (valid as small
/// indices), random bools; symbolic dims are `SYM_SIZE`.
fn random_inputs(g: &Graph, seed: u64) -> Result<Vec<(String, Tensor)>, String> {
    let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + seed);
    let mut out = vec![];
    for &id in g.inputs() {
        let n = g.node(id);
        let ty = &n.outputs[0];
        let shape: Vec<usize> = ty.dims.iter().map(|d| if let Dim::Static(s) = d { *s } else { SYM_SIZE }).collect();
        let len: usize = shape.iter().product();
        let vals: Vec<f64> = (0..len)
            .map(|_| match ty.dtype {
                d if d.is_float() => rng.f64() * 4.0 - 2.0,
                DType::Bool => rng.bool() as u8 as f64,
                _ => rng.u8(0..3) as f64,
            })
            .collect();
        let t = Tensor::from_vec(&shape, vals)?;
        let cast =
            ir::ops::eval(&Op::Cast { to: ty.dtype, saturate: false }, &[Some(&t)]).map_err(|e| format!("{e:?}"))?;
        out.push((n.name.clone(), cast.into_iter().next().ok_or("cast gave nothing")?));
    }
    Ok(out)
}

/// Outputs of `before` and `after` on the same random inputs agree (floats within 1e-6 + 1e-5
/// relative, NaN matching NaN; other dtypes exactly).
fn same_outputs(before: &Graph, after: &Graph, seed: u64) -> Result<(), String> {
    let inputs = random_inputs(before, seed)?;
    let want =
        ir::interp::run(before, &inputs).map_err(|e| format!("the input graph fails in the interpreter: {e}"))?;
    let got =
        ir::interp::run(after, &inputs).map_err(|e| format!("the optimized graph fails in the interpreter: {e}"))?;
    if want.len() != got.len() {
        return Err(format!("{} outputs before, {} after", want.len(), got.len()));
    }
    for ((name, w), (gname, g)) in want.iter().zip(&got) {
        if name != gname {
            return Err(format!("output `{name}` is called `{gname}` after the pipeline"));
        }
        if w.ty() != g.ty() {
            return Err(format!("output `{name}` is {} before and {} after", w.ty(), g.ty()));
        }
        let (wv, gv) = (w.to_f64_vec(), g.to_f64_vec());
        for (i, (a, b)) in wv.iter().zip(&gv).enumerate() {
            let ok = if w.dtype().is_float() {
                (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-6 + 1e-5 * a.abs()
            } else {
                a == b
            };
            if !ok {
                return Err(format!("output `{name}` element {i}: {a} before, {b} after"));
            }
        }
    }
    Ok(())
}

fn filetest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("filetests")
}

/// Every `*.ir` under `filetests/`, sorted.
fn files() -> Vec<PathBuf> {
    let mut v = vec![];
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(filetest_dir())
        .expect("filetests/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut fs: Vec<PathBuf> = std::fs::read_dir(&d)
            .expect("folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ir"))
            .collect();
        fs.sort();
        v.extend(fs);
    }
    v
}

#[test]
fn filetests() {
    let bless = std::env::var_os("EDGEC_BLESS").is_some_and(|v| v == "1");
    let mut failures = vec![];
    let mut count = 0;
    for path in files() {
        count += 1;
        let rel = path.strip_prefix(filetest_dir()).unwrap_or(&path).display().to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        let result = parse_file(&text).and_then(|ft| check(&ft).map(|o| (ft, o)));
        match result {
            Err(e) => failures.push(format!("{rel}: {e}")),
            Ok((ft, out)) => {
                let expectation_only =
                    out.problems.iter().all(|p| p.starts_with("output differs") || p.starts_with("no `"));
                if bless && !out.problems.is_empty() && expectation_only {
                    let new =
                        format!("{}{SEPARATOR}\n{}", ft.input.trim_end_matches('\n').to_string() + "\n", out.actual);
                    std::fs::write(&path, new).expect("write");
                    eprintln!("blessed {rel}");
                } else {
                    failures.extend(out.problems.iter().map(|p| format!("{rel}: {p}")));
                }
            }
        }
    }
    assert!(count > 0, "no filetests found in {}", filetest_dir().display());
    assert!(failures.is_empty(), "{} problem(s) in {count} filetests:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Each folder is named after a registered pass (or `pipeline` for whole pipelines), and each
/// registered pass has a folder with at least one test.
#[test]
fn one_folder_per_pass() {
    let names: Vec<&str> = passes::registry().iter().map(|p| p.name()).collect();
    let mut with_tests: HashMap<String, usize> = HashMap::new();
    for f in files() {
        let dir = f.parent().and_then(|d| d.file_name()).map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        *with_tests.entry(dir).or_default() += 1;
    }
    for dir in with_tests.keys() {
        assert!(
            dir == "pipeline" || names.contains(&dir.as_str()),
            "filetests/{dir}/ is not named after a pass ({names:?})"
        );
    }
    for n in names {
        assert!(with_tests.contains_key(n), "pass `{n}` has no filetests (add testsuite/filetests/{n}/*.ir)");
    }
}

/// The runner itself reports a wrong expectation with a diff, and a pass that changes what the
/// graph computes.
#[test]
fn runner_detects_mismatches() {
    let input = "// RUN: dce\ngraph g(%x: f32[2]) {\n  %y = unary.relu(%x) : f32[2]\n  return %y\n}\n";
    let wrong = format!("{input}{SEPARATOR}\ngraph g(%x: f32[2]) {{\n  %y = unary.neg(%x) : f32[2]\n  return %y\n}}\n");
    let out = check(&parse_file(&wrong).unwrap()).unwrap();
    assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
    assert!(
        out.problems[0].contains("-  %y = unary.neg(%x)") && out.problems[0].contains("+  %y = unary.relu(%x)"),
        "{}",
        out.problems[0]
    );
    let right = format!("{input}{SEPARATOR}\n{}", out.actual);
    assert!(check(&parse_file(&right).unwrap()).unwrap().problems.is_empty());

    // Soundness: a graph whose "optimized" form computes something else is caught.
    let a = ir::text::parse("graph g(%x: f32[16]) {\n  %y = unary.relu(%x) : f32[16]\n  return %y\n}\n").unwrap();
    let b = ir::text::parse("graph g(%x: f32[16]) {\n  %y = unary.abs(%x) : f32[16]\n  return %y\n}\n").unwrap();
    assert!(same_outputs(&a, &b, 0).unwrap_err().contains("output `y`"));
    assert!(same_outputs(&a, &a, 0).is_ok());
}
