//! Authority: the bootstrap, who administers whom, deactivation, retirement,
//! and reads scoped to a subscriber's person.

use rusqlite::Connection;

use crate::common::{TestEnv, handover_args, strs};

/// A person of Acme (or another subscriber) in `person add` arguments.
fn subscriber_person<'a>(handle: &'a str, subscriber: &'a str, by: &'a str) -> Vec<&'a str> {
    vec![
        "person",
        "add",
        handle,
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        subscriber,
        "--as",
        by,
    ]
}

fn person(env: &TestEnv, handle: &str) -> serde_json::Value {
    env.json(&["person", "list"])
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["handle"] == handle)
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

fn handles(rows: &serde_json::Value, field: &str) -> Vec<String> {
    rows.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r[field].as_str().map(str::to_string))
        .collect()
}

fn sound(env: &TestEnv) {
    let out = env.json(&["db", "check"]);
    assert_eq!(out[0]["sound"], true, "{out}");
}

/// Acme's ian made Acme's administrator by the vendor's carol.
fn acme_with_an_admin() -> TestEnv {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["person", "set", "ian", "--admin", "true", "--as", "carol"]);
    env
}

#[test]
fn the_first_person_is_the_vendors_administrator() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    env.refused(&["installation", "add", "a-1", "--subscriber", "Acme"], 2);
    let err = env.refused(
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
        ],
        5,
    );
    assert!(err.contains("vendor"), "{err}");
    env.ok(&["person", "add", "vera", "--party", "vendor", "--role", "support-engineer"]);
    let vera = person(&env, "vera");
    assert_eq!((vera["admin"].clone(), vera["active"].clone()), (true.into(), true.into()));
    // After that, administration needs an acting administrator.
    env.refused(&["person", "add", "sam", "--party", "vendor", "--role", "support-engineer"], 2);
    env.ok(&[
        "person",
        "add",
        "sam",
        "--party",
        "vendor",
        "--role",
        "support-engineer",
        "--as",
        "vera",
    ]);
    assert_eq!(person(&env, "sam")["admin"], false);
    let err = env.refused(
        &["person", "add", "x", "--party", "vendor", "--role", "support-engineer", "--as", "sam"],
        3,
    );
    assert!(err.contains("administrator"), "{err}");
    env.refused(&["installation", "add", "a-1", "--subscriber", "Acme", "--as", "sam"], 3);
    env.ok(&["installation", "add", "a-1", "--subscriber", "Acme", "--as", "vera"]);
    sound(&env);
}

#[test]
fn a_subscribers_engineer_cannot_mint_a_vendor_engineer() {
    let env = acme_with_an_admin();
    let cse =
        ["person", "add", "mallory", "--party", "vendor", "--role", "customer-success-engineer"];
    for by in ["ian", "dev"] {
        let mut args = cse.to_vec();
        args.extend(["--as", by]);
        env.refused(&args, 3);
    }
    // Nor make themselves, or anyone, a vendor administrator.
    env.refused(&["person", "set", "carol", "--name", "Mallory", "--as", "ian"], 3);
    env.refused(&["person", "set", "ian", "--role", "customer-success-engineer", "--as", "ian"], 2);
    sound(&env);
}

