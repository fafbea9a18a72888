//! Every model in ../shared/models, optimized for the target by the default pipeline (as
//! `edgec compile` does: attention, norms and epilogues fused) and compiled (in-process codegen,
//! linked with the C harness) for the host, and under qemu for cortex-a76 and rv64gcv, matches
//! its reference outputs within |y - ref| <= 1e-5 + 1e-4·|ref|. Skips when ../shared/models is absent; the cross targets skip
//! when their gcc/qemu are missing, unless the environment variable CI is set.

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, ImportOptions};
use std::path::PathBuf;
use testsuite::conformance::read_numbered;
use testsuite::native::{self, require_toolchain};

const TOL: Tolerance = Tolerance { atol: 1e-5, rtol: 1e-4 };

fn models_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/models");
    d.is_dir().then_some(d)
}

fn model_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read models dir")
        .flatten()
        .filter(|e| e.path().join("model.onnx").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Compile, link, run and compare one model; `Err` says what went wrong.
fn check_model(dir: &std::path::Path, name: &str, profile: &targets::Profile) -> Result<String, String> {
    let m = dir.join(name);
    let data = m.join("test_data_set_0");
    let inputs = read_numbered(&data, "input").map_err(|e| format!("test data: {e}"))?;
    let expected = read_numbered(&data, "output").map_err(|e| format!("test data: {e}"))?;
    let opts = ImportOptions { input_shapes: inputs.iter().map(|(n, t)| (n.clone(), t.shape().to_vec())).collect(), ..Default::default() };
    let mut model = load_model(&m.join("model.onnx"), &opts).map_err(|e| format!("import: {e}"))?;
    let fused = native::optimize(&mut model.graph, profile).map_err(|e| e.to_string())?;
    let t0 = std::time::Instant::now();
    let linked = native::build(&model.graph, profile, name).map_err(|e| e.to_string())?;
    let t1 = std::time::Instant::now();
    let got = native::run(&linked, &model.graph, &inputs).map_err(|e| e.to_string())?;
    if got.len() != expected.len() {
        return Err(format!("{} outputs, the reference has {}", got.len(), expected.len()));
    }
    let mut notes = vec![];
    for ((oname, g), (_, want)) in got.iter().zip(&expected) {
        let c = compare(g, want, TOL);
        if !c.passed() {
            return Err(format!(
                "output {oname}: {} max abs {:.3e} max rel {:.3e} ({} of {} elements off)",
                c.structural.unwrap_or_default(),
                c.max_abs,
                c.max_rel,
                c.mismatches,
                want.len()
            ));
        }
        notes.push(format!("{oname} max abs {:.2e}", c.max_abs));
    }
    Ok(format!(
        "fused: {}; compiled+linked {:.1}s, ran {:.1}s, {}",
        if fused.is_empty() { "none" } else { &fused },
        (t1 - t0).as_secs_f64(),
        t1.elapsed().as_secs_f64(),
        notes.join(", ")
    ))
}

fn check_target(target: &str) {
    let Some(dir) = models_dir() else {
        eprintln!("SKIPPED: ../shared/models not found beside the checkout");
        return;
    };
    if !require_toolchain(target, "shared models (compiled)") {
        return;
    }
    let profile = native::profile(target).expect("profile");
    let names = model_names(&dir);
    assert!(!names.is_empty(), "no models in {}", dir.display());
    let mut failures = vec![];
    for name in &names {
        match check_model(&dir, name, &profile) {
            Ok(note) => eprintln!("{target} {name}: PASS ({note})"),
            Err(e) => {
                eprintln!("{target} {name}: FAIL {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{target}: {} of {} models fail:\n{}", failures.len(), names.len(), failures.join("\n"));
}

#[test]
fn shared_models_compiled_host() {
    check_target("host");
}

#[test]
fn shared_models_compiled_cortex_a76() {
    check_target("cortex-a76");
}

#[test]
fn shared_models_compiled_rv64gcv() {
    check_target("rv64gcv");
}
