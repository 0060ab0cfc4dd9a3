//! The ledger proves all of the state: a row forged in any state table with
//! the sqlite3 shell is named by `db check`, and a database made by the first
//! release upgrades in place and stays provable.

use rusqlite::Connection;

use crate::common::TestEnv;

/// `db check` refuses with exit 6 and one line; returns that line.
fn unsound(env: &TestEnv) -> String {
    unsound_after(env, "")
}

fn unsound_after(env: &TestEnv, what: &str) -> String {
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 6, "{what}\n{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: the database is not sound"), "{}", run.stderr);
    run.stderr
}

/// Runs `sql` on a copy of `env`'s database in a fresh environment, and
/// returns what `db check` says of the copy.
fn forged(env: &TestEnv, sql: &str) -> String {
    let copy = TestEnv::new();
    {
        let conn = Connection::open(env.db()).expect("open");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    }
    std::fs::copy(env.db(), copy.db()).expect("copy");
    Connection::open(copy.db()).expect("open copy").execute_batch(sql).expect("forge");
    unsound_after(&copy, sql)
}

/// A history that leaves a row in every state table: people with names and
/// emails, installations, tasks with due dates, checked items with notes, a
/// handover, a backup, an update cycle, a ticket and read marks.
fn rich_history() -> TestEnv {
    let mut env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["task", "due", "acme-prod", "infrastructure", "2026-11-20", "--as", "ian"]);
    env.ok(&[
        "checklist",
        "check",
        "acme-prod",
        "infrastructure",
        "memory",
        "--note",
        "64 GB",
        "--as",
        "ian",
    ]);
    for item in &TestEnv::INFRA_ITEMS[1..] {
        env.ok(&["checklist", "check", "acme-prod", "infrastructure", item, "--as", "ian"]);
    }
    env.ok(&["task", "submit", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["task", "signoff", "acme-prod", "infrastructure", "--as", "ian"]);
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    env.complete("acme-prod", "configuration", "ian", &TestEnv::CONFIG_ITEMS, "ian");
    env.now = "2026-11-03T09:00:00Z".into();
    env.ok(&crate::common::strs(&crate::common::handover_args(
        "acme-prod",
        "2026-11-03",
        "95",
        &["carol", "ian"],
        &TestEnv::ALL_TOPICS,
        "carol",
    )));
    // Two in the same second, the older day first: the ledger's order is
    // the order recorded, whatever the days.
    env.ok(&["backups", "record", "acme-prod", "--taken-on", "2026-11-02", "--as", "ian"]);
    env.ok(&["backups", "record", "acme-prod", "--taken-on", "2026-11-03", "--as", "ian"]);
    env.ok(&["update", "start", "acme-prod", "--version", "3.2", "--as", "carol"]);
    env.ok(&["update", "step", "acme-prod", "1", "snapshot", "--as", "ian"]);
    env.ok(&[
        "ticket",
        "open",
        "acme-prod",
        "SUP-1",
        "--severity",
        "high",
        "--environment",
        "production",
        "--summary",
        "login slow",
        "--as",
        "ian",
    ]);
    env.ok(&["inbox", "ack", "--as", "carol"]);
    env.ok(&["db", "check"]);
    env
}

#[test]
fn db_check_names_a_forged_row_in_every_state_table() {
    let env = rich_history();
    let cases: &[(&str, &str)] = &[
        (
            "UPDATE person SET subscriber = 'Globex' WHERE handle = 'ian'",
            r#"person ian: subscriber is "Globex" in the table but "Acme" in the ledger"#,
        ),
        (
            "INSERT INTO person (handle, party, role, created_at) VALUES ('mallory', 'vendor', 'customer-success-engineer', '2026-11-02T09:00:00Z')",
            "person mallory is in the table, but no event made it",
        ),
        (
            "UPDATE person SET email = 'carol@evil.example' WHERE handle = 'carol'",
            "person carol: email",
        ),
        ("UPDATE person SET admin = 1 WHERE handle = 'sam'", "person sam: admin"),
        (
            "INSERT INTO installation (id, subscriber, created_at) VALUES ('aaa-ghost', 'Acme', '2026-11-02T09:00:00Z')",
            "installation aaa-ghost is in the tables, but no event added it",
        ),
        (
            "INSERT INTO installation (id, subscriber, created_at) VALUES ('zzz-ghost', 'Acme', '2026-11-02T09:00:00Z')",
            "installation zzz-ghost is in the tables, but no event added it",
        ),
        (
            "INSERT INTO ticket VALUES ('globex-prod', 'T-9', 'low', 'development', 'x', 'open', 'gina', '2026-11-02T09:00:00Z', '2026-11-02T09:00:00Z')",
            "ticket T-9 of globex-prod is in the table, but no event made it",
        ),
        (
            "UPDATE installation SET appliance_id = 'appliance99' WHERE id = 'acme-prod'",
            "installation acme-prod: appliance_id",
        ),
        (
            "UPDATE task SET due = '2027-01-01' WHERE installation_id = 'acme-prod' AND task_key = 'infrastructure'",
            "task infrastructure of acme-prod: due",
        ),
        (
            "UPDATE checklist_item SET note = 'forged' WHERE installation_id = 'acme-prod' AND task_key = 'infrastructure' AND item = 'memory'",
            "checklist item infrastructure/memory of acme-prod: note",
        ),
        (
            "UPDATE handover SET minutes = 240 WHERE installation_id = 'acme-prod'",
            "handover #1 of acme-prod: minutes",
        ),
        (
            "UPDATE backup_record SET taken_on = '2026-11-01' WHERE taken_on = '2026-11-02'",
            "backup #1 of acme-prod: taken_on",
        ),
        (
            "UPDATE update_cycle SET access = 1 WHERE installation_id = 'acme-prod'",
            "update cycle 1 of acme-prod: access",
        ),
        (
            "UPDATE ticket SET severity = 'low' WHERE installation_id = 'acme-prod'",
            "ticket SUP-1 of acme-prod: severity",
        ),
        ("DELETE FROM inbox_read", "read mark carol/"),
        ("UPDATE inbox_read SET read_at = '2020-01-01T00:00:00Z'", "read_at is"),
        // A value raci does not know, in an event: named, not a raw SQL error.
        ("UPDATE event SET role = 'x' WHERE id = 3", "audit event 3 does not verify"),
        (
            "UPDATE setting SET value = 'Mallory Inc' WHERE key = 'vendor_name'",
            "setting row vendor_name: value differs from the template",
        ),
        (
            "UPDATE template_item SET owner = 'vendor' WHERE task = 'configuration' AND item = 'administrators'",
            "template_item row configuration/administrators: owner differs",
        ),
    ];
    for (sql, needle) in cases {
        let err = forged(&env, sql);
        assert!(err.contains(needle), "{sql}\nexpected {needle:?} in {err}");
    }
}

