//! The default optimizer pipeline on every model in ../shared/models: the graph verifies after
//! every pass, never grows, and the interpreter gives the reference outputs before and after
//! (|y-ref| <= 1e-4 + 1e-4·|ref|), so the passes are checked on real exporter output.

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, ImportOptions};
use passes::{PassContext, PassManager};
use std::path::PathBuf;
use testsuite::conformance::read_numbered;

fn models_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    d.is_dir().then_some(d)
}

#[test]
fn default_pipeline_keeps_shared_models_correct() {
    let Some(dir) = models_dir() else {
        eprintln!("SKIPPED: ../shared/models not found beside the checkout");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("models dir")
        .flatten()
        .filter(|e| e.path().join("model.onnx").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let profile = targets::Profile::builtin("cortex-a76").unwrap();
    let tol = Tolerance { atol: 1e-4, rtol: 1e-4 };
    let mut failures = vec![];
    for name in &names {
        let m = dir.join(name);
        let data = m.join("test_data_set_0");
        let inputs = read_numbered(&data, "input").unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = read_numbered(&data, "output").unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut opts = ImportOptions::default();
        for (n, t) in &inputs {
            opts.input_shapes.insert(n.clone(), t.shape().to_vec());
        }
        let mut g = load_model(&m.join("model.onnx"), &opts).unwrap_or_else(|e| panic!("{name}: {e}")).graph;
        let report = match PassManager::new(passes::default_pipeline())
            .verify_each(true)
            .run(&mut g, &PassContext::new(&profile))
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        eprintln!("{name}:\n{report}");
        if report.nodes_after > report.nodes_before {
            failures.push(format!(
                "{name}: the pipeline grew the graph ({} → {} nodes)",
                report.nodes_before, report.nodes_after
            ));
        }
        let got = match ir::interp::run(&g, &inputs) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{name}: the optimized graph fails in the interpreter: {e}"));
                continue;
            }
        };
        for ((oname, y), (_, want)) in got.iter().zip(&expected) {
            let c = compare(y, want, tol);
            if !c.passed() {
                failures.push(format!(
                    "{name}: output `{oname}` after optimization: max abs {:.3e}, {} mismatches",
                    c.max_abs, c.mismatches
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
