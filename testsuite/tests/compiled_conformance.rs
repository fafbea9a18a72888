//! The ONNX node tests through the compiled backend: on the host every case in
//! testsuite/conformance/expected-pass-compiled-host.txt must still pass; under qemu, for
//! cortex-a76 and rv64gcv, every case of the representative subset
//! testsuite/conformance/cross-subset.txt must pass. Cross tests skip with a message when the
//! cross gcc/qemu are missing, and fail instead when the environment variable CI is set.

use std::collections::BTreeSet;
use std::path::PathBuf;
use testsuite::conformance::{self, Backend, Summary};
use testsuite::native::require_toolchain;

fn data_dir() -> Option<PathBuf> {
    let d = conformance::default_data_dir();
    if d.is_none() {
        assert!(std::env::var("CI").is_err(), "ONNX node tests missing under CI: scripts/setup.sh should install them");
        eprintln!("SKIPPED: ONNX node tests not found (run scripts/setup.sh, or set EDGEC_ONNX_NODE_TESTS)");
    }
    d
}

fn jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn report(what: &str, summary: &Summary, must_pass: &BTreeSet<String>) {
    let (regressions, _) = conformance::check(summary, must_pass);
    eprintln!(
        "{what}: {} passed, {} failed, {} unsupported, {} errors of {} cases",
        summary.count("pass"),
        summary.count("fail"),
        summary.count("unsupported"),
        summary.count("error"),
        summary.cases.len()
    );
    let detail: Vec<String> = regressions
        .iter()
        .map(|r| format!("{r}: {} {}", summary.cases[r].label(), summary.cases[r].reason().unwrap_or("")))
        .collect();
    assert!(regressions.is_empty(), "{what}: {} expected-pass cases regressed:\n{}", regressions.len(), detail.join("\n"));
}

#[test]
fn host_passes_expected_cases() {
    let Some(dir) = data_dir() else { return };
    if !require_toolchain("host", "compiled conformance") {
        return;
    }
    let backend = Backend::Compiled("host".into());
    let expected = conformance::read_expected(&conformance::expected_list_path(&backend)).expect("expectation list");
    assert!(expected.len() >= 400, "the compiled host expectation list names only {} cases", expected.len());
    let cases = conformance::cases_named(&dir, &expected).expect("expected cases");
    let summary = conformance::run_suite(&cases, &backend, jobs(), false);
    report("compiled host", &summary, &expected);
}

/// The cross subset is a subset of the host expectation list, spread over op families.
#[test]
fn cross_subset_is_representative() {
    let subset = conformance::read_expected(&conformance::cross_subset_path()).expect("cross subset");
    let host = conformance::read_expected(&conformance::expected_list_path(&Backend::Compiled("host".into()))).expect("host list");
    assert!(subset.len() >= 50, "cross subset has only {} cases", subset.len());
    let extra: Vec<&String> = subset.iter().filter(|c| !host.contains(*c)).collect();
    assert!(extra.is_empty(), "cross subset cases not in the host expectation list: {extra:?}");
}

fn cross(target: &str) {
    let Some(dir) = data_dir() else { return };
    if !require_toolchain(target, "cross-ISA conformance subset") {
        return;
    }
    let subset = conformance::read_expected(&conformance::cross_subset_path()).expect("cross subset");
    let cases = conformance::cases_named(&dir, &subset).expect("cross subset cases");
    let summary = conformance::run_suite(&cases, &Backend::Compiled(target.into()), jobs(), false);
    report(&format!("compiled {target} (qemu, cross subset)"), &summary, &subset);
}

#[test]
fn cortex_a76_passes_cross_subset() {
    cross("cortex-a76");
}

#[test]
fn rv64gcv_passes_cross_subset() {
    cross("rv64gcv");
}