#[test]
fn a_subscribers_administrator_manages_only_their_subscriber() {
    let env = acme_with_an_admin();
    env.ok(&subscriber_person("ann", "ACME", "ian"));
    env.ok(&[
        "person",
        "set",
        "dev",
        "--role",
        "administrator",
        "--email",
        "dev@acme.example",
        "--as",
        "ian",
    ]);
    assert_eq!(person(&env, "dev")["role"], "administrator");
    // Another subscriber's people: refused when adding, absent when named.
    env.refused(&subscriber_person("gus", "Globex", "ian"), 3);
    let hidden = env.refused(&["person", "set", "gina", "--name", "G", "--as", "ian"], 4);
    let absent = env.refused(&["person", "set", "nobody", "--name", "G", "--as", "ian"], 4);
    assert_eq!(hidden.replace("gina", "X"), absent.replace("nobody", "X"));
    env.refused(&["person", "deactivate", "gina", "--reason", "x", "--as", "ian"], 4);
    // Installations are the vendor's to add and retire.
    env.refused(&["installation", "add", "acme-2", "--subscriber", "Acme", "--as", "ian"], 3);
    env.refused(&["installation", "retire", "acme-prod", "--reason", "x", "--as", "ian"], 3);
    env.refused(&["installation", "retire", "globex-prod", "--reason", "x", "--as", "ian"], 4);
    // A subscriber's person sees the vendor's people and their own.
    let seen = handles(&env.json(&["person", "list", "--as", "dev"]), "handle");
    assert_eq!(seen, ["ann", "carol", "dev", "ian", "sam"]);
    sound(&env);
}

#[test]
fn the_vendor_onboards_a_subscribers_first_administrator_and_then_stands_back() {
    let env = TestEnv::with_people_and_installations();
    // Acme has no administrator: the vendor manages its people.
    env.ok(&["person", "set", "dev", "--name", "Dev Eloper", "--as", "carol"]);
    env.ok(&[
        "person",
        "add",
        "acme.admin",
        "--party",
        "subscriber",
        "--role",
        "administrator",
        "--subscriber",
        "Acme",
        "--admin",
        "--as",
        "carol",
    ]);
    assert_eq!(person(&env, "acme.admin")["admin"], true);
    let err = env.refused(&subscriber_person("ann", "Acme", "carol"), 3);
    assert!(err.contains("Acme"), "{err}");
    env.refused(&["person", "set", "ian", "--name", "Ian", "--as", "carol"], 3);
    env.refused(&["person", "deactivate", "ian", "--reason", "left", "--as", "carol"], 3);
    // Acme's own administrator does it; Globex, still without one, is the vendor's.
    env.ok(&subscriber_person("ann", "Acme", "acme.admin"));
    env.ok(&subscriber_person("gus", "Globex", "carol"));
    // Once Acme's administrator is deactivated (by themselves, with another
    // in place), the vendor may step in again only if none is left.
    env.ok(&["person", "set", "ian", "--admin", "true", "--as", "acme.admin"]);
    env.ok(&["person", "deactivate", "acme.admin", "--reason", "moved on", "--as", "ian"]);
    env.refused(&["person", "reactivate", "acme.admin", "--as", "carol"], 3);
    env.ok(&["person", "reactivate", "acme.admin", "--as", "ian"]);
    sound(&env);
}

#[test]
fn the_last_active_administrator_stays_one() {
    let env = acme_with_an_admin();
    let err = env.refused(&["person", "deactivate", "carol", "--reason", "x", "--as", "carol"], 5);
    assert!(err.contains("last"), "{err}");
    env.refused(&["person", "set", "carol", "--admin", "false", "--as", "carol"], 5);
    env.refused(&["person", "set", "ian", "--admin", "false", "--as", "ian"], 5);
    env.refused(&["person", "deactivate", "ian", "--reason", "x", "--as", "ian"], 5);
    // With a second administrator, the first may step down.
    env.ok(&["person", "set", "sam", "--admin", "true", "--as", "carol"]);
    env.ok(&["person", "set", "carol", "--admin", "false", "--as", "carol"]);
    assert_eq!(person(&env, "carol")["admin"], false);
    env.refused(&["person", "set", "sam", "--admin", "false", "--as", "carol"], 3);
    // Administrator of nothing: changing nothing is bad input, not a change.
    env.refused(&["person", "set", "sam", "--as", "sam"], 2);
    sound(&env);
}

