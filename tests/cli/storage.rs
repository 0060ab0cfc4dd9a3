//! The database file: created on first use, migrated, and refused untouched
//! when it is from a newer raci or not a database at all.

use rusqlite::Connection;

use crate::common::TestEnv;

#[test]
fn init_creates_the_database_and_its_directory_and_reads_do_not() {
    let env = TestEnv::new();
    let nested = env.dir().join("a/b/raci.db");
    let run = env
        .command(&["init", "--db", nested.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert!(run.status.success());
    assert!(nested.exists());
    env.refused(&["installation", "list"], 6);
    assert!(!env.db().exists());
    env.ok(&["init"]);
    env.ok(&["installation", "list"]);
    env.ok(&["init"]);
}

#[test]
fn the_default_database_lives_in_the_platform_data_directory() {
    let env = TestEnv::new();
    let run = env
        .command(&["init"])
        .env_remove("RACI_DB")
        .env("XDG_DATA_HOME", env.dir().join("xdg"))
        .output()
        .expect("runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(env.dir().join("xdg/raci/raci.db").exists());
}

#[test]
fn a_database_from_a_newer_raci_is_refused_untouched() {
    let env = TestEnv::with_people_and_installations();
    {
        let conn = Connection::open(env.db()).expect("open");
        conn.pragma_update(None, "user_version", 99).expect("set version");
        conn.pragma_update(None, "journal_mode", "DELETE").expect("checkpoint");
    }
    let before = std::fs::read(env.db()).expect("read");
    let err = env.refused(&["status", "acme-prod"], 6);
    assert!(err.contains("newer raci"), "{err}");
    env.refused(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"], 6);
    assert_eq!(before, std::fs::read(env.db()).expect("read"), "file bytes unchanged");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let env = TestEnv::new();
    std::fs::write(env.db(), "this is not sqlite, it is a shopping list\n".repeat(200))
        .expect("write");
    let before = std::fs::read(env.db()).expect("read");
    let run = env.run(&["status", "x"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: ") && run.stderr.lines().count() == 1, "{}", run.stderr);
    assert_eq!(before, std::fs::read(env.db()).expect("read"));
}

#[test]
fn a_database_made_by_migration_one_keeps_its_data_when_upgraded() {
    let env = TestEnv::new();
    {
        let mut conn = Connection::open(env.db()).expect("open");
        raci::store::migrations()
            .expect("migrations")
            .to_version(&mut conn, 1)
            .expect("migration 01");
        conn.execute(
            "INSERT INTO person (handle, party, role, created_at) VALUES ('old', 'vendor', 'support-engineer', '2026-01-01T00:00:00Z')",
            [],
        )
        .expect("insert");
    }
    let people = env.json(&["person", "list"]);
    assert_eq!(people[0]["handle"], "old");
    assert_eq!(env.json(&["matrix"]).as_array().map(Vec::len), Some(12));
}

#[test]
fn events_written_before_the_ledger_are_chained_on_upgrade() {
    let env = TestEnv::new();
    {
        let mut conn = Connection::open(env.db()).expect("open");
        raci::store::migrations()
            .expect("migrations")
            .to_version(&mut conn, 4)
            .expect("migrations 01-04");
        conn.execute_batch(
            "INSERT INTO installation (id, subscriber, created_at) VALUES ('old-1', 'Acme', '2026-01-01T00:00:00Z');
             INSERT INTO task (installation_id, task_key, state, since)
               SELECT 'old-1', key, CASE recurring WHEN 1 THEN 'recurring' ELSE 'pending' END, '2026-01-01T00:00:00Z' FROM template_task;
             INSERT INTO checklist_item (installation_id, task_key, item, position, owner)
               SELECT 'old-1', task, item, position, owner FROM template_item;
             INSERT INTO event (installation_id, at, action, note) VALUES ('old-1', '2026-01-01T00:00:00Z', 'installation-add', 'subscriber Acme');
             INSERT INTO event (installation_id, at, action, note) VALUES ('old-1', '2026-01-02T00:00:00Z', 'comment', 'before the ledger');",
        )
        .expect("old rows");
    }
    let check = env.json(&["db", "check"]);
    assert_eq!(check[0]["sound"], true);
    // The two old events, and the upgrade's record of what they lacked.
    assert_eq!(check[0]["events"], 3);
    env.ok(&["person", "add", "p", "--party", "vendor", "--role", "support-engineer"]);
    assert_eq!(env.json(&["db", "check"])[0]["events"], 4);
    assert_eq!(env.json(&["log", "old-1"])[1]["note"], "before the ledger");
}

/// A released migration never changes (add the next one instead): each
/// `up.sql` must still hash to what it was released with.
#[test]
fn released_migrations_are_unchanged() {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pinned = include_str!("../fixtures/migrations.sha256");
    let mut count = 0;
    for line in pinned.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, file) = line.split_once("  ").expect("sha256sum format");
        let text =
            std::fs::read(root.join("migrations").join(file)).expect("released migration exists");
        let actual: String = Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(actual, hash, "migrations/{file} was edited after its release");
        count += 1;
    }
    let present = std::fs::read_dir(root.join("migrations")).expect("migrations").count();
    assert_eq!(
        count, present,
        "pin each new migration in tests/fixtures/migrations.sha256 when it is released"
    );
}

#[test]
fn another_programs_sqlite_file_is_left_untouched() {
    let env = TestEnv::new();
    {
        let conn = Connection::open(env.db()).expect("open");
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("foreign schema");
    }
    let before = std::fs::read(env.db()).expect("read");
    let err = env.refused(&["status", "x"], 6);
    assert!(err.contains("another program"), "{err}");
    env.refused(&["init"], 6);
    assert_eq!(before, std::fs::read(env.db()).expect("read"), "bytes unchanged");
    let tables: i64 = Connection::open(env.db())
        .expect("open")
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 1);
}
