//! Every model in ../shared/models imports with no unsupported node, folds to fully static
//! shapes, and the interpreter matches its reference outputs (|y-ref| <= 1e-4 + 1e-4·|ref|).

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{inspect_model, load_model, ImportOptions};
use std::path::PathBuf;
use testsuite::conformance::read_numbered;

fn models_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    d.is_dir().then_some(d)
}

fn model_names() -> Vec<String> {
    let Some(d) = models_dir() else { return vec![] };
    let mut v: Vec<String> = std::fs::read_dir(&d)
        .expect("read models dir")
        .flatten()
        .filter(|e| e.path().join("model.onnx").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn shared_models_match_reference_outputs() {
    let Some(dir) = models_dir() else {
        eprintln!("SKIPPED: ../shared/models not found beside the checkout");
        return;
    };
    let names = model_names();
    assert!(!names.is_empty(), "no models in {}", dir.display());
    let mut failures = Vec::new();
    for name in &names {
        let m = dir.join(name);
        let info = inspect_model(&m.join("model.onnx")).unwrap_or_else(|e| panic!("{name}: {e}"));
        if !info.unsupported.is_empty() {
            failures.push(format!("{name}: unsupported nodes {:?}", info.unsupported));
            continue;
        }
        let data = m.join("test_data_set_0");
        let inputs = read_numbered(&data, "input").unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = read_numbered(&data, "output").unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut opts = ImportOptions::default();
        for (n, t) in &inputs {
            opts.input_shapes.insert(n.clone(), t.shape().to_vec());
        }
        let model = match load_model(&m.join("model.onnx"), &opts) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: import: {e}"));
                continue;
            }
        };
        if !ir::fold::is_fully_static(&model.graph) {
            failures.push(format!("{name}: not fully static after folding"));
        }
        let t0 = std::time::Instant::now();
        let got = match ir::interp::run(&model.graph, &inputs) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{name}: run: {e}"));
                continue;
            }
        };
        eprintln!("{name}: {} nodes, interpreter {:.2}s", model.graph.node_count(), t0.elapsed().as_secs_f64());
        assert_eq!(got.len(), expected.len(), "{name}: output count");
        for ((oname, g), (_, want)) in got.iter().zip(&expected) {
            let c = compare(g, want, Tolerance::MODEL);
            if !c.passed() {
                failures.push(format!(
                    "{name}: output {oname}: {:?} max abs {:.3e} max rel {:.3e} ({} elements off)",
                    c.structural, c.max_abs, c.max_rel, c.mismatches
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
