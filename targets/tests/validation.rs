//! Bad profiles are rejected with messages naming the file and the field; `base = "..."`
//! overrides a built-in.

use targets::{Profile, TargetError, BUILTIN_PROFILES};

fn a76_text() -> String {
    BUILTIN_PROFILES.iter().find(|(n, _)| *n == "cortex-a76").unwrap().1.to_string()
}

/// The A76 file with `from` (which must occur) replaced by `to`.
fn edited(from: &str, to: &str) -> String {
    let t = a76_text();
    assert!(t.contains(from), "test setup: `{from}` not in the profile");
    t.replacen(from, to, 1)
}

fn err(text: &str) -> String {
    let e = Profile::from_toml_str(text, "boards/test.toml").expect_err("profile should be rejected");
    let msg = e.to_string();
    assert!(msg.contains("boards/test.toml"), "message does not name the file: {msg}");
    msg
}

fn invalid_field(text: &str) -> (String, String) {
    match Profile::from_toml_str(text, "boards/test.toml") {
        Err(TargetError::Invalid { file, field, reason }) => {
            assert_eq!(file, "boards/test.toml");
            (field, reason)
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn the_unedited_text_is_accepted() {
    assert_eq!(Profile::from_toml_str(&a76_text(), "x").unwrap().name, "cortex-a76");
}

#[test]
fn unknown_keys_are_rejected_at_every_level() {
    let msg = err(&edited("cores = 4", "cores = 4\nturbo = true"));
    assert!(msg.contains("turbo"), "{msg}");
    let msg = err(&edited("bits = 128", "bits = 128\nlanes = 4"));
    assert!(msg.contains("lanes"), "{msg}");
    let msg = err(&edited("[run]", "[runner]"));
    assert!(msg.contains("runner"), "{msg}");
}

#[test]
fn missing_fields_are_named() {
    let msg = err(&edited("clock_ghz = 2.4", ""));
    assert!(msg.contains("clock_ghz"), "{msg}");
    let msg = err(&edited("l2_bytes = 524288", ""));
    assert!(msg.contains("l2_bytes"), "{msg}");
}

#[test]
fn wrong_types_and_negative_sizes_are_parse_errors() {
    let msg = err(&edited("l1d_bytes = 65536", "l1d_bytes = -65536"));
    assert!(msg.contains("l1d_bytes") || msg.contains("-65536"), "{msg}");
    let msg = err(&edited("cores = 4", "cores = \"four\""));
    assert!(msg.contains("cores") || msg.contains("four"), "{msg}");
    let msg = err("name = \"x\"\nthis is not toml");
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn zero_and_nonsensical_values_name_the_field() {
    let cases = [
        ("l1d_bytes = 65536", "l1d_bytes = 0", "cache.l1d_bytes"),
        ("cores = 4", "cores = 0", "cores"),
        ("clock_ghz = 2.4", "clock_ghz = 2400", "clock_ghz"),
        ("clock_ghz = 2.4", "clock_ghz = -1.0", "clock_ghz"),
        ("bits = 128", "bits = 96", "vector.bits"),
        ("bits = 128", "bits = 0", "vector.bits"),
        ("registers = 32", "registers = 0", "vector.registers"),
        ("l2_bytes = 524288", "l2_bytes = 1024", "cache.l2_bytes"),
        ("l3_bytes = 2097152", "l3_bytes = 4096", "cache.l3_bytes"),
        ("f32 = 16", "f32 = 0", "peak_ops_per_cycle.f32"),
        ("f16 = 32", "f16 = -2", "peak_ops_per_cycle.f16"),
        ("f16 = 32", "f16 = nan", "peak_ops_per_cycle.f16"),
        ("dram_gbs = 10.0", "dram_gbs = 0.0", "memory.dram_gbs"),
        ("dram_gbs = 10.0", "dram_gbs = inf", "memory.dram_gbs"),
        ("cpu = \"cortex-a76\"", "cpu = \"native\"", "llvm.cpu"),
        ("cpu = \"cortex-a76\"", "cpu = \"\"", "llvm.cpu"),
        ("triple = \"aarch64-unknown-linux-gnu\"", "triple = \"mips-unknown-linux-gnu\"", "llvm.triple"),
        ("features = \"+neon,+fullfp16,+dotprod\"", "features = \"neon,dotprod\"", "llvm.features"),
        ("features = \"+neon,+fullfp16,+dotprod\"", "features = \"+neon,,+dotprod\"", "llvm.features"),
        ("name = \"cortex-a76\"", "name = \"my board\"", "name"),
        ("qemu = \"qemu-aarch64\"", "qemu = \"qemu-riscv64\"", "run.qemu"),
        ("cc = \"aarch64-linux-gnu-gcc\"", "cc = \"\"", "run.cc"),
        ("dot_instructions = [\"sdot\", \"udot\"]", "dot_instructions = [\"sdot\", \"\"]", "dot_instructions[1]"),
        ("l3_bytes = 2097152      # 2 MiB shared (Raspberry Pi 5 product brief)", "", "memory.l3_bytes_per_cycle"),
        ("qemu = \"qemu-aarch64\"", "", "run.qemu_cpu"),
    ];
    for (from, to, field) in cases {
        let (got, reason) = invalid_field(&edited(from, to));
        assert_eq!(got, field, "`{to}` was rejected for field `{got}` ({reason})");
        let msg = err(&edited(from, to));
        assert!(msg.contains(field), "{msg}");
    }
}

#[test]
fn a_user_board_can_start_from_a_builtin() {
    let text = r#"
base = "cortex-a76"
name = "pi5-overclocked"
description = "Raspberry Pi 5 at 3.0 GHz"
clock_ghz = 3.0
[memory]
dram_gbs = 12.5
"#;
    let p = Profile::from_toml_str(text, "pi5oc.toml").unwrap();
    let base = Profile::builtin("cortex-a76").unwrap();
    assert_eq!((p.name.as_str(), p.clock_ghz, p.memory.dram_gbs), ("pi5-overclocked", 3.0, 12.5));
    // Untouched fields, including the rest of a partially overridden table, come from the base.
    assert_eq!(p.memory.l2_bytes_per_cycle, base.memory.l2_bytes_per_cycle);
    assert_eq!((p.llvm, p.cache, p.run), (base.llvm, base.cache, base.run));
}

#[test]
fn base_errors() {
    let (field, reason) = invalid_field("base = \"cortex-a99\"\nname = \"b\"\n");
    assert_eq!(field, "base");
    assert!(reason.contains("cortex-a76"), "lists the known names: {reason}");
    let (field, _) = invalid_field("base = \"cortex-a76\"\n");
    assert_eq!(field, "name");
    let (field, _) = invalid_field("base = 3\nname = \"b\"\n");
    assert_eq!(field, "base");
    // Overrides are still checked: unknown keys and bad values.
    let msg = err("base = \"cortex-a76\"\nname = \"b\"\n[vector]\nwidth = 128\n");
    assert!(msg.contains("width"), "{msg}");
    let (field, _) = invalid_field("base = \"cortex-a76\"\nname = \"b\"\n[vector]\nbits = 100\n");
    assert_eq!(field, "vector.bits");
}
