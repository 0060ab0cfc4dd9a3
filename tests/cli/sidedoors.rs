//! No side doors: every way around the rules that a command once left open
//! is refused, and the everyday commands that made people look for one.
//! Each test ends with `db check` agreeing with what was recorded.

use crate::common::{TestEnv, handover_args, strs};

fn sound(env: &TestEnv) {
    env.ok(&["db", "check"]);
}

fn overdue_rows(env: &TestEnv) -> Vec<serde_json::Value> {
    env.json(&["report", "overdue"]).as_array().cloned().unwrap_or_default()
}

fn update_overdue(env: &TestEnv, inst: &str) -> Option<serde_json::Value> {
    overdue_rows(env)
        .into_iter()
        .find(|r| r["installation"] == inst && r["reason"] == "update_overdue")
}

/// Runs the five steps of a cycle up to `accepting`.
fn to_accepting(env: &TestEnv, inst: &str, n: &str) {
    for (step, who) in [
        ("snapshot", "ian"),
        ("access", "ian"),
        ("dev-updated", "carol"),
        ("dev-tested", "ian"),
        ("prod-updated", "carol"),
    ] {
        env.ok(&["update", "step", inst, n, step, "--as", who]);
    }
}

fn cycle_state(env: &TestEnv, inst: &str, n: usize) -> String {
    env.json(&["update", "list", inst])[n - 1]["state"].as_str().unwrap_or_default().to_string()
}

#[test]
fn the_handover_cannot_be_waived_nor_any_task_that_is_not_waivable() {
    let env = TestEnv::with_people_and_installations();
    env.ready_for_handover("acme-prod");
    let err = env.refused(
        &["task", "waive", "acme-prod", "handover", "--reason", "done on a call", "--as", "carol"],
        5,
    );
    assert!(err.contains("handover"), "{err}");
    let err = env.refused(
        &["task", "waive", "acme-prod", "monitoring", "--reason", "not needed", "--as", "ian"],
        5,
    );
    assert!(err.contains("integration, user-migration"), "{err}");
    assert_eq!(env.state("acme-prod", "handover"), "pending");
    sound(&env);
}

#[test]
fn a_reopened_handover_does_not_hide_an_overdue_update() {
    let mut env = TestEnv::with_people_and_installations_at("2026-07-20T09:00:00Z");
    env.ready_for_handover("acme-prod");
    env.now = "2026-07-24T09:00:00Z".into();
    env.handed_over_ready("acme-prod", "2026-07-24");
    // 101 days later, with no update cycle: overdue since 10-22.
    env.now = "2026-11-02T09:00:00Z".into();
    let row = update_overdue(&env, "acme-prod").expect("overdue before the reopen");
    assert_eq!(row["task"], "updates");
    assert_eq!(row["due"], "2026-10-22");
    assert_eq!(row["days_overdue"], 11);
    // Reopening the handover (no cycle exists yet) does not make it vanish,
    // nor from stale-backups.
    env.ok(&["task", "reopen", "acme-prod", "handover", "--reason", "redo it", "--as", "carol"]);
    assert_eq!(env.state("acme-prod", "handover"), "in_progress");
    assert_eq!(update_overdue(&env, "acme-prod"), Some(row));
    let stale = env.json(&["report", "stale-backups"]);
    assert!(stale.as_array().into_iter().flatten().any(|r| r["installation"] == "acme-prod"));
    // Nor can it be waived away.
    env.refused(
        &["task", "waive", "acme-prod", "handover", "--reason", "skip", "--as", "carol"],
        5,
    );
    // Recorded again, the new meeting is the reference.
    env.handed_over_ready("acme-prod", "2026-11-02");
    assert_eq!(env.state("acme-prod", "handover"), "signed_off");
    assert_eq!(update_overdue(&env, "acme-prod"), None);
    assert_eq!(env.json(&["handover", "show", "acme-prod"]).as_array().map(Vec::len), Some(2));
    sound(&env);
}

