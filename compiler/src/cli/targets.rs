//! `edgec targets`: list the device profiles, or validate and show one (built-in name, `host`,
//! or a user .toml file) as TOML with derived figures.

use ::targets::{builtin_names, PeakKind, Profile};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct TargetsArgs {
    /// A profile name (see the list) or a path to a profile .toml file; omit to list all.
    pub target: Option<String>,
}

fn list() -> Result<ExitCode, String> {
    let mut rows = vec![["NAME", "TRIPLE", "CPU", "VECTOR", "CORES", "DESCRIPTION"].map(String::from)];
    for name in builtin_names() {
        match Profile::builtin(name) {
            Ok(p) => rows.push([
                p.name.clone(),
                p.llvm.triple.clone(),
                p.llvm.cpu.clone(),
                format!("{} bit", p.vector.bits),
                p.cores.to_string(),
                p.description.clone(),
            ]),
            // Only `host` can fail (an architecture edgec cannot target); say so and go on.
            Err(e) => rows.push([name.to_string(), "-".into(), "-".into(), "-".into(), "-".into(), e.to_string()]),
        }
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0)).collect();
    for r in &rows {
        let cells: Vec<String> = (0..5).map(|c| format!("{:<w$}", r[c], w = widths[c])).collect();
        println!("{}  {}", cells.join("  "), r[5]);
    }
    println!("\n`edgec targets NAME` shows one profile in full; `edgec targets FILE.toml` checks your own (docs/targets.md).");
    Ok(ExitCode::SUCCESS)
}

/// Figures computed from the profile, as TOML comments so the output stays a valid profile file.
fn derived(p: &Profile) -> String {
    let mut out = String::from("\n# derived (not part of the file format):\n");
    out += &format!("#   isa: {}, f32 lanes per vector: {}\n", p.isa(), p.vector_lanes(32));
    for k in PeakKind::ALL {
        let raw = p.peak_ops_per_cycle(k);
        let note = if raw > 0.0 { String::new() } else { " (no instruction: modelled at the f32 rate)".into() };
        out += &format!(
            "#   {k:<8} peak: {:8.1} Gop/s per core, {:8.1} Gop/s all cores{note}\n",
            p.peak_ops_per_second(k) / 1e9,
            p.peak_ops_per_second(k) * f64::from(p.cores) / 1e9,
        );
    }
    out += &format!("#   f32 ridge point: {:.1} ops per DRAM byte\n", p.ridge_point(PeakKind::F32));
    let runner = p.runner();
    out += &format!(
        "#   runs as: {}\n",
        if runner.is_empty() { "native".to_string() } else { format!("{} ./program", runner.join(" ")) }
    );
    out
}

pub fn targets(a: &TargetsArgs) -> Result<ExitCode, String> {
    let Some(target) = &a.target else { return list() };
    let p = Profile::resolve(target).map_err(|e| e.to_string())?;
    let origin = if builtin_names().contains(&target.as_str()) {
        if target == "host" {
            "detected on this machine".to_string()
        } else {
            "built-in".to_string()
        }
    } else {
        format!("{target}: valid")
    };
    println!("# target profile `{}` ({origin})", p.name);
    print!("{}", p.to_toml_string());
    print!("{}", derived(&p));
    Ok(ExitCode::SUCCESS)
}
