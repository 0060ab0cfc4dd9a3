//! The database file: who creates it, reading one this user cannot write,
//! and backups that replace their destination whole.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use rusqlite::Connection;

use crate::common::{Run, TestEnv};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Asserts a refusal's exit code and its single `error:` line; returns it.
fn one_error(run: &Run, code: i32, what: &str) -> String {
    assert_eq!(run.code, code, "{what} exited {}: {}{}", run.code, run.stdout, run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.len() == 1 && lines[0].starts_with("error: "), "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what} printed {}", run.stdout);
    lines[0].to_string()
}

#[test]
fn commands_that_do_not_create_a_database_refuse_a_missing_one_and_create_nothing() {
    let env = TestEnv::new();
    let dir = env.dir().join("not-yet");
    let db = dir.join("raci.db");
    let backup = env.dir().join("copy.db");
    for args in [
        &["status", "acme-prod"][..],
        &["log", "acme-prod"],
        &["installation", "list"],
        &["installation", "add", "x", "--subscriber", "Acme", "--as", "carol"],
        &["person", "list"],
        &["matrix"],
        &["report", "outstanding"],
        &["inbox", "--as", "carol"],
        &["task", "start", "x", "infrastructure", "--as", "carol"],
        &["db", "check"],
        &["db", "backup", path(&backup)],
    ] {
        let run: Run = env.command(args).env("RACI_DB", &db).output().expect("runs").into();
        let err = one_error(&run, 6, &format!("{args:?}"));
        assert!(err.contains(path(&db)), "{args:?} names the path: {err}");
        assert!(err.contains("raci init") && err.contains("raci person add"), "{err}");
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
        assert!(!backup.exists(), "{args:?} created the backup");
    }
    // An empty file, or a device, is no database either, and is left as it is.
    let empty = env.dir().join("empty.db");
    std::fs::write(&empty, "").expect("write");
    for db in [empty.as_path(), std::path::Path::new("/dev/null")] {
        let run: Run = env
            .command(&["report", "outstanding"])
            .env("RACI_DB", db)
            .output()
            .expect("runs")
            .into();
        let err = one_error(&run, 6, "an empty file");
        assert!(err.contains("raci init"), "{err}");
    }
    assert_eq!(std::fs::metadata(&empty).expect("still there").len(), 0);
    // Commands without a database are unaffected.
    for args in [&["completions", "bash"][..], &["man"], &["--help"], &["status", "--help"]] {
        let run: Run = env.command(args).env("RACI_DB", &db).output().expect("runs").into();
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    assert!(!dir.exists());
}

#[test]
fn init_demo_and_the_first_person_create_a_missing_database_and_its_directory() {
    let env = TestEnv::new();
    for (n, args) in [
        &["init"][..],
        &["demo", "--installations", "2"],
        &["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"],
    ]
    .into_iter()
    .enumerate()
    {
        let db = env.dir().join(format!("new-{n}/deeper/raci.db"));
        let run: Run = env.command(args).env("RACI_DB", &db).output().expect("runs").into();
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(db.exists(), "{args:?} created {}", db.display());
        env.command(&["installation", "list"]).env("RACI_DB", &db).output().expect("runs");
    }
    // A refused first person leaves no database behind.
    let db = env.dir().join("refused.db");
    let first = ["person", "add", "ian", "--party", "subscriber", "--role", "administrator"];
    let run: Run = env
        .command(&[&first[..], &["--subscriber", "Acme"]].concat())
        .env("RACI_DB", &db)
        .output()
        .expect("runs")
        .into();
    assert_eq!(run.code, 5, "{}", run.stderr);
    for suffix in ["", "-wal", "-shm"] {
        assert!(!env.dir().join(format!("refused.db{suffix}")).exists(), "{suffix} left behind");
    }
}

/// A command run by someone who may read the test's files but not write
/// them: as root (CI), the unprivileged `nobody`, whom the files' modes
/// stop (they do not stop root); otherwise this user, whom they stop too.
/// None, after a printed note, when neither can be arranged.
fn restricted(env: &TestEnv, args: &[&str]) -> Option<Run> {
    let mut cmd: Command = env.command(args);
    if nix::unistd::geteuid().is_root() {
        let nobody = nix::unistd::User::from_name("nobody").ok().flatten();
        let Some(nobody) = nobody else {
            assert!(std::env::var_os("CI").is_none(), "CI runs as root with a `nobody` user");
            eprintln!("note: no `nobody` user; the read-only test is skipped");
            return None;
        };
        // std drops the supplementary groups when it changes the user.
        cmd.uid(nobody.uid.as_raw()).gid(nobody.gid.as_raw());
    }
    match cmd.output() {
        Ok(output) => Some(output.into()),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "cannot run raci as nobody: {e}");
            eprintln!("note: cannot run raci as nobody ({e}); the read-only test is skipped");
            None
        }
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

const READS: &[&[&str]] = &[
    &["status", "acme-prod"],
    &["log", "acme-prod"],
    &["person", "list"],
    &["installation", "list"],
    &["report", "outstanding"],
    &["report", "clocks"],
    &["inbox", "--as", "ian"],
    &["matrix"],
    &["db", "check"],
];

/// Every read answers as it does for the owner; a write exits 6, one line
/// saying the database is read-only, and nothing changes.
fn reads_work_and_writes_are_refused(env: &TestEnv) {
    for args in READS {
        let expected = env.ok(args);
        let Some(run) = restricted(env, args) else { return };
        assert_eq!(run.code, 0, "{args:?} on a read-only database: {}", run.stderr);
        assert_eq!(run.stdout, expected, "{args:?}");
    }
    let before = env.snapshot();
    for args in [
        &["task", "start", "acme-prod", "infrastructure", "--as", "ian"][..],
        &["installation", "add", "new", "--subscriber", "Acme", "--as", "carol"],
        &["inbox", "ack", "--as", "ian"],
    ] {
        let Some(run) = restricted(env, args) else { return };
        let err = one_error(&run, 6, &format!("{args:?}"));
        assert!(err.contains("read-only"), "{err}");
    }
    assert_eq!(before, env.snapshot(), "a refused write changed the database");
}

#[test]
fn a_database_file_this_user_cannot_write_is_read_and_checked_but_not_written() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    chmod(&env.db(), 0o444);
    // The directory is writable, so SQLite may create the WAL's -shm there.
    chmod(env.dir(), 0o777);
    reads_work_and_writes_are_refused(&env);
}

