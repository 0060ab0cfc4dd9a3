//! The JSON fields of PRODUCT.md, and CSV and table carrying the same rows.

use crate::common::TestEnv;

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn has(v: &serde_json::Value, fields: &[&str]) {
    let k = keys(v);
    for f in fields {
        assert!(k.iter().any(|x| x == f), "{f} missing from {k:?}");
    }
}

#[test]
fn json_reads_carry_the_contracts_fields() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);

    let status = env.json(&["status", "acme-prod"]);
    has(&status, &["installation", "tasks"]);
    has(&status["tasks"][0], &["task", "state", "responsible", "accountable", "next_move", "due"]);
    assert_eq!(status["tasks"].as_array().map(Vec::len), Some(12));

    let installations = env.json(&["installation", "list"]);
    has(&installations[0], &["id", "subscriber", "appliance_id", "created_at"]);
    assert_eq!(installations[0]["appliance_id"], "appliance62");
    assert_eq!(installations[0]["created_at"], "2026-11-02T09:00:00Z");

    let people = env.json(&["person", "list"]);
    has(&people[0], &["handle", "name", "party", "role", "subscriber", "email"]);
    let carol = people.as_array().into_iter().flatten().find(|p| p["handle"] == "carol").cloned();
    assert_eq!(carol.map(|c| c["email"].clone()), Some("carol@vendor.example".into()));

    let items = env.json(&["checklist", "show", "acme-prod"]);
    has(&items[0], &["task", "item", "owner", "checked", "checked_by", "checked_at", "note"]);
    assert_eq!(items.as_array().map(Vec::len), Some(14));
    assert_eq!(items[0]["checked"], true);
    assert_eq!(items[1]["checked"], false);

    let log = env.json(&["log", "acme-prod"]);
    has(&log[0], &["at", "actor", "party", "role", "action", "task", "from", "to", "note"]);
}

#[test]
fn csv_and_table_carry_the_same_rows_as_json() {
    let env = TestEnv::with_people_and_installations();
    let json = env.json(&["person", "list"]);
    let csv = env.ok(&["person", "list", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> =
        reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(header, keys(&json[0]));
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().expect("records");
    assert_eq!(records.len(), json.as_array().map(Vec::len).unwrap_or(0));
    for (record, row) in records.iter().zip(json.as_array().into_iter().flatten()) {
        assert_eq!(record.get(0), row["handle"].as_str());
    }
    let table = env.ok(&["person", "list"]);
    for row in json.as_array().into_iter().flatten() {
        assert!(table.contains(row["handle"].as_str().unwrap_or("?")));
    }
}

#[test]
fn an_empty_list_still_prints_its_header() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    assert_eq!(
        env.ok(&["installation", "list", "--format", "csv"]).trim(),
        "id,subscriber,appliance_id,created_at,retired"
    );
    assert_eq!(env.ok(&["installation", "list", "--format", "json"]).trim(), "[]");
}

#[test]
fn writes_print_what_they_recorded() {
    let env = TestEnv::with_people_and_installations();
    let out = env.json(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    assert_eq!(out[0]["action"], "start");
    assert_eq!(out[0]["from"], "pending");
    assert_eq!(out[0]["to"], "in_progress");
    let text =
        env.ok(&["task", "comment", "acme-prod", "infrastructure", "VMs ordered", "--as", "ian"]);
    assert!(text.contains("acme-prod infrastructure: comment — VMs ordered"), "{text}");
}

/// On a terminal (here: `COLUMNS`), tables fit the width: one line per row,
/// no line longer than the width, dates instead of timestamps; `--wide`
/// shows everything.
#[test]
fn tables_fit_80_and_120_columns() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&[
        "task",
        "comment",
        "acme-prod",
        "infrastructure",
        &"a long comment that would wrap a cell over several lines ".repeat(3),
        "--as",
        "ian",
    ]);
    let reads: [&[&str]; 4] = [
        &["status", "acme-prod"],
        &["report", "outstanding"],
        &["log", "acme-prod"],
        &["inbox", "--as", "carol"],
    ];
    for columns in ["80", "120"] {
        let mut shown = String::new();
        for args in reads {
            let json = env.json(args);
            let run = env.command(args).env("COLUMNS", columns).output().expect("runs");
            let text = String::from_utf8_lossy(&run.stdout).into_owned();
            let width: usize = columns.parse().expect("width");
            for line in text.lines() {
                assert!(line.chars().count() <= width, "{args:?} at {columns}: {line:?}");
                assert!(!line.contains("T09:00:00Z"), "a full timestamp at {columns}: {line}");
            }
            // One line per row: the header, then the rows (status also has a
            // title line).
            let rows = match json.get("tasks") {
                Some(tasks) => tasks.as_array().map_or(0, Vec::len) + 1,
                None => json.as_array().map_or(0, Vec::len),
            };
            assert_eq!(text.lines().count(), rows + 1, "{args:?} at {columns}:\n{text}");
            shown.push_str(&format!("$ raci {}\n{text}", args.join(" ")));
        }
        insta::assert_snapshot!(format!("tables_at_{columns}"), shown);
    }
    let wide =
        env.command(&["log", "acme-prod", "--wide"]).env("COLUMNS", "80").output().expect("runs");
    let wide = String::from_utf8_lossy(&wide.stdout).into_owned();
    assert!(wide.contains("2026-11-02T09:00:00Z"), "{wide}");
    assert!(
        wide.contains(
            &"a long comment that would wrap a cell over several lines "
                .repeat(3)
                .trim()
                .to_string()
        ),
        "{wide}"
    );
    assert!(wide.lines().any(|l| l.chars().count() > 80), "--wide does not cut: {wide}");
}
