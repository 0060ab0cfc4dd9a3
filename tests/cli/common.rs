//! A hermetic test environment: a temp directory holding the database, a
//! cleared environment and a fixed clock, driving the built `raci` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;
use tempfile::TempDir;

pub(crate) struct TestEnv {
    dir: TempDir,
    pub(crate) now: String,
}

/// What a finished command printed.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl TestEnv {
    pub(crate) fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            now: "2026-11-02T09:00:00Z".to_string(),
        }
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("raci.db")
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The command with a cleared environment, this env's database and clock.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_raci"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("RACI_DB", self.db())
            .env("RACI_NOW", &self.now)
            .args(args);
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("raci runs").into()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "raci {args:?} failed with {}:\nstdout: {}\nstderr: {}",
            run.code, run.stdout, run.stderr
        );
        run.stdout
    }

    /// Runs a command that must be refused with `code`: one `error:` line on
    /// stderr, nothing on stdout, and the database exactly as it was.
    pub(crate) fn refused(&self, args: &[&str], code: i32) -> String {
        let before = self.snapshot();
        let run = self.run(args);
        assert_eq!(
            run.code, code,
            "raci {args:?} exited {} (expected {code}):\nstdout: {}\nstderr: {}",
            run.code, run.stdout, run.stderr
        );
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one stderr line for {args:?}, got: {}", run.stderr);
        assert!(lines[0].starts_with("error: "), "stderr of {args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "stdout of refused {args:?}: {}", run.stdout);
        assert_eq!(before, self.snapshot(), "raci {args:?} was refused but changed the database");
        run.stderr
    }

    /// Every row of every table, in a stable order: equal snapshots mean
    /// nothing changed.
    pub(crate) fn snapshot(&self) -> String {
        if !self.db().exists() {
            return String::new();
        }
        let conn = Connection::open(self.db()).expect("open for snapshot");
        let mut tables = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .expect("schema query");
        let names: Vec<String> = tables
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("table names");
        let mut out = String::new();
        for name in names {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).expect("select");
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .expect("rows");
            let mut lines: Vec<String> =
                rows.map(|row| format!("{name}: {}\n", row.expect("row").join(" | "))).collect();
            lines.sort();
            out.extend(lines);
        }
        out
    }

    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// The people and installations most tests start from: the vendor's CSE
    /// (carol, the first person and so the vendor's administrator, who adds
    /// the rest) and support engineer, Acme's infrastructure engineer and
    /// developer, Globex's infrastructure engineer; installations acme-prod
    /// and globex-prod. No subscriber has an administrator.
    pub(crate) fn with_people_and_installations() -> Self {
        Self::with_people_and_installations_at("2026-11-02T09:00:00Z")
    }

    /// [`TestEnv::with_people_and_installations`], all added at `now` (and
    /// the clock left there): an installation's history starts when it is added.
    pub(crate) fn with_people_and_installations_at(now: &str) -> Self {
        let mut env = TestEnv::new();
        env.now = now.to_string();
        for (i, args) in [
            &[
                "person",
                "add",
                "carol",
                "--party",
                "vendor",
                "--role",
                "customer-success-engineer",
                "--name",
                "Carol Vendor",
                "--email",
                "carol@vendor.example",
            ][..],
            &["person", "add", "sam", "--party", "vendor", "--role", "support-engineer"],
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
            ],
            &[
                "person",
                "add",
                "dev",
                "--party",
                "subscriber",
                "--role",
                "application-developer",
                "--subscriber",
                "Acme",
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
            ],
            &[
                "installation",
                "add",
                "acme-prod",
                "--subscriber",
                "Acme",
                "--appliance-id",
                "appliance62",
            ],
            &["installation", "add", "globex-prod", "--subscriber", "Globex"],
        ]
        .into_iter()
        .enumerate()
        {
            let mut args = args.to_vec();
            if i > 0 {
                args.extend(["--as", "carol"]);
            }
            env.ok(&args);
        }
        env
    }

    pub(crate) const INFRA_ITEMS: [&'static str; 9] = [
        "memory",
        "storage",
        "processors",
        "load-balancers",
        "networks",
        "ssl-certificates",
        "dns-records",
        "smtp-servers",
        "vendor-access",
    ];

    /// Takes a task through start, every item checked, submit and sign-off.
    pub(crate) fn complete(
        &self,
        inst: &str,
        task: &str,
        doer: &str,
        items: &[&str],
        approver: &str,
    ) {
        self.ok(&["task", "start", inst, task, "--as", doer]);
        for item in items {
            self.ok(&["checklist", "check", inst, task, item, "--as", doer]);
        }
        self.ok(&["task", "submit", inst, task, "--as", doer]);
        self.ok(&["task", "signoff", inst, task, "--as", approver]);
    }

    /// Infrastructure, deployment and configuration of an installation of
    /// Acme signed off: ready for the handover.
    pub(crate) fn ready_for_handover(&self, inst: &str) {
        self.ready_for_handover_by(inst, "ian");
    }

    /// Infrastructure and configuration by `engineer` (of the installation's
    /// subscriber), deployment by carol, each signed off.
    pub(crate) fn ready_for_handover_by(&self, inst: &str, engineer: &str) {
        self.complete(inst, "infrastructure", engineer, &Self::INFRA_ITEMS, engineer);
        self.complete(inst, "deployment", "carol", &["development", "production"], "carol");
        self.complete(inst, "configuration", engineer, &Self::CONFIG_ITEMS, engineer);
    }

    pub(crate) const CONFIG_ITEMS: [&'static str; 3] =
        ["ssl-certificates", "smtp-credentials", "administrators"];

    pub(crate) const ALL_TOPICS: [&'static str; 3] = ["monitoring", "backup", "updates"];

    /// An installation of Acme through its 95-minute handover, held on `held_on`.
    pub(crate) fn handed_over(&self, inst: &str, held_on: &str) {
        self.ready_for_handover(inst);
        self.handed_over_ready(inst, held_on);
    }

    /// The 95-minute handover of an installation of Acme ready for it.
    pub(crate) fn handed_over_ready(&self, inst: &str, held_on: &str) {
        self.ok(&strs(&handover_args(
            inst,
            held_on,
            "95",
            &["carol", "ian"],
            &Self::ALL_TOPICS,
            "carol",
        )));
    }

    /// Each task's state, from `status --format json`.
    pub(crate) fn states(&self, inst: &str) -> Vec<(String, String)> {
        self.json(&["status", inst])["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| {
                (
                    t["task"].as_str().expect("task").to_string(),
                    t["state"].as_str().expect("state").to_string(),
                )
            })
            .collect()
    }

    pub(crate) fn state(&self, inst: &str, task: &str) -> String {
        self.states(inst)
            .into_iter()
            .find(|(t, _)| t == task)
            .map(|(_, s)| s)
            .expect("task in status")
    }
}

/// The `handover record` command line.
pub(crate) fn handover_args(
    inst: &str,
    held_on: &str,
    minutes: &str,
    attendees: &[&str],
    topics: &[&str],
    by: &str,
) -> Vec<String> {
    let mut args: Vec<String> =
        ["handover", "record", inst, "--held-on", held_on, "--minutes", minutes]
            .iter()
            .map(|s| s.to_string())
            .collect();
    for a in attendees {
        args.extend(["--attendee".to_string(), a.to_string()]);
    }
    for t in topics {
        args.extend(["--topic".to_string(), t.to_string()]);
    }
    args.extend(["--as".to_string(), by.to_string()]);
    args
}

/// Borrows owned arguments for `TestEnv::ok` and friends.
pub(crate) fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
