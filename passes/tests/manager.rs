//! The registry and the pass manager: sorted names, lookups with helpful errors, per-pass
//! records, disabling, IR dumps, and verification catching a broken pass.

use ir::{Graph, TensorType};
use passes::{PassContext, PassError, PassManager, PassStats, When};

fn profile() -> targets::Profile {
    targets::Profile::builtin("cortex-a76").expect("built-in profile")
}

/// x → relu twice (duplicates), a dead exp, output = relu + relu.
fn graph() -> Graph {
    ir::text::parse(
        "graph g(%x: f32[4]) {
           %a = unary.relu(%x) : f32[4]
           %b = unary.relu(%x) : f32[4]
           %dead = unary.exp(%x) : f32[4]
           %y = binary.add(%a, %b) : f32[4]
           return %y
         }",
    )
    .expect("parse")
}

fn pm(spec: &str) -> PassManager<'static> {
    PassManager::new(passes::registry::parse_pipeline(spec).expect("pipeline"))
}

#[test]
fn registry_is_sorted_kebab_case_and_described() {
    let names: Vec<&str> = passes::registry().iter().map(|p| p.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "registry must be sorted with unique names");
    for p in passes::registry() {
        let n = p.name();
        assert!(
            !n.is_empty()
                && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !n.starts_with('-'),
            "`{n}` is not kebab-case"
        );
        let d = p.description();
        assert!(!d.is_empty() && !d.contains('\n'), "`{n}`: description must be one line");
        assert_eq!(passes::lookup(n).unwrap().name(), n);
    }
    for p in passes::default_pipeline() {
        assert!(names.contains(&p.name()), "default pipeline pass `{}` is not registered", p.name());
    }
}

#[test]
fn unknown_names_list_the_known_ones() {
    let e = passes::lookup("cse2").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("unknown pass `cse2`"), "{msg}");
    for p in passes::registry() {
        assert!(msg.contains(p.name()), "{msg} should list `{}`", p.name());
    }
    let spec: Vec<&str> = passes::registry::parse_pipeline(" cse , dce ").unwrap().iter().map(|p| p.name()).collect();
    assert_eq!(spec, ["cse", "dce"]);
    assert!(passes::registry::parse_pipeline("cse,nope").is_err());
    assert!(pm("dce").disable("nope").is_err());
    assert!(pm("dce").print_after("nope").is_err());
    assert!(pm("dce").print_before("all").is_ok());
}

#[test]
fn records_time_counts_and_stats_per_pass() {
    let p = profile();
    let mut g = graph();
    let report = pm("cse,dce").verify_each(true).run(&mut g, &PassContext::new(&p)).unwrap();
    let names: Vec<&str> = report.records.iter().map(|r| r.name).collect();
    assert_eq!(names, ["cse", "dce"]);
    // 5 nodes: x, a, b, dead, y; cse merges b into a, dce drops dead.
    assert_eq!(report.nodes_before, 5);
    assert_eq!((report.records[0].nodes_before, report.records[0].nodes_after), (5, 4));
    assert_eq!((report.records[1].nodes_before, report.records[1].nodes_after), (4, 3));
    assert_eq!(report.nodes_after, g.node_count());
    assert_eq!(report.records[0].stats.get("merged"), 1);
    assert_eq!(report.records[1].stats.get("removed"), 1);
    assert!(report.records.iter().all(|r| r.ran));
    assert_eq!(report.pass_time, report.records.iter().map(|r| r.time).sum());
    let text = report.to_string();
    assert!(text.contains("cse") && text.contains("merged 1") && text.contains("5 → 3 nodes"), "{text}");
}

#[test]
fn disabled_passes_are_skipped_and_reported() {
    let p = profile();
    let mut g = graph();
    let mut m = pm("cse,dce");
    m.disable("dce").unwrap();
    let report = m.run(&mut g, &PassContext::new(&p)).unwrap();
    assert!(report.records[0].ran && !report.records[1].ran);
    assert_eq!(g.node_count(), 4, "dead node must still be there");
    assert!(report.to_string().contains("dce") && report.to_string().contains("disabled"));
}

#[test]
fn dumps_before_and_after_are_collected_or_handed_out() {
    let p = profile();
    let mut g = graph();
    let mut m = pm("cse,dce");
    m.print_before("cse").unwrap();
    m.print_after("all").unwrap();
    m.print_options(ir::text::PrintOptions { elide_above: None });
    let report = m.run(&mut g, &PassContext::new(&p)).unwrap();
    let seen: Vec<(When, &str)> = report.dumps.iter().map(|d| (d.when, d.pass)).collect();
    assert_eq!(seen, [(When::Before, "cse"), (When::After, "cse"), (When::After, "dce")]);
    assert!(report.dumps[0].text.contains("%b = unary.relu"));
    assert!(!report.dumps[1].text.contains("%b = unary.relu") && report.dumps[1].text.contains("%dead"));
    assert!(!report.dumps[2].text.contains("%dead"));
    assert_eq!(ir::text::parse(&report.dumps[2].text).unwrap().node_count(), 3);
    assert_eq!(report.dumps[1].header(2), "// ----- IR after cse (1/2) -----");

    let mut got = vec![];
    let mut g = graph();
    {
        let mut m = pm("cse,dce");
        m.print_after("dce").unwrap();
        m.on_dump(|d| got.push(d.pass));
        let report = m.run(&mut g, &PassContext::new(&p)).unwrap();
        assert!(report.dumps.is_empty());
    }
    assert_eq!(got, ["dce"]);
}

/// A pass that writes a wrong output type: the verifier must name it.
struct Breaks;
impl passes::Pass for Breaks {
    fn name(&self) -> &'static str {
        "breaks"
    }
    fn description(&self) -> &'static str {
        "gives a node a wrong type"
    }
    fn run(&self, g: &mut Graph, _: &PassContext) -> Result<PassStats, PassError> {
        let id = g.find_node("a").expect("a");
        g.node_mut(id).outputs[0] = TensorType::fixed(ir::DType::F32, &[5]);
        let mut s = PassStats::new();
        s.add("broken", 1);
        Ok(s)
    }
}

#[test]
fn verification_catches_a_broken_pass_and_a_broken_input() {
    let p = profile();
    let mut g = graph();
    let e = PassManager::new(vec![&Breaks]).verify_each(true).run(&mut g, &PassContext::new(&p)).unwrap_err();
    match &e {
        PassError::Verify { pass, .. } => assert_eq!(pass, "breaks"),
        other => panic!("expected a verify error, got {other}"),
    }
    assert!(e.to_string().contains("`a`"), "{e}");
    // Now the graph itself is invalid: the manager refuses it before any pass.
    let e = pm("dce").verify_each(true).run(&mut g, &PassContext::new(&p)).unwrap_err();
    assert!(matches!(e, PassError::InvalidInput(_)), "{e}");
}