#[test]
fn reopen_is_refused_while_what_needed_the_task_has_started() {
    let env = TestEnv::with_people_and_installations();
    let inst = "acme-prod";
    env.complete(inst, "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.ok(&["task", "start", inst, "deployment", "--as", "carol"]);
    let err = env.refused(
        &["task", "reopen", inst, "infrastructure", "--reason", "more memory", "--as", "ian"],
        5,
    );
    assert!(err.contains("deployment is in_progress"), "{err}");

    // The deployment, once a ticket is open.
    env.ok(&[
        "checklist",
        "check",
        inst,
        "deployment",
        "development",
        "production",
        "--as",
        "carol",
    ]);
    env.ok(&["task", "submit", inst, "deployment", "--as", "carol"]);
    env.ok(&["task", "signoff", inst, "deployment", "--as", "carol"]);
    env.ok(&[
        "ticket",
        "open",
        inst,
        "SUP-7",
        "--severity",
        "low",
        "--environment",
        "development",
        "--summary",
        "question",
        "--as",
        "ian",
    ]);
    let err = env
        .refused(&["task", "reopen", inst, "deployment", "--reason", "redo", "--as", "carol"], 5);
    assert!(err.contains("ticket SUP-7"), "{err}");

    // The handover, once an update cycle exists.
    env.complete(inst, "configuration", "ian", &TestEnv::CONFIG_ITEMS, "ian");
    env.handed_over_ready(inst, "2026-11-02");
    env.ok(&["update", "start", inst, "--version", "3.2", "--as", "carol"]);
    let err =
        env.refused(&["task", "reopen", inst, "handover", "--reason", "redo", "--as", "carol"], 5);
    assert!(err.contains("update cycle 1"), "{err}");
    sound(&env);
}

#[test]
fn handover_attendees_and_day_are_checked() {
    let mut env = TestEnv::with_people_and_installations_at("2026-10-30T09:00:00Z");
    env.ready_for_handover("acme-prod");
    env.now = "2026-11-02T09:00:00Z".into();
    let all = TestEnv::ALL_TOPICS;
    // Globex's engineer may not attend Acme's handover, even beside Acme's.
    let err = env.refused(
        &strs(&handover_args(
            "acme-prod",
            "2026-11-01",
            "95",
            &["carol", "ian", "gina"],
            &all,
            "carol",
        )),
        5,
    );
    assert!(err.contains("gina"), "{err}");
    // Not before configuration was signed off (10-30), nor before the installation existed.
    let err = env.refused(
        &strs(&handover_args("acme-prod", "2026-10-29", "95", &["carol", "ian"], &all, "carol")),
        5,
    );
    assert!(err.contains("2026-10-30"), "{err}");
    env.ok(&strs(&handover_args(
        "acme-prod",
        "2026-10-30",
        "95",
        &["carol", "ian"],
        &all,
        "carol",
    )));
    sound(&env);
}

#[test]
fn an_installations_clock_never_goes_back() {
    let mut env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.now = "2026-11-01T09:00:00Z".into();
    let err = env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"],
        5,
    );
    assert!(err.contains("2026-11-02T09:00:00Z"), "{err}");
    // The same moment is not going back.
    env.now = "2026-11-02T09:00:00Z".into();
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    env.now = String::new();
    env.refused(&["status", "acme-prod"], 2);
    env.now = "2026-11-02T09:00:00Z".into();
    sound(&env);
}

#[test]
fn ticket_references_are_unique_ignoring_case() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    let open = |reference: &str| {
        [
            "ticket",
            "open",
            "acme-prod",
            reference,
            "--severity",
            "normal",
            "--environment",
            "production",
            "--summary",
            "slow login",
            "--as",
            "ian",
        ]
        .map(str::to_string)
    };
    env.ok(&strs(&open("SUP-1")));
    let err = env.refused(&strs(&open("sup-1")), 5);
    assert!(err.contains("SUP-1"), "{err}");
    sound(&env);
}

