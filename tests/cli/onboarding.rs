//! The onboarding path a new user walks with the README.

use crate::common::{TestEnv, handover_args, strs};

#[test]
fn an_installation_walks_from_infrastructure_to_handover() {
    let env = TestEnv::with_people_and_installations();
    let inst = "acme-prod";

    // Infrastructure: the subscriber's infrastructure engineer, all nine items.
    env.ok(&["task", "start", inst, "infrastructure", "--as", "ian"]);
    for item in TestEnv::INFRA_ITEMS {
        env.ok(&[
            "checklist",
            "check",
            inst,
            "infrastructure",
            item,
            "--as",
            "ian",
            "--note",
            "ready",
        ]);
    }
    let items = env.json(&["checklist", "show", inst, "infrastructure"]);
    assert_eq!(items.as_array().map(Vec::len), Some(9));
    assert!(
        items
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["checked"] == true && i["checked_by"] == "ian")
    );
    env.ok(&["task", "submit", inst, "infrastructure", "--as", "ian"]);
    assert_eq!(env.state(inst, "infrastructure"), "submitted");
    env.ok(&["task", "signoff", inst, "infrastructure", "--as", "ian"]);

    // Deployment to development and production: the vendor's CSE.
    env.complete(inst, "deployment", "carol", &["development", "production"], "carol");
    // Configuration: the subscriber is R and, with no A, signs off.
    env.complete(inst, "configuration", "ian", &TestEnv::CONFIG_ITEMS, "ian");

    // A 95-minute handover covering all three topics.
    let all = TestEnv::ALL_TOPICS;
    let out =
        env.ok(&strs(&handover_args(inst, "2026-11-02", "95", &["carol", "ian"], &all, "carol")));
    assert!(out.contains("signoff"), "{out}");

    let states = env.states(inst);
    for task in ["infrastructure", "deployment", "configuration", "handover"] {
        assert!(
            states.contains(&(task.to_string(), "signed_off".to_string())),
            "{task}: {states:?}"
        );
    }
    for task in ["monitoring", "backup", "integration", "user-migration"] {
        assert!(states.contains(&(task.to_string(), "pending".to_string())), "{task}: {states:?}");
    }
    for task in ["updates", "update-testing", "support-tickets", "issue-resolution"] {
        assert!(
            states.contains(&(task.to_string(), "recurring".to_string())),
            "{task}: {states:?}"
        );
    }
    // The other installation is untouched.
    assert!(env.states("globex-prod").iter().all(|(_, s)| s == "pending" || s == "recurring"));

    // Every step is in the log, oldest first, with who and what.
    let log = env.json(&["log", inst]);
    let log = log.as_array().expect("log array");
    let steps: Vec<(String, String, String)> = log
        .iter()
        .filter(|e| e["task"].is_string())
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["task"].as_str().unwrap_or_default().to_string(),
                e["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expect = |action: &str, task: &str, actor: &str| {
        assert!(
            steps.contains(&(action.into(), task.into(), actor.into())),
            "{action} {task} by {actor} missing from {steps:?}"
        );
    };
    for task in ["infrastructure", "configuration"] {
        for action in ["start", "submit", "signoff"] {
            expect(action, task, "ian");
        }
    }
    for action in ["start", "submit", "signoff"] {
        expect(action, "deployment", "carol");
    }
    for action in ["handover", "submit", "signoff"] {
        expect(action, "handover", "carol");
    }
    let checks = steps.iter().filter(|(a, _, _)| a == "check").count();
    assert_eq!(checks, 9 + 2 + 3);
    let first = &log[0];
    assert_eq!(first["action"], "installation-add");
    let signoff = log
        .iter()
        .find(|e| e["action"] == "signoff" && e["task"] == "infrastructure")
        .expect("signoff event");
    assert_eq!(signoff["party"], "subscriber");
    assert_eq!(signoff["role"], "infrastructure-engineer");
    assert_eq!(signoff["from"], "submitted");
    assert_eq!(signoff["to"], "signed_off");
    assert_eq!(signoff["at"], "2026-11-02T09:00:00Z");
}