fn first_release(env: &TestEnv) {
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1.db"),
        env.db(),
    )
    .expect("copy the first release's database");
}

/// `tests/fixtures/release-0.1.db` was made by raci 0.1 (the first release)
/// with `demo --installations 20` and a few more steps of every kind.
#[test]
fn a_database_of_the_first_release_upgrades_sound_and_stays_provable() {
    let mut env = TestEnv::new();
    env.now = "2026-11-02T09:00:00Z".into();
    first_release(&env);
    let check = env.json(&["db", "check"]);
    assert_eq!(check[0]["sound"], true, "{check}");
    assert_eq!(check[0]["events"], 510, "509 events of the first release and the upgrade's");
    let log = env.json(&["log", "acme-00009"]);
    assert!(log.as_array().is_some_and(|l| l.len() > 30));
    // Used normally after the upgrade: still sound.
    env.ok(&["checklist", "check", "acme-00001", "infrastructure", "memory", "--as", "acme.infra"]);
    env.ok(&[
        "task",
        "block",
        "acme-00001",
        "infrastructure",
        "--reason",
        "VM quota",
        "--as",
        "acme.infra",
    ]);
    env.ok(&[
        "ticket",
        "open",
        "acme-00009",
        "SUP-9001",
        "--severity",
        "low",
        "--environment",
        "development",
        "--summary",
        "question",
        "--as",
        "acme.infra",
    ]);
    env.ok(&["db", "check"]);
    // Tampering after the upgrade, with a first-release event or a typed one.
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE event SET note = 'subscriber Globex' WHERE id = 1", []).ok();
    let first: String =
        conn.query_row("SELECT action FROM event WHERE id = 1", [], |r| r.get(0)).expect("event");
    drop(conn);
    let err = unsound(&env);
    assert!(err.contains("audit event 1 does not verify"), "{first}: {err}");
}

#[test]
fn tampering_before_the_upgrade_is_still_found_after_it() {
    let env = TestEnv::new();
    first_release(&env);
    // With the sqlite3 shell, on the first release's file: a pending task
    // marked signed off, and an installation moved to another subscriber.
    Connection::open(env.db())
        .expect("open")
        .execute_batch(
            "UPDATE task SET state = 'signed_off' WHERE installation_id = 'acme-00001' AND task_key = 'infrastructure';",
        )
        .expect("forge");
    let err = unsound(&env);
    assert!(err.contains("task infrastructure of acme-00001: state"), "{err}");

    let env = TestEnv::new();
    first_release(&env);
    Connection::open(env.db())
        .expect("open")
        .execute_batch("UPDATE installation SET subscriber = 'Globex' WHERE id = 'acme-00001';")
        .expect("forge");
    let err = unsound(&env);
    assert!(err.contains("installation acme-00001: subscriber"), "{err}");
}

/// The ledger holds only changes: asking for what already is records nothing.
#[test]
fn asking_for_what_already_is_records_nothing() {
    let env = rich_history();
    let events = || env.json(&["db", "check"])[0]["events"].as_i64().expect("events");
    let before = events();
    assert_eq!(env.json(&["inbox", "ack", "--as", "carol"]), serde_json::json!([]));
    assert!(env.ok(&["inbox", "ack", "--as", "carol"]).contains("nothing changed"));
    env.ok(&["person", "set", "carol", "--name", "Carol Vendor", "--as", "carol"]);
    env.ok(&["person", "set", "sam", "--admin", "false", "--as", "carol"]);
    assert_eq!(events(), before);
    // A real change is recorded, once.
    env.ok(&["person", "set", "sam", "--name", "Sam Support", "--as", "carol"]);
    assert_eq!(events(), before + 1);
}
