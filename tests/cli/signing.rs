//! Signed steps (issue 12), with the real OpenSSH tools: keys made by
//! `ssh-keygen`, steps signed online through `--sign-with` (a key file, or a
//! public key whose private half is in a test-started `ssh-agent`) and
//! offline with plain `ssh-keygen -Y sign`, and every stored signature
//! checked again with `ssh-keygen -Y verify` against `raci person
//! allowed-signers`, as an auditor without raci would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;

use crate::common::{Run, TestEnv};
use crate::remote::Server;

/// The SSH signature namespace of a raci step.
const NS: &str = "raci-step@v1";

/// Whether `ssh-keygen` runs here. Without it a test is skipped with a note,
/// except under CI, where the signing tests must run.
fn ssh_keygen_here() -> bool {
    let found = Command::new("ssh-keygen")
        .arg("-?")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if found {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "ssh-keygen is not installed and CI is set: the signed-steps tests must run under CI"
    );
    eprintln!("note: ssh-keygen is not installed; skipping this signed-steps test");
    false
}

macro_rules! need_ssh_keygen {
    () => {
        if !ssh_keygen_here() {
            return;
        }
    };
}

/// The test's own PATH, for raci to find `ssh-keygen`.
fn path() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string())
}

/// Runs `ssh-keygen` with `args`; it must succeed.
fn ssh_keygen(args: &[&str]) -> String {
    let out = Command::new("ssh-keygen").args(args).output().expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A key pair made by `ssh-keygen` in the test's directory.
struct Key {
    private: PathBuf,
    public: PathBuf,
}

impl Key {
    /// `ssh-keygen -q -t … -N '' -C NAME@test -f DIR/NAME`.
    fn new(env: &TestEnv, name: &str, kind: &[&str]) -> Key {
        let private = env.dir().join(name);
        let comment = format!("{name}@test");
        let mut args = vec!["-q"];
        args.extend(kind);
        args.extend(["-N", "", "-C", &comment, "-f", private.to_str().expect("a UTF-8 path")]);
        ssh_keygen(&args);
        let public = env.dir().join(format!("{name}.pub"));
        Key { private, public }
    }

    fn ed25519(env: &TestEnv, name: &str) -> Key {
        Key::new(env, name, &["-t", "ed25519"])
    }

    fn ecdsa(env: &TestEnv, name: &str) -> Key {
        Key::new(env, name, &["-t", "ecdsa", "-b", "256"])
    }

    fn rsa(env: &TestEnv, name: &str, bits: &str) -> Key {
        Key::new(env, name, &["-t", "rsa", "-b", bits])
    }

    /// The public key line: `TYPE BASE64 COMMENT`.
    fn line(&self) -> String {
        std::fs::read_to_string(&self.public).expect("the .pub file").trim().to_string()
    }

    fn kind(&self) -> String {
        self.line().split_whitespace().next().expect("a type").to_string()
    }

    fn base64(&self) -> String {
        self.line().split_whitespace().nth(1).expect("a base64 blob").to_string()
    }

    fn comment(&self) -> String {
        self.line().split_whitespace().nth(2).expect("a comment").to_string()
    }

    /// The fingerprint as `ssh-keygen -l` prints it: `SHA256:…`.
    fn fingerprint(&self) -> String {
        let out = ssh_keygen(&["-lf", self.public.to_str().expect("a UTF-8 path")]);
        let fp = out.split_whitespace().nth(1).expect("a fingerprint").to_string();
        assert!(fp.starts_with("SHA256:"), "{out}");
        fp
    }

    fn private_arg(&self) -> &str {
        self.private.to_str().expect("a UTF-8 path")
    }

    fn public_arg(&self) -> &str {
        self.public.to_str().expect("a UTF-8 path")
    }
}

/// `raci ARGS` with PATH, so that raci finds `ssh-keygen`.
fn raci(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = env.command(args);
    cmd.env("PATH", path());
    cmd
}

/// `raci --sign-with KEY ARGS` (the key file given on the command line).
fn signed(env: &TestEnv, key: &str, args: &[&str]) -> Command {
    let mut all = vec!["--sign-with", key];
    all.extend(args);
    raci(env, &all)
}

fn run(mut cmd: Command) -> Run {
    cmd.output().expect("raci runs").into()
}

/// Runs a command that must succeed; returns its stdout.
fn ok(cmd: Command) -> String {
    let what = format!("{:?}", cmd.get_args().collect::<Vec<_>>());
    let run = run(cmd);
    assert_eq!(
        run.code, 0,
        "raci {what} failed with {}:\nstdout: {}\nstderr: {}",
        run.code, run.stdout, run.stderr
    );
    run.stdout
}

/// Runs a command that must be refused with `code`: one `error:` line on
/// stderr, nothing on stdout, and the database (the log included) exactly
/// as it was. Returns the error line.
fn refuse(env: &TestEnv, cmd: Command, code: i32) -> String {
    refuse_where(env, cmd, code, true)
}

/// [`refuse`] against a server, which notes a token's last use (not ledger
/// state): the logs, not every table, must be as they were.
fn refuse_remote(env: &TestEnv, cmd: Command, code: i32) -> String {
    refuse_where(env, cmd, code, false)
}

fn refuse_where(env: &TestEnv, cmd: Command, code: i32, every_table: bool) -> String {
    let what = format!("{:?}", cmd.get_args().collect::<Vec<_>>());
    let snapshot = || if every_table { env.snapshot() } else { String::new() };
    let before = snapshot();
    let logs_before = logs(env);
    let run = run(cmd);
    assert_eq!(
        run.code, code,
        "raci {what} exited {} (expected {code}):\nstdout: {}\nstderr: {}",
        run.code, run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line for {what}, got: {}", run.stderr);
    assert!(lines[0].starts_with("error: "), "stderr of {what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout of refused {what}: {}", run.stdout);
    assert_eq!(logs_before, logs(env), "raci {what} was refused but changed a log");
    assert_eq!(before, snapshot(), "raci {what} was refused but changed the database");
    run.stderr
}

/// Both installations' logs, as JSON text.
fn logs(env: &TestEnv) -> String {
    ["acme-prod", "globex-prod"]
        .iter()
        .map(|inst| env.run(&["log", inst, "--format", "json"]).stdout)
        .collect()
}

fn log(env: &TestEnv, inst: &str) -> Vec<Value> {
    env.json(&["log", inst]).as_array().cloned().expect("log is an array")
}

/// The events of `inst`'s log that carry a signature.
fn signed_events(env: &TestEnv, inst: &str) -> Vec<Value> {
    log(env, inst).into_iter().filter(|e| e["signature"].is_string()).collect()
}

/// The last event of `inst` with this action on this task.
fn event(env: &TestEnv, inst: &str, action: &str, task: &str) -> Value {
    log(env, inst)
        .into_iter()
        .rev()
        .find(|e| e["action"] == action && e["task"] == task)
        .unwrap_or_else(|| panic!("no {action} of {task} in the log of {inst}"))
}

fn allowed_signers(env: &TestEnv, all: bool) -> String {
    let mut args = vec!["person", "allowed-signers"];
    if all {
        args.push("--all");
    }
    env.ok(&args)
}

/// `ssh-keygen -Y verify -f ALLOWED -I PRINCIPAL -n NAMESPACE -s SIG [EXTRA]
/// < STATEMENT`: whether it says the signature is good.
fn verifies_in(
    dir: &Path,
    allowed: &str,
    principal: &str,
    namespace: &str,
    statement: &[u8],
    signature: &str,
    extra: &[&str],
) -> bool {
    let scratch = tempfile::tempdir_in(dir).expect("a scratch dir");
    let allowed_path = scratch.path().join("allowed_signers");
    let sig_path = scratch.path().join("statement.sig");
    std::fs::write(&allowed_path, allowed).expect("write allowed_signers");
    std::fs::write(&sig_path, signature).expect("write the signature");
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed_path)
        .args(["-I", principal, "-n", namespace, "-s"])
        .arg(&sig_path)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-keygen runs");
    child.stdin.take().expect("stdin").write_all(statement).expect("feed the statement");
    child.wait().expect("ssh-keygen ends").success()
}

/// Whether a log event's stored signature verifies for `principal`.
fn event_verifies(env: &TestEnv, e: &Value, allowed: &str, principal: &str) -> bool {
    let statement = e["statement"].as_str().unwrap_or_else(|| panic!("a statement in {e}"));
    let signature = e["signature"].as_str().unwrap_or_else(|| panic!("a signature in {e}"));
    verifies_in(env.dir(), allowed, principal, NS, statement.as_bytes(), signature, &[])
}

/// `ssh-keygen -Y sign -n NAMESPACE -f KEY FILE`, as a signer without raci
/// would run it: writes FILE.sig.
fn sign_file(key: &Key, namespace: &str, file: &Path) -> PathBuf {
    let sig = PathBuf::from(format!("{}.sig", file.display()));
    let _ = std::fs::remove_file(&sig);
    let out = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", namespace, "-f", key.private_arg()])
        .arg(file)
        .output()
        .expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen -Y sign: {}", String::from_utf8_lossy(&out.stderr));
    assert!(sig.exists(), "ssh-keygen wrote {}", sig.display());
    sig
}

fn add_key(env: &TestEnv, handle: &str, key: &Key, by: &str) {
    env.ok(&["person", "key", "add", handle, &key.line(), "--as", by]);
}

/// `person key list --format json` as `by`, the rows of `handle`.
fn key_rows(env: &TestEnv, handle: &str, by: &str) -> Vec<Value> {
    env.json(&["person", "key", "list", "--as", by])
        .as_array()
        .cloned()
        .expect("key list is an array")
        .into_iter()
        .filter(|r| r["handle"] == handle)
        .collect()
}

/// Acme's administrator, so that Acme can set its own policy.
fn add_acme_admin(env: &TestEnv) {
    env.ok(&[
        "person",
        "add",
        "ada",
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
}

/// acme-prod's infrastructure started, its items checked and submitted by
/// ian, unsigned: ready for the sign-off.
fn infrastructure_submitted(env: &TestEnv) {
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "--all", "--as", "ian"]);
    env.ok(&["task", "submit", "acme-prod", "infrastructure", "--as", "ian"]);
}

/// `raci offline request ARGS`: its stdout, byte for byte, written to
/// DIR/NAME (what the signer signs).
fn offline_request(env: &TestEnv, name: &str, args: &[&str]) -> PathBuf {
    let mut all = vec!["offline", "request"];
    all.extend(args);
    let out = raci(env, &all).output().expect("raci runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "offline request {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = env.dir().join(name);
    std::fs::write(&file, &out.stdout).expect("write the statement");
    file
}

fn apply(env: &TestEnv, statement: &Path, sig: &Path) -> Command {
    let mut cmd = raci(env, &["offline", "apply"]);
    cmd.arg(statement).arg(sig);
    cmd
}

fn sound(env: &TestEnv) {
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 0, "db check: {}{}", run.stdout, run.stderr);
}

// ---------------------------------------------------------------- keys

#[test]
fn a_key_is_added_by_its_owner_or_an_administrator_who_manages_them() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let own = Key::ed25519(&env, "ian-own");
    let by_carol = Key::ed25519(&env, "ian-by-carol");
    let by_ada = Key::ed25519(&env, "ian-by-ada");
    let refused_key = Key::ed25519(&env, "ian-refused");
    // The person themselves.
    add_key(&env, "ian", &own, "ian");
    // The vendor's administrator, while Acme has no administrator of its own.
    add_key(&env, "ian", &by_carol, "carol");
    // Anyone else: the vendor's support engineer, Acme's developer.
    for who in ["sam", "dev"] {
        refuse(
            &env,
            raci(&env, &["person", "key", "add", "ian", &refused_key.line(), "--as", who]),
            3,
        );
    }
    // Once Acme has an administrator, only Acme's administrators manage ian.
    add_acme_admin(&env);
    refuse(
        &env,
        raci(&env, &["person", "key", "add", "ian", &refused_key.line(), "--as", "carol"]),
        3,
    );
    add_key(&env, "ian", &by_ada, "ada");
    // A key is registered once: not twice for ian, nor for anyone else.
    refuse(&env, raci(&env, &["person", "key", "add", "ian", &own.line(), "--as", "ian"]), 5);
    refuse(&env, raci(&env, &["person", "key", "add", "carol", &own.line(), "--as", "carol"]), 5);
    let rows = key_rows(&env, "ian", "ian");
    let mut listed: Vec<String> =
        rows.iter().map(|r| r["fingerprint"].as_str().expect("fingerprint").to_string()).collect();
    listed.sort();
    let mut expected = vec![own.fingerprint(), by_carol.fingerprint(), by_ada.fingerprint()];
    expected.sort();
    assert_eq!(listed, expected);
    // Revoking: the owner, not someone else.
    let fp = own.fingerprint();
    refuse(&env, raci(&env, &["person", "key", "revoke", "ian", &fp, "--as", "dev"]), 3);
    env.ok(&["person", "key", "revoke", "ian", &fp, "--as", "ian"]);
    // No acting person: a write needs one.
    refuse(&env, raci(&env, &["person", "key", "add", "ian", &refused_key.line()]), 2);
    sound(&env);
}

#[test]
fn key_list_prints_fingerprints_as_ssh_keygen_does() {
    need_ssh_keygen!();
    let mut env = TestEnv::with_people_and_installations();
    let ed = Key::ed25519(&env, "ian-ed");
    let ec = Key::ecdsa(&env, "ian-ec");
    add_key(&env, "ian", &ed, "ian");
    env.now = "2026-11-02T10:00:00Z".into();
    add_key(&env, "ian", &ec, "ian");
    let rows = key_rows(&env, "ian", "ian");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (key, added_at) in [(&ed, "2026-11-02T09:00:00Z"), (&ec, "2026-11-02T10:00:00Z")] {
        let row =
            rows.iter().find(|r| r["fingerprint"] == key.fingerprint().as_str()).unwrap_or_else(
                || panic!("{} listed as ssh-keygen -l prints it: {rows:?}", key.fingerprint()),
            );
        for field in ["handle", "fingerprint", "type", "comment", "added_at", "active"] {
            assert!(row.get(field).is_some(), "{field} in {row}");
        }
        assert_eq!(row["handle"], "ian");
        assert_eq!(row["comment"], key.comment().as_str());
        assert_eq!(row["added_at"], added_at);
        assert_eq!(row["active"], true);
        let kind = row["type"].as_str().expect("type").to_lowercase();
        let expected = if key.kind() == "ssh-ed25519" { "ed25519" } else { "ecdsa" };
        assert!(kind.contains(expected), "type of {}: {kind}", key.kind());
    }
    // The table shows the fingerprints too.
    let table = env.ok(&["person", "key", "list", "--wide", "--as", "ian"]);
    assert!(table.contains(&ed.fingerprint()), "{table}");
    // Revoked: still listed, inactive.
    env.now = "2026-11-02T11:00:00Z".into();
    env.ok(&["person", "key", "revoke", "ian", &ed.fingerprint(), "--as", "ian"]);
    let rows = key_rows(&env, "ian", "ian");
    let revoked = rows
        .iter()
        .find(|r| r["fingerprint"] == ed.fingerprint().as_str())
        .expect("a revoked key is still listed");
    assert_eq!(revoked["active"], false);
    assert_eq!(revoked["added_at"], "2026-11-02T09:00:00Z");
    let active =
        rows.iter().find(|r| r["fingerprint"] == ec.fingerprint().as_str()).expect("ecdsa");
    assert_eq!(active["active"], true);
    // Revoking it again, or an unknown fingerprint: refused.
    let again =
        run(raci(&env, &["person", "key", "revoke", "ian", &ed.fingerprint(), "--as", "ian"]));
    assert_ne!(again.code, 0, "revoking a revoked key again: {}", again.stdout);
    let stranger = Key::ed25519(&env, "stranger");
    refuse(
        &env,
        raci(&env, &["person", "key", "revoke", "ian", &stranger.fingerprint(), "--as", "ian"]),
        4,
    );
    sound(&env);
}

#[test]
fn rsa_keys_need_3072_bits_and_garbage_is_no_key() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let short = Key::rsa(&env, "ian-rsa2048", "2048");
    let long = Key::rsa(&env, "ian-rsa3072", "3072");
    let err =
        refuse(&env, raci(&env, &["person", "key", "add", "ian", &short.line(), "--as", "ian"]), 2);
    assert!(err.contains("3072"), "names the minimum: {err}");
    add_key(&env, "ian", &long, "ian");
    let rows = key_rows(&env, "ian", "ian");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fingerprint"], long.fingerprint().as_str());
    assert!(rows[0]["type"].as_str().expect("type").to_lowercase().contains("rsa"));
    // A comment is one visible line: it is written into allowed_signers.
    let forged_line = format!(
        "{} {} ian@x\nian namespaces=\"{NS}\" {}",
        long.kind(),
        long.base64(),
        short.line()
    );
    refuse(&env, raci(&env, &["person", "key", "add", "ian", &forged_line, "--as", "ian"]), 2);
    for garbage in ["not a key", "ssh-ed25519 AAAAnotbase64!!! x@y", ""] {
        refuse(&env, raci(&env, &["person", "key", "add", "ian", garbage, "--as", "ian"]), 2);
    }
    sound(&env);
}

