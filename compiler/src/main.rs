//! The `edgec` command line: parses arguments and maps results to exit codes
//! (0 success, 1 a comparison failed, 2 bad input or any other error).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = edgec::cli::Cli::parse();
    match edgec::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
