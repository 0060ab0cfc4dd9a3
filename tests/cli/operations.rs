//! Operations after the handover: update cycles, backups and tickets.

use crate::common::TestEnv;

fn cycle_state(env: &TestEnv, inst: &str, n: usize) -> String {
    env.json(&["update", "list", inst])[n - 1]["state"].as_str().expect("state").to_string()
}

#[test]
fn a_full_update_cycle_with_a_failed_development_test() {
    let env = TestEnv::with_people_and_installations();
    let inst = "acme-prod";
    // No cycle before the handover.
    env.refused(&["update", "start", inst, "--version", "3.2", "--as", "carol"], 5);
    env.handed_over(inst, "2026-11-02");
    // Only the vendor starts a cycle.
    env.refused(&["update", "start", inst, "--version", "3.2", "--as", "ian"], 3);
    env.ok(&["update", "start", inst, "--version", "3.2", "--as", "carol"]);
    // One open cycle at a time.
    env.refused(&["update", "start", inst, "--version", "3.3", "--as", "carol"], 5);
    assert_eq!(cycle_state(&env, inst, 1), "preparing");

    // The vendor cannot update before the snapshot and access; the subscriber
    // cannot record the vendor's step, nor the vendor the subscriber's.
    env.refused(&["update", "step", inst, "1", "dev-updated", "--as", "carol"], 5);
    env.refused(&["update", "step", inst, "1", "snapshot", "--as", "carol"], 3);
    env.refused(&["update", "step", inst, "1", "dev-updated", "--as", "ian"], 3);
    env.ok(&[
        "update",
        "step",
        inst,
        "1",
        "snapshot",
        "--as",
        "ian",
        "--note",
        "VM snapshots taken",
    ]);
    env.refused(&["update", "step", inst, "1", "snapshot", "--as", "ian"], 5);
    env.refused(&["update", "step", inst, "1", "dev-updated", "--as", "carol"], 5);
    env.ok(&["update", "step", inst, "1", "access", "--as", "ian"]);
    assert_eq!(cycle_state(&env, inst, 1), "updating_dev");

    env.refused(&["update", "step", inst, "1", "prod-updated", "--as", "carol"], 5);
    env.ok(&["update", "step", inst, "1", "dev-updated", "--as", "carol"]);
    // Testing is the subscriber's (Testing Updates: subscriber R, A).
    env.refused(&["update", "step", inst, "1", "dev-tested", "--as", "carol"], 3);
    env.refused(&["update", "fail", inst, "1", "--reason", "login broken", "--as", "carol"], 3);
    env.refused(&["update", "fail", inst, "1", "--as", "ian"], 2);
    env.ok(&["update", "fail", inst, "1", "--reason", "login page returns 500", "--as", "ian"]);
    assert_eq!(cycle_state(&env, inst, 1), "updating_dev");
    let status = env.json(&["status", inst]);
    assert_eq!(status["cycles"][0]["next_move"], "vendor");
    assert_eq!(status["cycles"][0]["next_step"], "dev-updated");

    env.ok(&[
        "update",
        "step",
        inst,
        "1",
        "dev-updated",
        "--as",
        "carol",
        "--note",
        "hotfix applied",
    ]);
    env.ok(&["update", "step", inst, "1", "dev-tested", "--as", "ian"]);
    env.refused(&["update", "signoff", inst, "1", "--as", "ian"], 5);
    env.refused(&["update", "step", inst, "1", "prod-updated", "--as", "ian"], 3);
    env.ok(&["update", "step", inst, "1", "prod-updated", "--as", "carol"]);
    env.refused(&["update", "signoff", inst, "1", "--as", "carol"], 3);
    env.ok(&["update", "signoff", inst, "1", "--as", "ian"]);
    assert_eq!(cycle_state(&env, inst, 1), "signed_off");
    env.refused(&["update", "signoff", inst, "1", "--as", "ian"], 5);
    env.refused(&["update", "step", inst, "2", "snapshot", "--as", "ian"], 4);
    env.refused(&["update", "step", inst, "1", "reboot", "--as", "ian"], 2);
    let cycles = env.json(&["update", "list", inst]);
    assert_eq!(cycles[0]["failures"], 1);
    assert_eq!(cycles[0]["version"], "3.2");
    assert!(env.json(&["status", inst])["cycles"].as_array().is_some_and(Vec::is_empty));

    // The whole cycle is in the log, with its number.
    let log = env.json(&["log", inst]);
    let cycle_events: Vec<(String, String)> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["cycle"] == 1)
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("update-start", "carol"),
        ("snapshot", "ian"),
        ("access", "ian"),
        ("dev-updated", "carol"),
        ("update-fail", "ian"),
        ("dev-updated", "carol"),
        ("dev-tested", "ian"),
        ("prod-updated", "carol"),
        ("update-signoff", "ian"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(cycle_events, expected);
    let fail = log
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "update-fail")
        .cloned()
        .expect("fail event");
    assert_eq!(fail["note"], "login page returns 500");
    assert_eq!(fail["task"], "update-testing");
    assert_eq!(fail["from"], "testing_dev");
    assert_eq!(fail["to"], "updating_dev");

    // A second cycle is numbered 2.
    env.ok(&["update", "start", inst, "--version", "3.3", "--as", "carol"]);
    assert_eq!(env.json(&["update", "list", inst])[1]["cycle"], 2);
}