#[test]
fn allowed_signers_lists_active_keys_and_with_all_revoked_ones_valid_before() {
    need_ssh_keygen!();
    let mut env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    let carol = Key::ecdsa(&env, "carol-ec");
    let old = Key::ed25519(&env, "carol-old");
    add_key(&env, "ian", &ian, "ian");
    add_key(&env, "carol", &carol, "carol");
    add_key(&env, "carol", &old, "carol");
    env.now = "2026-11-02T10:00:00Z".into();
    env.ok(&["person", "key", "revoke", "carol", &old.fingerprint(), "--as", "carol"]);
    let line = |handle: &str, key: &Key| format!("{handle} namespaces=\"{NS}\" {}", key.line());

    let active = allowed_signers(&env, false);
    let mut lines: Vec<&str> = active.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.sort();
    let mut expected = vec![line("carol", &carol), line("ian", &ian)];
    expected.sort();
    assert_eq!(lines, expected, "{active}");

    let all = allowed_signers(&env, true);
    let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 3, "{all}");
    assert!(lines.contains(&line("ian", &ian).as_str()), "{all}");
    assert!(lines.contains(&line("carol", &carol).as_str()), "{all}");
    let revoked = lines.iter().find(|l| l.contains(&old.base64())).expect("the revoked key");
    assert!(revoked.starts_with("carol "), "{revoked}");
    assert!(revoked.contains(&format!("namespaces=\"{NS}\"")), "{revoked}");
    assert!(revoked.contains("valid-before="), "{revoked}");
    assert!(
        revoked.ends_with(&format!("{} {} {}", old.kind(), old.base64(), old.comment())),
        "{revoked}"
    );
    // ssh-keygen accepts both files: a line it could not parse would fail this.
    let dir = env.dir().join("as-check");
    std::fs::create_dir_all(&dir).expect("dir");
    let msg = dir.join("m");
    std::fs::write(&msg, "hello\n").expect("write");
    let sig = sign_file(&ian, NS, &msg);
    let sig = std::fs::read_to_string(sig).expect("sig");
    for file in [&active, &all] {
        assert!(verifies_in(env.dir(), file, "ian", NS, b"hello\n", &sig, &[]), "{file}");
    }
}

// ---------------------------------------------------------------- online