#[test]
fn checklist_checks_several_items_all_or_nothing() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    // One unknown item: nothing is checked.
    env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "ram", "--as", "ian"],
        4,
    );
    let out = env.json(&[
        "checklist",
        "check",
        "acme-prod",
        "infrastructure",
        "memory",
        "storage",
        "--note",
        "sized",
        "--as",
        "ian",
    ]);
    assert_eq!(out.as_array().map(Vec::len), Some(2));
    // One already checked: the other is not checked either.
    env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "networks", "memory", "--as", "ian"],
        5,
    );
    env.ok(&[
        "checklist",
        "uncheck",
        "acme-prod",
        "infrastructure",
        "memory",
        "storage",
        "--as",
        "ian",
    ]);
    let items = env.json(&["checklist", "show", "acme-prod", "infrastructure"]);
    assert!(items.as_array().into_iter().flatten().all(|i| i["checked"] == false));
    sound(&env);
}

#[test]
fn checklist_check_all_takes_every_item_of_the_actors_party() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    let out =
        env.json(&["checklist", "check", "acme-prod", "infrastructure", "--all", "--as", "ian"]);
    assert_eq!(out.as_array().map(Vec::len), Some(8));
    env.refused(&["checklist", "check", "acme-prod", "infrastructure", "--all", "--as", "ian"], 5);
    env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "--all", "--as", "ian"],
        2,
    );
    env.ok(&["task", "submit", "acme-prod", "infrastructure", "--as", "ian"]);
    sound(&env);
}

#[test]
fn handover_show_lists_the_meetings() {
    let env = TestEnv::with_people_and_installations();
    assert_eq!(env.json(&["handover", "show", "acme-prod"]), serde_json::json!([]));
    env.handed_over("acme-prod", "2026-11-02");
    let shown = env.json(&["handover", "show", "acme-prod"]);
    assert_eq!(
        shown,
        serde_json::json!([{
            "held_on": "2026-11-02",
            "minutes": 95,
            "attendees": [
                {"handle": "carol", "party": "vendor"},
                {"handle": "ian", "party": "subscriber"}
            ],
            "topics": ["monitoring", "backup", "updates"],
            "recorded_by": "carol",
            "recorded_at": "2026-11-02T09:00:00Z"
        }])
    );
    let csv = env.ok(&["handover", "show", "acme-prod", "--format", "csv"]);
    assert!(csv.contains("carol (vendor)+ian (subscriber)"), "{csv}");
    env.refused(&["handover", "show", "nope"], 4);
}

#[test]
fn ticket_reopen_sends_a_resolved_ticket_back_to_the_vendor() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    env.ok(&[
        "ticket",
        "open",
        "acme-prod",
        "SUP-2",
        "--severity",
        "high",
        "--environment",
        "production",
        "--summary",
        "500 on login",
        "--as",
        "ian",
    ]);
    let reopen = ["ticket", "reopen", "acme-prod", "SUP-2", "--reason", "still 500", "--as"];
    env.refused(&[&reopen[..], &["ian"]].concat(), 5);
    env.ok(&["ticket", "resolve", "acme-prod", "SUP-2", "--as", "sam"]);
    env.refused(&[&reopen[..], &["sam"]].concat(), 3);
    env.refused(&["ticket", "reopen", "acme-prod", "SUP-2", "--as", "ian"], 2);
    let out = env.json(&[&reopen[..], &["ian"]].concat());
    assert_eq!(out[0]["action"], "ticket-reopen");
    assert_eq!(out[0]["from"], "resolved");
    assert_eq!(out[0]["to"], "open");
    assert_eq!(out[0]["note"], "still 500");
    let status = env.json(&["status", "acme-prod"]);
    assert_eq!(status["tickets"][0]["state"], "open");
    assert_eq!(status["tickets"][0]["next_move"], "vendor");
    sound(&env);
}

