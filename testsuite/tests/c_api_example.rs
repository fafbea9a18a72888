//! The C API example of docs/c-api.md, as documented: the bundled tiny-cnn model compiled by
//! edgec, docs/examples/c-api/main.c built with gcc exactly as the doc says, run on the example
//! input; its printed probabilities must match the reference interpreter. Also cross-built with
//! aarch64-linux-gnu-gcc and run under qemu-aarch64 when those are installed.

use edgec::compare::{compare, Tolerance};
use edgec::onnx::{load_model, read_tensor_file, ImportOptions};
use ir::Tensor;
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The host build command of the doc, from the repository root.
const HOST_BUILD: &str =
    "gcc -O2 -std=c11 -Wall -Ibuild docs/examples/c-api/main.c build/libtiny_cnn.a -lm -o classify";

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The cross build of the doc (AArch64, run under qemu-aarch64).
const CROSS_BUILD: &str =
    "aarch64-linux-gnu-gcc -O2 -std=c11 -Wall -Ibuild-a76 docs/examples/c-api/main.c build-a76/libtiny_cnn.a -lm -o classify-a76";

/// Run a documented build command (words split on spaces, no shell) with its relative paths
/// resolved: `build…` folders and the `classify…` program in `work`, `docs/…` in the checkout.
fn run_build(cmd: &str, work: &Path) {
    let words: Vec<String> = cmd
        .split_whitespace()
        .map(|w| {
            if let Some(dir) = w.strip_prefix("-I") {
                format!("-I{}", work.join(dir).display())
            } else if w.starts_with("build") || w.starts_with("classify") {
                work.join(w).display().to_string()
            } else if w.starts_with("docs/") {
                root().join(w).display().to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let o = Command::new(&words[0]).args(&words[1..]).output().expect("run the C compiler");
    assert!(o.status.success(), "`{cmd}` failed:\n{}", String::from_utf8_lossy(&o.stderr));
}

/// Parse `probs[i] = v` lines and the `class N` line.
fn parse(stdout: &str) -> (Vec<f32>, usize) {
    let mut probs = vec![];
    let mut class = None;
    for l in stdout.lines() {
        if let Some((k, v)) = l.split_once(" = ") {
            assert_eq!(k, format!("probs[{}]", probs.len()), "line `{l}`");
            probs.push(v.trim().parse::<f32>().expect("a float"));
        } else if let Some(c) = l.strip_prefix("class ") {
            class = Some(c.trim().parse::<usize>().expect("a class index"));
        }
    }
    (probs, class.expect("a `class N` line"))
}

fn check_against(stdout: &str, want: &Tensor) {
    let (probs, class) = parse(stdout);
    let got = Tensor::from_vec(&[1, probs.len()], probs.clone()).unwrap();
    let c = compare(&got, want, Tolerance { atol: 1e-6, rtol: 1e-4 });
    assert!(c.passed(), "example printed {probs:?}, interpreter {want:?}: {c:?}");
    let w = want.to_f64_vec();
    let best = (0..w.len()).fold(0, |b, i| if w[i] > w[b] { i } else { b });
    assert_eq!(class, best);
}

#[test]
fn c_api_example_builds_runs_and_matches_the_interpreter() {
    let doc = std::fs::read_to_string(root().join("docs/c-api.md")).expect("docs/c-api.md");
    assert!(doc.contains(HOST_BUILD), "docs/c-api.md no longer shows `{HOST_BUILD}`: update this test with it");
    // The program shown in the doc is the file that is built.
    let main_c = std::fs::read_to_string(root().join("docs/examples/c-api/main.c")).unwrap();
    let shown = doc
        .split_once("## A complete example")
        .and_then(|(_, rest)| rest.split_once("```c\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("a ```c block under `## A complete example` in docs/c-api.md");
    assert_eq!(shown, main_c, "docs/c-api.md shows a program other than docs/examples/c-api/main.c");
    if !have("gcc") {
        panic!("gcc is not installed (Debian: apt install gcc)");
    }
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("c_api_example_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // The bundled example, as `make-example tiny-cnn` writes it.
    let (model, inputs) = testsuite::example::build("tiny-cnn").expect("tiny-cnn example");
    let model_path = work.join("model.onnx");
    std::fs::write(&model_path, model.encode_to_vec()).unwrap();
    let pb = work.join("input_0.pb");
    std::fs::write(&pb, inputs[0].encode_to_vec()).unwrap();
    let (_, image) = read_tensor_file(&pb).unwrap();
    std::fs::write(work.join("image.bin"), image.to_le_bytes()).unwrap();
    let g = load_model(&model_path, &ImportOptions::default()).unwrap().graph;
    let want = ir::interp::run(&g, &[("image".to_string(), image.clone())]).unwrap().remove(0).1;

    // edgec compile … --target host -o build
    let host = targets::Profile::resolve("host").unwrap();
    let art = edgec::native::compile(&g, &host, "tiny_cnn", codegen::Keep::default()).unwrap();
    edgec::native::write_artifacts(&work.join("build"), &art, None).unwrap();
    run_build(HOST_BUILD, &work);
    let o = Command::new(work.join("classify")).arg(work.join("image.bin")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_against(&String::from_utf8_lossy(&o.stdout), &want);

    // Without a file it runs its test pattern; with a short file it refuses.
    let o = Command::new(work.join("classify")).output().unwrap();
    assert!(o.status.success());
    assert_eq!(parse(&String::from_utf8_lossy(&o.stdout)).0.len(), 10);
    std::fs::write(work.join("short.bin"), [0u8; 12]).unwrap();
    let o = Command::new(work.join("classify")).arg(work.join("short.bin")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected exactly 12288 bytes"));

    // The cross build of the doc: aarch64-linux-gnu-gcc, run under qemu-aarch64.
    assert!(doc.contains(CROSS_BUILD), "docs/c-api.md no longer shows `{CROSS_BUILD}`");
    if have("aarch64-linux-gnu-gcc") && Path::new("/usr/aarch64-linux-gnu").is_dir() && have("qemu-aarch64") {
        let a76 = targets::Profile::resolve("cortex-a76").unwrap();
        let art = edgec::native::compile(&g, &a76, "tiny_cnn", codegen::Keep::default()).unwrap();
        edgec::native::write_artifacts(&work.join("build-a76"), &art, None).unwrap();
        run_build(CROSS_BUILD, &work);
        let o = Command::new("qemu-aarch64")
            .args(["-cpu", "cortex-a76", "-L", "/usr/aarch64-linux-gnu"])
            .arg(work.join("classify-a76"))
            .arg(work.join("image.bin"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        check_against(&String::from_utf8_lossy(&o.stdout), &want);
    } else {
        eprintln!(
            "cross part skipped: aarch64-linux-gnu-gcc, its libc or qemu-aarch64 is missing (scripts/install-deps.sh)"
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
