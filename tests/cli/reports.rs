//! Reports: who owes the next move, overdue, stale backups, party clocks,
//! the HTML page; import, inbox, demo, completions and the man page.

use std::collections::BTreeSet;

use crate::common::{TestEnv, handover_args, strs};

/// Acme handed over, Globex waiting on the vendor's deployment, Initech new.
fn three_stages() -> TestEnv {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["installation", "add", "initech-dev", "--subscriber", "Initech", "--as", "carol"]);
    env.ok(&[
        "person",
        "add",
        "ivy",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Initech",
        "--as",
        "carol",
    ]);
    env.handed_over("acme-prod", "2026-11-02");
    env.complete("globex-prod", "infrastructure", "gina", &TestEnv::INFRA_ITEMS, "gina");
    env
}

fn moves(env: &TestEnv, args: &[&str]) -> BTreeSet<(String, String, String, String)> {
    env.json(args)
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["installation"].as_str().unwrap_or_default().to_string(),
                r["task"].as_str().unwrap_or_default().to_string(),
                r["party"].as_str().unwrap_or_default().to_string(),
                r["next_move"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn set(rows: &[(&str, &str, &str, &str)]) -> BTreeSet<(String, String, String, String)> {
    rows.iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect()
}

#[test]
fn outstanding_lists_exactly_the_moves_each_party_owes() {
    let env = three_stages();
    let subscriber = moves(&env, &["report", "outstanding", "--party", "subscriber"]);
    assert_eq!(
        subscriber,
        set(&[
            ("acme-prod", "monitoring", "subscriber", "start"),
            ("acme-prod", "backup", "subscriber", "start"),
            ("acme-prod", "integration", "subscriber", "start"),
            ("acme-prod", "user-migration", "subscriber", "start"),
            ("initech-dev", "infrastructure", "subscriber", "start"),
        ])
    );
    let vendor = moves(&env, &["report", "outstanding", "--party", "vendor"]);
    assert_eq!(vendor, set(&[("globex-prod", "deployment", "vendor", "start")]));
    let all = moves(&env, &["report", "outstanding"]);
    assert_eq!(all, subscriber.union(&vendor).cloned().collect());
    let one = moves(&env, &["report", "outstanding", "--installation", "initech-dev"]);
    assert_eq!(one, set(&[("initech-dev", "infrastructure", "subscriber", "start")]));
    env.refused(&["report", "outstanding", "--installation", "nope"], 4);
    env.refused(&["report", "outstanding", "--party", "both"], 2);
}

#[test]
fn outstanding_is_oldest_first_and_the_same_in_json_csv_and_table() {
    let mut env = three_stages();
    // A submitted task is its Accountable party's move from its submission.
    env.now = "2026-11-03T09:00:00Z".into();
    env.ok(&["task", "start", "acme-prod", "integration", "--as", "dev"]);
    env.now = "2026-11-04T09:00:00Z".into();
    env.ok(&["task", "submit", "acme-prod", "integration", "--as", "dev"]);
    let json = env.json(&["report", "outstanding", "--party", "subscriber"]);
    let rows = json.as_array().expect("rows");
    let since: Vec<&str> = rows.iter().filter_map(|r| r["since"].as_str()).collect();
    let mut sorted = since.clone();
    sorted.sort();
    assert_eq!(since, sorted, "oldest first");
    let integration = rows.iter().find(|r| r["task"] == "integration").expect("integration");
    assert_eq!(integration["state"], "submitted");
    assert_eq!(integration["next_move"], "signoff");
    assert_eq!(integration["since"], "2026-11-04T09:00:00Z");

    let csv_text = env.ok(&["report", "outstanding", "--party", "subscriber", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> =
        reader.headers().expect("header").iter().map(str::to_string).collect();
    let json_keys: Vec<String> = rows[0].as_object().expect("object").keys().cloned().collect();
    assert_eq!(header, json_keys);
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().expect("records");
    assert_eq!(records.len(), rows.len());
    for (record, row) in records.iter().zip(rows) {
        for (i, key) in header.iter().enumerate() {
            let expected = match &row[key] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(record.get(i), Some(expected.as_str()), "{key}");
        }
    }
    let table = env.ok(&["report", "outstanding", "--party", "subscriber"]);
    let body: Vec<&str> =
        table.lines().filter(|l| l.contains("acme-prod") || l.contains("initech-dev")).collect();
    assert_eq!(body.len(), rows.len());
    for (line, row) in body.iter().zip(rows) {
        assert!(line.contains(row["installation"].as_str().unwrap_or("?")), "{line}");
        assert!(line.contains(row["task"].as_str().unwrap_or("?")), "{line}");
    }
}

#[test]
fn a_past_due_date_is_overdue_in_both_reports() {
    let mut env = three_stages();
    env.refused(
        &["task", "due", "initech-dev", "infrastructure", "2026-11-10", "--as", "carol"],
        3,
    );
    env.ok(&["task", "due", "initech-dev", "infrastructure", "2026-11-10", "--as", "ivy"]);
    env.now = "2026-11-12T09:00:00Z".into();
    let overdue = env.json(&["report", "overdue"]);
    let row = overdue
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["installation"] == "initech-dev")
        .cloned()
        .expect("initech in overdue");
    assert_eq!(row["task"], "infrastructure");
    assert_eq!(row["due"], "2026-11-10");
    assert_eq!(row["reason"], "past_due");
    let outstanding = env.json(&["report", "outstanding", "--installation", "initech-dev"]);
    assert_eq!(outstanding[0]["overdue"], true);
    // A due date still ahead is neither.
    env.now = "2026-11-09T09:00:00Z".into();
    assert!(!env.ok(&["report", "overdue"]).contains("initech-dev"));
}

#[test]
fn installations_without_an_update_for_90_days_are_overdue() {
    let mut env = TestEnv::with_people_and_installations_at("2026-03-01T09:00:00Z");
    env.ok(&["installation", "add", "acme-dev", "--subscriber", "Acme", "--as", "carol"]);
    env.ready_for_handover("acme-prod");
    env.ready_for_handover("acme-dev");
    env.now = "2026-03-02T09:00:00Z".into();
    env.handed_over_ready("acme-prod", "2026-03-01");
    env.handed_over_ready("acme-dev", "2026-03-01");
    // acme-dev is updated today; acme-prod never was.
    env.now = "2026-11-02T09:00:00Z".into();
    env.ok(&["update", "start", "acme-dev", "--version", "4.0", "--as", "carol"]);
    for (step, who) in [
        ("snapshot", "ian"),
        ("access", "ian"),
        ("dev-updated", "carol"),
        ("dev-tested", "ian"),
        ("prod-updated", "carol"),
    ] {
        env.ok(&["update", "step", "acme-dev", "1", step, "--as", who]);
    }
    env.ok(&["update", "signoff", "acme-dev", "1", "--as", "ian"]);
    let overdue = env.json(&["report", "overdue"]);
    let rows: Vec<(String, String)> = overdue
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["installation"].as_str().unwrap_or_default().into(),
                r["reason"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(rows, vec![("acme-prod".to_string(), "update_overdue".to_string())]);
    assert_eq!(overdue[0]["due"], "2026-05-30");
    // Globex, never handed over, is not overdue for an update.
}

#[test]
fn a_backup_taken_in_january_is_stale_in_november() {
    let mut env = TestEnv::with_people_and_installations_at("2026-01-09T09:00:00Z");
    env.ready_for_handover("acme-prod");
    env.now = "2026-01-10T09:00:00Z".into();
    env.handed_over_ready("acme-prod", "2026-01-09");
    env.ok(&["backups", "record", "acme-prod", "--taken-on", "2026-01-10", "--as", "ian"]);
    env.now = "2026-01-12T09:00:00Z".into();
    assert_eq!(env.json(&["report", "stale-backups"]).as_array().map(Vec::len), Some(0));
    env.now = "2026-11-02T09:00:00Z".into();
    let stale = env.json(&["report", "stale-backups"]);
    assert_eq!(stale[0]["installation"], "acme-prod");
    assert_eq!(stale[0]["last_backup"], "2026-01-10");
    assert_eq!(stale[0]["days"], 296);
    assert_eq!(
        env.json(&["report", "stale-backups", "--older-than", "300"]).as_array().map(Vec::len),
        Some(0)
    );
    // A fresh backup clears it; a handed-over installation with none is stale.
    env.ok(&["backups", "record", "acme-prod", "--taken-on", "2026-11-01", "--as", "ian"]);
    env.handed_over_globex();
    let stale = env.json(&["report", "stale-backups"]);
    assert_eq!(stale.as_array().map(Vec::len), Some(1));
    assert_eq!(stale[0]["installation"], "globex-prod");
    assert_eq!(stale[0]["last_backup"], serde_json::Value::Null);
    // An installation not yet handed over is not expected to back up.
    env.ok(&["installation", "add", "acme-new", "--subscriber", "Acme", "--as", "carol"]);
    assert!(!env.ok(&["report", "stale-backups"]).contains("acme-new"));
}

impl TestEnv {
    fn handed_over_globex(&self) {
        self.ready_for_handover_by("globex-prod", "gina");
        let all = TestEnv::ALL_TOPICS;
        self.ok(&strs(&handover_args(
            "globex-prod",
            "2026-11-02",
            "120",
            &["sam", "gina"],
            &all,
            "carol",
        )));
    }
}

#[test]
fn party_clocks_add_up_to_the_time_from_actionable_to_signoff() {
    let mut env = TestEnv::with_people_and_installations();
    let at = |env: &mut TestEnv, t: &str| env.now = t.to_string();
    // The installations were added on 11-02 at 09:00.
    at(&mut env, "2026-11-03T00:00:00Z");
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    // Deployment becomes actionable now, when infrastructure is signed off.
    at(&mut env, "2026-11-04T00:00:00Z");
    env.ok(&["task", "start", "acme-prod", "deployment", "--as", "carol"]);
    at(&mut env, "2026-11-05T00:00:00Z");
    env.ok(&["task", "block", "acme-prod", "deployment", "--reason", "firewall", "--as", "carol"]);
    at(&mut env, "2026-11-07T12:00:00Z");
    env.ok(&["task", "unblock", "acme-prod", "deployment", "--as", "carol"]);
    env.ok(&["checklist", "check", "acme-prod", "deployment", "development", "--as", "carol"]);
    env.ok(&["checklist", "check", "acme-prod", "deployment", "production", "--as", "carol"]);
    at(&mut env, "2026-11-08T00:00:00Z");
    env.ok(&["task", "submit", "acme-prod", "deployment", "--as", "carol"]);
    at(&mut env, "2026-11-09T06:00:00Z");
    env.ok(&["task", "signoff", "acme-prod", "deployment", "--as", "carol"]);
    at(&mut env, "2026-11-20T00:00:00Z");
    let clocks = env.json(&["report", "clocks", "--installation", "acme-prod"]);
    let row = |task: &str| {
        clocks
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["task"] == task)
            .cloned()
            .expect("task row")
    };
    let deployment = row("deployment");
    let total = ["vendor_seconds", "subscriber_seconds", "blocked_seconds"]
        .iter()
        .map(|k| deployment[k].as_i64().expect("seconds"))
        .sum::<i64>();
    let actionable_to_signoff = 6 * 86_400 + 6 * 3600; // 11-03 00:00 → 11-09 06:00
    assert_eq!(total, actionable_to_signoff);
    assert_eq!(deployment["blocked_seconds"], 2 * 86_400 + 12 * 3600);
    assert_eq!(deployment["subscriber_seconds"], 0);
    // Infrastructure was the subscriber's from the installation's creation.
    let infrastructure = row("infrastructure");
    assert_eq!(infrastructure["subscriber_seconds"], 15 * 3600);
    // Configuration has been the subscriber's since the deployment's sign-off.
    let configuration = row("configuration");
    assert_eq!(configuration["subscriber_seconds"], 10 * 86_400 + 18 * 3600);
    assert_eq!(configuration["vendor_seconds"], 0);
    // Per installation, each moment counts once per party: configuration,
    // integration and user-migration wait on the subscriber side by side.
    let by = env.json(&["report", "clocks", "--installation", "acme-prod", "--by", "installation"]);
    let union = &by[0];
    assert_eq!(by.as_array().map(Vec::len), Some(1));
    assert_eq!(union["installation"], "acme-prod");
    assert_eq!(union["subscriber_seconds"], 15 * 3600 + 10 * 86_400 + 18 * 3600);
    assert_eq!(union["vendor_seconds"], deployment["vendor_seconds"]);
    assert_eq!(union["blocked_seconds"], 2 * 86_400 + 12 * 3600);
    let summed: i64 = clocks
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["subscriber_seconds"].as_i64().expect("seconds"))
        .sum();
    assert!(summed > 2 * union["subscriber_seconds"].as_i64().expect("seconds"), "{summed}");
    let share = union["vendor_share"].as_f64().expect("share");
    let vendor = union["vendor_seconds"].as_f64().expect("vendor");
    let subscriber = union["subscriber_seconds"].as_f64().expect("subscriber");
    assert!((share - vendor / (vendor + subscriber)).abs() < 1e-9, "{share}");
    // The table totals per installation, the same way.
    let table = env.ok(&["report", "clocks"]);
    assert!(table.contains("acme-prod") && table.contains("globex-prod"), "{table}");
    assert_eq!(clocks.as_array().map(Vec::len), Some(12));
}

#[test]
fn importing_is_all_or_nothing() {
    let env = TestEnv::with_people_and_installations();
    let good = env.dir().join("good.csv");
    let mut text = String::from("id,subscriber,appliance_id\n");
    for i in 1..=50 {
        text.push_str(&format!("batch-{i:03},\"Batch, Inc.\",appliance{i}\n"));
    }
    std::fs::write(&good, &text).expect("write");
    let dup = env.dir().join("dup.csv");
    std::fs::write(&dup, "id,subscriber\nnew-1,Acme\nnew-2,Acme\nnew-1,Acme\n").expect("write");
    let exists = env.dir().join("exists.csv");
    std::fs::write(&exists, "id,subscriber\nnew-3,Acme\nacme-prod,Acme\n").expect("write");
    let bad = env.dir().join("bad.csv");
    std::fs::write(&bad, "id,subscriber\nnew-4,Acme\nnot valid,Acme\n").expect("write");
    let ragged = env.dir().join("ragged.csv");
    std::fs::write(&ragged, "id,subscriber\nnew-5,Acme,extra\n").expect("write");
    let header = env.dir().join("header.csv");
    std::fs::write(&header, "name,subscriber\nnew-6,Acme\n").expect("write");
    let twice = env.dir().join("twice.csv");
    std::fs::write(&twice, "id,id,subscriber\nnew-7,new-8,Acme\n").expect("write");

    let err =
        env.refused(&["installation", "import", dup.to_str().expect("path"), "--as", "carol"], 5);
    assert!(err.contains("line 4") && err.contains("line 2"), "{err}");
    let cased = env.dir().join("cased.csv");
    std::fs::write(&cased, "id,subscriber\ncase-1,Acme\nCASE-1,Acme\n").expect("write");
    let err =
        env.refused(&["installation", "import", cased.to_str().expect("path"), "--as", "carol"], 5);
    assert!(err.contains("repeats line 2"), "{err}");
    let err = env
        .refused(&["installation", "import", exists.to_str().expect("path"), "--as", "carol"], 5);
    assert!(err.contains("line 3"), "{err}");
    let err =
        env.refused(&["installation", "import", bad.to_str().expect("path"), "--as", "carol"], 2);
    assert!(err.contains("line 3"), "{err}");
    env.refused(&["installation", "import", ragged.to_str().expect("path"), "--as", "carol"], 2);
    env.refused(&["installation", "import", header.to_str().expect("path"), "--as", "carol"], 2);
    env.refused(&["installation", "import", "/nonexistent/x.csv", "--as", "carol"], 2);

    let before = env.json(&["installation", "list"]).as_array().map_or(0, Vec::len);
    let out = env.json(&["installation", "import", good.to_str().expect("path"), "--as", "carol"]);
    assert_eq!(out["imported"], 50);
    let after = env.json(&["installation", "list"]);
    assert_eq!(after.as_array().map_or(0, Vec::len), before + 50);
    let one = after
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["id"] == "batch-007")
        .cloned()
        .expect("imported");
    assert_eq!(one["subscriber"], "Batch, Inc.");
    assert_eq!(one["appliance_id"], "appliance7");
    assert_eq!(env.states("batch-050")[0], ("infrastructure".to_string(), "pending".to_string()));
}

#[test]
fn the_inbox_shows_what_a_party_is_informed_of() {
    let env = TestEnv::with_people_and_installations();
    env.complete("acme-prod", "infrastructure", "ian", &TestEnv::INFRA_ITEMS, "ian");
    env.complete("acme-prod", "deployment", "carol", &["development", "production"], "carol");
    env.ok(&["task", "start", "acme-prod", "integration", "--as", "dev"]);
    // The subscriber is I on deployment; the vendor is I on integration.
    let ian = env.json(&["inbox", "--as", "ian"]);
    let tasks: BTreeSet<String> = ian
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["task"].as_str().map(str::to_string))
        .collect();
    assert_eq!(tasks, BTreeSet::from(["deployment".to_string()]));
    let carol = env.json(&["inbox", "--as", "carol"]);
    assert_eq!(carol.as_array().map(Vec::len), Some(1));
    assert_eq!(carol[0]["task"], "integration");
    assert_eq!(carol[0]["actor"], "dev");
    assert_eq!(carol[0]["read"], false);
    // Globex sees nothing of Acme's.
    assert_eq!(env.json(&["inbox", "--as", "gina"]).as_array().map(Vec::len), Some(0));
    env.refused(&["inbox"], 2);
    env.refused(&["inbox", "ack", "99999", "--as", "carol"], 4);
    env.ok(&["inbox", "ack", "--as", "carol"]);
    assert_eq!(env.json(&["inbox", "--as", "carol"])[0]["read"], true);
    // New events come first, unread.
    env.ok(&["task", "comment", "acme-prod", "integration", "SDK wired in", "--as", "dev"]);
    let carol = env.json(&["inbox", "--as", "carol"]);
    assert_eq!(carol[0]["action"], "comment");
    assert_eq!(carol[0]["read"], false);
    assert_eq!(carol[1]["read"], true);
}