#[test]
fn update_cancel_abandons_a_cycle_and_a_new_one_can_start() {
    let mut env = TestEnv::with_people_and_installations_at("2026-07-20T09:00:00Z");
    env.handed_over("acme-prod", "2026-07-20");
    env.ok(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"]);
    env.ok(&["update", "step", "acme-prod", "1", "snapshot", "--as", "ian"]);
    env.refused(&["update", "cancel", "acme-prod", "1", "--reason", "wrong", "--as", "ian"], 3);
    env.refused(&["update", "cancel", "acme-prod", "1", "--as", "carol"], 2);
    env.now = "2026-11-02T09:00:00Z".into();
    let out = env.json(&[
        "update",
        "cancel",
        "acme-prod",
        "1",
        "--reason",
        "3.3 supersedes it",
        "--as",
        "carol",
    ]);
    assert_eq!(out[0]["action"], "update-cancel");
    assert_eq!(out[0]["to"], "cancelled");
    assert_eq!(cycle_state(&env, "acme-prod", 1), "cancelled");
    env.refused(&["update", "cancel", "acme-prod", "1", "--reason", "again", "--as", "carol"], 5);
    // A cancelled cycle is no update: still overdue since the handover.
    assert_eq!(
        update_overdue(&env, "acme-prod").map(|r| r["due"].clone()),
        Some("2026-10-18".into())
    );
    env.ok(&["update", "start", "acme-prod", "--version", "3.3", "--as", "carol"]);
    assert_eq!(cycle_state(&env, "acme-prod", 2), "preparing");
    sound(&env);
}

#[test]
fn update_fail_at_accepting_goes_back_to_updating_prod() {
    let env = TestEnv::with_people_and_installations();
    env.handed_over("acme-prod", "2026-11-02");
    env.ok(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"]);
    to_accepting(&env, "acme-prod", "1");
    assert_eq!(cycle_state(&env, "acme-prod", 1), "accepting");
    assert_eq!(env.json(&["status", "acme-prod"])["cycles"][0]["next_step"], "signoff or fail");
    let out = env.json(&[
        "update",
        "fail",
        "acme-prod",
        "1",
        "--reason",
        "production login broken",
        "--as",
        "ian",
    ]);
    assert_eq!(out[0]["from"], "accepting");
    assert_eq!(out[0]["to"], "updating_prod");
    env.ok(&["update", "step", "acme-prod", "1", "prod-updated", "--as", "carol"]);
    env.ok(&["update", "signoff", "acme-prod", "1", "--as", "ian"]);
    assert_eq!(env.json(&["update", "list", "acme-prod"])[0]["failures"], 1);
    sound(&env);
}

#[test]
fn inbox_unread_and_limit() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    // The subscriber is Informed on deployment: five events.
    let ids = |v: serde_json::Value| -> Vec<i64> {
        v.as_array().into_iter().flatten().filter_map(|e| e["id"].as_i64()).collect()
    };
    let all = ids(env.json(&["inbox", "--as", "ian"]));
    assert_eq!(all.len(), 5);
    let newest = all[0].to_string();
    env.ok(&["inbox", "ack", &newest, "--as", "ian"]);
    let unread = ids(env.json(&["inbox", "--unread", "--as", "ian"]));
    assert_eq!(unread, all[1..].to_vec());
    assert_eq!(ids(env.json(&["inbox", "--limit", "2", "--as", "ian"])), all[1..3].to_vec());
    assert_eq!(ids(env.json(&["inbox", "--unread", "--limit", "1", "--as", "ian"])), all[1..2]);
    // Read marks are the person's: Acme's developer has read nothing.
    assert_eq!(ids(env.json(&["inbox", "--unread", "--as", "dev"])).len(), 5);
    env.refused(&["inbox", "--limit", "0", "--as", "ian"], 2);
    env.refused(&["inbox", "ack", "--unread", "--as", "ian"], 2);
    sound(&env);
}