#[test]
fn ed25519_and_ecdsa_keys_sign_steps_and_the_log_verifies_with_ssh_keygen() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ed = Key::ed25519(&env, "ian-ed");
    let ec = Key::ecdsa(&env, "ian-ec");
    add_key(&env, "ian", &ed, "ian");
    add_key(&env, "ian", &ec, "ian");
    let inst = "acme-prod";
    // --sign-with on the command line, or RACI_SIGN_WITH.
    ok(signed(
        &env,
        ed.private_arg(),
        &["task", "start", inst, "infrastructure", "--note", "VMs ordered", "--as", "ian"],
    ));
    let mut by_env = raci(
        &env,
        &["checklist", "check", inst, "infrastructure", "--all", "--note", "sized", "--as", "ian"],
    );
    by_env.env("RACI_SIGN_WITH", ec.private_arg());
    ok(by_env);
    ok(signed(&env, ec.private_arg(), &["task", "submit", inst, "infrastructure", "--as", "ian"]));
    // A signed step the rules refuse is refused as it would be unsigned.
    refuse(
        &env,
        signed(&env, ec.private_arg(), &["task", "submit", inst, "infrastructure", "--as", "ian"]),
        5,
    );
    refuse(
        &env,
        signed(&env, ec.private_arg(), &["task", "start", inst, "deployment", "--as", "ian"]),
        3,
    );
    ok(signed(
        &env,
        ed.private_arg(),
        &["task", "signoff", inst, "infrastructure", "--note", "all good", "--as", "ian"],
    ));
    assert_eq!(env.state(inst, "infrastructure"), "signed_off");
    // A signed write that records nothing is done all the same.
    ok(signed(&env, ed.private_arg(), &["inbox", "ack", "--as", "ian"]));
    ok(signed(&env, ed.private_arg(), &["inbox", "ack", "--as", "ian"]));

    let allowed = allowed_signers(&env, false);
    let only_ed = format!("ian namespaces=\"{NS}\" {}\n", ed.line());
    let only_ec = format!("ian namespaces=\"{NS}\" {}\n", ec.line());
    let signed_ones = signed_events(&env, inst);
    assert!(signed_ones.len() >= 4, "four signed steps: {signed_ones:?}");
    for e in &signed_ones {
        assert_eq!(e["actor"], "ian", "{e}");
        assert!(event_verifies(&env, e, &allowed, "ian"), "verifies as ian: {e}");
        assert!(!event_verifies(&env, e, &allowed, "carol"), "not as carol: {e}");
    }
    // Each step is signed by the key it was given: the start and sign-off
    // by the ed25519 key, the submit by the ECDSA key.
    let start = event(&env, inst, "start", "infrastructure");
    let submit = event(&env, inst, "submit", "infrastructure");
    let signoff = event(&env, inst, "signoff", "infrastructure");
    for e in [&start, &submit, &signoff] {
        assert!(e["signature"].is_string(), "signed: {e}");
    }
    assert!(event_verifies(&env, &start, &only_ed, "ian"));
    assert!(!event_verifies(&env, &start, &only_ec, "ian"));
    assert!(event_verifies(&env, &submit, &only_ec, "ian"));
    assert!(!event_verifies(&env, &submit, &only_ed, "ian"));
    assert!(event_verifies(&env, &signoff, &only_ed, "ian"));
    // The statement says what was done, notes included.
    let said = |e: &Value| e["statement"].as_str().unwrap_or_default().to_string();
    assert!(said(&start).contains("VMs ordered"), "{}", said(&start));
    assert!(said(&signoff).contains("all good"), "{}", said(&signoff));
    assert!(said(&signoff).contains("acme-prod") && said(&signoff).contains("infrastructure"));
    assert!(serde_json::from_str::<Value>(&said(&signoff)).is_ok(), "a JSON document");
    // Unsigned events say so.
    let added = log(&env, inst).into_iter().next().expect("the installation's first event");
    assert!(added["signature"].is_null() && added["statement"].is_null(), "{added}");
    // The same statement never verifies once edited.
    let edited = said(&signoff).replace("all good", "all bad");
    assert!(!verifies_in(
        env.dir(),
        &allowed,
        "ian",
        NS,
        edited.as_bytes(),
        signoff["signature"].as_str().unwrap_or_default(),
        &[]
    ));
    sound(&env);
}

#[test]
fn sign_with_a_key_that_is_not_one_of_the_actors_active_keys_is_refused() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let mine = Key::ed25519(&env, "ian-ed");
    let revoked = Key::ed25519(&env, "ian-old");
    let carols = Key::ed25519(&env, "carol-ed");
    let nobodys = Key::ecdsa(&env, "nobody-ec");
    add_key(&env, "ian", &mine, "ian");
    add_key(&env, "ian", &revoked, "ian");
    add_key(&env, "carol", &carols, "carol");
    env.ok(&["person", "key", "revoke", "ian", &revoked.fingerprint(), "--as", "ian"]);
    let start = ["task", "start", "acme-prod", "infrastructure", "--as", "ian"];
    for key in [&carols, &nobodys, &revoked] {
        refuse(&env, signed(&env, key.private_arg(), &start), 3);
        let mut by_env = raci(&env, &start);
        by_env.env("RACI_SIGN_WITH", key.private_arg());
        refuse(&env, by_env, 3);
    }
    // No such key file: bad input.
    let missing = env.dir().join("no-such-key");
    refuse(&env, signed(&env, missing.to_str().expect("UTF-8"), &start), 2);
    ok(signed(&env, mine.private_arg(), &start));
    assert_eq!(env.state("acme-prod", "infrastructure"), "in_progress");
    // RACI_SIGN_WITH left set (even to a key raci would refuse) does not
    // disturb reads.
    for read in [
        &["status", "acme-prod"][..],
        &["log", "acme-prod"],
        &["person", "key", "list", "--as", "ian"],
    ] {
        let mut cmd = raci(&env, read);
        cmd.env("RACI_SIGN_WITH", carols.private_arg());
        ok(cmd);
    }
    sound(&env);
}

