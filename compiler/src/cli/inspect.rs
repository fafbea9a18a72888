//! `edgec inspect`: a model's interface, op histogram, parameters and unsupported nodes.

use super::InspectArgs;
use crate::onnx::{inspect_model, load_model, ImportOptions, ValueInfo};
use std::process::ExitCode;

fn sig(v: &ValueInfo) -> String {
    format!("{}: {}[{}]", v.name, v.dtype, v.dims.join(","))
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

pub fn inspect(a: &InspectArgs) -> Result<ExitCode, String> {
    let info = inspect_model(&a.model).map_err(|e| e.to_string())?;
    println!("model:     {}", a.model.display());
    println!("producer:  {}", if info.producer.is_empty() { "(none)" } else { &info.producer });
    println!("ir:        version {}", info.ir_version);
    let opsets: Vec<String> = info
        .opsets
        .iter()
        .map(|(d, v)| format!("{}:{v}", if d.is_empty() { "ai.onnx" } else { d.as_str() }))
        .collect();
    println!("opsets:    {}", opsets.join(", "));
    println!("inputs:");
    for v in &info.inputs {
        println!("  {}", sig(v));
    }
    println!("outputs:");
    for v in &info.outputs {
        println!("  {}", sig(v));
    }
    println!("params:    {} elements, {}", info.param_count, human_bytes(info.param_bytes));
    println!("nodes:     {}", info.node_count);
    println!("ops:");
    for (op, n) in &info.op_histogram {
        println!("  {op:<28} {n}");
    }
    if info.unsupported.is_empty() {
        println!("unsupported: none");
    } else {
        println!("unsupported: {} nodes", info.unsupported.len());
        for u in &info.unsupported {
            println!("  {} ({}): {}", u.node, u.op_type, u.reason);
        }
    }
    if a.ir {
        let m = load_model(&a.model, &ImportOptions::default()).map_err(|e| e.to_string())?;
        println!("\n{}", ir::text::print(&m.graph, ir::text::PrintOptions { elide_above: Some(16) }));
    }
    if let (true, Some(t)) = (a.optimized, &a.target) {
        super::optimize::inspect_optimized(&a.model, t)?;
    }
    Ok(ExitCode::SUCCESS)
}
