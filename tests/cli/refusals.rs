//! Every refusal of the onboarding issue: its exit code, one `error:` line,
//! and a database left exactly as it was (checked inside `refused`).

use crate::common::{TestEnv, handover_args, strs};

/// The handover of acme-prod by carol, with some arguments replaced.
fn handover(minutes: &str, attendees: &[&str], topics: &[&str]) -> Vec<String> {
    handover_args("acme-prod", "2026-11-02", minutes, attendees, topics, "carol")
}

#[test]
fn the_vendor_cannot_check_a_subscriber_item() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let err = env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "carol"],
        3,
    );
    assert!(err.contains("subscriber"), "{err}");
}

#[test]
fn an_application_developer_cannot_start_infrastructure() {
    let env = TestEnv::with_people_and_installations();
    let err = env.refused(&["task", "start", "acme-prod", "infrastructure", "--as", "dev"], 3);
    assert!(err.contains("infrastructure-engineer"), "names who may: {err}");
}

#[test]
fn another_subscribers_engineer_cannot_touch_this_installation() {
    let env = TestEnv::with_people_and_installations();
    // Another subscriber's installation is answered as one that does not exist.
    let err = env.refused(&["task", "start", "acme-prod", "infrastructure", "--as", "gina"], 4);
    let absent = env.refused(&["task", "start", "acme-nope", "infrastructure", "--as", "gina"], 4);
    assert_eq!(err.replace("acme-prod", "X"), absent.replace("acme-nope", "X"));
    assert!(!err.contains("Acme"), "{err}");
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.refused(
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "gina"],
        4,
    );
    env.refused(&["task", "comment", "acme-prod", "infrastructure", "hello", "--as", "gina"], 4);
}

#[test]
fn deployment_cannot_start_before_infrastructure_is_signed_off() {
    let env = TestEnv::with_people_and_installations();
    let err = env.refused(&["task", "start", "acme-prod", "deployment", "--as", "carol"], 5);
    assert!(err.contains("infrastructure"), "{err}");
}

#[test]
fn submitting_with_an_unchecked_item_is_refused() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    for item in &TestEnv::INFRA_ITEMS[..8] {
        env.ok(&["checklist", "check", "acme-prod", "infrastructure", item, "--as", "ian"]);
    }
    let err = env.refused(&["task", "submit", "acme-prod", "infrastructure", "--as", "ian"], 5);
    assert!(err.contains("vendor-access"), "names the unchecked item: {err}");
}

#[test]
fn signing_off_twice_is_refused() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    let err = env.refused(&["task", "signoff", "acme-prod", "infrastructure", "--as", "ian"], 5);
    assert!(err.contains("already signed off"), "{err}");
}

#[test]
fn the_subscriber_cannot_sign_off_deployment() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete_until_submitted();
    let err = env.refused(&["task", "signoff", "acme-prod", "deployment", "--as", "ian"], 3);
    assert!(err.contains("vendor"), "names who may: {err}");
    // Nor may the vendor's support engineer: the matrix names the CSE.
    env.refused(&["task", "signoff", "acme-prod", "deployment", "--as", "sam"], 3);
}

impl TestEnv {
    fn complete_until_submitted(&self) {
        self.ok(&["task", "start", "acme-prod", "deployment", "--as", "carol"]);
        for item in ["development", "production"] {
            self.ok(&["checklist", "check", "acme-prod", "deployment", item, "--as", "carol"]);
        }
        self.ok(&["task", "submit", "acme-prod", "deployment", "--as", "carol"]);
    }
}

#[test]
fn a_handover_that_misses_a_rule_is_refused_naming_it() {
    let env = TestEnv::with_people_and_installations();
    let all = ["monitoring", "backup", "updates"];
    // Before configuration is signed off.
    let err = env.refused(&strs(&handover("95", &["carol", "ian"], &all)), 5);
    assert!(err.contains("configuration"), "{err}");

    env.ready_for_handover("acme-prod");
    let err = env.refused(&strs(&handover("60", &["carol", "ian"], &all)), 5);
    assert!(err.contains("90 minutes"), "{err}");
    let err = env.refused(&strs(&handover("95", &["carol", "ian"], &["monitoring", "backup"])), 5);
    assert!(err.contains("updates"), "{err}");
    let err = env.refused(&strs(&handover("95", &["carol", "sam"], &all)), 5);
    assert!(err.contains("subscriber"), "{err}");
    // Globex's engineer does not count as Acme's attendee.
    env.refused(&strs(&handover("95", &["carol", "gina"], &all)), 5);
    let err = env.refused(&strs(&handover("95", &["ian"], &all)), 5);
    assert!(err.contains("vendor"), "{err}");
    // Recorded by the subscriber: the vendor is R.
    let mut by_ian = handover("95", &["carol", "ian"], &all);
    let last = by_ian.len() - 1;
    by_ian[last] = "ian".into();
    env.refused(&strs(&by_ian), 3);
    // A negative length is bad input; an unknown topic too. Someone raci
    // does not know may not attend, like anyone else who may not (exit 5).
    env.refused(&strs(&handover("-95", &["carol", "ian"], &all)), 2);
    env.refused(&strs(&handover("95", &["carol", "ian"], &["monitoring", "backup", "lunch"])), 2);
    let err = env.refused(&strs(&handover("95", &["carol", "nobody"], &all)), 5);
    assert!(err.contains("nobody may not attend"), "{err}");

    env.ok(&strs(&handover("95", &["carol", "ian"], &all)));
    assert_eq!(env.state("acme-prod", "handover"), "signed_off");
    // Recording it again is a conflict.
    env.refused(&strs(&handover("95", &["carol", "ian"], &all)), 5);
}

