//! `raci matrix` reproduces the seed's table row for row.

use crate::common::TestEnv;

/// The seed's RACI table, read straight from the source document: title,
/// the vendor's cell, the subscriber's cell, notes.
fn seed_rows() -> Vec<[String; 4]> {
    let seed = include_str!("../fixtures/seed.txt");
    seed.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("|PSaaS"))
        .map(|l| {
            let cells: Vec<String> = l.trim_matches('|').split('|').map(str::to_string).collect();
            assert_eq!(cells.len(), 4, "{l}");
            [cells[0].clone(), cells[1].clone(), cells[2].clone(), cells[3].clone()]
        })
        .collect()
}

/// The letters that open a cell: "R, A - Auth0 ..." is ["R", "A"].
fn letters(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in cell.split(',') {
        let word = part.trim().split([' ', '(']).next().unwrap_or("");
        if matches!(word, "R" | "A" | "C" | "I") {
            out.push(word.to_string());
        } else {
            break;
        }
    }
    out
}

#[test]
fn matrix_json_equals_the_seed_table() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let matrix = env.json(&["matrix"]);
    let rows = matrix.as_array().expect("array");
    let seed = seed_rows();
    assert_eq!(rows.len(), 12);
    assert_eq!(seed.len(), 12);
    let keys = [
        "infrastructure",
        "deployment",
        "configuration",
        "handover",
        "monitoring",
        "backup",
        "integration",
        "user-migration",
        "updates",
        "update-testing",
        "support-tickets",
        "issue-resolution",
    ];
    for ((row, [title, vendor, subscriber, notes]), key) in rows.iter().zip(&seed).zip(keys) {
        assert_eq!(row["task"], key);
        assert_eq!(row["title"], title.as_str());
        assert_eq!(row["vendor"], serde_json::json!(letters(vendor)), "{key}");
        assert_eq!(row["subscriber"], serde_json::json!(letters(subscriber)), "{key}");
        assert_eq!(row["notes"], notes.as_str());
    }
    // Spot checks against PRODUCT.md's table.
    assert_eq!(rows[0]["subscriber"], serde_json::json!(["R", "A"]));
    assert_eq!(rows[8]["vendor"], serde_json::json!(["R"]));
    assert_eq!(rows[6]["vendor"], serde_json::json!(["C", "I"]));
}

#[test]
fn matrix_table_shows_the_seed_cells_under_the_vendors_name() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let table = env.ok(&["matrix"]);
    assert!(table.contains("Auth0"), "{table}");
    for [title, vendor, subscriber, _] in seed_rows() {
        assert!(table.contains(&title), "{title}");
        assert!(table.contains(&vendor), "{vendor}");
        assert!(table.contains(&subscriber), "{subscriber}");
    }
}

#[test]
fn matrix_csv_joins_letters_with_plus() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let csv = env.ok(&["matrix", "--format", "csv"]);
    let mut lines = csv.lines();
    let header = lines.next().expect("a header");
    assert!(header.starts_with("task,title,vendor,subscriber,notes"), "{header}");
    let first = lines.next().expect("first row");
    assert!(
        first.starts_with("infrastructure,\"Preparing VM Infrastructure, including:"),
        "{first}"
    );
    assert!(first.contains(",C,R+A,"), "{first}");
}
