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
    let grid = |page: &str| {
        page.lines().filter(|l| l.contains("class=\"installation\"")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(grid(&one), grid(&globex), "--subscriber gives the same installations");
    assert!(globex.contains("<a href=\"index.html\">"), "a site's page links back to the index");
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

/// A subscriber with more installations than a page holds is split into
/// pages (a hidden `--page-size`; 500 by default): the index links every
/// page with its range, each page links its neighbours, and every
/// installation is on exactly one page with its own moves and clocks.
#[test]
fn the_html_site_splits_a_large_subscriber_into_linked_pages() {
    let env = TestEnv::with_people_and_installations();
    for n in 1..=4 {
        let id = format!("acme-{n}");
        env.ok(&["installation", "add", &id, "--subscriber", "Acme", "--as", "carol"]);
    }
    env.ok(&["task", "start", "acme-3", "infrastructure", "--as", "ian"]);
    let dir = env.dir().join("site");
    let site = format!("{}/", dir.display());
    let note = env.ok(&["report", "html", "--output", &site, "--page-size", "2"]);
    // Acme's five installations in three pages, Globex's one, the index.
    assert!(note.contains("5 files"), "{note}");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    let index = read("index.html");
    let pages = ["0001-acme-01.html", "0001-acme-02.html", "0001-acme-03.html", "0002-globex.html"];
    for page in pages {
        assert!(index.contains(&format!("href=\"{page}\"")), "{page} linked from the index");
    }
    assert!(index.contains("Acme (2 of 3)"), "{index}");
    assert!(index.contains("<td>acme-3</td><td>acme-4</td>"), "the second page's range");
    let mut seen = Vec::new();
    for page in pages {
        let html = read(page);
        for line in html.lines().filter(|l| l.contains("<td class=\"installation\">")) {
            let id =
                line.split("<td class=\"installation\">").nth(1).and_then(|r| r.split('<').next());
            seen.push(id.expect("an ID").to_string());
        }
    }
    seen.sort();
    assert_eq!(seen, ["acme-1", "acme-2", "acme-3", "acme-4", "acme-prod", "globex-prod"]);
    let second = read("0001-acme-02.html");
    assert!(second.contains("page 2 of 3"), "{second}");
    assert!(second.contains("href=\"0001-acme-01.html\" rel=\"prev\""));
    assert!(second.contains("href=\"0001-acme-03.html\" rel=\"next\""));
    // acme-3's started task is a move on its own page and no other.
    assert!(second.contains("<td>acme-3</td><td>Acme</td><td>infrastructure</td>"));
    assert!(!read("0001-acme-01.html").contains("<td>acme-3</td>"));
    assert!(!read("0001-acme-03.html").contains("rel=\"next\""));
    env.refused(&["report", "html", "--output", &site, "--page-size", "0"], 2);

    let Some(dom) = dump_dom(&dir.join("0001-acme-02.html"), &env.dir().join("chromium-profile"))
    else {
        return;
    };
    assert!(dom.contains("<td class=\"installation\">acme-4</td>"), "{dom}");
    assert!(dom.contains("<a href=\"index.html\">all subscribers</a>"), "{dom}");
}
