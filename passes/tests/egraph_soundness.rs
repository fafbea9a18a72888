//! Soundness of every e-graph rule, automatically: for each rule and each of its examples
//! (from the rule files), proptest draws dims and values, the rule rewrites the instantiated
//! left side, and every e-node of the result must compute its class's value under the
//! reference interpreter (`passes::egraph::soundness`). A new rule is covered by its
//! `example` lines; no new test is needed.

use passes::egraph::rules::{parse_rules, rules, RuleDef};
use passes::egraph::soundness::check_example;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Run proptest over one rule's examples; the first failure, if any.
fn check_rule(r: &RuleDef, cases: u32) -> Result<(), String> {
    for (i, ex) in r.examples.iter().enumerate() {
        let letters = ex.letters().len();
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let strategy = (proptest::collection::vec(1usize..=4, letters), any::<u64>());
        runner
            .run(&strategy, |(dims, seed)| check_example(r, ex, &dims, seed).map(|_| ()).map_err(TestCaseError::fail))
            .map_err(|e| format!("rule `{}` ({}.rules:{}), example {}: {e}", r.name, r.theme, r.line, i + 1))?;
    }
    Ok(())
}

#[test]
fn every_rule_agrees_with_the_interpreter() {
    let all = rules().expect("the rule files parse");
    assert!(all.len() >= 30, "only {} rules loaded", all.len());
    let failures: Vec<String> = all.iter().filter_map(|r| check_rule(r, 48).err()).collect();
    assert!(failures.is_empty(), "{} rule(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_wrong_rule_is_caught() {
    // x + y = x is false; the checker must say so (and name the disagreeing nodes).
    let src = "# law: x + y = x (wrong)\nrule add-drops-y\n  lhs (add ?x ?y)\n  rhs ?x\n  if (same-type ?x ?root)\n  example ?x: f32[a,b]; ?y: f32[b]\n";
    let wrong = parse_rules("test", src).expect("parses");
    let err = check_rule(&wrong[0], 8).expect_err("a wrong rule must fail");
    assert!(err.contains("add-drops-y") && err.contains("disagrees"), "{err}");
    // A wrong condition too: x · c = x only when c is 1.
    let src = "# law: x · c = x (wrong: any scalar)\nrule mul-any\n  lhs (mul ?x ?c)\n  rhs ?x\n  if (scalar ?c) (same-type ?x ?root)\n  example ?x: f32[a]; ?c: f32[] = 2\n";
    let wrong = parse_rules("test", src).expect("parses");
    assert!(check_rule(&wrong[0], 4).is_err());
}

#[test]
fn an_example_the_rule_does_not_match_is_an_error() {
    let src = "# law: x · 1 = x\nrule mul-one-bad-example\n  lhs (mul ?x ?c)\n  rhs ?x\n  if (fill ?c 1) (same-type ?x ?root)\n  example ?x: f32[a]; ?c: f32[] = 3\n";
    let r = parse_rules("test", src).expect("parses");
    let err = check_rule(&r[0], 2).expect_err("conditions do not hold");
    assert!(err.contains("did not apply"), "{err}");
}

#[test]
fn rule_files_are_well_formed() {
    let all = rules().expect("the rule files parse");
    for r in all {
        assert!(!r.law.is_empty(), "{} has no law", r.name);
        assert!(!r.examples.is_empty(), "{} has no example", r.name);
    }
    for (src, msg) in [
        ("rule no-law\n  lhs ?x\n  rhs ?x\n  example ?x: f32[a]\n", "needs a `# law:`"),
        ("# law: l\nrule Bad_Name\n", "kebab-case"),
        ("# law: l\nrule r\n  lhs (add ?x ?y)\n  rhs ?z\n  example ?x: f32[a]\n", "does not bind"),
        ("# law: l\nrule r\n  lhs (add ?x ?y)\n  rhs ?x\n  if (nonsense ?x)\n  example ?x: f32[a]\n", "unknown condition"),
        ("# law: l\nrule r\n  lhs (add ?x ?y)\n  rhs ?x\n", "at least one `example`"),
        ("# law: l\nrule r\n  lhs (frobnicate ?x)\n  rhs ?x\n  example ?x: f32[a]\n", "unknown op"),
    ] {
        let e = parse_rules("t", src).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains(msg), "expected `{msg}` in `{e}`");
    }
}