/// An `ssh-agent` on a socket of the test's directory, killed when dropped.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(env: &TestEnv) -> Agent {
        let sock = env.dir().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let agent = Agent { child, sock };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !agent.sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    fn add(&self, key: &Key) {
        let out = Command::new("ssh-add")
            .arg(&key.private)
            .env("SSH_AUTH_SOCK", &self.sock)
            .output()
            .expect("ssh-add runs");
        assert!(out.status.success(), "ssh-add: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sign_with_a_public_key_signs_through_ssh_agent() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let key = Key::ed25519(&env, "ian-agent");
    add_key(&env, "ian", &key, "ian");
    let agent = Agent::start(&env);
    agent.add(&key);
    // Only the agent holds the private half now.
    std::fs::remove_file(&key.private).expect("remove the private key");
    let mut cmd = signed(
        &env,
        key.public_arg(),
        &[
            "task",
            "start",
            "acme-prod",
            "infrastructure",
            "--note",
            "from the agent",
            "--as",
            "ian",
        ],
    );
    cmd.env("SSH_AUTH_SOCK", &agent.sock);
    ok(cmd);
    let mut cmd =
        raci(&env, &["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    cmd.env("SSH_AUTH_SOCK", &agent.sock).env("RACI_SIGN_WITH", key.public_arg());
    ok(cmd);
    let allowed = allowed_signers(&env, false);
    let start = event(&env, "acme-prod", "start", "infrastructure");
    assert!(event_verifies(&env, &start, &allowed, "ian"), "{start}");
    assert!(start["statement"].as_str().unwrap_or_default().contains("from the agent"));
    let check = event(&env, "acme-prod", "check", "infrastructure");
    assert!(event_verifies(&env, &check, &allowed, "ian"), "{check}");
    sound(&env);
    drop(agent);
}

#[test]
fn a_signature_made_while_its_key_was_active_stays_valid_after_revocation() {
    need_ssh_keygen!();
    let mut env = TestEnv::with_people_and_installations();
    let key = Key::ed25519(&env, "ian-ed");
    let next = Key::ed25519(&env, "ian-next");
    add_key(&env, "ian", &key, "ian");
    add_key(&env, "ian", &next, "ian");
    ok(signed(
        &env,
        key.private_arg(),
        &["task", "start", "acme-prod", "infrastructure", "--as", "ian"],
    ));
    env.now = "2026-11-02T10:00:00Z".into();
    env.ok(&["person", "key", "revoke", "ian", &key.fingerprint(), "--as", "ian"]);
    // db check verifies every stored signature again: still sound.
    sound(&env);
    let start = event(&env, "acme-prod", "start", "infrastructure");
    // Not among the active keys any more…
    let active = allowed_signers(&env, false);
    assert!(!active.contains(&key.base64()), "{active}");
    assert!(!event_verifies(&env, &start, &active, "ian"));
    // …but with --all, valid before its revocation (10:00), not after.
    let all = allowed_signers(&env, true);
    let statement = start["statement"].as_str().expect("statement").as_bytes();
    let signature = start["signature"].as_str().expect("signature");
    assert!(
        verifies_in(
            env.dir(),
            &all,
            "ian",
            NS,
            statement,
            signature,
            &["-Overify-time=20261102093000Z"]
        ),
        "{all}"
    );
    assert!(
        !verifies_in(
            env.dir(),
            &all,
            "ian",
            NS,
            statement,
            signature,
            &["-Overify-time=20261102110000Z"]
        ),
        "valid-before is the revocation: {all}"
    );
    // The revoked key signs nothing more; the other one does.
    refuse(
        &env,
        signed(
            &env,
            key.private_arg(),
            &["task", "comment", "acme-prod", "infrastructure", "late", "--as", "ian"],
        ),
        3,
    );
    ok(signed(
        &env,
        next.private_arg(),
        &["task", "comment", "acme-prod", "infrastructure", "on time", "--as", "ian"],
    ));
    sound(&env);
}

// ---------------------------------------------------------------- offline

#[test]
fn an_offline_statement_signed_with_plain_ssh_keygen_is_applied_once() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let key = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &key, "ian");
    infrastructure_submitted(&env);
    // No --as: anyone may ask for the statement.
    let step = offline_request(
        &env,
        "step.json",
        &["acme-prod", "infrastructure", "signoff", "--for", "ian", "--note", "signed at the site"],
    );
    let text = std::fs::read_to_string(&step).expect("the statement");
    assert!(text.contains("signed at the site"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_ok(), "a JSON document: {text}");
    // Nothing is recorded by asking.
    assert_eq!(env.state("acme-prod", "infrastructure"), "submitted");
    // The signer, without raci.
    let sig = sign_file(&key, NS, &step);
    // Applied by someone who is not the signer: carol carries the file.
    let mut cmd = apply(&env, &step, &sig);
    cmd.args(["--as", "carol"]);
    ok(cmd);
    assert_eq!(env.state("acme-prod", "infrastructure"), "signed_off");
    let signoff = event(&env, "acme-prod", "signoff", "infrastructure");
    assert_eq!(signoff["actor"], "ian", "the signer's step: {signoff}");
    assert_eq!(signoff["note"], "signed at the site");
    assert_eq!(
        signoff["statement"].as_str(),
        Some(text.as_str()),
        "the statement signed, verbatim"
    );
    let carried =
        signoff.as_object().expect("an object").iter().any(|(k, v)| k != "actor" && v == "carol");
    assert!(carried, "the carrier is recorded: {signoff}");
    let allowed = allowed_signers(&env, false);
    assert!(event_verifies(&env, &signoff, &allowed, "ian"), "{signoff}");
    // The same file again: used.
    refuse(&env, apply(&env, &step, &sig), 5);

    // Applied without --as, with a reason: a reject of the configuration.
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    env.ok(&["task", "start", "acme-prod", "configuration", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "configuration", "--all", "--as", "ian"]);
    env.ok(&["task", "submit", "acme-prod", "configuration", "--as", "ian"]);
    let reject = offline_request(
        &env,
        "reject.json",
        &[
            "acme-prod",
            "configuration",
            "reject",
            "--for",
            "ian",
            "--reason",
            "SMTP password expired",
            "--expires-days",
            "3",
        ],
    );
    assert!(std::fs::read_to_string(&reject).expect("statement").contains("SMTP password expired"));
    let sig = sign_file(&key, NS, &reject);
    ok(apply(&env, &reject, &sig));
    assert_eq!(env.state("acme-prod", "configuration"), "in_progress");
    let e = event(&env, "acme-prod", "reject", "configuration");
    assert_eq!(e["actor"], "ian");
    assert_eq!(e["note"], "SMTP password expired");
    assert!(event_verifies(&env, &e, &allowed, "ian"), "{e}");
    sound(&env);
}

#[test]
fn an_offline_statement_is_refused_once_the_task_moved_or_it_expired() {
    need_ssh_keygen!();
    let mut env = TestEnv::with_people_and_installations();
    let key = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &key, "ian");
    infrastructure_submitted(&env);
    let signoff = ["acme-prod", "infrastructure", "signoff", "--for", "ian"];
    // Made for the submitted task; the task moves (rejected, worked on,
    // submitted again): the same state, but no longer the step it followed.
    let stale = offline_request(&env, "stale.json", &signoff);
    let stale_sig = sign_file(&key, NS, &stale);
    env.ok(&[
        "task",
        "reject",
        "acme-prod",
        "infrastructure",
        "--reason",
        "redo storage",
        "--as",
        "ian",
    ]);
    env.ok(&["task", "submit", "acme-prod", "infrastructure", "--as", "ian"]);
    assert_eq!(env.state("acme-prod", "infrastructure"), "submitted");
    refuse(&env, apply(&env, &stale, &stale_sig), 5);
    // A comment is a move of the task too.
    let commented = offline_request(&env, "commented.json", &signoff);
    let commented_sig = sign_file(&key, NS, &commented);
    env.ok(&["task", "comment", "acme-prod", "infrastructure", "one more thing", "--as", "ian"]);
    refuse(&env, apply(&env, &commented, &commented_sig), 5);

    // Expiry: valid one day, applied three days later.
    let mut args = signoff.to_vec();
    args.extend(["--expires-days", "1"]);
    let expiring = offline_request(&env, "expiring.json", &args);
    let expiring_sig = sign_file(&key, NS, &expiring);
    let mut args = signoff.to_vec();
    args.extend(["--expires-days", "7"]);
    let fresh = offline_request(&env, "fresh.json", &args);
    let fresh_sig = sign_file(&key, NS, &fresh);
    env.now = "2026-11-05T09:00:00Z".into();
    refuse(&env, apply(&env, &expiring, &expiring_sig), 5);
    // One made at the same time, valid a week, still applies.
    // A step on another task is no move of this one.
    env.ok(&["task", "comment", "acme-prod", "deployment", "planning", "--as", "carol"]);
    ok(apply(&env, &fresh, &fresh_sig));
    assert_eq!(env.state("acme-prod", "infrastructure"), "signed_off");
    sound(&env);
}

#[test]
fn an_offline_signature_by_the_wrong_key_over_the_wrong_text_or_namespace_is_refused() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let key = Key::ed25519(&env, "ian-ed");
    let revoked = Key::ecdsa(&env, "ian-revoked");
    let carols = Key::ed25519(&env, "carol-ed");
    add_key(&env, "ian", &key, "ian");
    add_key(&env, "ian", &revoked, "ian");
    add_key(&env, "carol", &carols, "carol");
    infrastructure_submitted(&env);
    let request = |name: &str| {
        offline_request(
            &env,
            name,
            &[
                "acme-prod",
                "infrastructure",
                "signoff",
                "--for",
                "ian",
                "--note",
                "checked on site",
            ],
        )
    };

    // By a key revoked since.
    let step = request("revoked.json");
    let sig = sign_file(&revoked, NS, &step);
    env.ok(&["person", "key", "revoke", "ian", &revoked.fingerprint(), "--as", "ian"]);
    refuse(&env, apply(&env, &step, &sig), 3);

    // By another person's (active) key.
    let step = request("carols.json");
    let sig = sign_file(&carols, NS, &step);
    refuse(&env, apply(&env, &step, &sig), 3);

    // Over a statement edited after signing.
    let step = request("edited.json");
    let sig = sign_file(&key, NS, &step);
    let text = std::fs::read_to_string(&step).expect("statement");
    assert!(text.contains("checked on site"));
    std::fs::write(&step, text.replace("checked on site", "never checked")).expect("edit");
    refuse(&env, apply(&env, &step, &sig), 3);

    // In another namespace.
    let step = request("namespace.json");
    let sig = sign_file(&key, "other@v1", &step);
    refuse(&env, apply(&env, &step, &sig), 3);

    // A signature of one statement over another.
    let one = request("one.json");
    let other = request("other.json");
    let sig_of_one = sign_file(&key, NS, &one);
    refuse(&env, apply(&env, &other, &sig_of_one), 3);

    // And a sound one goes through: the refusals were about the signature.
    let sig = sign_file(&key, NS, &other);
    ok(apply(&env, &other, &sig));
    assert_eq!(env.state("acme-prod", "infrastructure"), "signed_off");
    sound(&env);
}

// ---------------------------------------------------------------- policy

#[test]
fn the_policy_is_turned_on_only_by_an_administrator_with_an_active_key() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ians = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ians, "ian");
    let on = |who: &str| raci(&env, &["policy", "require-signatures", "on", "--as", who]);
    // No key yet.
    refuse(&env, on("ada"), 5);
    // Not an administrator.
    refuse(&env, on("ian"), 3);
    // No acting person.
    refuse(&env, raci(&env, &["policy", "require-signatures", "on"]), 2);
    // With a revoked key only: still no active key.
    add_key(&env, "ada", &ada, "ada");
    env.ok(&["person", "key", "revoke", "ada", &ada.fingerprint(), "--as", "ada"]);
    refuse(&env, on("ada"), 5);
    let again = Key::ecdsa(&env, "ada-ec");
    add_key(&env, "ada", &again, "ada");
    ok(on("ada"));
    ok(raci(&env, &["policy", "require-signatures", "off", "--as", "ada"]));
    sound(&env);
}

#[test]
fn with_the_policy_on_unsigned_steps_of_its_people_are_refused() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ada", &ada, "ada");
    add_key(&env, "ian", &ian, "ian");
    env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    let inst = "acme-prod";
    let k = ian.private_arg();
    refuse(&env, raci(&env, &["task", "start", inst, "infrastructure", "--as", "ian"]), 3);
    ok(signed(&env, k, &["task", "start", inst, "infrastructure", "--as", "ian"]));
    refuse(
        &env,
        raci(&env, &["checklist", "check", inst, "infrastructure", "memory", "--as", "ian"]),
        3,
    );
    ok(signed(&env, k, &["checklist", "check", inst, "infrastructure", "--all", "--as", "ian"]));
    ok(signed(&env, k, &["task", "submit", inst, "infrastructure", "--as", "ian"]));
    // The engineer's unsigned sign-off: refused, and nothing changes.
    let err =
        refuse(&env, raci(&env, &["task", "signoff", inst, "infrastructure", "--as", "ian"]), 3);
    assert!(err.to_lowercase().contains("sign"), "says a signature is needed: {err}");
    ok(signed(&env, k, &["task", "signoff", inst, "infrastructure", "--as", "ian"]));
    assert_eq!(env.state(inst, "infrastructure"), "signed_off");

    // The vendor's and Globex's people are not under Acme's policy.
    env.ok(&["task", "start", inst, "deployment", "--as", "carol"]);
    env.ok(&["task", "start", "globex-prod", "infrastructure", "--as", "gina"]);
    // Never blocked: key management, inbox ack, administration, the policy itself.
    let spare = Key::ecdsa(&env, "ian-spare");
    add_key(&env, "ian", &spare, "ian");
    env.ok(&["inbox", "ack", "--as", "ian"]);
    env.ok(&["person", "set", "ian", "--name", "Ian Infra", "--as", "ada"]);
    env.ok(&["policy", "require-signatures", "off", "--as", "ada"]);
    env.ok(&["task", "comment", inst, "infrastructure", "unsigned again", "--as", "ian"]);
    sound(&env);
}