#[test]
fn a_deactivated_person_can_no_longer_act_or_attend() {
    let env = TestEnv::with_people_and_installations();
    env.ready_for_handover("acme-prod");
    env.ok(&["person", "deactivate", "sam", "--reason", "left the company", "--as", "carol"]);
    let sam = person(&env, "sam");
    assert_eq!((sam["active"].clone(), sam["admin"].clone()), (false.into(), false.into()));
    let err =
        env.refused(&["task", "comment", "acme-prod", "configuration", "hi", "--as", "sam"], 3);
    assert!(err.contains("deactivated"), "{err}");
    env.refused(&["person", "deactivate", "sam", "--reason", "again", "--as", "carol"], 5);
    let handover = handover_args(
        "acme-prod",
        "2026-11-02",
        "95",
        &["carol", "sam", "ian"],
        &TestEnv::ALL_TOPICS,
        "carol",
    );
    let err = env.refused(&strs(&handover), 5);
    assert!(err.contains("sam"), "{err}");
    // A deactivated administrator administers nothing.
    env.ok(&["person", "set", "sam", "--admin", "true", "--as", "carol"]);
    env.refused(&["person", "reactivate", "sam", "--as", "sam"], 3);
    env.refused(&["person", "reactivate", "carol", "--as", "carol"], 5);
    env.ok(&["person", "reactivate", "sam", "--as", "carol"]);
    env.ok(&["task", "comment", "acme-prod", "configuration", "back", "--as", "sam"]);
    env.ok(&strs(&handover));
    sound(&env);
}

#[test]
fn every_change_to_people_and_installations_names_the_acting_administrator() {
    let env = acme_with_an_admin();
    env.ok(&["person", "deactivate", "dev", "--reason", "left", "--as", "ian"]);
    env.ok(&[
        "installation",
        "retire",
        "globex-prod",
        "--reason",
        "contract ended",
        "--as",
        "carol",
    ]);
    let conn = Connection::open(env.db()).expect("open");
    let mut stmt = conn
        .prepare("SELECT action, actor FROM event WHERE action LIKE 'person-%' OR action LIKE 'installation-%' ORDER BY id")
        .expect("query");
    let rows: Vec<(String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows[0], ("person-add".to_string(), None), "the bootstrap has no actor");
    for (action, actor) in &rows[1..] {
        assert!(actor.is_some(), "{action} names its administrator");
    }
    assert!(rows.contains(&("person-set".into(), Some("carol".into()))));
    assert!(rows.contains(&("person-deactivate".into(), Some("ian".into()))));
    assert!(rows.contains(&("installation-retire".into(), Some("carol".into()))));
}

#[test]
fn a_retired_installation_takes_no_writes_and_leaves_the_reports() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.ok(&["task", "start", "acme-prod", "deployment", "--as", "carol"]);
    assert!(!env.json(&["inbox", "--as", "ian"]).as_array().expect("inbox").is_empty());
    env.refused(&["installation", "retire", "acme-prod", "--reason", "x", "--as", "sam"], 3);
    env.ok(&["installation", "retire", "acme-prod", "--reason", "decommissioned", "--as", "carol"]);
    env.refused(&["installation", "retire", "acme-prod", "--reason", "x", "--as", "carol"], 5);

    let err = env.refused(
        &["checklist", "check", "acme-prod", "deployment", "development", "--as", "carol"],
        5,
    );
    assert!(err.contains("retired"), "{err}");
    env.refused(&["task", "comment", "acme-prod", "deployment", "hello", "--as", "ian"], 5);
    env.refused(&["task", "due", "acme-prod", "deployment", "2026-12-01", "--as", "carol"], 5);
    let err = env
        .refused(&["backups", "record", "acme-prod", "--taken-on", "2026-11-02", "--as", "ian"], 5);
    assert!(err.contains("retired"), "{err}");

    // Out of the lists and reports, still answered by status and log.
    assert_eq!(handles(&env.json(&["installation", "list"]), "id"), ["globex-prod"]);
    let all = env.json(&["installation", "list", "--all"]);
    assert_eq!(handles(&all, "id"), ["acme-prod", "globex-prod"]);
    assert_eq!(all[0]["retired"], true);
    assert_eq!(all[1]["retired"], false);
    for report in [
        vec!["report", "outstanding"],
        vec!["report", "overdue"],
        vec!["report", "stale-backups"],
        vec!["report", "clocks"],
        vec!["inbox", "--as", "ian"],
    ] {
        let rows = env.json(&report);
        assert!(!rows.to_string().contains("acme-prod"), "{report:?}: {rows}");
    }
    assert!(env.ok(&["report", "html"]).contains("globex-prod"));
    assert!(!env.ok(&["report", "html"]).contains("acme-prod"));
    assert_eq!(env.json(&["status", "acme-prod"])["retired"], true);
    assert_eq!(env.json(&["status", "globex-prod"])["retired"], false);
    let log = env.json(&["log", "acme-prod"]);
    let last = log.as_array().and_then(|l| l.last()).cloned().expect("an event");
    assert_eq!(
        (last["action"].clone(), last["note"].clone()),
        ("installation-retire".into(), "decommissioned".into())
    );

    env.refused(&["installation", "unretire", "acme-prod", "--as", "ian"], 3);
    env.ok(&["installation", "unretire", "acme-prod", "--as", "carol"]);
    env.refused(&["installation", "unretire", "acme-prod", "--as", "carol"], 5);
    env.ok(&["checklist", "check", "acme-prod", "deployment", "development", "--as", "carol"]);
    assert!(env.json(&["report", "outstanding"]).to_string().contains("acme-prod"));
    sound(&env);
}

