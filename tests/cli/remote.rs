//! The remote CLI: one full onboarding scenario run twice, on a local
//! database and against a real `raci serve` on a loopback port, comparing
//! every output in every format, every exit code and every refusal. Events
//! may differ only in `channel` and `token_id`: both sides run on the same
//! fixed clock, so even the times agree.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::common::{TestEnv, handover_args};

/// A running `raci serve`, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(env: &TestEnv) -> Server {
        Server::start_with(env, &[])
    }

    pub(crate) fn start_with(env: &TestEnv, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend(extra);
        let mut child = env
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("raci serve starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the line saying where it listens");
        let url = line.trim().strip_prefix("raci serving on ").expect("serving on …").to_string();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same people on both sides, and a personal token for each (made on
/// both sides, so the two ledgers stay event for event alike).
const PEOPLE: [&[&str]; 4] = [
    &["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"],
    &["person", "add", "sam", "--party", "vendor", "--role", "support-engineer", "--as", "carol"],
    &[
        "person",
        "add",
        "ian",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Acme",
        "--admin",
        "--as",
        "carol",
    ],
    &[
        "person",
        "add",
        "gina",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Globex",
        "--as",
        "carol",
    ],
];

struct Side {
    env: TestEnv,
    server: Option<Server>,
    tokens: Vec<(String, String)>,
}

impl Side {
    fn new(remote: bool) -> Side {
        let env = TestEnv::new();
        for args in PEOPLE {
            env.ok(args);
        }
        let mut tokens = Vec::new();
        for who in ["carol", "sam", "ian", "gina"] {
            let made = env.json(&["token", "create", "--as", who, "--name", "comparison"]);
            tokens.push((who.to_string(), made["token"].as_str().expect("a token").to_string()));
        }
        std::fs::write(
            env.dir().join("import.csv"),
            "id,subscriber,appliance_id\nacme-2,Acme,AP-2\n",
        )
        .expect("write the CSV");
        let server = remote.then(|| Server::start(&env));
        Side { env, server, tokens }
    }

    /// Runs `args` as `who`: locally with `--as`, remotely with their token.
    fn run(&self, who: &str, args: &[&str]) -> (i32, String, String) {
        let mut cmd: Command = match &self.server {
            None => {
                let mut all = args.to_vec();
                all.extend(["--as", who]);
                self.env.command(&all)
            }
            Some(server) => {
                let token = &self.tokens.iter().find(|(h, _)| h == who).expect("a token").1;
                let mut cmd = self.env.command(args);
                cmd.env("RACI_SERVER", &server.url).env("RACI_TOKEN", token);
                cmd
            }
        };
        let out = cmd.current_dir(self.env.dir()).output().expect("raci runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Events differ only in how they came: drop `channel` and `token_id`
/// (from JSON, and the columns of that name from CSV).
fn comparable(format: &str, text: &str) -> String {
    match format {
        "json" => {
            let mut v: serde_json::Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(_) => return text.to_string(),
            };
            strip(&mut v);
            serde_json::to_string_pretty(&v).unwrap_or_default()
        }
        "csv" => {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let Ok(header) = reader.headers().cloned() else { return text.to_string() };
            let keep: Vec<usize> = (0..header.len())
                .filter(|i| !matches!(&header[*i], "channel" | "token_id"))
                .collect();
            let mut out = csv::Writer::from_writer(Vec::new());
            let pick =
                |r: &csv::StringRecord| keep.iter().map(|i| r[*i].to_string()).collect::<Vec<_>>();
            let _ = out.write_record(pick(&header));
            for record in reader.records().flatten() {
                let _ = out.write_record(pick(&record));
            }
            String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        _ => text.to_string(),
    }
}

fn strip(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("channel");
            map.remove("token_id");
            map.values_mut().for_each(strip);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// One step of the scenario: who, what, and whether it only reads (then it
/// runs in all three formats).
struct Step {
    who: &'static str,
    args: Vec<String>,
    read: bool,
    /// The exit code both sides must give.
    code: i32,
}

fn step(who: &'static str, args: &[&str]) -> Step {
    Step { who, args: args.iter().map(|s| s.to_string()).collect(), read: false, code: 0 }
}

fn refused(who: &'static str, args: &[&str], code: i32) -> Step {
    Step { code, ..step(who, args) }
}

fn read(who: &'static str, args: &[&str]) -> Step {
    Step { read: true, ..step(who, args) }
}

fn scenario() -> Vec<Step> {
    let inst = "acme-1";
    let mut steps = vec![
        step(
            "carol",
            &["installation", "add", inst, "--subscriber", "Acme", "--appliance-id", "AP-1"],
        ),
        step("carol", &["installation", "add", "globex-1", "--subscriber", "Globex"]),
        read("carol", &["installation", "list"]),
        read("gina", &["installation", "list"]),
        read("carol", &["person", "list"]),
        read("ian", &["person", "list"]),
        read("ian", &["whoami"]),
        read("carol", &["matrix"]),
        read("ian", &["status", inst]),
        // Refusals: the wrong party, another subscriber's installation, a conflict.
        refused("carol", &["task", "start", inst, "infrastructure"], 3),
        refused("gina", &["status", inst], 4),
        refused("ian", &["task", "submit", inst, "infrastructure"], 5),
        step("ian", &["task", "start", inst, "infrastructure", "--note", "VMs ordered"]),
        step("ian", &["checklist", "check", inst, "infrastructure", "memory", "storage"]),
        step("ian", &["checklist", "uncheck", inst, "infrastructure", "storage"]),
        step("ian", &["checklist", "check", inst, "infrastructure", "--all", "--note", "ready"]),
        read("ian", &["checklist", "show", inst, "infrastructure"]),
        step("ian", &["task", "submit", inst, "infrastructure"]),
        step("ian", &["task", "signoff", inst, "infrastructure"]),
        step("carol", &["task", "due", inst, "deployment", "2026-11-20"]),
        step("carol", &["task", "comment", inst, "deployment", "starting Monday"]),
        step("carol", &["task", "start", inst, "deployment"]),
        step("carol", &["checklist", "check", inst, "deployment", "--all"]),
        step("carol", &["task", "submit", inst, "deployment"]),
        step("carol", &["task", "signoff", inst, "deployment"]),
        step("ian", &["task", "start", inst, "configuration"]),
        step("ian", &["checklist", "check", inst, "configuration", "--all"]),
        step("ian", &["task", "submit", inst, "configuration"]),
        step("ian", &["task", "signoff", inst, "configuration"]),
        read("carol", &["report", "outstanding"]),
        read("ian", &["report", "outstanding", "--party", "vendor"]),
        read("carol", &["report", "overdue"]),
        read("carol", &["report", "clocks"]),
        read("carol", &["report", "clocks", "--by", "installation"]),
    ];
    let mut record = handover_args(
        inst,
        "2026-11-02",
        "95",
        &["carol", "ian"],
        &["monitoring", "backup", "updates"],
        "carol",
    );
    record.truncate(record.len() - 2);
    steps.push(Step { who: "carol", args: record, read: false, code: 0 });
    steps.extend([
        read("ian", &["handover", "show", inst]),
        step("ian", &["backups", "record", inst, "--taken-on", "2026-11-02", "--note", "nightly"]),
        read("ian", &["backups", "list", inst]),
        read("carol", &["report", "stale-backups"]),
        step("carol", &["update", "start", inst, "--version", "2.4.1"]),
        step("ian", &["update", "step", inst, "1", "snapshot"]),
        read("ian", &["update", "list", inst]),
        step("carol", &["update", "cancel", inst, "1", "--reason", "postponed"]),
        step(
            "ian",
            &[
                "ticket",
                "open",
                inst,
                "INC-7",
                "--severity",
                "high",
                "--environment",
                "production",
                "--summary",
                "login fails",
            ],
        ),
        step("sam", &["ticket", "comment", inst, "INC-7", "looking"]),
        step("sam", &["ticket", "resolve", inst, "INC-7"]),
        read("ian", &["ticket", "list", inst]),
        read("ian", &["inbox"]),
        step("ian", &["inbox", "ack"]),
        read("ian", &["inbox", "--unread"]),
        step("ian", &["ticket", "reopen", inst, "INC-7", "--reason", "again"]),
        step("sam", &["ticket", "resolve", inst, "INC-7"]),
        step("ian", &["ticket", "close", inst, "INC-7"]),
        step("carol", &["update", "start", inst, "--version", "2.4.2"]),
        step("ian", &["update", "step", inst, "2", "snapshot"]),
        step("ian", &["update", "step", inst, "2", "access"]),
        step("carol", &["update", "step", inst, "2", "dev-updated"]),
        step("ian", &["update", "fail", inst, "2", "--reason", "login broken"]),
        read("carol", &["update", "list", inst]),
        step("ian", &["task", "block", inst, "integration", "--reason", "waiting for SSO"]),
        step("ian", &["task", "unblock", inst, "integration"]),
        step("ian", &["task", "waive", inst, "user-migration", "--reason", "no users yet"]),
        step("ian", &["task", "reopen", inst, "user-migration", "--reason", "users after all"]),
        refused("carol", &["task", "reject", inst, "monitoring", "--reason", "not started"], 3),
        step("carol", &["installation", "retire", "globex-1", "--reason", "cancelled"]),
        step("carol", &["installation", "unretire", "globex-1"]),
        step("carol", &["installation", "retire", "globex-1", "--reason", "cancelled"]),
        step("carol", &["person", "deactivate", "sam", "--reason", "left"]),
        step("carol", &["person", "reactivate", "sam"]),
        step("carol", &["installation", "import", "import.csv"]),
        read("carol", &["report", "html", "--subscriber", "Acme"]),
        read("carol", &["installation", "list", "--all"]),
        step("carol", &["person", "set", "sam", "--name", "Sam Support"]),
        refused("ian", &["person", "deactivate", "carol", "--reason", "no"], 3),
        read("ian", &["log", inst]),
        read("carol", &["status", inst]),
    ]);
    steps
}

#[test]
fn every_command_answers_the_same_locally_and_against_a_server() {
    let local = Side::new(false);
    let remote = Side::new(true);
    for s in scenario() {
        let args: Vec<&str> = s.args.iter().map(String::as_str).collect();
        let formats: &[&str] = if s.read { &["table", "json", "csv"] } else { &["table"] };
        for format in formats {
            let mut all = args.clone();
            all.extend(["--format", format]);
            // The log's table holds the columns the comparison drops.
            if s.read && *format == "table" && args[0] == "log" {
                continue;
            }
            let (lc, lout, lerr) = local.run(s.who, &all);
            let (rc, rout, rerr) = remote.run(s.who, &all);
            assert_eq!(lc, s.code, "raci {all:?} as {} locally: {lerr}", s.who);
            assert_eq!(rc, s.code, "raci {all:?} as {} against the server: {rerr}", s.who);
            assert_eq!(
                comparable(format, &lout),
                comparable(format, &rout),
                "output of {all:?} as {}",
                s.who
            );
            if lc != 0 {
                assert_eq!(lerr, rerr, "the refusal of {all:?} as {}", s.who);
            }
        }
        // A write's JSON too, once: run the next write of the scenario in JSON
        // is covered by the reads of the log and the status.
    }
    // A read's body is exactly what the CLI prints with --format json.
    let server = remote.server.as_ref().expect("a server");
    let token = &remote.tokens[2].1;
    for (route, args) in [
        ("me", vec!["whoami"]),
        ("installations/acme-1", vec!["status", "acme-1"]),
        ("installations", vec!["installation", "list"]),
        ("installations/acme-1/log", vec!["log", "acme-1"]),
        ("installations/acme-1/checklist", vec!["checklist", "show", "acme-1"]),
        ("reports/outstanding", vec!["report", "outstanding"]),
        ("inbox", vec!["inbox"]),
    ] {
        let body: serde_json::Value = ureq::get(format!("{}/api/v1/{route}", server.url))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("an answer")
            .body_mut()
            .read_json()
            .expect("JSON");
        let mut all = args.clone();
        all.extend(["--format", "json"]);
        let (code, printed, err) = local.run("ian", &all);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            comparable("json", &body.to_string()),
            comparable("json", &printed),
            "GET /api/v1/{route} and raci {args:?}"
        );
    }
    // Through the API, every event says so.
    let log = remote.env.json(&["log", "acme-1"]);
    let from_api = log
        .as_array()
        .expect("a log")
        .iter()
        .filter(|e| e["channel"] == "api" && e["token_id"].is_string())
        .count();
    assert!(from_api > 20, "{from_api} API events in {log}");
    let log = local.env.json(&["log", "acme-1"]);
    assert!(log.as_array().expect("a log").iter().all(|e| e["channel"] == "cli"));
    // Both ledgers are sound.
    local.env.ok(&["db", "check"]);
    remote.env.ok(&["db", "check"]);
}

#[test]
fn against_a_server_identity_comes_from_the_token() {
    let side = Side::new(true);
    let server = side.server.as_ref().expect("a server");
    let token = &side.tokens[2].1;
    let run = |args: &[&str], token: Option<&str>| {
        let mut cmd = side.env.command(args);
        cmd.env("RACI_SERVER", &server.url);
        if let Some(t) = token {
            cmd.env("RACI_TOKEN", t);
        }
        let out = cmd.output().expect("raci runs");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // --as naming anyone else is bad input.
    let (code, err) = run(&["whoami", "--as", "carol"], Some(token));
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: --as carol") && err.contains("ian"), "{err}");
    // Naming oneself is fine.
    assert_eq!(run(&["whoami", "--as", "ian"], Some(token)).0, 0);
    // No token, or an invalid one: exit 3.
    let (code, err) = run(&["whoami"], None);
    assert_eq!(code, 3, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(run(&["whoami"], Some("raci_0000")).0, 3);
    // A server that is not there: exit 6.
    let mut cmd = side.env.command(&["whoami"]);
    cmd.env("RACI_SERVER", "http://127.0.0.1:9").env("RACI_TOKEN", token);
    let out = cmd.output().expect("raci runs");
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn serve_refuses_what_it_cannot_serve_safely_and_stops_cleanly_on_sigterm() {
    let env = TestEnv::new();
    // No database yet: create it with the first person.
    env.refused(&["serve", "--listen", "127.0.0.1:0"], 6);
    env.ok(PEOPLE[0]);
    // A non-loopback address with neither TLS nor a proxy in front.
    let err = env.refused(&["serve", "--listen", "0.0.0.0:0"], 2);
    assert!(err.contains("--behind-proxy"), "{err}");
    // SIGTERM: it stops accepting, finishes, and exits 0.
    let mut server = Server::start(&env);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(server.child.id()).expect("a pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    let status = server.child.wait().expect("it exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_speaks_https_with_its_own_certificate() {
    let env = TestEnv::new();
    env.ok(PEOPLE[0]);
    let made = env.json(&["token", "create", "--as", "carol"]);
    let token = made["token"].as_str().expect("a token").to_string();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
    let cert_file = env.dir().join("cert.pem");
    let key_file = env.dir().join("key.pem");
    std::fs::write(&cert_file, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).expect("write key");
    let (c, k) = (cert_file.to_string_lossy(), key_file.to_string_lossy());
    let server = Server::start_with(&env, &["--tls-cert", &c, "--tls-key", &k]);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let url = server.url.replace("127.0.0.1", "localhost");
    let whoami = |ca: Option<&str>| {
        let mut cmd = env.command(&["whoami", "--format", "json"]);
        cmd.env("RACI_SERVER", &url).env("RACI_TOKEN", &token);
        if let Some(ca) = ca {
            cmd.env("RACI_CA_CERT", ca);
        }
        cmd.output().expect("raci runs")
    };
    // Trusting its certificate, the remote CLI works over HTTPS.
    let out = whoami(Some(&c));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"carol\""));
    // Without it, the certificate is not trusted and nothing is sent: exit 6.
    let out = whoami(None);
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn logout_revokes_the_stored_token_whatever_raci_token_says() {
    let side = Side::new(true);
    let server = side.server.as_ref().expect("a server");
    let other = side.tokens[0].1.clone();
    let invited = side.env.json(&["person", "invite", "carol", "--as", "carol"]);
    let code = invited["code"].as_str().expect("a code");
    let cli = |args: &[&str], token: Option<&str>, stdin: &str| {
        use std::io::Write;
        let mut cmd = side.env.command(args);
        cmd.env("RACI_SERVER", &server.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(t) = token {
            cmd.env("RACI_TOKEN", t);
        }
        let mut child = cmd.spawn().expect("raci runs");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("raci ends");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // `login --invite` sets the password and stores a token for the server.
    let (code_, err) = cli(&["login", "--invite", code], None, "correct horse battery\n");
    assert_eq!(code_, 0, "{err}");
    assert_eq!(cli(&["whoami"], None, "").0, 0, "the stored token signs in");
    let file = side.env.dir().join(".config/raci/tokens.json");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the token file"))
            .expect("JSON");
    let stored = stored[&server.url].as_str().expect("the server's token").to_string();
    // With another token in RACI_TOKEN, logout still revokes the stored one.
    let (code_, err) = cli(&["logout"], Some(&other), "");
    assert_eq!(code_, 0, "{err}");
    assert_eq!(cli(&["whoami"], Some(&stored), "").0, 3, "the stored token was revoked");
    assert_eq!(cli(&["whoami"], None, "").0, 3, "nothing stored any more");
    assert_eq!(cli(&["whoami"], Some(&other), "").0, 0, "RACI_TOKEN's token was left alone");
    // Signing in with the password gives a token again; the revoked one is gone.
    let (code_, err) = cli(&["login", "--handle", "carol"], None, "correct horse battery\n");
    assert_eq!(code_, 0, "{err}");
    assert_eq!(cli(&["whoami"], None, "").0, 0);
}