#[test]
fn the_demo_fills_the_default_database_and_prints_the_outstanding_report() {
    let env = TestEnv::new();
    let run = |dir: &str| {
        let out = env
            .command(&["demo", "--format", "json"])
            .env_remove("RACI_DB")
            .env("XDG_DATA_HOME", env.dir().join(dir))
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run("a");
    assert!(env.dir().join("a/raci/raci.db").exists());
    let rows: serde_json::Value = serde_json::from_str(&first).expect("json");
    let rows = rows.as_array().expect("rows");
    assert!(rows.len() > 20, "{}", rows.len());
    let parties: BTreeSet<&str> = rows.iter().filter_map(|r| r["party"].as_str()).collect();
    assert_eq!(parties, BTreeSet::from(["subscriber", "vendor"]));
    assert!(rows.iter().any(|r| r["overdue"] == true), "some overdue");
    assert!(rows.iter().any(|r| r["cycle"].is_number()), "an update cycle");
    assert!(rows.iter().any(|r| r["ticket"].is_string()), "a ticket");
    // Deterministic, and running it again adds nothing.
    assert_eq!(run("b"), first);
    assert_eq!(run("a"), first);
}

#[test]
fn the_demo_refuses_to_reuse_a_handle_taken_by_someone_else() {
    let env = TestEnv::new();
    env.ok(&["person", "add", "boss", "--party", "vendor", "--role", "support-engineer"]);
    // A database with people of its own needs an acting administrator.
    let err = env.refused(&["demo", "--installations", "3"], 2);
    assert!(err.contains("--as"), "{err}");
    env.ok(&[
        "person",
        "add",
        "ada.cse",
        "--party",
        "subscriber",
        "--role",
        "administrator",
        "--subscriber",
        "Foo",
        "--as",
        "boss",
    ]);
    let err = env.refused(&["demo", "--installations", "3", "--as", "boss"], 5);
    assert!(err.contains("ada.cse"), "{err}");
    // People of its own from an earlier run are reused.
    let env = TestEnv::new();
    env.ok(&["demo", "--installations", "2"]);
    env.ok(&["demo", "--installations", "4"]);
    assert_eq!(env.json(&["installation", "list"]).as_array().map(Vec::len), Some(4));
    // Whoever is named acts as themselves: only a vendor administrator may.
    for who in ["acme.dev", "acme.infra", "linus.support"] {
        let err = env.refused(&["demo", "--installations", "6", "--as", who], 3);
        assert!(err.contains("vendor administrator"), "{err}");
    }
    env.ok(&["demo", "--installations", "6", "--as", "ada.cse"]);
}

#[test]
fn the_demo_shows_every_stage() {
    let env = TestEnv::new();
    env.ok(&["demo", "--installations", "10"]);
    let states: BTreeSet<String> = (1..=10)
        .flat_map(|i| {
            let list = env.json(&["installation", "list"]);
            let id = list[i - 1]["id"].as_str().unwrap_or_default().to_string();
            env.states(&id).into_iter().map(|(_, s)| s)
        })
        .collect();
    for s in ["pending", "in_progress", "submitted", "signed_off", "waived", "recurring"] {
        assert!(states.contains(s), "{s} in {states:?}");
    }
    assert!(!env.ok(&["report", "stale-backups"]).is_empty());
}

#[test]
fn completions_and_the_man_page() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.ok(&["completions", shell]);
        assert!(out.contains("raci") && out.contains("outstanding"), "{shell}");
    }
    env.refused(&["completions", "powershell7"], 2);
    let man = env.ok(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH raci"), "{}", &man[..man.len().min(200)]);
}