/// A history of acme-prod's infrastructure up to ian's signed submit, with
/// Acme's policy on or off.
fn submitted_under_policy(policy: bool) -> TestEnv {
    let env = TestEnv::with_people_and_installations();
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ada", &ada, "ada");
    add_key(&env, "ian", &ian, "ian");
    if policy {
        env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    }
    let k = ian.private_arg();
    ok(signed(&env, k, &["task", "start", "acme-prod", "infrastructure", "--as", "ian"]));
    ok(signed(
        &env,
        k,
        &["checklist", "check", "acme-prod", "infrastructure", "--all", "--as", "ian"],
    ));
    ok(signed(&env, k, &["task", "submit", "acme-prod", "infrastructure", "--as", "ian"]));
    sound(&env);
    env
}

/// With the sqlite3 shell (rusqlite here): an unsigned sign-off of
/// acme-prod's infrastructure appended in ian's name after his submit, the
/// task row moved to match, and the hash chain recomputed so that it holds.
/// Returns the forged event's id.
fn append_unsigned_signoff(env: &TestEnv) -> i64 {
    use raci::store::ledger::event_hash;
    use raci::store::{Event, IfMissing, Store};

    let mut store = Store::open(&env.db(), IfMissing::Refuse).expect("open the store");
    let events = store.read(|tx| tx.events("acme-prod")).expect("acme-prod's events");
    drop(store);
    let submit = events.last().expect("an event").clone();
    assert_eq!(submit.action, "submit", "{submit:?}");
    let conn = Connection::open(env.db()).expect("open");
    let (last_id, prev): (i64, String) = conn
        .query_row("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the ledger's head");
    assert_eq!(last_id, submit.id, "the submit is the ledger's last event");
    let data = submit
        .data
        .as_deref()
        .expect("a typed change")
        .replace("\"state\":\"submitted\"", "\"state\":\"signed_off\"");
    assert!(data.contains("signed_off"), "{data}");
    let forged = Event {
        id: last_id + 1,
        installation: submit.installation.clone(),
        at: submit.at.clone(),
        actor: submit.actor.clone(),
        party: submit.party,
        role: submit.role,
        action: "signoff".to_string(),
        task: submit.task.clone(),
        from: Some("submitted".to_string()),
        to: Some("signed_off".to_string()),
        note: None,
        cycle: None,
        ticket: None,
        format: submit.format,
        data: Some(data.clone()),
        ..Default::default()
    };
    let hash = event_hash(&prev, &forged).expect("hash");
    conn.execute(
        "INSERT INTO event (id, installation_id, at, actor, party, role, action, task,
                            from_state, to_state, note, cycle, ticket, prev_hash, hash,
                            format, data, channel, token_id)
         SELECT ?1, installation_id, at, actor, party, role, 'signoff', task,
                'submitted', 'signed_off', NULL, NULL, NULL, ?2, ?3, format, ?4, channel, NULL
         FROM event WHERE id = ?5",
        rusqlite::params![forged.id, prev, hash, data, last_id],
    )
    .expect("append the forged event");
    conn.execute(
        "UPDATE task SET state = 'signed_off', since = ?1
         WHERE installation_id = 'acme-prod' AND task_key = 'infrastructure'",
        [&forged.at],
    )
    .expect("move the task row");
    forged.id
}

#[test]
fn db_check_names_a_step_appended_without_the_signature_the_policy_required() {
    need_ssh_keygen!();
    // The forgery itself is sound where no policy asks for a signature: the
    // chain and the tables agree.
    let control = submitted_under_policy(false);
    append_unsigned_signoff(&control);
    assert_eq!(control.state("acme-prod", "infrastructure"), "signed_off");
    sound(&control);

    let env = submitted_under_policy(true);
    refuse(&env, raci(&env, &["task", "signoff", "acme-prod", "infrastructure", "--as", "ian"]), 3);
    let forged = append_unsigned_signoff(&env);
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 6, "db check: {}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    assert!(lines[0].contains(&format!("event {forged}")), "names event {forged}: {}", run.stderr);
    assert!(lines[0].to_lowercase().contains("sign"), "says what is missing: {}", run.stderr);
    // The policy then in force counts: turning it off later excuses nothing.
    env.ok(&["policy", "require-signatures", "off", "--as", "ada"]);
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 6, "db check: {}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(&format!("event {forged}")), "{}", run.stderr);
}

// ---------------------------------------------------------------- export

#[test]
fn export_signatures_writes_files_that_ssh_keygen_verifies_alone() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    let carol = Key::ecdsa(&env, "carol-ec");
    add_key(&env, "ian", &ian, "ian");
    add_key(&env, "carol", &carol, "carol");
    let inst = "acme-prod";
    let ik = ian.private_arg();
    ok(signed(&env, ik, &["task", "start", inst, "infrastructure", "--as", "ian"]));
    env.ok(&["checklist", "check", inst, "infrastructure", "--all", "--as", "ian"]);
    ok(signed(&env, ik, &["task", "submit", inst, "infrastructure", "--as", "ian"]));
    let step = offline_request(
        &env,
        "step.json",
        &[inst, "infrastructure", "signoff", "--for", "ian", "--note", "offline"],
    );
    let sig = sign_file(&ian, NS, &step);
    ok(apply(&env, &step, &sig));
    ok(signed(
        &env,
        carol.private_arg(),
        &["task", "comment", inst, "deployment", "starting Monday", "--as", "carol"],
    ));
    let signed_log = signed_events(&env, inst);
    assert!(signed_log.len() >= 4, "{signed_log:?}");

    let dir = env.dir().join("signatures");
    std::fs::create_dir(&dir).expect("mkdir");
    ok(raci(&env, &["export", "signatures", inst, dir.to_str().expect("UTF-8")]));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read the export")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let statements: Vec<&String> = names.iter().filter(|n| n.ends_with(".json")).collect();
    assert_eq!(statements.len(), signed_log.len(), "one N.json per signed step: {names:?}");
    assert_eq!(names.len(), 2 * statements.len(), "each with its N.json.sig: {names:?}");
    let allowed = dir.parent().expect("parent").join("allowed_signers");
    std::fs::write(&allowed, allowed_signers(&env, false)).expect("write allowed_signers");
    let mut principals = Vec::new();
    for name in statements {
        let n = name.trim_end_matches(".json");
        assert!(n.parse::<u64>().is_ok(), "N.json: {name}");
        let json = dir.join(name);
        let sig = dir.join(format!("{name}.sig"));
        assert!(sig.exists(), "{name}.sig");
        // Who signed it, as ssh-keygen alone finds out…
        let found = Command::new("ssh-keygen")
            .args(["-Y", "find-principals", "-f"])
            .arg(&allowed)
            .arg("-s")
            .arg(&sig)
            .output()
            .expect("ssh-keygen runs");
        assert!(found.status.success(), "find-principals {name}");
        let principal = String::from_utf8_lossy(&found.stdout).trim().to_string();
        // …and that it holds, file by file.
        let status = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", &principal, "-n", NS, "-s"])
            .arg(&sig)
            .stdin(std::fs::File::open(&json).expect("open N.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("ssh-keygen runs");
        assert!(status.success(), "{name} verifies for {principal}");
        // The file is the statement the log holds.
        let text = std::fs::read_to_string(&json).expect("N.json");
        assert!(
            signed_log.iter().any(|e| e["statement"].as_str() == Some(text.as_str())),
            "{name} is a logged statement"
        );
        principals.push(principal);
    }
    principals.sort();
    principals.dedup();
    assert_eq!(principals, ["carol", "ian"]);
    sound(&env);
}

// ---------------------------------------------------------------- server

#[test]
fn against_a_server_signed_and_offline_steps_are_recorded_with_verifying_signatures() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    let token = |who: &str| {
        env.json(&["token", "create", "--as", who, "--name", "signing"])["token"]
            .as_str()
            .expect("a token")
            .to_string()
    };
    // Acme requires signed steps: the server enforces it too.
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    add_key(&env, "ada", &ada, "ada");
    env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    let ians_token = token("ian");
    let carols_token = token("carol");
    let server = Server::start(&env);
    let remote = |mut cmd: Command, token: &str| {
        cmd.env("RACI_SERVER", &server.url).env("RACI_TOKEN", token);
        cmd
    };
    // Keys through the server: added, listed and the allowed signers as locally.
    let spare = Key::ecdsa(&env, "ian-spare");
    ok(remote(raci(&env, &["person", "key", "add", "ian", &spare.line()]), &ians_token));
    assert_eq!(key_rows(&env, "ian", "ian").len(), 2);
    let listed =
        ok(remote(raci(&env, &["person", "key", "list", "--format", "json"]), &ians_token));
    let local = env.ok(&["person", "key", "list", "--format", "json", "--as", "ian"]);
    assert_eq!(
        serde_json::from_str::<Value>(&listed).expect("JSON"),
        serde_json::from_str::<Value>(&local).expect("JSON")
    );
    let remote_signers = ok(remote(raci(&env, &["person", "allowed-signers"]), &ians_token));
    assert_eq!(remote_signers, allowed_signers(&env, false));
    let inst = "acme-prod";
    refuse_remote(
        &env,
        remote(raci(&env, &["task", "start", inst, "infrastructure"]), &ians_token),
        3,
    );
    // Online, through the server.
    ok(remote(
        signed(
            &env,
            ian.private_arg(),
            &["task", "start", inst, "infrastructure", "--note", "remote start"],
        ),
        &ians_token,
    ));
    ok(remote(
        signed(&env, ian.private_arg(), &["checklist", "check", inst, "infrastructure", "--all"]),
        &ians_token,
    ));
    ok(remote(
        signed(&env, ian.private_arg(), &["task", "submit", inst, "infrastructure"]),
        &ians_token,
    ));
    // Another person's key, through the server: refused, nothing recorded.
    let carols = Key::ed25519(&env, "carol-ed");
    add_key(&env, "carol", &carols, "carol");
    refuse_remote(
        &env,
        remote(
            signed(&env, carols.private_arg(), &["task", "signoff", inst, "infrastructure"]),
            &ians_token,
        ),
        3,
    );
    // Offline: asked for and applied through the server, carried by carol.
    let mut request = raci(
        &env,
        &[
            "offline",
            "request",
            inst,
            "infrastructure",
            "signoff",
            "--for",
            "ian",
            "--note",
            "from the site",
        ],
    );
    request = remote(request, &carols_token);
    let out = request.output().expect("raci runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "remote offline request: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let step = env.dir().join("step.json");
    std::fs::write(&step, &out.stdout).expect("write the statement");
    let sig = sign_file(&ian, NS, &step);
    ok(remote(apply(&env, &step, &sig), &carols_token));
    refuse_remote(&env, remote(apply(&env, &step, &sig), &carols_token), 5);
    assert_eq!(env.state(inst, "infrastructure"), "signed_off");

    let allowed = allowed_signers(&env, false);
    let start = event(&env, inst, "start", "infrastructure");
    let signoff = event(&env, inst, "signoff", "infrastructure");
    for e in [&start, &signoff] {
        assert_eq!(e["actor"], "ian", "{e}");
        assert_eq!(e["channel"], "api", "{e}");
        assert!(event_verifies(&env, e, &allowed, "ian"), "{e}");
    }
    assert!(start["statement"].as_str().unwrap_or_default().contains("remote start"));
    assert_eq!(signoff["statement"].as_str(), Some(String::from_utf8_lossy(&out.stdout).as_ref()));
    assert_eq!(signoff["note"], "from the site");
    // Exported through the server: the same files as locally.
    let (here, there) = (env.dir().join("local-export"), env.dir().join("remote-export"));
    std::fs::create_dir(&here).expect("mkdir");
    std::fs::create_dir(&there).expect("mkdir");
    ok(raci(&env, &["export", "signatures", inst, here.to_str().expect("UTF-8")]));
    ok(remote(
        raci(&env, &["export", "signatures", inst, there.to_str().expect("UTF-8")]),
        &ians_token,
    ));
    let files = |dir: &Path| {
        let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .expect("read")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert!(!files(&here).is_empty());
    assert_eq!(files(&here), files(&there));
    let remote_all = ok(remote(raci(&env, &["person", "allowed-signers", "--all"]), &ians_token));
    assert_eq!(remote_all, allowed_signers(&env, true));
    drop(server);
    sound(&env);
}

// ---------------------------------------------------------------- more of the contract

/// Standard Base64, for building a key blob by hand.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("a Base64 character") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// An SSH wire-format string: its length (u32, big-endian), then its bytes.
fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u32).to_be_bytes());
    out.extend(bytes);
}