#[test]
fn a_write_without_an_acting_person_is_bad_input() {
    let env = TestEnv::with_people_and_installations();
    let err = env.refused(&["task", "start", "acme-prod", "infrastructure"], 2);
    assert!(err.contains("--as"), "{err}");
}

#[test]
fn unknown_installation_task_item_and_person_are_not_found() {
    let env = TestEnv::with_people_and_installations();
    env.refused(&["task", "start", "nope", "infrastructure", "--as", "ian"], 4);
    let err = env.refused(&["task", "start", "acme-prod", "infra", "--as", "ian"], 4);
    assert!(err.contains("infrastructure"), "lists the tasks: {err}");
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let err = env
        .refused(&["checklist", "check", "acme-prod", "infrastructure", "ram", "--as", "ian"], 4);
    assert!(err.contains("memory"), "lists the items: {err}");
    env.refused(&["task", "submit", "acme-prod", "infrastructure", "--as", "zed"], 4);
    env.refused(&["status", "nope"], 4);
    env.refused(&["log", "nope"], 4);
    env.refused(&["checklist", "show", "acme-prod", "nope"], 4);
    env.refused(
        &["person", "add", "x", "--party", "vendor", "--role", "support-engineer", "--as", "zed"],
        4,
    );
}

#[test]
fn malformed_dates_are_bad_input() {
    let env = TestEnv::with_people_and_installations();
    for date in ["2026-02-30", "2026-13-01", "next week", "2026-1-5"] {
        let err =
            env.refused(&["task", "due", "acme-prod", "infrastructure", date, "--as", "ian"], 2);
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
    let mut env = env;
    env.now = "yesterday".into();
    env.refused(&["status", "acme-prod"], 2);
}

#[test]
fn recurring_rows_refuse_task_verbs_with_a_pointer() {
    let env = TestEnv::with_people_and_installations();
    let err = env.refused(&["task", "start", "acme-prod", "updates", "--as", "ian"], 5);
    assert!(err.contains("raci update"), "{err}");
    let err = env.refused(&["task", "start", "acme-prod", "issue-resolution", "--as", "carol"], 5);
    assert!(err.contains("raci ticket"), "{err}");
}

#[test]
fn bad_people_and_installations_are_refused() {
    let env = TestEnv::with_people_and_installations();
    // A duplicate is a conflict.
    env.refused(
        &[
            "person",
            "add",
            "ian",
            "--party",
            "subscriber",
            "--role",
            "administrator",
            "--subscriber",
            "Acme",
            "--as",
            "carol",
        ],
        5,
    );
    env.refused(&["installation", "add", "acme-prod", "--subscriber", "Acme", "--as", "carol"], 5);
    // A subscriber's person needs a subscriber; the vendor's may not have one.
    env.refused(&["person", "add", "x", "--party", "subscriber", "--role", "administrator"], 2);
    env.refused(
        &[
            "person",
            "add",
            "x",
            "--party",
            "vendor",
            "--role",
            "support-engineer",
            "--subscriber",
            "Acme",
        ],
        2,
    );
    // A role of the other party, an unknown role or party, a bad handle or email.
    env.refused(&["person", "add", "x", "--party", "vendor", "--role", "administrator"], 2);
    env.refused(&["person", "add", "x", "--party", "vendor", "--role", "boss"], 2);
    env.refused(&["person", "add", "x", "--party", "partner", "--role", "administrator"], 2);
    env.refused(
        &["person", "add", "has space", "--party", "vendor", "--role", "support-engineer"],
        2,
    );
    env.refused(
        &[
            "person",
            "add",
            "x",
            "--party",
            "vendor",
            "--role",
            "support-engineer",
            "--email",
            "nope",
        ],
        2,
    );
    env.refused(&["installation", "add", "", "--subscriber", "Acme"], 2);
    env.refused(&["installation", "add", "x", "--subscriber", " "], 2);
    // Unknown flags and formats.
    env.refused(&["status", "acme-prod", "--colour"], 2);
    env.refused(&["status", "acme-prod", "--format", "xml"], 2);
    env.refused(&["task", "reject", "acme-prod", "infrastructure", "--as", "ian"], 2);
    env.refused(
        &["task", "reject", "acme-prod", "infrastructure", "--reason", "", "--as", "ian"],
        2,
    );
}

#[test]
fn checklist_items_change_only_while_the_task_is_in_progress() {
    let env = TestEnv::with_people_and_installations();
    env.refused(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"], 5);
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    env.refused(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"], 5);
    env.ok(&["checklist", "uncheck", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    env.refused(
        &["checklist", "uncheck", "acme-prod", "infrastructure", "memory", "--as", "ian"],
        5,
    );
}
