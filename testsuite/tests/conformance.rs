//! The ONNX node-test suite through the interpreter must pass every case in the committed
//! expectation list (testsuite/conformance/expected-pass-interp.txt).

use testsuite::conformance::{self, Backend};

#[test]
fn interpreter_passes_expected_cases() {
    let Some(dir) = conformance::default_data_dir() else {
        // Setup installs the data; under CI its absence is a broken setup, not a skip.
        assert!(std::env::var("CI").is_err(), "ONNX node tests missing under CI: scripts/setup.sh should install them");
        eprintln!("SKIPPED: ONNX node tests not found (run scripts/setup.sh, or set EDGEC_ONNX_NODE_TESTS)");
        return;
    };
    let expected = conformance::read_expected(&conformance::expected_list_path(&Backend::Interp)).expect("expectation list");
    assert!(expected.len() >= 1000, "the expectation list names only {} cases", expected.len());
    let cases = conformance::list_cases(&dir, &[]).expect("list cases");
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let summary = conformance::run_suite(&cases, &Backend::Interp, jobs, false);
    let (regressions, new) = conformance::check(&summary, &expected);
    eprintln!(
        "conformance: {} passed, {} failed, {} unsupported; {} new passes",
        summary.count("pass"),
        summary.count("fail"),
        summary.count("unsupported"),
        new.len()
    );
    let detail: Vec<String> =
        regressions.iter().map(|r| format!("{r}: {}", summary.cases[r].reason().unwrap_or(""))).collect();
    assert!(regressions.is_empty(), "{} expected-pass cases regressed:\n{}", regressions.len(), detail.join("\n"));
}
