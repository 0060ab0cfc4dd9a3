//! Text and names: subscribers compared with Unicode case folding, free text
//! refused when it holds what does not display as it reads, and CSV cells a
//! spreadsheet would run as formulas.

use crate::common::TestEnv;

fn vendor_and_installation(subscriber: &str) -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"]);
    env.ok(&["installation", "add", "werk-prod", "--subscriber", subscriber, "--as", "carol"]);
    env
}

#[test]
fn subscriber_names_compare_with_full_case_folding() {
    let env = vendor_and_installation("Straße Werke");
    env.ok(&[
        "person",
        "add",
        "klaus",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "STRASSE WERKE",
        "--as",
        "carol",
    ]);
    env.ok(&[
        "person",
        "add",
        "other",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "Strase Werke",
        "--as",
        "carol",
    ]);
    // "STRASSE" folds to "strasse", as "Straße" does: klaus is of this subscriber.
    env.complete("werk-prod", "infrastructure", "klaus", &TestEnv::INFRA_ITEMS, "klaus");
    env.ok(&["task", "start", "werk-prod", "deployment", "--as", "carol"]);
    // The inbox's SQL folds the same way: klaus is Informed of the deployment.
    let inbox = env.json(&["inbox", "--as", "klaus"]);
    let tasks: Vec<&str> =
        inbox.as_array().expect("inbox").iter().filter_map(|e| e["task"].as_str()).collect();
    assert!(tasks.contains(&"deployment"), "{inbox}");
    // A different name stays different: to its people, the installation is
    // as absent as one that does not exist.
    let err =
        env.refused(&["task", "comment", "werk-prod", "infrastructure", "hi", "--as", "other"], 4);
    assert!(err.contains("no installation \"werk-prod\""), "{err}");
    assert_eq!(env.json(&["inbox", "--as", "other"]), serde_json::json!([]));
}

#[test]
fn greek_final_sigma_folds_too() {
    let env = vendor_and_installation("ΣΊΣΥΦΟΣ");
    env.ok(&[
        "person",
        "add",
        "sisyphos",
        "--party",
        "subscriber",
        "--role",
        "infrastructure-engineer",
        "--subscriber",
        "σίσυφος",
        "--as",
        "carol",
    ]);
    env.ok(&["task", "start", "werk-prod", "infrastructure", "--as", "sisyphos"]);
}

#[test]
fn free_text_refuses_format_ignorable_and_invisible_characters() {
    let env = TestEnv::with_people_and_installations();
    for (text, why) in [
        ("soft\u{ad}hyphen", "\\u{ad}"),
        ("mongolian\u{180e}vowel", "\\u{180e}"),
        ("tag\u{e0041}letter", "\\u{e0041}"),
        ("filler\u{3164}", "\\u{3164}"),
        ("joined\u{34f}", "\\u{34f}"),
        ("selector\u{fe0f}", "\\u{fe0f}"),
        ("\u{301}\u{301}", "no visible character"),
        (" \u{301}\u{20dd} ", "no visible character"),
    ] {
        let err = env
            .refused(&["task", "comment", "acme-prod", "infrastructure", text, "--as", "ian"], 2);
        assert!(err.contains(why), "{text:?}: {err}");
        env.refused(&["installation", "add", "new", "--subscriber", text, "--as", "carol"], 2);
    }
    // Letters with combining marks and other scripts are text.
    env.ok(&[
        "task",
        "comment",
        "acme-prod",
        "infrastructure",
        "Cafe\u{301} 日本 Σ",
        "--as",
        "ian",
    ]);
}

#[test]
fn csv_cells_that_look_like_formulas_are_quoted_as_text() {
    let env = TestEnv::new();
    env.ok(&["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"]);
    let subscribers = [
        ("a", "=HYPERLINK(\"http://evil.example\",\"click\")"),
        ("b", "@SUM(1)"),
        ("c", "+1"),
        ("d", "-2+3"),
        ("e", "Acme"),
    ];
    for (id, subscriber) in subscribers {
        let flag = format!("--subscriber={subscriber}");
        env.ok(&["installation", "add", id, &flag, "--as", "carol"]);
    }
    let csv = env.ok(&["installation", "list", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let column = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "subscriber")
        .expect("subscriber column");
    let cells: Vec<String> =
        reader.records().map(|r| r.expect("record")[column].to_string()).collect();
    let expected: Vec<String> = subscribers
        .iter()
        .map(
            |(_, s)| {
                if s.starts_with(['=', '@', '+', '-']) { format!("'{s}") } else { s.to_string() }
            },
        )
        .collect();
    assert_eq!(cells, expected);
    // JSON carries the text as it is.
    let json = env.json(&["installation", "list"]);
    assert_eq!(json[0]["subscriber"], subscribers[0].1);
}
