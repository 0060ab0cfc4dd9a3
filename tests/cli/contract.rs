//! The output contract, pinned: the JSON of every read on one fixed history,
//! and the one `error:` line of each class of refusal. The history is built
//! in process through the use cases (the demo's ten installations, one in
//! each stage, and a few steps more); the binary is then run for each read,
//! as a script would.

use chrono::{DateTime, Utc};
use raci::app::Context;
use raci::app::admin::{deactivate_person, retire_installation};
use raci::app::operations::{cycle_action, ticket_action};
use raci::domain::operations::{CycleAction, TicketAction};
use raci::store::{IfMissing, Store};

use crate::common::TestEnv;

const NOW: &str = "2026-11-27T09:00:00Z";

fn at(time: &str, acting: Option<&str>) -> Context {
    Context {
        now: DateTime::parse_from_rfc3339(time).expect("a time").with_timezone(&Utc),
        acting: acting.map(|a| a.parse().expect("a handle")),
        os_user: None,
        ..Context::default()
    }
}

/// Ten installations in every stage (`demo`), then: a support engineer who
/// left, a retired installation, a cancelled update cycle and a reopened
/// ticket, each at its own moment.
fn fixed_history() -> TestEnv {
    let mut env = TestEnv::new();
    env.now = NOW.into();
    let mut store = Store::open(&env.db(), IfMissing::Create).expect("open");
    raci::app::demo::demo(&mut store, &at("2026-11-20T09:00:00Z", None), 10, &mut |_, _| {})
        .expect("demo");
    let id = |s: &str| s.parse().expect("an id");
    let text = |s: &str| s.parse().expect("a text");
    let admin = Some("ada.cse");
    deactivate_person(
        &mut store,
        &at("2026-11-21T09:00:00Z", admin),
        &id("linus.support"),
        &text("moved to another team"),
    )
    .expect("deactivate");
    retire_installation(
        &mut store,
        &at("2026-11-22T09:00:00Z", admin),
        &id("initech-00003"),
        Some(&text("the subscriber cancelled the project")),
    )
    .expect("retire");
    cycle_action(
        &mut store,
        &at("2026-11-23T09:00:00Z", admin),
        &id("acme-00009"),
        1,
        CycleAction::Cancel,
        Some(&text("release withdrawn")),
    )
    .expect("cancel");
    ticket_action(
        &mut store,
        &at("2026-11-24T09:00:00Z", Some("globex.infra")),
        &id("globex-00010"),
        &id("SUP-1009"),
        TicketAction::Reopen,
        Some(&text("still slow in production")),
    )
    .expect("reopen");
    env
}

#[test]
fn every_read_prints_the_contracts_json() {
    let env = fixed_history();
    let reads: &[(&str, &[&str])] = &[
        ("matrix", &["matrix"]),
        ("person_list", &["person", "list"]),
        ("installation_list_all", &["installation", "list", "--all"]),
        ("status_operating", &["status", "globex-00010"]),
        ("status_blocked", &["status", "hooli-00005"]),
        ("status_retired", &["status", "initech-00003"]),
        ("log", &["log", "globex-00010"]),
        ("checklist", &["checklist", "show", "hooli-00005"]),
        ("handover_show", &["handover", "show", "globex-00010"]),
        ("update_list", &["update", "list", "acme-00009"]),
        ("ticket_list", &["ticket", "list", "globex-00010"]),
        ("backups_list", &["backups", "list", "wonka-00008"]),
        ("report_outstanding", &["report", "outstanding"]),
        ("report_outstanding_subscriber", &["report", "outstanding", "--party", "subscriber"]),
        ("report_overdue", &["report", "overdue"]),
        ("report_stale_backups", &["report", "stale-backups"]),
        ("report_clocks", &["report", "clocks", "--installation", "globex-00010"]),
        ("report_clocks_by_installation", &["report", "clocks", "--by", "installation"]),
        ("inbox_vendor", &["inbox", "--as", "ada.cse", "--limit", "5"]),
        ("scoped_outstanding", &["report", "outstanding", "--as", "acme.infra"]),
        ("db_check", &["db", "check"]),
    ];
    for (name, args) in reads {
        insta::assert_json_snapshot!(*name, env.json(args));
    }
}

#[test]
fn each_class_of_refusal_says_one_line() {
    let env = fixed_history();
    let refusals: &[(i32, &[&str])] = &[
        // 2: bad input.
        (2, &["task", "start", "acme-00001", "infrastructure"]),
        (2, &["task", "due", "acme-00001", "infrastructure", "2026-02-30", "--as", "acme.infra"]),
        (2, &["person", "add", "x y", "--party", "vendor", "--role", "support-engineer"]),
        (
            2,
            &[
                "task",
                "comment",
                "acme-00001",
                "infrastructure",
                "a\u{200b}b",
                "--as",
                "acme.infra",
            ],
        ),
        // 3: not permitted.
        (3, &["task", "start", "acme-00001", "infrastructure", "--as", "acme.dev"]),
        (3, &["task", "signoff", "acme-00001", "infrastructure", "--as", "ada.cse"]),
        (
            3,
            &[
                "person",
                "add",
                "mallory",
                "--party",
                "vendor",
                "--role",
                "customer-success-engineer",
                "--as",
                "acme.infra",
            ],
        ),
        (3, &["task", "comment", "globex-00010", "deployment", "hi", "--as", "linus.support"]),
        // 4: not found, or another subscriber's.
        (4, &["status", "nowhere"]),
        (4, &["status", "globex-00010", "--as", "acme.infra"]),
        (4, &["task", "start", "globex-00002", "infrastructure", "--as", "acme.infra"]),
        (4, &["update", "step", "globex-00010", "7", "snapshot", "--as", "globex.infra"]),
        // 5: the state does not allow it.
        (
            5,
            &[
                "task",
                "waive",
                "acme-00001",
                "infrastructure",
                "--reason",
                "x",
                "--as",
                "acme.infra",
            ],
        ),
        (5, &["task", "waive", "wayne-00007", "handover", "--reason", "x", "--as", "ada.cse"]),
        (5, &["task", "reopen", "globex-00010", "handover", "--reason", "x", "--as", "ada.cse"]),
        (5, &["task", "start", "initech-00003", "deployment", "--as", "ada.cse"]),
        (5, &["person", "deactivate", "ada.cse", "--reason", "leaving", "--as", "ada.cse"]),
    ];
    let mut shown = String::new();
    for (code, args) in refusals {
        let err = env.refused(args, *code);
        shown.push_str(&format!("{code} raci {}\n  {err}", args.join(" ")));
    }
    // 6: storage, on a path with no database.
    let missing = env.dir().join("missing.db");
    let run = env
        .command(&["status", "acme-00001", "--db", missing.to_str().expect("a path")])
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(6));
    let err =
        String::from_utf8_lossy(&run.stderr).replace(env.dir().to_str().expect("a path"), "TMP");
    shown.push_str(&format!("6 raci status acme-00001 --db TMP/missing.db\n  {err}"));
    insta::assert_snapshot!("refusals", shown);
}
