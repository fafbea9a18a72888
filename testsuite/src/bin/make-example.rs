//! `make-example NAME DIR`: writes an example model as DIR/model.onnx plus
//! DIR/test_data_set_0/input_N.pb (outputs come from scripts/reference_outputs.py).

use prost::Message;
use std::path::PathBuf;
use std::process::ExitCode;
use testsuite::example;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, dir] = &args[..] else {
        eprintln!("usage: make-example NAME DIR   (NAME: {})", example::EXAMPLES.join(", "));
        return ExitCode::from(2);
    };
    let Some((model, inputs)) = example::build(name) else {
        eprintln!("error: unknown example `{name}` (known: {})", example::EXAMPLES.join(", "));
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let data = dir.join("test_data_set_0");
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&data)?;
        std::fs::write(dir.join("model.onnx"), model.encode_to_vec())?;
        for (i, t) in inputs.iter().enumerate() {
            std::fs::write(data.join(format!("input_{i}.pb")), t.encode_to_vec())?;
        }
        Ok(())
    };
    if let Err(e) = write() {
        eprintln!("error: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    println!("wrote {}/model.onnx and {} input(s)", dir.display(), inputs.len());
    ExitCode::SUCCESS
}
