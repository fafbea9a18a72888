//! The shared real models (/work/shared/models): `inspect_model` finds no unsupported node and
//! reports what MANIFEST.json says; `load_model` imports them. Skipped when the folder is absent.

use edgec::onnx::{inspect_model, load_model, ImportOptions};
use std::path::{Path, PathBuf};

const MODELS: [&str; 7] = ["llama_mini", "bert_tiny", "gpt2_mini", "mobilenet_v2", "squeezenet1_1", "mlp", "attention"];

fn model_path(name: &str) -> Option<PathBuf> {
    let p = Path::new("/work/shared/models").join(name).join("model.onnx");
    p.exists().then_some(p)
}

#[test]
fn inspect_reports_no_unsupported_node() {
    let mut bad = Vec::new();
    for name in MODELS {
        let Some(p) = model_path(name) else { continue };
        let info = inspect_model(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        for u in &info.unsupported {
            bad.push(format!("{name}: `{}` ({}): {}", u.node, u.op_type, u.reason));
        }
        assert!(info.node_count > 0, "{name}");
        let total: usize = info.op_histogram.iter().map(|(_, c)| c).sum();
        assert_eq!(total, info.node_count, "{name}: histogram sums to the node count");
        assert!(info.opsets.iter().any(|(d, v)| d.is_empty() && *v == 17), "{name}: {:?}", info.opsets);
    }
    assert!(bad.is_empty(), "unsupported nodes:\n{}", bad.join("\n"));
}

#[test]
fn inspect_matches_manifest() {
    let Ok(text) = std::fs::read_to_string("/work/shared/models/MANIFEST.json") else { return };
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    for name in MODELS {
        let Some(p) = model_path(name) else { continue };
        let info = inspect_model(&p).unwrap();
        let m = find_model(&manifest, name);
        let Some(m) = m else { continue };
        if let Some(hist) = m.get("op_histogram").and_then(|h| h.as_object()) {
            for (op, count) in hist {
                let have = info.op_histogram.iter().find(|(o, _)| o == op).map(|(_, c)| *c as u64);
                assert_eq!(have, count.as_u64(), "{name}: count of {op}");
            }
        }
        let inputs: Vec<&str> = info.inputs.iter().map(|i| i.name.as_str()).collect();
        assert!(!inputs.is_empty(), "{name}");
    }
}

fn find_model<'a>(manifest: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    if let Some(m) = manifest.get("models") {
        if let Some(obj) = m.get(name) {
            return Some(obj);
        }
        if let Some(arr) = m.as_array() {
            return arr.iter().find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name));
        }
    }
    manifest.get(name)
}

#[test]
fn load_real_models() {
    for name in MODELS {
        let Some(p) = model_path(name) else { continue };
        match load_model(&p, &ImportOptions::default()) {
            Ok(m) => {
                assert_eq!(m.opset, 17, "{name}");
                assert!(!m.graph.outputs().is_empty(), "{name}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// The imported graphs, run by the reference interpreter, reproduce the reference outputs.
#[test]
fn real_models_match_reference_outputs() {
    for name in MODELS {
        let Some(p) = model_path(name) else { continue };
        let dir = p.parent().unwrap().join("test_data_set_0");
        let m = load_model(&p, &ImportOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut inputs = Vec::new();
        for i in 0.. {
            let f = dir.join(format!("input_{i}.pb"));
            if !f.exists() {
                break;
            }
            inputs.push(edgec::onnx::read_tensor_file(&f).unwrap());
        }
        let outs = ir::interp::run(&m.graph, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (j, (oname, got)) in outs.iter().enumerate() {
            let (wname, want) = edgec::onnx::read_tensor_file(&dir.join(format!("output_{j}.pb"))).unwrap();
            assert_eq!(oname, &wname, "{name}");
            assert_eq!(got.shape(), want.shape(), "{name}: {oname}");
            let scale = want.to_f64_vec().iter().fold(0f64, |a, x| a.max(x.abs())).max(1e-6);
            let diff = got.to_f64_vec().iter().zip(want.to_f64_vec()).fold(0f64, |a, (x, y)| a.max((x - y).abs()));
            assert!(diff <= 1e-3 * scale, "{name}: {oname} differs by {diff} (scale {scale})");
        }
    }
}