#[test]
fn a_hardware_sk_ed25519_key_is_accepted_with_ssh_keygens_fingerprint() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    // No FIDO token here: the public half of an sk-ssh-ed25519 key, built
    // from an ordinary ed25519 key's point (as a token would hold it).
    let plain = Key::ed25519(&env, "plain");
    let blob = base64_decode(&plain.base64());
    let point = &blob[blob.len() - 32..];
    let mut sk = Vec::new();
    ssh_string(&mut sk, b"sk-ssh-ed25519@openssh.com");
    ssh_string(&mut sk, point);
    ssh_string(&mut sk, b"ssh:");
    let line = format!("sk-ssh-ed25519@openssh.com {} ian@token", base64_encode(&sk));
    let public = env.dir().join("ian-sk.pub");
    std::fs::write(&public, format!("{line}\n")).expect("write the .pub");
    // ssh-keygen reads it as a key (so the blob is well made) and prints its fingerprint.
    let out = ssh_keygen(&["-lf", public.to_str().expect("UTF-8")]);
    let fingerprint = out.split_whitespace().nth(1).expect("a fingerprint").to_string();
    assert!(out.contains("ED25519-SK"), "{out}");
    env.ok(&["person", "key", "add", "ian", &line, "--as", "ian"]);
    let rows = key_rows(&env, "ian", "ian");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["fingerprint"], fingerprint.as_str());
    assert_eq!(rows[0]["comment"], "ian@token");
    let allowed = allowed_signers(&env, false);
    assert!(allowed.contains(&format!("ian namespaces=\"{NS}\" {line}")), "{allowed}");
    sound(&env);
}

#[test]
fn the_vendors_policy_covers_the_vendors_people_and_not_administration() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let carol = Key::ed25519(&env, "carol-ed");
    add_key(&env, "carol", &carol, "carol");
    env.ok(&["policy", "require-signatures", "on", "--as", "carol"]);
    // The vendor's steps need a signature…
    let comment =
        ["task", "comment", "acme-prod", "deployment", "starting Monday", "--as", "carol"];
    let err = refuse(&env, raci(&env, &comment), 3);
    assert!(err.contains("vendor"), "names whose policy: {err}");
    ok(signed(&env, carol.private_arg(), &comment));
    // …a subscriber's do not…
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    // …nor does administration, even by the vendor's people.
    env.ok(&["installation", "add", "acme-dev", "--subscriber", "Acme", "--as", "carol"]);
    env.ok(&[
        "person",
        "add",
        "vic",
        "--party",
        "vendor",
        "--role",
        "support-engineer",
        "--as",
        "carol",
    ]);
    env.ok(&["person", "deactivate", "vic", "--reason", "left", "--as", "carol"]);
    let e = event(&env, "acme-prod", "comment", "deployment");
    assert!(event_verifies(&env, &e, &allowed_signers(&env, false), "carol"), "{e}");
    sound(&env);
}

#[test]
fn the_policy_covers_backups_tickets_and_update_cycle_steps() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let inst = "acme-prod";
    env.handed_over(inst, "2026-11-02");
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ian = Key::ecdsa(&env, "ian-ec");
    add_key(&env, "ada", &ada, "ada");
    add_key(&env, "ian", &ian, "ian");
    env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    let k = ian.private_arg();
    let steps: Vec<Vec<&str>> = vec![
        vec!["backups", "record", inst, "--taken-on", "2026-11-02", "--note", "nightly"],
        vec![
            "ticket",
            "open",
            inst,
            "SUP-1",
            "--severity",
            "high",
            "--environment",
            "production",
            "--summary",
            "login slow",
        ],
    ];
    for step in &steps {
        let mut args = step.clone();
        args.extend(["--as", "ian"]);
        refuse(&env, raci(&env, &args), 3);
        ok(signed(&env, k, &args));
    }
    // The vendor is not under Acme's policy.
    env.ok(&["ticket", "resolve", inst, "SUP-1", "--as", "sam"]);
    env.ok(&["update", "start", inst, "--version", "3.2", "--as", "carol"]);
    for step in [
        vec!["ticket", "close", inst, "SUP-1", "--as", "ian"],
        vec!["update", "step", inst, "1", "snapshot", "--as", "ian"],
    ] {
        refuse(&env, raci(&env, &step), 3);
        ok(signed(&env, k, &step));
    }
    let allowed = allowed_signers(&env, false);
    let signed_log = signed_events(&env, inst);
    assert_eq!(signed_log.len(), 4, "backup, ticket open and close, snapshot: {signed_log:?}");
    for e in &signed_log {
        assert_eq!(e["actor"], "ian");
        assert!(event_verifies(&env, e, &allowed, "ian"), "{e}");
    }
    assert!(
        signed_log.iter().any(|e| e["statement"].as_str().unwrap_or_default().contains("nightly")),
        "the backup's note is in its statement"
    );
    sound(&env);
}

#[test]
fn an_offline_statement_follows_the_rules_of_the_person_it_is_for() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let dev = Key::ed25519(&env, "dev-ed");
    add_key(&env, "dev", &dev, "dev");
    infrastructure_submitted(&env);
    // Acme's developer may not sign off the infrastructure (the matrix names
    // its infrastructure engineer): refused when asked for, or when applied.
    let mut request = raci(
        &env,
        &["offline", "request", "acme-prod", "infrastructure", "signoff", "--for", "dev"],
    );
    let before = env.snapshot();
    let out = request.output().expect("raci runs");
    assert_eq!(before, env.snapshot(), "asking records nothing");
    if out.status.code() == Some(0) {
        let step = env.dir().join("dev.json");
        std::fs::write(&step, &out.stdout).expect("write");
        let sig = sign_file(&dev, NS, &step);
        refuse(&env, apply(&env, &step, &sig), 3);
    } else {
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    assert_eq!(env.state("acme-prod", "infrastructure"), "submitted");
    // An unknown person or installation: not found.
    refuse(
        &env,
        raci(
            &env,
            &["offline", "request", "acme-prod", "infrastructure", "signoff", "--for", "zed"],
        ),
        4,
    );
    refuse(
        &env,
        raci(&env, &["offline", "request", "nope", "infrastructure", "signoff", "--for", "ian"]),
        4,
    );
    // Another subscriber's person neither asks for nor carries Acme's steps:
    // to them acme-prod does not exist.
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    let request = ["offline", "request", "acme-prod", "infrastructure", "signoff", "--for", "ian"];
    let mut as_gina = request.to_vec();
    as_gina.extend(["--as", "gina"]);
    refuse(&env, raci(&env, &as_gina), 4);
    let step = offline_request(&env, "ian.json", &request[2..]);
    let sig = sign_file(&ian, NS, &step);
    let mut carried = apply(&env, &step, &sig);
    carried.args(["--as", "gina"]);
    refuse(&env, carried, 4);
    let mut carried = apply(&env, &step, &sig);
    carried.args(["--as", "dev"]);
    ok(carried);
    assert_eq!(env.state("acme-prod", "infrastructure"), "signed_off");
    sound(&env);
}

