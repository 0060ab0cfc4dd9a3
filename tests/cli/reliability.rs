//! Reliability and integrity: concurrent writers, a killed import, a tampered
//! ledger, online backups, storage failures, bad input and bound identities.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::common::TestEnv;

fn count(env: &TestEnv, sql: &str) -> i64 {
    Connection::open(env.db()).expect("open").query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn eight_concurrent_writers_lose_and_duplicate_nothing() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let before = count(&env, "SELECT count(*) FROM event");
    const WRITERS: usize = 8;
    const EACH: usize = 6;
    let mut children: Vec<(String, Child)> = Vec::new();
    for w in 0..WRITERS {
        for k in 0..EACH {
            let text = format!("writer {w} comment {k}");
            let who = if w % 2 == 0 { "ian" } else { "sam" };
            let child = env
                .command(&["task", "comment", "acme-prod", "infrastructure", &text, "--as", who])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            children.push((text, child));
        }
    }
    let mut succeeded = Vec::new();
    for (text, child) in children {
        let out = child.wait_with_output().expect("wait");
        match out.status.code() {
            Some(0) => succeeded.push(text),
            Some(6) => {} // locked past the timeout: allowed, and must change nothing
            other => panic!("writer exited {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
    let log = env.json(&["log", "acme-prod"]);
    let mut comments: Vec<String> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "comment")
        .filter_map(|e| e["note"].as_str().map(str::to_string))
        .collect();
    comments.sort();
    succeeded.sort();
    assert_eq!(comments, succeeded, "every acknowledged write is kept, exactly once");
    assert_eq!(count(&env, "SELECT count(*) FROM event") - before, succeeded.len() as i64);
    eprintln!("concurrency burst: {} of {} writes kept", succeeded.len(), WRITERS * EACH);
    env.ok(&["db", "check"]);
}

#[test]
fn an_import_killed_mid_way_leaves_the_database_sound_and_untouched() {
    let env = TestEnv::with_people_and_installations();
    let before = count(&env, "SELECT count(*) FROM installation");
    let file = env.dir().join("big.csv");
    let mut text = String::from("id,subscriber,appliance_id\n");
    for i in 0..100_000 {
        text.push_str(&format!("bulk-{i:06},Bulk Co,appliance{i}\n"));
    }
    std::fs::write(&file, text).expect("write csv");
    let mut child = env
        .command(&["installation", "import", file.to_str().expect("path"), "--as", "carol"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the import is writing (its transaction spills into the WAL).
    let wal = env.db().with_extension("db-wal");
    let started = Instant::now();
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 1 << 20 {
        assert!(
            child.try_wait().expect("poll").is_none(),
            "the import finished before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "the import never started writing");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL mid-import");
    env.ok(&["db", "check"]);
    assert_eq!(count(&env, "SELECT count(*) FROM installation"), before, "untouched");
    assert_eq!(count(&env, "SELECT count(*) FROM task WHERE installation_id LIKE 'bulk-%'"), 0);
    // The database goes on working: a smaller import, left to finish, adds every row.
    let small = env.dir().join("small.csv");
    let rows: String = (0..500).map(|i| format!("after-{i:03},Bulk Co\n")).collect();
    std::fs::write(&small, format!("id,subscriber\n{rows}")).expect("write csv");
    env.ok(&["installation", "import", small.to_str().expect("path"), "--as", "carol"]);
    assert_eq!(count(&env, "SELECT count(*) FROM installation"), before + 500);
    env.ok(&["db", "check"]);
}

#[test]
fn db_check_finds_an_event_edited_or_deleted_with_plain_sql() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    let out = env.ok(&["db", "check"]);
    assert!(out.contains("integrity: ok") && out.contains("events verified"), "{out}");
    let check = env.json(&["db", "check"]);
    assert_eq!(check[0]["sound"], true);
    let total = check[0]["events"].as_i64().expect("events");
    let signoff: i64 =
        count(&env, "SELECT id FROM event WHERE action = 'signoff' AND task = 'infrastructure'");
    assert!(signoff > 1 && signoff <= total);

    // Someone with the sqlite3 shell changes who signed off.
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE event SET actor = 'dev' WHERE id = ?1", [signoff]).expect("tamper");
    drop(conn);
    let err = check_fails(&env);
    assert!(err.contains(&format!("audit event {signoff} does not verify")), "{err}");
    assert!(err.contains("changed"), "{err}");

    // Put it back: sound again. Then forge a state without an event.
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE event SET actor = 'ian' WHERE id = ?1", [signoff]).expect("restore");
    conn.execute("UPDATE task SET state = 'signed_off' WHERE installation_id = 'acme-prod' AND task_key = 'deployment'", [])
        .expect("forge a sign-off");
    drop(conn);
    let err = check_fails(&env);
    assert!(
        err.contains(
            r#"task deployment of acme-prod: state is "signed_off" in the table but "pending" in the ledger"#
        ),
        "{err}"
    );
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE task SET state = 'pending' WHERE installation_id = 'acme-prod' AND task_key = 'deployment'", [])
        .expect("restore");
    conn.execute("DELETE FROM checklist_item WHERE installation_id = 'acme-prod' AND task_key = 'deployment' AND item = 'production'", [])
        .expect("drop an item");
    drop(conn);
    let err = check_fails(&env);
    assert!(
        err.contains("checklist item deployment/production of acme-prod is in the ledger but missing from the table"),
        "{err}"
    );
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("INSERT INTO checklist_item (installation_id, task_key, item, position, owner) VALUES ('acme-prod', 'deployment', 'production', 2, 'vendor')", [])
        .expect("restore");
    conn.execute("UPDATE person SET party = 'vendor', role = 'support-engineer', subscriber = NULL WHERE handle = 'ian'", [])
        .expect("forge a party");
    drop(conn);
    let err = check_fails(&env);
    assert!(
        err.contains(
            r#"person ian: party is "vendor" in the table but "subscriber" in the ledger"#
        ),
        "{err}"
    );
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE person SET party = 'subscriber', role = 'infrastructure-engineer', subscriber = 'Acme' WHERE handle = 'ian'", [])
        .expect("restore");
    drop(conn);
    // Put it back: sound again. Then delete an earlier event.
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("UPDATE event SET actor = 'ian' WHERE id = ?1", [signoff]).expect("restore");
    drop(conn);
    env.ok(&["db", "check"]);
    let conn = Connection::open(env.db()).expect("open");
    conn.execute("DELETE FROM event WHERE id = 5", []).expect("delete");
    drop(conn);
    let err = check_fails(&env);
    assert!(err.contains("audit event 6 does not verify") && err.contains("deleted"), "{err}");
}

/// `db check` on a broken database: exit 6, one `error:` line naming the
/// problem (the report itself still goes to stdout); returns that line.
fn check_fails(env: &TestEnv) -> String {
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: the database is not sound"), "{}", run.stderr);
    run.stderr
}

#[test]
fn an_online_backup_taken_while_others_write_passes_db_check() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let writers: Vec<Child> = (0..6)
        .map(|k| {
            env.command(&[
                "task",
                "comment",
                "acme-prod",
                "infrastructure",
                &format!("during backup {k}"),
                "--as",
                "ian",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let copy = env.dir().join("copy.db");
    let out = env.ok(&["db", "backup", copy.to_str().expect("path")]);
    assert!(out.contains("the copy is sound"), "{out}");
    for mut w in writers {
        w.wait().expect("writer");
    }
    let check = env
        .command(&["db", "check", "--db", copy.to_str().expect("path")])
        .output()
        .expect("check copy");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let people = env
        .command(&["person", "list", "--format", "json", "--db", copy.to_str().expect("path")])
        .output()
        .expect("read copy");
    let people: serde_json::Value = serde_json::from_slice(&people.stdout).expect("json");
    assert_eq!(people.as_array().map(Vec::len), Some(5));
    // Backing up onto the database itself is refused.
    env.refused(&["db", "backup", env.db().to_str().expect("path")], 2);
}

#[test]
fn storage_failures_are_exit_6_with_one_line() {
    let env = TestEnv::new();
    // A path whose directory cannot be created (its parent is a file).
    let file = env.dir().join("plain-file");
    std::fs::write(&file, "x").expect("write");
    let under = file.join("raci.db");
    let run = env.run(&["installation", "list", "--db", under.to_str().expect("path")]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: ") && run.stderr.lines().count() == 1, "{}", run.stderr);

    // A database locked by another writer past the timeout.
    let env = TestEnv::with_people_and_installations();
    let before = env.snapshot();
    let conn = Connection::open(env.db()).expect("open");
    conn.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let run = env
        .command(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"])
        .env("RACI_BUSY_TIMEOUT_MS", "200")
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(6), "{}", String::from_utf8_lossy(&run.stderr));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("locked") && stderr.lines().count() == 1, "{stderr}");
    conn.execute_batch("ROLLBACK").expect("unlock");
    drop(conn);
    assert_eq!(before, env.snapshot(), "nothing changed");
}

/// Command lines that must be refused with their code, leaving the database
/// file byte-for-byte as it was.
const BAD_INPUTS: &[(&[&str], i32)] = &[
    (&["installation", "add", "", "--subscriber", "Acme"], 2),
    (&["installation", "add", "LONG_ID", "--subscriber", "Acme"], 2),
    (&["installation", "add", "-leading-dash", "--subscriber", "Acme"], 2),
    (&["installation", "add", "new/slash", "--subscriber", "Acme"], 2),
    (&["installation", "add", "naïve", "--subscriber", "Acme"], 2),
    (&["installation", "add", "new", "--subscriber", ""], 2),
    (&["installation", "add", "new", "--subscriber", "Acme\u{1b}[31m"], 2),
    (&["installation", "add", "new", "--subscriber", "two\nlines"], 2),
    (&["installation", "add", "new", "--subscriber", "LONG_TEXT"], 2),
    (&["person", "add", "", "--party", "vendor", "--role", "support-engineer"], 2),
    (&["person", "add", "p", "--party", "Vendor", "--role", "support-engineer"], 2),
    (&["person", "add", "p", "--party", "vendor", "--role", "ceo"], 2),
    (
        &[
            "person",
            "add",
            "p",
            "--party",
            "vendor",
            "--role",
            "support-engineer",
            "--login",
            "bad login",
        ],
        2,
    ),
    (&["task", "due", "acme-prod", "infrastructure", "2026-02-30", "--as", "ian"], 2),
    (&["task", "due", "acme-prod", "infrastructure", "2026-02-29", "--as", "ian"], 2),
    (&["task", "due", "acme-prod", "infrastructure", "tomorrow", "--as", "ian"], 2),
    (&["task", "due", "acme-prod", "infrastructure", "2026-11-31", "--as", "ian"], 2),
    (&["task", "block", "acme-prod", "infrastructure", "--reason", "", "--as", "ian"], 2),
    (&["task", "block", "acme-prod", "infrastructure", "--reason", "   ", "--as", "ian"], 2),
    (&["task", "comment", "acme-prod", "infrastructure", "", "--as", "ian"], 2),
    (&["task", "comment", "acme-prod", "infrastructure", "bell\u{7}", "--as", "ian"], 2),
    (&["task", "start", "acme-prod", "infrastructure", "--as", ""], 2),
    (&["task", "start", "acme-prod", "infrastructure"], 2),
    (
        &[
            "handover",
            "record",
            "acme-prod",
            "--held-on",
            "2026-11-01",
            "--minutes",
            "-90",
            "--attendee",
            "carol",
            "--topic",
            "backup",
            "--as",
            "carol",
        ],
        2,
    ),
    (
        &[
            "handover",
            "record",
            "acme-prod",
            "--held-on",
            "2026-11-01",
            "--minutes",
            "ninety",
            "--attendee",
            "carol",
            "--topic",
            "backup",
            "--as",
            "carol",
        ],
        2,
    ),
    (
        &[
            "handover",
            "record",
            "acme-prod",
            "--held-on",
            "2026-11-01",
            "--minutes",
            "95",
            "--attendee",
            "carol",
            "--topic",
            "lunch",
            "--as",
            "carol",
        ],
        2,
    ),
    (&["backups", "record", "acme-prod", "--taken-on", "2027-01-01", "--as", "ian"], 2),
    (
        &[
            "ticket",
            "open",
            "acme-prod",
            "T-1",
            "--severity",
            "blocker",
            "--environment",
            "production",
            "--summary",
            "x",
            "--as",
            "ian",
        ],
        2,
    ),
    (
        &[
            "ticket",
            "open",
            "acme-prod",
            "T-1",
            "--severity",
            "high",
            "--environment",
            "staging",
            "--summary",
            "x",
            "--as",
            "ian",
        ],
        2,
    ),
    (&["update", "step", "acme-prod", "0", "snapshot", "--as", "ian"], 2),
    (&["update", "step", "acme-prod", "-1", "snapshot", "--as", "ian"], 2),
    (&["update", "step", "acme-prod", "99999999999999999999", "snapshot", "--as", "ian"], 2),
    (&["report", "stale-backups", "--older-than", "-3"], 2),
    (&["report", "outstanding", "--party", "auditor"], 2),
    (&["status", "acme-prod", "--format", "yaml"], 2),
    (&["status", "acme-prod", "--no-such-flag"], 2),
    (&["nonsense"], 2),
    (&["task", "start", "acme-prod", "", "--as", "ian"], 2),
    (
        &["task", "comment", "acme-prod", "infrastructure", "line\u{2028}separator", "--as", "ian"],
        2,
    ),
    (
        &[
            "task",
            "comment",
            "acme-prod",
            "infrastructure",
            "right-to-left \u{202e}override",
            "--as",
            "ian",
        ],
        2,
    ),
    (&["task", "due", "acme-prod", "infrastructure", "1999-12-31", "--as", "ian"], 2),
    (
        &[
            "person",
            "add",
            "p",
            "--party",
            "vendor",
            "--role",
            "support-engineer",
            "--login",
            "no-such-account-here",
        ],
        2,
    ),
    (&["checklist", "check", "acme-prod", "infrastructure", "bad item!", "--as", "ian"], 2),
    (&["task", "comment", "acme-prod", "infrastructure", "carriage\rreturn", "--as", "ian"], 2),
    (
        &[
            "person",
            "add",
            "IAN",
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
    ),
    (&["installation", "add", "ACME-PROD", "--subscriber", "Acme", "--as", "carol"], 5),
    (&["status", "acme-prod", "--db", "/tmp/"], 2),
    (&["task", "start", "acme-prod", "infrastructure", "--as", "nobody"], 4),
    (&["task", "start", "no-such", "infrastructure", "--as", "ian"], 4),
    (&["task", "start", "acme-prod", "no-such", "--as", "ian"], 4),
    (&["installation", "add", "acme-prod", "--subscriber", "Acme", "--as", "carol"], 5),
    (&["task", "start", "acme-prod", "infrastructure", "--as", "gina"], 4),
];

#[test]
fn bad_input_is_refused_before_it_reaches_storage() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["db", "check"]);
    let wal = env.db().with_extension("db-wal");
    let bytes = || (std::fs::read(env.db()).expect("db"), std::fs::read(&wal).ok());
    let before = bytes();
    let long_id = "x".repeat(65);
    let long_text = "y".repeat(2001);
    for (args, code) in BAD_INPUTS {
        let args: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "LONG_ID" => long_id.as_str(),
                "LONG_TEXT" => long_text.as_str(),
                other => other,
            })
            .collect();
        let err = env.refused(&args, *code);
        assert!(!err.trim_end().contains(['\r', '\u{1b}']), "raw control characters in {err:?}");
        assert!(before == bytes(), "raci {args:?} changed the database file");
    }
    eprintln!("bad inputs tried: {}", BAD_INPUTS.len());
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .expect("this test runs as a named user")
}

#[test]
fn a_person_bound_to_an_os_account_acts_only_from_it() {
    let env = TestEnv::with_people_and_installations();
    let me = me();
    let other = if me == "nobody" { "root" } else { "nobody" };
    env.ok(&[
        "person",
        "add",
        "bound-me",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Acme",
        "--login",
        &me,
        "--as",
        "carol",
    ]);
    env.ok(&[
        "person",
        "add",
        "bound-other",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Acme",
        "--login",
        other,
        "--as",
        "carol",
    ]);
    let people = env.json(&["person", "list"]);
    let bound = people
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["handle"] == "bound-other")
        .cloned()
        .expect("person");
    assert_eq!(bound["login"], other);

    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "bound-me"]);
    let err = env.refused(
        &["task", "block", "acme-prod", "infrastructure", "--reason", "x", "--as", "bound-other"],
        3,
    );
    assert!(err.contains(other), "{err}");
    // Neither RACI_AS nor USER nor LOGNAME stands in for the real user ID.
    let run = env
        .command(&["task", "block", "acme-prod", "infrastructure", "--reason", "x"])
        .env("RACI_AS", "bound-other")
        .env("USER", other)
        .env("LOGNAME", other)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(3));
    // Unbound people act as before; bound ones administer only from their account too.
    env.ok(&["task", "comment", "acme-prod", "infrastructure", "still works", "--as", "ian"]);
    env.refused(&["installation", "add", "x1", "--subscriber", "Acme", "--as", "bound-other"], 3);
}

#[test]
fn a_write_whose_output_fails_is_still_recorded_once_and_succeeds() {
    let env = TestEnv::with_people_and_installations();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let out = env
        .command(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"])
        .stdout(full)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.starts_with("warning: the change was recorded"), "{stderr}");
    let starts = env
        .json(&["log", "acme-prod"])
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "start")
        .count();
    assert_eq!(starts, 1);
}
