//! `edgec targets`: listing, showing a built-in or user profile, and errors (exit code 2 with
//! a message naming the problem).

use std::process::{Command, Output};

fn edgec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgec")).args(args).output().expect("run edgec")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const BUILTINS: [&str; 9] =
    ["cortex-a76", "cortex-a72", "cortex-a55", "x86-64-v3", "x86-64-v4", "znver5", "rv64gcv", "sifive-x280", "host"];

#[test]
fn lists_every_profile() {
    let o = edgec(&["targets"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for name in BUILTINS {
        assert!(out.lines().any(|l| l.starts_with(name)), "{name} not listed:\n{out}");
    }
    let a76 = out.lines().find(|l| l.starts_with("cortex-a76")).unwrap();
    for col in ["aarch64-unknown-linux-gnu", "128 bit", "Raspberry Pi 5"] {
        assert!(a76.contains(col), "{a76}");
    }
    assert!(out.lines().any(|l| l.starts_with("rv64gcv") && l.contains("spacemit-x60") && l.contains("256 bit")));
}

#[test]
fn shows_a_builtin_in_full_as_a_loadable_file() {
    let o = edgec(&["targets", "cortex-a76"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for want in
        ["cpu = \"cortex-a76\"", "features = \"+neon,+fullfp16,+dotprod\"", "[peak_ops_per_cycle]", "qemu-aarch64"]
    {
        assert!(out.contains(want), "missing {want}:\n{out}");
    }
    // The output is itself a valid profile file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.toml");
    std::fs::write(&path, &out).unwrap();
    let o = edgec(&["targets", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid"));
}

#[test]
fn shows_the_host() {
    let o = edgec(&["targets", "host"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("name = \"host\"") && !out.contains("cpu = \"native\""), "{out}");
}

#[test]
fn validates_a_user_board_with_a_base() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-board.toml");
    std::fs::write(
        &path,
        "base = \"cortex-a55\"\nname = \"my-board\"\ndescription = \"A55 at 2 GHz\"\nclock_ghz = 2.0\n",
    )
    .unwrap();
    let o = edgec(&["targets", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("name = \"my-board\"") && out.contains("clock_ghz = 2.0") && out.contains("cortex-a55"),
        "{out}"
    );
}

#[test]
fn bad_user_files_exit_2_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "base = \"cortex-a76\"\nname = \"bad\"\n[vector]\nbits = 100\n").unwrap();
    let o = edgec(&["targets", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml") && err.contains("vector.bits") && err.contains("multiple of 64"), "{err}");

    std::fs::write(&path, "base = \"cortex-a76\"\nname = \"bad\"\nturbo = true\n").unwrap();
    let o = edgec(&["targets", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("turbo"), "{}", stderr(&o));

    let o = edgec(&["targets", dir.path().join("missing.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn unknown_name_exits_2_listing_known_names() {
    let o = edgec(&["targets", "cortex-a99"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("cortex-a99"), "{err}");
    for name in BUILTINS {
        assert!(err.contains(name), "{name} not offered:\n{err}");
    }
    assert!(o.stdout.is_empty());
}