/// Replaces, with the sqlite3 shell (rusqlite here), the statement and
/// signature stored on the ledger's last event, recomputing its hash so the
/// chain holds: only the signature check can tell.
fn rewrite_last_event(
    env: &TestEnv,
    inst: &str,
    edit: impl FnOnce(&mut raci::store::Event),
) -> i64 {
    use raci::store::ledger::event_hash;
    use raci::store::{IfMissing, Store};

    let mut store = Store::open(&env.db(), IfMissing::Refuse).expect("open the store");
    let events = store.read(|tx| tx.events(inst)).expect("events");
    drop(store);
    let mut last = events.last().expect("an event").clone();
    let conn = Connection::open(env.db()).expect("open");
    let (head, prev): (i64, String) = conn
        .query_row("SELECT id, prev_hash FROM event ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the head");
    assert_eq!(head, last.id, "the installation's last event is the ledger's");
    edit(&mut last);
    let hash = event_hash(&prev, &last).expect("hash");
    conn.execute(
        "UPDATE event SET statement = ?1, signature = ?2, hash = ?3 WHERE id = ?4",
        rusqlite::params![last.statement, last.signature, hash, last.id],
    )
    .expect("rewrite the event");
    last.id
}

#[test]
fn db_check_names_a_stored_signature_that_does_not_verify() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    let k = ian.private_arg();
    ok(signed(
        &env,
        k,
        &["task", "start", "acme-prod", "infrastructure", "--note", "VMs ordered", "--as", "ian"],
    ));
    ok(signed(
        &env,
        k,
        &["task", "comment", "acme-prod", "infrastructure", "sized", "--as", "ian"],
    ));
    sound(&env);
    let start = event(&env, "acme-prod", "start", "infrastructure");
    let start_sig = start["signature"].as_str().expect("signed").to_string();
    let copy = || {
        let conn = Connection::open(env.db()).expect("open");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
        drop(conn);
        let mut other = TestEnv::new();
        other.now.clone_from(&env.now);
        std::fs::copy(env.db(), other.db()).expect("copy");
        other
    };
    let unsound = |env: &TestEnv, id: i64| {
        let run = env.run(&["db", "check"]);
        assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(&format!("event {id}")), "names event {id}: {}", run.stderr);
        assert!(
            run.stderr.contains("signature") || run.stderr.contains("statement"),
            "says what does not hold: {}",
            run.stderr
        );
    };
    // The comment's signature swapped for the start's (a real signature by
    // the same key, over another statement).
    let swapped = copy();
    let id = rewrite_last_event(&swapped, "acme-prod", |e| e.signature = Some(start_sig.clone()));
    unsound(&swapped, id);
    // The comment's statement edited, its signature kept.
    let edited = copy();
    let id = rewrite_last_event(&edited, "acme-prod", |e| {
        e.statement = e.statement.as_ref().map(|s| s.replace("sized", "never sized"));
    });
    unsound(&edited, id);
}

#[test]
fn ecdsa_keys_of_every_size_ssh_keygen_makes_are_accepted() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    for bits in ["256", "384", "521"] {
        let key = Key::new(&env, &format!("ian-ecdsa{bits}"), &["-t", "ecdsa", "-b", bits]);
        let run = run(raci(&env, &["person", "key", "add", "ian", &key.line(), "--as", "ian"]));
        assert_eq!(run.code, 0, "ECDSA {bits}: {}", run.stderr);
        let rows = key_rows(&env, "ian", "ian");
        assert!(rows.iter().any(|r| r["fingerprint"] == key.fingerprint().as_str()), "{rows:?}");
        ok(signed(
            &env,
            key.private_arg(),
            &[
                "task",
                "comment",
                "acme-prod",
                "infrastructure",
                &format!("ECDSA {bits}"),
                "--as",
                "ian",
            ],
        ));
    }
    let allowed = allowed_signers(&env, false);
    let signed_log = signed_events(&env, "acme-prod");
    assert_eq!(signed_log.len(), 3);
    for e in &signed_log {
        assert!(event_verifies(&env, e, &allowed, "ian"), "{e}");
    }
    sound(&env);
}

#[test]
fn a_signed_handover_record_verifies() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    env.ready_for_handover("acme-prod");
    let carol = Key::ed25519(&env, "carol-ed");
    add_key(&env, "carol", &carol, "carol");
    env.ok(&["policy", "require-signatures", "on", "--as", "carol"]);
    let record = crate::common::handover_args(
        "acme-prod",
        "2026-11-02",
        "95",
        &["carol", "ian"],
        &TestEnv::ALL_TOPICS,
        "carol",
    );
    let record = crate::common::strs(&record);
    refuse(&env, raci(&env, &record), 3);
    ok(signed(&env, carol.private_arg(), &record));
    assert_eq!(env.state("acme-prod", "handover"), "signed_off");
    let signed_log = signed_events(&env, "acme-prod");
    assert_eq!(signed_log.len(), 1, "one signed step, on its first event: {signed_log:?}");
    let e = &signed_log[0];
    assert_eq!(e["actor"], "carol");
    assert!(event_verifies(&env, e, &allowed_signers(&env, false), "carol"), "{e}");
    let statement = e["statement"].as_str().unwrap_or_default();
    assert!(statement.contains("handover") && statement.contains("acme-prod"), "{statement}");
    sound(&env);
}

/// A POST to the API with a bearer token: the status and the JSON answer.
fn post(server: &Server, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut res = agent
        .post(format!("{}{path}", server.url))
        .header("Authorization", format!("Bearer {token}"))
        .send_json(body)
        .expect("an answer");
    let status = res.status().as_u16();
    (status, res.body_mut().read_json().unwrap_or(Value::Null))
}

#[test]
fn an_api_client_signs_the_statement_the_server_drafts_and_sends_only_the_signature() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ada", &ada, "ada");
    add_key(&env, "ian", &ian, "ian");
    env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    let token = env.json(&["token", "create", "--as", "ian"])["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let server = Server::start(&env);
    let start = "/api/v1/installations/acme-prod/tasks/infrastructure/start";
    let body = serde_json::json!({"note": "through the API"});
    // Unsigned, under the policy: 403.
    let before = logs(&env);
    let (status, answer) = post(&server, &token, start, &body);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["kind"], "not_permitted", "{answer}");
    // The statement to sign, drafted by the server: nothing is recorded.
    let (status, answer) = post(
        &server,
        &token,
        "/api/v1/statements",
        &serde_json::json!({"path": start, "body": body}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(before, logs(&env), "a draft records nothing");
    let statement = answer["statement"].as_str().expect("the statement").to_string();
    assert!(statement.contains("through the API"), "{statement}");
    let file = env.dir().join("api.json");
    std::fs::write(&file, &statement).expect("write");
    let sig = std::fs::read_to_string(sign_file(&ian, NS, &file)).expect("the signature");
    // That signature on another write (a comment): 403, nothing recorded.
    let comment = "/api/v1/installations/acme-prod/tasks/infrastructure/comment";
    let (status, answer) =
        post(&server, &token, comment, &serde_json::json!({"text": "hi", "signature": sig}));
    assert_eq!(status, 403, "{answer}");
    // With a different note than was signed: 403.
    let (status, answer) = post(
        &server,
        &token,
        start,
        &serde_json::json!({"note": "something else", "signature": sig}),
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(before, logs(&env), "refused writes record nothing");
    // The write, carrying only its signature: recorded, as ian's, signed.
    let (status, answer) = post(
        &server,
        &token,
        start,
        &serde_json::json!({"note": "through the API", "signature": sig}),
    );
    assert!(status == 200 || status == 201, "{status} {answer}");
    let e = event(&env, "acme-prod", "start", "infrastructure");
    assert_eq!(e["actor"], "ian");
    assert_eq!(e["statement"].as_str(), Some(statement.as_str()));
    assert!(event_verifies(&env, &e, &allowed_signers(&env, false), "ian"), "{e}");
    drop(server);
    sound(&env);
}

#[test]
fn db_check_names_a_key_or_policy_row_forged_in_its_table() {
    need_ssh_keygen!();
    let mut env = TestEnv::with_people_and_installations();
    add_acme_admin(&env);
    let ada = Key::ed25519(&env, "ada-ed");
    let ian = Key::ed25519(&env, "ian-ed");
    let old = Key::ed25519(&env, "ian-old");
    add_key(&env, "ada", &ada, "ada");
    add_key(&env, "ian", &ian, "ian");
    add_key(&env, "ian", &old, "ian");
    env.now = "2026-11-02T10:00:00Z".into();
    env.ok(&["person", "key", "revoke", "ian", &old.fingerprint(), "--as", "ian"]);
    env.ok(&["policy", "require-signatures", "on", "--as", "ada"]);
    sound(&env);
    let mallory = Key::ed25519(&env, "mallory");
    let forgeries = [
        "UPDATE policy SET require_signatures = 0".to_string(),
        "DELETE FROM policy".to_string(),
        format!("UPDATE ssh_key SET revoked_at = NULL WHERE fingerprint = '{}'", old.fingerprint()),
        format!("UPDATE ssh_key SET handle = 'dev' WHERE fingerprint = '{}'", ian.fingerprint()),
        format!("DELETE FROM ssh_key WHERE fingerprint = '{}'", ian.fingerprint()),
        format!(
            "INSERT INTO ssh_key SELECT '{}', handle, key_type, '{}', comment, added_at, NULL FROM ssh_key WHERE fingerprint = '{}'",
            mallory.fingerprint(),
            mallory.line(),
            ian.fingerprint()
        ),
    ];
    {
        let conn = Connection::open(env.db()).expect("open");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    }
    for sql in &forgeries {
        let copy = TestEnv::new();
        std::fs::copy(env.db(), copy.db()).expect("copy");
        Connection::open(copy.db()).expect("open copy").execute_batch(sql).expect("forge");
        let run = copy.run(&["db", "check"]);
        assert_eq!(run.code, 6, "{sql}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{sql}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{sql}: {}", run.stderr);
    }
}

#[test]
fn the_log_in_csv_carries_the_statement_and_signature_as_json_does() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    ok(signed(
        &env,
        ian.private_arg(),
        &[
            "task",
            "start",
            "acme-prod",
            "infrastructure",
            "--note",
            "a \"quoted\", note",
            "--as",
            "ian",
        ],
    ));
    let json = log(&env, "acme-prod");
    let csv_text = env.ok(&["log", "acme-prod", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> =
        reader.headers().expect("a header").iter().map(str::to_string).collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let (statement, signature) = (col("statement"), col("signature"));
    let rows: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().expect("well-formed CSV");
    assert_eq!(rows.len(), json.len());
    // A cell starting with `-` (an armored signature) is written with a
    // leading `'`, as the contract says of every CSV cell.
    let cell = |v: &Value| {
        let text = v.as_str().unwrap_or("");
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        }
    };
    let mut signed_rows = 0;
    for (row, e) in rows.iter().zip(&json) {
        assert_eq!(row.get(statement), Some(cell(&e["statement"]).as_str()), "{e}");
        assert_eq!(row.get(signature), Some(cell(&e["signature"]).as_str()), "{e}");
        signed_rows += usize::from(e["signature"].is_string());
    }
    assert_eq!(signed_rows, 1);
}

#[test]
fn an_offline_statement_meets_the_rules_in_force_when_it_is_applied() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    infrastructure_submitted(&env);
    let step = offline_request(
        &env,
        "step.json",
        &["acme-prod", "infrastructure", "signoff", "--for", "ian", "--note", "from the site"],
    );
    let sig = sign_file(&ian, NS, &step);
    // The installation retired since: a write on it is a conflict.
    env.ok(&["installation", "retire", "acme-prod", "--reason", "moved", "--as", "carol"]);
    refuse(&env, apply(&env, &step, &sig), 5);
    env.ok(&["installation", "unretire", "acme-prod", "--as", "carol"]);
    // The signer deactivated since: they can no longer act.
    env.ok(&["person", "deactivate", "ian", "--reason", "on leave", "--as", "carol"]);
    refuse(&env, apply(&env, &step, &sig), 3);
    env.ok(&["person", "reactivate", "ian", "--as", "carol"]);
    // The signer's role changed since: the matrix names the infrastructure engineer.
    env.ok(&["person", "set", "ian", "--role", "application-developer", "--as", "carol"]);
    refuse(&env, apply(&env, &step, &sig), 3);
    env.ok(&["person", "set", "ian", "--role", "infrastructure-engineer", "--as", "carol"]);
    // All as it was: it applies.
    ok(apply(&env, &step, &sig));
    assert_eq!(env.state("acme-prod", "infrastructure"), "signed_off");
    sound(&env);
}

#[test]
fn an_offline_statement_applied_by_several_at_once_is_recorded_once() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    infrastructure_submitted(&env);
    let step = offline_request(
        &env,
        "step.json",
        &["acme-prod", "infrastructure", "signoff", "--for", "ian"],
    );
    let sig = sign_file(&ian, NS, &step);
    let children: Vec<Child> = (0..6)
        .map(|_| {
            apply(&env, &step, &sig)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("raci starts")
        })
        .collect();
    let codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("raci ends").status.code().unwrap_or(-1))
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 5), "the others are conflicts: {codes:?}");
    let signoffs = log(&env, "acme-prod").into_iter().filter(|e| e["action"] == "signoff").count();
    assert_eq!(signoffs, 1);
    sound(&env);
}