#[test]
fn status_says_whose_move_it_is() {
    let env = TestEnv::with_people_and_installations();
    let next = |task: &str| {
        env.json(&["status", "acme-prod"])["tasks"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["task"] == task).cloned())
            .map(|t| t["next_move"].clone())
            .expect("task")
    };
    assert_eq!(next("infrastructure"), "subscriber");
    assert_eq!(next("deployment"), serde_json::Value::Null);
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    assert_eq!(next("deployment"), "vendor");
    env.ok(&["task", "start", "acme-prod", "deployment", "--as", "carol"]);
    env.ok(&["checklist", "check", "acme-prod", "deployment", "development", "--as", "carol"]);
    env.ok(&["checklist", "check", "acme-prod", "deployment", "production", "--as", "carol"]);
    env.ok(&["task", "submit", "acme-prod", "deployment", "--as", "carol"]);
    assert_eq!(next("deployment"), "vendor");
    let status = env.json(&["status", "acme-prod"]);
    let deployment = &status["tasks"][1];
    assert_eq!(deployment["responsible"], serde_json::json!(["vendor"]));
    assert_eq!(deployment["accountable"], serde_json::json!(["vendor"]));
    let configuration = &status["tasks"][2];
    assert_eq!(configuration["accountable"], serde_json::json!([]));
}

#[test]
fn reject_block_unblock_waive_reopen_comment_and_due() {
    let env = TestEnv::with_people_and_installations();
    let inst = "acme-prod";
    env.ok(&["task", "start", inst, "infrastructure", "--as", "ian"]);
    for item in TestEnv::INFRA_ITEMS {
        env.ok(&["checklist", "check", inst, "infrastructure", item, "--as", "ian"]);
    }
    env.ok(&["task", "submit", inst, "infrastructure", "--as", "ian"]);
    env.ok(&[
        "task",
        "reject",
        inst,
        "infrastructure",
        "--reason",
        "DNS not resolving",
        "--as",
        "ian",
    ]);
    assert_eq!(env.state(inst, "infrastructure"), "in_progress");

    env.ok(&[
        "task",
        "block",
        inst,
        "infrastructure",
        "--reason",
        "waiting for the firewall team",
        "--as",
        "ian",
    ]);
    assert_eq!(env.state(inst, "infrastructure"), "blocked");
    env.refused(&["task", "submit", inst, "infrastructure", "--as", "ian"], 5);
    env.ok(&["task", "unblock", inst, "infrastructure", "--as", "ian"]);
    assert_eq!(env.state(inst, "infrastructure"), "in_progress");

    // The vendor is C on infrastructure: it may comment but not set the due date.
    env.ok(&[
        "task",
        "comment",
        inst,
        "infrastructure",
        "Jumphost works from our side",
        "--as",
        "sam",
    ]);
    env.refused(&["task", "due", inst, "infrastructure", "2026-11-20", "--as", "carol"], 3);
    env.ok(&["task", "due", inst, "infrastructure", "2026-11-20", "--as", "ian"]);
    let status = env.json(&["status", inst]);
    assert_eq!(status["tasks"][0]["due"], "2026-11-20");
    assert_eq!(status["tasks"][0]["overdue"], false);

    env.ok(&["task", "submit", inst, "infrastructure", "--as", "ian"]);
    env.ok(&["task", "signoff", inst, "infrastructure", "--as", "ian"]);
    env.ok(&[
        "task",
        "reopen",
        inst,
        "infrastructure",
        "--reason",
        "certificate expired",
        "--as",
        "ian",
    ]);
    assert_eq!(env.state(inst, "infrastructure"), "in_progress");

    // User migration is the subscriber's to waive (A) when not required.
    env.ok(&[
        "task",
        "waive",
        inst,
        "user-migration",
        "--reason",
        "no existing users",
        "--as",
        "dev",
    ]);
    assert_eq!(env.state(inst, "user-migration"), "waived");

    let log = env.json(&["log", inst]);
    let actions: Vec<&str> =
        log.as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    for a in ["reject", "block", "unblock", "comment", "due", "reopen", "waive"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let reason = log
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "reject")
        .map(|e| e["note"].clone());
    assert_eq!(reason, Some("DNS not resolving".into()));
}

#[test]
fn a_past_due_date_shows_as_overdue() {
    let mut env = TestEnv::with_people_and_installations();
    env.ok(&["task", "due", "acme-prod", "infrastructure", "2026-11-05", "--as", "ian"]);
    env.now = "2026-11-06T08:00:00Z".into();
    let status = env.json(&["status", "acme-prod"]);
    assert_eq!(status["tasks"][0]["overdue"], true);
}

#[test]
fn only_the_waivable_tasks_can_be_waived() {
    let env = TestEnv::with_people_and_installations();
    let err = env.refused(
        &[
            "task",
            "waive",
            "acme-prod",
            "infrastructure",
            "--reason",
            "reusing existing VMs",
            "--as",
            "ian",
        ],
        5,
    );
    assert!(err.contains("integration, user-migration"), "{err}");
    env.ok(&[
        "task",
        "waive",
        "acme-prod",
        "user-migration",
        "--reason",
        "no users",
        "--as",
        "ian",
    ]);
    assert_eq!(env.state("acme-prod", "user-migration"), "waived");
}