#[test]
fn a_wal_database_in_a_directory_this_user_cannot_write_is_read_and_checked() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let mut shm = env.db().into_os_string();
    shm.push("-shm");
    assert!(!Path::new(&shm).exists(), "a clean close removes the -shm");
    let header = std::fs::read(env.db()).expect("read");
    assert_eq!(header[18..20], [2, 2], "the database is in WAL mode");
    chmod(&env.db(), 0o444);
    chmod(env.dir(), 0o555);
    reads_work_and_writes_are_refused(&env);
    chmod(env.dir(), 0o755);
    let Some(run) = restricted(&env, &["db", "check"]) else { return };
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_read_only_database_at_an_older_schema_is_refused_as_unmigratable() {
    let env = TestEnv::with_people_and_installations();
    let latest: i64 = {
        let conn = Connection::open(env.db()).expect("open");
        let v = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
        conn.pragma_update(None, "user_version", v - 1).expect("set version");
        v
    };
    assert!(latest > 1);
    chmod(&env.db(), 0o444);
    chmod(env.dir(), 0o555);
    let before = std::fs::read(env.db()).expect("read");
    let Some(run) = restricted(&env, &["status", "acme-prod"]) else { return };
    let err = one_error(&run, 6, "status");
    assert!(err.contains("read-only") && err.contains("migrat"), "{err}");
    assert_eq!(before, std::fs::read(env.db()).expect("read"), "file bytes unchanged");
}

fn events_in(db: &Path) -> i64 {
    Connection::open(db)
        .expect("open")
        .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
        .expect("count")
}

fn side_files(db: &Path) -> Vec<String> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| format!("{}{s}", db.display()))
        .filter(|p| Path::new(p).exists())
        .collect()
}

#[test]
fn a_backup_replaces_its_file_whole_out_of_wal_mode_and_leaves_no_side_files() {
    let env = TestEnv::with_people_and_installations();
    let dir = env.dir().join("backups");
    std::fs::create_dir(&dir).expect("mkdir");
    let file = dir.join("raci-backup.db");
    env.ok(&["db", "backup", path(&file)]);
    let first = events_in(&file);
    // A hard link to the old copy keeps the old copy: the new one is renamed in.
    let link = dir.join("yesterday.db");
    std::fs::hard_link(&file, &link).expect("link");
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    // Stale side files of the destination do not survive (nor get replayed).
    for side in ["-wal", "-shm"] {
        std::fs::write(format!("{}{side}", file.display()), "stale").expect("write");
    }
    let out = env.ok(&["db", "backup", path(&file)]);
    assert!(out.contains("sound"), "{out}");
    assert_eq!(events_in(&link), first, "the hard link was written through");
    assert_eq!(events_in(&file), first + 1);
    let header = std::fs::read(&file).expect("read");
    assert_eq!(header[18..20], [1, 1], "the copy is in rollback-journal mode, not WAL");
    assert!(side_files(&file).is_empty(), "{:?}", side_files(&file));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["raci-backup.db", "yesterday.db"], "no temporary file is left");
    // The copy is a working raci database.
    let run: Run =
        env.command(&["person", "list"]).env("RACI_DB", &file).output().expect("runs").into();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_backup_does_not_replace_a_file_that_is_not_a_raci_database() {
    let env = TestEnv::with_people_and_installations();
    let list = env.dir().join("shopping.txt");
    std::fs::write(&list, "milk\neggs\n".repeat(100)).expect("write");
    let other = env.dir().join("other.sqlite");
    Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);"))
        .expect("another program's database");
    for file in [&list, &other] {
        let before = std::fs::read(file).expect("read");
        let err = env.refused(&["db", "backup", path(file)], 5);
        assert!(err.contains("not a raci database"), "{err}");
        assert_eq!(before, std::fs::read(file).expect("read"), "{} unchanged", file.display());
    }
    // An empty file may be replaced, and so may an older backup.
    let empty = env.dir().join("empty.db");
    std::fs::write(&empty, "").expect("write");
    env.ok(&["db", "backup", path(&empty)]);
    env.ok(&["db", "backup", path(&empty)]);
    // The database itself, under its own name or through a hard link, is refused.
    env.refused(&["db", "backup", path(&env.db())], 2);
    let alias = env.dir().join("alias.db");
    std::fs::hard_link(env.db(), &alias).expect("link");
    env.refused(&["db", "backup", path(&alias)], 2);
    // So are the files SQLite keeps beside it, which it would delete.
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = env.dir().join(format!("raci.db{suffix}"));
        let existed = side.exists();
        env.refused(&["db", "backup", path(&side)], 2);
        assert_eq!(side.exists(), existed);
    }
}