#[test]
fn a_subscribers_person_reads_only_their_subscribers_installations() {
    let env = TestEnv::with_people_and_installations();
    for read in [
        vec!["status", "globex-prod"],
        vec!["log", "globex-prod"],
        vec!["checklist", "show", "globex-prod"],
        vec!["update", "list", "globex-prod"],
        vec!["backups", "list", "globex-prod"],
        vec!["ticket", "list", "globex-prod"],
        vec!["report", "outstanding", "--installation", "globex-prod"],
        vec!["report", "clocks", "--installation", "globex-prod"],
    ] {
        let mut hidden = read.clone();
        hidden.extend(["--as", "ian"]);
        let hidden = env.refused(&hidden, 4);
        let absent: Vec<&str> =
            read.iter().map(|a| if *a == "globex-prod" { "nope" } else { a }).collect();
        let mut absent = absent;
        absent.extend(["--as", "ian"]);
        let absent = env.refused(&absent, 4);
        assert_eq!(hidden.replace("globex-prod", "X"), absent.replace("nope", "X"), "{read:?}");
        // Without an acting person, or as the vendor, it answers.
        env.ok(&read);
        let mut vendor = read.clone();
        vendor.extend(["--as", "sam"]);
        env.ok(&vendor);
    }
    // Writes too.
    env.refused(&["task", "start", "globex-prod", "infrastructure", "--as", "ian"], 4);
    assert_eq!(handles(&env.json(&["installation", "list", "--as", "ian"]), "id"), ["acme-prod"]);
    assert_eq!(
        handles(&env.json(&["installation", "list", "--as", "gina"]), "id"),
        ["globex-prod"]
    );
    let subscribers = |args: &[&str]| {
        let mut v = handles(&env.json(args), "subscriber");
        v.dedup();
        v
    };
    assert_eq!(subscribers(&["report", "outstanding", "--as", "ian"]), ["Acme"]);
    assert_eq!(subscribers(&["report", "outstanding", "--subscriber", "globex"]), ["Globex"]);
    assert!(
        env.json(&["report", "outstanding", "--subscriber", "Globex", "--as", "ian"])
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let mut both = subscribers(&["report", "outstanding"]);
    both.sort();
    both.dedup();
    assert_eq!(both, ["Acme", "Globex"]);
    let page = env.ok(&["report", "html", "--as", "ian"]);
    assert!(page.contains("acme-prod") && !page.contains("globex-prod"));
    env.refused(&["status", "acme-prod", "--as", "nobody"], 4);
    sound(&env);
}