#[test]
fn another_subscriber_cannot_step_into_the_cycle() {
    let env = TestEnv::with_people_and_installations();
    env.handed_over("acme-prod", "2026-11-02");
    env.ok(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"]);
    env.refused(&["update", "step", "acme-prod", "1", "snapshot", "--as", "gina"], 4);
}

#[test]
fn backups_are_the_subscribers_to_record() {
    let env = TestEnv::with_people_and_installations();
    env.refused(
        &["backups", "record", "acme-prod", "--taken-on", "2026-11-01", "--as", "carol"],
        3,
    );
    env.refused(&["backups", "record", "acme-prod", "--taken-on", "2026-12-01", "--as", "ian"], 2);
    env.refused(&["backups", "record", "acme-prod", "--taken-on", "2026-02-30", "--as", "ian"], 2);
    env.refused(&["backups", "record", "acme-prod", "--taken-on", "2026-11-01", "--as", "gina"], 4);
    // Not before the deployment is signed off.
    let err = env
        .refused(&["backups", "record", "acme-prod", "--taken-on", "2026-11-02", "--as", "ian"], 5);
    assert!(err.contains("deployment"), "{err}");
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    // Not for a day before the installation was added (on 11-02).
    let err = env
        .refused(&["backups", "record", "acme-prod", "--taken-on", "2026-11-01", "--as", "ian"], 5);
    assert!(err.contains("created on 2026-11-02"), "{err}");
    env.ok(&[
        "backups",
        "record",
        "acme-prod",
        "--taken-on",
        "2026-11-02",
        "--as",
        "ian",
        "--note",
        "nightly",
    ]);
    let backups = env.json(&["backups", "list", "acme-prod"]);
    assert_eq!(backups[0]["taken_on"], "2026-11-02");
    assert_eq!(backups[0]["recorded_by"], "ian");
}

#[test]
fn tickets_open_resolve_and_close_in_order() {
    let env = TestEnv::with_people_and_installations();
    let open = |who: &str, severity: &str, environment: &str| {
        vec![
            "ticket".to_string(),
            "open".into(),
            "acme-prod".into(),
            "SUP-1".into(),
            "--severity".into(),
            severity.into(),
            "--environment".into(),
            environment.into(),
            "--summary".into(),
            "login page returns 500".into(),
            "--as".into(),
            who.into(),
        ]
    };
    let s = |v: &[String]| v.iter().map(String::clone).collect::<Vec<_>>();
    let run = |v: Vec<String>, code: i32| {
        let args: Vec<&str> = v.iter().map(String::as_str).collect();
        if code == 0 {
            env.ok(&args);
        } else {
            env.refused(&args, code);
        }
    };
    // Support begins after the deployment.
    run(s(&open("ian", "high", "production")), 5);
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");

    run(s(&open("ian", "urgent", "development")), 2);
    run(s(&open("carol", "high", "production")), 3);
    run(s(&open("gina", "high", "production")), 4);
    run(s(&open("ian", "critical", "production")), 2);
    run(s(&open("ian", "urgent", "production")), 0);
    run(s(&open("dev", "low", "development")), 5);

    env.refused(&["ticket", "close", "acme-prod", "SUP-1", "--as", "ian"], 5);
    env.refused(&["ticket", "resolve", "acme-prod", "SUP-1", "--as", "ian"], 3);
    env.refused(&["ticket", "resolve", "acme-prod", "SUP-9", "--as", "carol"], 4);
    env.ok(&["ticket", "comment", "acme-prod", "SUP-1", "Looking at the logs", "--as", "sam"]);
    env.ok(&["ticket", "resolve", "acme-prod", "SUP-1", "--as", "sam", "--note", "patched"]);
    let status = env.json(&["status", "acme-prod"]);
    assert_eq!(status["tickets"][0]["state"], "resolved");
    assert_eq!(status["tickets"][0]["next_move"], "subscriber");
    env.refused(&["ticket", "close", "acme-prod", "SUP-1", "--as", "carol"], 3);
    env.ok(&["ticket", "close", "acme-prod", "SUP-1", "--as", "ian", "--note", "confirmed fixed"]);
    env.refused(&["ticket", "close", "acme-prod", "SUP-1", "--as", "ian"], 5);
    let tickets = env.json(&["ticket", "list", "acme-prod"]);
    assert_eq!(tickets[0]["state"], "closed");
    assert_eq!(tickets[0]["severity"], "urgent");
    let actions: Vec<String> = env
        .json(&["log", "acme-prod"])
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["ticket"] == "SUP-1")
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .collect();
    assert_eq!(actions, ["ticket-open", "ticket-comment", "ticket-resolve", "ticket-close"]);
}

#[test]
fn only_a_recorded_handover_lets_update_cycles_begin() {
    let env = TestEnv::with_people_and_installations();
    env.ready_for_handover("acme-prod");
    env.refused(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"], 5);
    let waive = [
        "task",
        "waive",
        "acme-prod",
        "handover",
        "--reason",
        "handed over in person before raci",
        "--as",
        "carol",
    ];
    let err = env.refused(&waive, 5);
    assert!(err.contains("recording the meeting"), "{err}");
    env.refused(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"], 5);
    env.handed_over_ready("acme-prod", "2026-11-02");
    env.ok(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"]);
}
