//! The HTML report, opened in headless Chromium as a person would see it.

use std::path::Path;
use std::process::Command;

use crate::common::TestEnv;

const HOSTILE: &str = "<script>document.title='pwned'</script><b>Evil</b> & Co";

/// The DOM Chromium builds from the page, or `None` where no Chromium is
/// installed and this is not CI (CI installs it and must run this).
fn dump_dom(page: &Path, profile: &Path) -> Option<String> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(chromium) = chromium else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (.ci/run does) to check the HTML report"
        );
        eprintln!("note: no chromium found; skipping the browser check outside CI");
        return None;
    };
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_html_report_shows_the_installations_and_keeps_hostile_names_as_text() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["installation", "add", "evil-1", "--subscriber", HOSTILE, "--as", "carol"]);
    env.ok(&["task", "due", "acme-prod", "infrastructure", "2026-11-01", "--as", "ian"]);
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    let page = env.dir().join("report.html");
    let note = env.ok(&["report", "html", "--output", page.to_str().expect("path")]);
    assert!(note.starts_with("wrote the report"), "{note}");
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(!html.contains("<script>document"), "the name is escaped in the file");
    assert!(!html.contains("http://") && !html.contains("https://"), "no network fetches");
    assert_eq!(env.ok(&["report", "html"]), html, "stdout and --output agree");

    let Some(dom) = dump_dom(&page, &env.dir().join("chromium-profile")) else {
        return;
    };
    assert!(dom.contains("<title>raci report</title>"), "the hostile script did not run");
    assert!(
        dom.contains(
            "&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;b&gt;Evil&lt;/b&gt; &amp; Co"
        ),
        "shown as text"
    );
    for id in ["acme-prod", "globex-prod", "evil-1"] {
        assert!(dom.contains(&format!("<td class=\"installation\">{id}</td>")), "{id} in the grid");
    }
    assert!(dom.contains("class=\"state in_progress\""), "states are coloured by class");
    assert!(dom.contains("Outstanding: the subscribers' moves"));
    assert!(dom.contains("past_due"), "the overdue section lists the due date");
}

/// A large program's report as a site: an index of the subscribers linking
/// to one page each, so no page holds the whole program; `--subscriber`
/// gives one subscriber's page.
#[test]
fn the_html_report_as_a_site_has_a_page_per_subscriber() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["installation", "add", "acme-dev", "--subscriber", "ACME", "--as", "carol"]);
    let dir = env.dir().join("site");
    let note = env.ok(&["report", "html", "--output", &format!("{}/", dir.display())]);
    assert!(note.contains("3 files"), "{note}");
    let index = std::fs::read_to_string(dir.join("index.html")).expect("index written");
    let acme = std::fs::read_to_string(dir.join("0001-acme.html")).expect("Acme's page");
    let globex = std::fs::read_to_string(dir.join("0002-globex.html")).expect("Globex's page");
    assert!(
        index.contains("href=\"0001-acme.html\"") && index.contains("href=\"0002-globex.html\"")
    );
    assert!(index.contains("<td>2</td>"), "Acme's two installations, ACME folded into Acme");
    for id in ["acme-prod", "acme-dev"] {
        assert!(acme.contains(&format!("<td class=\"installation\">{id}</td>")), "{id}");
    }
    assert!(!acme.contains("globex-prod") && globex.contains("globex-prod"));
    let one = env.ok(&["report", "html", "--subscriber", "Globex"]);
    assert_eq!(one, globex, "--subscriber gives the same page");
    env.refused(&["report", "html", "--subscriber", "Globex", "--output", "x/"], 2);
    // A subscriber's person gets a site of their own subscriber only.
    let own = env.dir().join("own");
    env.ok(&["report", "html", "--output", &format!("{}/", own.display()), "--as", "gina"]);
    let own_index = std::fs::read_to_string(own.join("index.html")).expect("index");
    assert!(own_index.contains("Globex") && !own_index.contains("Acme"), "{own_index}");

    let Some(dom) = dump_dom(&dir.join("index.html"), &env.dir().join("chromium-profile")) else {
        return;
    };
    assert!(dom.contains("<a href=\"0001-acme.html\">ACME</a>"), "{dom}");
}