/// PRODUCT.md: `person key add`, `person key list` and `person key revoke`,
/// "each by the person themselves or an administrator who may manage them
/// (else exit 3)".
#[test]
fn only_the_person_or_an_administrator_who_manages_them_lists_their_keys() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    for who in ["ian", "carol"] {
        env.ok(&["person", "key", "list", "ian", "--as", who]);
    }
    for who in ["dev", "sam"] {
        refuse(&env, raci(&env, &["person", "key", "list", "ian", "--as", who]), 3);
    }
}

#[test]
fn rsa_keys_longer_than_4096_bits_are_accepted() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    // An 8192-bit RSA public key, built by hand (ssh-keygen takes long to
    // make one): e = 65537, n odd with its top bit set.
    let mut n = vec![0u8];
    n.extend((0..1024u32).map(|i| if i == 0 { 0xC5 } else { (i * 37 % 251) as u8 | 1 }));
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-rsa");
    ssh_string(&mut blob, &[1, 0, 1]);
    ssh_string(&mut blob, &n);
    let line = format!("ssh-rsa {} ian@big", base64_encode(&blob));
    let public = env.dir().join("ian-rsa8192.pub");
    std::fs::write(&public, format!("{line}\n")).expect("write");
    let out = ssh_keygen(&["-lf", public.to_str().expect("UTF-8")]);
    assert!(out.starts_with("8192 SHA256:"), "ssh-keygen reads an 8192-bit RSA key: {out}");
    let run = run(raci(&env, &["person", "key", "add", "ian", &line, "--as", "ian"]));
    assert_eq!(run.code, 0, "RSA 8192 (the contract: RSA of at least 3072 bits): {}", run.stderr);
}

/// A signed command of several events (two checklist items): the host moves
/// the second event to another person, the checklist row with it, and
/// recomputes the hash chain so it holds. The statement covers every event
/// of the command, so `db check` names the event the signature no longer
/// holds for.
#[test]
fn db_check_names_a_later_event_of_a_signed_command_given_to_someone_else() {
    use raci::store::ledger::event_hash;
    use raci::store::{IfMissing, Store};

    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    ok(signed(
        &env,
        ian.private_arg(),
        &["task", "start", "acme-prod", "infrastructure", "--as", "ian"],
    ));
    ok(signed(
        &env,
        ian.private_arg(),
        &["checklist", "check", "acme-prod", "infrastructure", "memory", "storage", "--as", "ian"],
    ));
    sound(&env);
    let mut store = Store::open(&env.db(), IfMissing::Refuse).expect("open the store");
    let events = store.read(|tx| tx.events("acme-prod")).expect("events");
    drop(store);
    let first = &events[events.len() - 2];
    assert!(first.signature.is_some() && first.statement.is_some(), "{first:?}");
    let mut last = events.last().expect("an event").clone();
    assert!(last.signature.is_none(), "only the command's first event carries it");
    let conn = Connection::open(env.db()).expect("open");
    let prev: String = conn
        .query_row("SELECT prev_hash FROM event WHERE id = ?1", [last.id], |r| r.get(0))
        .expect("its link");
    last.actor = Some("dev".into());
    last.role = Some("application-developer".parse().expect("a role"));
    let hash = event_hash(&prev, &last).expect("hash");
    conn.execute(
        "UPDATE event SET actor = 'dev', role = 'application-developer', hash = ?1 WHERE id = ?2",
        rusqlite::params![hash, last.id],
    )
    .expect("re-attribute the event");
    conn.execute(
        "UPDATE checklist_item SET checked_by = 'dev'
         WHERE installation_id = 'acme-prod' AND task_key = 'infrastructure' AND item = 'storage'",
        [],
    )
    .expect("and its row");
    drop(conn);
    let run = env.run(&["db", "check"]);
    assert_eq!(run.code, 6, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("event {}", last.id)), "names it: {}", run.stderr);
    assert!(run.stderr.contains("signature"), "says the signature no longer holds: {}", run.stderr);
}

/// What an acceptance run found at the edges: a huge file, a carrier from
/// another subscriber, an empty RACI_SIGN_WITH, a private key pasted where
/// the public one goes, and a policy set to what it already is.
#[test]
fn the_edges_of_signing_refuse_plainly_and_change_nothing() {
    need_ssh_keygen!();
    let env = TestEnv::with_people_and_installations();
    let ian = Key::ed25519(&env, "ian-ed");
    add_key(&env, "ian", &ian, "ian");
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let step = offline_request(
        &env,
        "step.json",
        &["acme-prod", "infrastructure", "comment", "--for", "ian", "--text", "seen"],
    );
    let sig = sign_file(&ian, "raci-step@v1", &step);
    // A file over 1 MiB is refused before it is read whole.
    let huge = env.dir().join("huge.sig");
    std::fs::write(&huge, vec![b'a'; 2 << 20]).expect("write");
    let err = refuse(&env, apply(&env, &step, &huge), 2);
    assert!(err.contains("over 1048576 bytes"), "{err}");
    // An empty or non-armored signature is no signature (exit 3), said plainly.
    let empty = env.dir().join("empty.sig");
    std::fs::write(&empty, "").expect("write");
    let err = refuse(&env, apply(&env, &step, &empty), 3);
    assert!(err.contains("it is empty"), "{err}");
    // Globex's engineer may not carry Acme's step: as if it did not exist.
    let mut carried = apply(&env, &step, &sig);
    carried.args(["--as", "gina"]);
    refuse(&env, carried, 4);
    ok(apply(&env, &step, &sig));
    let mut again = apply(&env, &step, &sig);
    again.args(["--as", "gina"]);
    refuse(&env, again, 4);
    // RACI_SIGN_WITH set empty turns signing off rather than breaking reads.
    let mut read = raci(&env, &["status", "acme-prod"]);
    read.env("RACI_SIGN_WITH", "");
    ok(read);
    // A private key pasted by mistake is refused without being echoed.
    let private = std::fs::read_to_string(ian.private_arg()).expect("the private key");
    let run = run(raci(&env, &["person", "key", "add", "ian", &private, "--as", "ian"]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("private key"), "{}", run.stderr);
    let body = private.lines().nth(1).expect("a line of the key");
    assert!(!run.stderr.contains(body), "the key is not echoed: {}", run.stderr);
    // A policy set to what it already is records nothing.
    let before = logs(&env);
    let out = env.ok(&["policy", "require-signatures", "off", "--as", "carol"]);
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(before, logs(&env));
}
