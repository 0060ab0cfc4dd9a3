//! The web pages as people use them: headless Chromium driven over
//! WebDriver (Debian's chromedriver, through fantoccini) against a real
//! `raci serve`, with axe-core checking accessibility; and every page's
//! answer to a plain HTTP client, signed in or not.
//!
//! Like the HTML report's check (html.rs), the browser tests skip with a
//! note where chromium or chromedriver is missing, except under CI, which
//! installs both (.ci/run) and must run them.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

use crate::common::TestEnv;
use crate::remote::Server;

/// A subscriber's name that is markup: it must show as text.
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

const INFRA_ITEMS: usize = TestEnv::INFRA_ITEMS.len();

// The browser.

/// A chromedriver on a free loopback port, in a process group of its own so
/// that dropping it ends the Chromium it started too.
struct Chromedriver {
    child: Child,
    url: String,
    profile: TempDir,
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Chromedriver {
    /// `None` where chromium or chromedriver is missing and this is not CI.
    fn start() -> Option<Chromedriver> {
        if !(installed("chromium") && installed("chromedriver")) {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium and chromium-driver (.ci/run does) to test the pages"
            );
            eprintln!(
                "note: no chromium or chromedriver found; skipping the browser test outside CI"
            );
            return None;
        }
        // chromedriver takes no port 0: find a free one, then free it.
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("its address").port()
        };
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile: tempfile::tempdir().expect("a profile directory"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(driver)
    }

    /// A new headless Chromium session with a fresh profile.
    async fn browser(&self) -> Client {
        let profile = self.profile.path().join("profile");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .into_iter()
        .map(str::to_string)
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_string(), json!({ "args": args }));
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let group = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a person does and reads on a page.
struct Person<'a> {
    c: &'a Client,
    base: &'a str,
}

impl Person<'_> {
    async fn open(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.expect("the page opens");
    }

    async fn path(&self) -> String {
        let url = self.c.current_url().await.expect("a URL");
        url.path().to_string()
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    async fn count(&self, css: &str) -> usize {
        self.c.find_all(Locator::Css(css)).await.expect("a query").len()
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("its text")
    }

    async fn type_in(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("cleared");
        field.send_keys(text).await.expect("typed");
    }

    async fn choose(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.expect("chosen");
    }

    /// Clicks the button labelled `label` (inside `within`, an XPath).
    async fn press(&self, within: &str, label: &str) {
        let xpath = format!("{within}//button[normalize-space()='{label}']");
        let button =
            self.c.find(Locator::XPath(&xpath)).await.unwrap_or_else(|e| panic!("{xpath}: {e}"));
        self.c.execute("window.raciLeft = true;", Vec::new()).await.expect("a mark");
        button.click().await.expect("clicked");
        self.settle().await;
    }

    /// Waits until the page the last button led to has loaded: a new
    /// document, without the mark `press` left on the old one.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let loaded = "return window.raciLeft !== true && document.readyState === 'complete';";
        while self.c.execute(loaded, Vec::new()).await.ok().and_then(|v| v.as_bool()) != Some(true)
        {
            assert!(Instant::now() < deadline, "no new page after a button");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The labels of the moves offered as buttons inside `within`.
    async fn buttons(&self, within: &str) -> Vec<String> {
        let mut labels = Vec::new();
        let xpath = format!("{within}//form[@class='move']/button");
        for b in self.c.find_all(Locator::XPath(&xpath)).await.expect("the buttons") {
            labels.push(b.text().await.expect("a label"));
        }
        labels
    }

    async fn accept_invitation(&self, url: &str, password: &str) {
        self.c.goto(url).await.expect("the invitation opens");
        self.type_in("#password", password).await;
        self.press("//main", "Set password and sign in").await;
        assert_eq!(self.path().await, "/", "signed in, on My moves");
    }

    async fn sign_in(&self, handle: &str, password: &str) {
        self.open("/login").await;
        self.type_in("#handle", handle).await;
        self.type_in("#password", password).await;
        self.press("//main", "Sign in").await;
        assert_eq!(self.path().await, "/", "signed in, on My moves");
    }

    async fn sign_out(&self) {
        self.press("//header", "Sign out").await;
        assert_eq!(self.path().await, "/login");
    }

    async fn who(&self) -> String {
        self.text(".who").await
    }

    /// The session cookie, as a plain client would send it.
    async fn cookie(&self) -> String {
        let cookie = self.c.get_named_cookie("raci_session").await.expect("a session cookie");
        format!("raci_session={}", cookie.value())
    }

    async fn body(&self) -> String {
        self.text("body").await
    }
}

// Plain HTTP.

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().new_agent()
}

/// GET `path` with an optional session cookie: the status and `Location`.
fn get(server: &Server, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = agent().get(format!("{}{path}", server.url));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let res = req.call().expect("an answer");
    let location =
        res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    (res.status().as_u16(), location)
}

/// A form POST with a session cookie: the status and the body.
fn post(server: &Server, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut res = agent()
        .post(format!("{}{path}", server.url))
        .header("Cookie", cookie)
        .send_form(form.iter().copied())
        .expect("an answer");
    (res.status().as_u16(), res.body_mut().read_to_string().unwrap_or_default())
}

/// An invitation for `handle`, made by `by` with the CLI: its URL on `server`.
fn invitation(env: &TestEnv, server: &Server, handle: &str, by: &str) -> String {
    let made = env.json(&["person", "invite", handle, "--as", by]);
    let code = made["code"].as_str().expect("a code");
    format!("{}/invite/{code}", server.url)
}

/// Sets `handle`'s password through their invitation (the API) and signs
/// in at `/login` as a browser does: the session cookie.
fn session(env: &TestEnv, server: &Server, handle: &str, by: &str) -> String {
    let password = format!("{handle} long enough password");
    let made = env.json(&["person", "invite", handle, "--as", by]);
    let code = made["code"].as_str().expect("a code");
    let redeemed = agent()
        .post(format!("{}/api/v1/invitations/{code}", server.url))
        .send_json(json!({ "password": password }))
        .expect("an answer");
    assert!(redeemed.status().is_success(), "redeeming {handle}'s invitation");
    let res = agent()
        .post(format!("{}/login", server.url))
        .send_form([("handle", handle), ("password", password.as_str())])
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 303, "signing in as {handle}");
    let set = res.headers().get("set-cookie").and_then(|c| c.to_str().ok()).expect("a cookie");
    set.split(';').next().expect("name=value").to_string()
}

const PAGES: [&str; 10] = [
    "/",
    "/installations",
    "/installations/acme-prod",
    "/reports/outstanding",
    "/reports/overdue",
    "/reports/clocks",
    "/reports/stale-backups",
    "/inbox",
    "/admin/people",
    "/account/tokens",
];

#[test]
fn every_page_answers_a_signed_in_person_of_each_party_and_sends_others_to_sign_in() {
    let env = TestEnv::new();
    env.ok(&["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"]);
    env.ok(&[
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
    ]);
    env.ok(&["installation", "add", "acme-prod", "--subscriber", "Acme", "--as", "carol"]);
    let server = Server::start(&env);
    for page in PAGES {
        assert_eq!(
            get(&server, page, None),
            (303, "/login".to_string()),
            "{page} without a session"
        );
        let forged = Some("raci_session=raci_not-a-session");
        assert_eq!(get(&server, page, forged), (303, "/login".to_string()), "{page} forged");
    }
    for (handle, by) in [("carol", "carol"), ("ian", "ian")] {
        let cookie = session(&env, &server, handle, by);
        for page in PAGES {
            assert_eq!(get(&server, page, Some(&cookie)).0, 200, "{page} for {handle}");
        }
    }
    assert_eq!(get(&server, "/login", None).0, 200);
}

// The scenario.

/// Runs `scenario` against a browser, where there is one; the session is
/// closed when it ends (and the browser killed with chromedriver if it fails).
async fn with_browser<F>(scenario: F)
where
    F: AsyncFnOnce(&Client),
{
    let Some(driver) = Chromedriver::start() else {
        return;
    };
    let client = driver.browser().await;
    scenario(&client).await;
    client.close().await.expect("the session closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_engineer_completes_infrastructure_in_the_browser_and_the_rules_hold() {
    let env = TestEnv::new();
    env.ok(&["person", "add", "carol", "--party", "vendor", "--role", "customer-success-engineer"]);
    env.ok(&[
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
    ]);
    for (id, subscriber) in [("acme-prod", "Acme"), ("globex-prod", "Globex"), ("evil-1", HOSTILE)]
    {
        env.ok(&["installation", "add", id, "--subscriber", subscriber, "--as", "carol"]);
    }
    let server = Server::start(&env);
    let carol_invite = invitation(&env, &server, "carol", "carol");
    let gina_invite = invitation(&env, &server, "gina", "carol");
    let carol_password = "carol's long password";

    with_browser(async |c| {
        let p = Person { c, base: &server.url };
        // The vendor's administrator accepts her own invitation ...
        p.accept_invitation(&carol_invite, carol_password).await;
        assert!(p.who().await.starts_with("carol · vendor"), "{}", p.who().await);
        // ... and sees the hostile subscriber's name as text, nothing run.
        for page in ["/installations", "/reports/outstanding"] {
            p.open(page).await;
            assert!(p.body().await.contains(HOSTILE), "{page} shows the name as text");
            assert_eq!(p.count("img").await, 0, "{page} made no img element");
        }
        // She adds Acme's infrastructure engineer on the People page and
        // invites him.
        p.open("/admin/people").await;
        p.type_in("#p-handle", "ian").await;
        p.type_in("#p-name", "Ian Infra").await;
        p.choose("#p-party", "subscriber").await;
        p.choose("#p-role", "infrastructure-engineer").await;
        p.type_in("#p-subscriber", "Acme").await;
        p.press("//main", "Add person").await;
        assert_eq!(p.path().await, "/admin/people");
        p.press("//main", "Invite ian").await;
        assert_eq!(p.count(".secret").await, 1, "{}", p.body().await);
        let ian_invite = p.text(".secret code").await;
        assert!(ian_invite.starts_with(&format!("{}/invite/", server.url)), "{ian_invite}");
        p.sign_out().await;

        // The engineer accepts it: a password, and he is signed in.
        p.accept_invitation(&ian_invite, "ian's long password").await;
        assert!(p.who().await.starts_with("ian · subscriber · Acme"), "{}", p.who().await);
        assert!(p.body().await.contains("acme-prod · infrastructure"), "his move on My moves");
        assert!(!p.body().await.contains("globex-prod"), "not Globex's");
        p.open("/installations/acme-prod").await;
        let infra = "//section[@id='infrastructure']";
        assert_eq!(p.text("#infrastructure .state").await, "pending");
        // Only the moves the rules offer him: no sign-off before it is submitted.
        let moves = p.buttons(infra).await;
        assert!(moves.iter().any(|b| b == "start"), "{moves:?}");
        assert!(!moves.iter().any(|b| b == "submit" || b == "signoff"), "{moves:?}");
        assert!(!p.text("#deployment").await.contains("start\n"), "deployment is the vendor's");
        p.press(infra, "start").await;
        assert_eq!(p.text("#infrastructure .state").await, "in_progress");
        let boxes = c
            .find_all(Locator::Css("#infrastructure input[type=checkbox][name=item]"))
            .await
            .expect("the checklist");
        assert_eq!(boxes.len(), INFRA_ITEMS, "nine items to tick");
        for b in boxes {
            b.click().await.expect("ticked");
        }
        p.press(infra, "Check selected items").await;
        assert_eq!(p.count("#infrastructure input[type=checkbox][name=item]").await, 0);
        assert_eq!(p.count("#infrastructure .done").await, INFRA_ITEMS, "all nine checked");
        p.press(infra, "submit").await;
        assert_eq!(p.text("#infrastructure .state").await, "submitted");
        p.press(infra, "signoff").await;
        assert_eq!(p.text("#infrastructure .state").await, "signed_off");
        p.sign_out().await;

        // The vendor's customer-success engineer finds the deployment hers.
        p.sign_in("carol", carol_password).await;
        let moves = p.text("main").await;
        assert!(moves.contains("acme-prod · deployment"), "{moves}");
        assert!(!moves.contains("acme-prod · infrastructure"), "{moves}");
        // A POST replayed without the page's CSRF token, with her cookie: 403.
        let cookie = p.cookie().await;
        let start = "/installations/acme-prod/tasks/deployment/start";
        let (status, body) = post(&server, start, &cookie, &[("note", "replayed")]);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("CSRF"), "{body}");
        let (status, _) = post(&server, start, &cookie, &[("csrf", "forged"), ("note", "x")]);
        assert_eq!(status, 403, "a wrong token too");
        assert_eq!(env.state("acme-prod", "deployment"), "pending", "nothing happened");
        // With the page's token the same request is hers to make.
        p.open("/installations/acme-prod").await;
        let csrf = p.find("input[name=csrf]").await.attr("value").await.expect("attr");
        let csrf = csrf.expect("the page's token");
        let (status, body) = post(&server, start, &cookie, &[("csrf", &csrf)]);
        assert_eq!(status, 303, "{body}");
        assert_eq!(env.state("acme-prod", "deployment"), "in_progress");
        p.sign_out().await;

        // Globex's engineer never sees Acme.
        p.accept_invitation(&gina_invite, "gina's long password").await;
        assert!(!p.text("main").await.contains("acme"), "{}", p.text("main").await);
        p.open("/installations").await;
        let list = p.text("main").await;
        assert!(list.contains("globex-prod") && !list.contains("acme-prod"), "{list}");
        assert_eq!(p.count("a[href='/installations/acme-prod']").await, 0);
        p.open("/installations/acme-prod").await;
        assert!(!p.body().await.contains("Acme"), "{}", p.body().await);
        let cookie = p.cookie().await;
        assert_eq!(get(&server, "/installations/acme-prod", Some(&cookie)).0, 404);
        assert_eq!(get(&server, "/installations/globex-prod", Some(&cookie)).0, 200);
    })
    .await;
}

/// A step signed where raci is not, carried in through the page's file
/// inputs: the statement the page offers (fetched with the session's cookie,
/// as a browser's download is awkward to drive), signed by the plain
/// `ssh-keygen -Y sign`, then uploaded with the signature; the task moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_signed_offline_is_uploaded_through_the_file_inputs() {
    let env = TestEnv::with_people_and_installations();
    let key = crate::pages::key_for(&env, "ian");
    let server = Server::start(&env);
    let invite = invitation(&env, &server, "ian", "carol");
    let source = axe_source();

    with_browser(async |c| {
        let p = Person { c, base: &server.url };
        p.accept_invitation(&invite, "ian's long password").await;
        p.open("/installations/acme-prod").await;
        assert_eq!(p.text("#infrastructure .state").await, "pending");
        let form = p.find("#infrastructure form.statement").await;
        let action = form.attr("action").await.expect("attr").expect("where it goes");
        assert_eq!(action, "/installations/acme-prod/tasks/infrastructure/start/statement");
        let statement = agent()
            .get(format!("{}{action}?note=", server.url))
            .header("Cookie", &p.cookie().await)
            .call()
            .expect("an answer")
            .body_mut()
            .read_to_string()
            .expect("the statement");
        let (statement_file, sig_file) = crate::pages::sign(&env, &key, "step.json", &statement);

        for (input, file) in [("#sg-statement", &statement_file), ("#sg-signature", &sig_file)] {
            let path = file.to_str().expect("a UTF-8 path");
            p.find(input).await.send_keys(path).await.expect("the file chosen");
        }
        p.press("//section[@id='signed-steps']", "Upload the signed step").await;
        assert_eq!(p.path().await, "/installations/acme-prod");
        assert_eq!(p.text("#infrastructure .state").await, "in_progress");
        let log = env.json(&["log", "acme-prod"]);
        let last = log.as_array().and_then(|l| l.last()).expect("an event");
        assert_eq!((&last["action"], &last["actor"]), (&"start".into(), &"ian".into()));
        assert_eq!(last["channel"], "web");
        assert_eq!(last["statement"], statement.as_str());
        let signature = std::fs::read_to_string(&sig_file).expect("the signature");
        assert_eq!(last["signature"], signature.as_str());
        let found = axe(c, source.as_deref()).await;
        assert!(found.is_empty(), "axe on the page after the upload:\n{}", found.join("\n"));
    })
    .await;
}

// Accessibility and small screens.

/// axe-core, installed by `npm ci --prefix tests/browser`; `None` where it is
/// not and this is not CI (CI installs it and must run it).
fn axe_source() -> Option<String> {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "tests/browser/node_modules/axe-core/axe.min.js"]
            .iter()
            .collect();
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{}: {e}; CI must install axe-core (`npm ci --prefix tests/browser`)",
                path.display()
            );
            eprintln!(
                "note: no axe-core ({e}); skipping the accessibility check outside CI \
                 (`npm ci --prefix tests/browser` installs it)"
            );
            None
        }
    }
}

/// The serious and critical violations axe finds on the open page.
async fn axe(c: &Client, source: Option<&str>) -> Vec<String> {
    let Some(source) = source else {
        return Vec::new();
    };
    c.execute(source, Vec::new()).await.expect("axe-core loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            Vec::new(),
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .expect("a list of violations")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .take(3)
                .map(|n| n["target"].to_string())
                .collect();
            format!("{} ({}): {} at {}", v["id"], v["impact"], v["help"], nodes.join(", "))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_pass_axe_and_my_moves_fits_a_phone() {
    let env = TestEnv::with_people_and_installations();
    env.ok(&["task", "start", "acme-prod", "infrastructure", "--as", "ian"]);
    env.ok(&["checklist", "check", "acme-prod", "infrastructure", "memory", "--as", "ian"]);
    env.ok(&["task", "due", "acme-prod", "infrastructure", "2026-10-01", "--as", "ian"]);
    let server = Server::start(&env);
    let invites: Vec<(&str, String)> =
        ["carol", "ian"].into_iter().map(|h| (h, invitation(&env, &server, h, "carol"))).collect();
    let source = axe_source();
    let source = source.as_deref();

    with_browser(async |c| {
        let p = Person { c, base: &server.url };
        let mut found = Vec::new();
        p.open("/login").await;
        for v in axe(c, source).await {
            found.push(format!("/login: {v}"));
        }
        // The check is live: a field without a label is caught.
        if source.is_some() {
            c.execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', '<input name=x>');",
            Vec::new(),
        )
        .await
        .expect("a field added");
            let caught = axe(c, source).await;
            assert!(caught.iter().any(|v| v.starts_with("\"label\"")), "{caught:?}");
        }
        for (handle, invite) in &invites {
            p.accept_invitation(invite, "a long enough password").await;
            for page in [
                "/",
                "/installations",
                "/installations/acme-prod",
                "/reports/outstanding",
                "/inbox",
                "/account/tokens",
                "/admin/people",
            ] {
                p.open(page).await;
                for v in axe(c, source).await {
                    found.push(format!("{page} as {handle}: {v}"));
                }
            }
            // My moves at a phone's width: nothing scrolls sideways.
            c.set_window_size(390, 844).await.expect("a phone's width");
            for page in ["/", "/installations/acme-prod"] {
                p.open(page).await;
                let widths = c
                    .execute(
                        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];",
                        Vec::new(),
                    )
                    .await
                    .expect("the widths");
                let (scroll, client) = (widths[0].as_u64(), widths[1].as_u64());
                assert!(
                    scroll <= client && client.is_some_and(|w| w <= 390),
                    "{page} as {handle} at 390 px: scrollWidth {scroll:?}, clientWidth {client:?}"
                );
            }
            c.set_window_size(1280, 900).await.expect("back to a desktop's width");
            p.sign_out().await;
        }
        assert!(found.is_empty(), "axe found serious or critical violations:\n{}", found.join("\n"));
    })
    .await;
}

/// Screenshots of the pages for the README (scripts/screenshots runs this):
/// on a demo database, the vendor's engineer's "My moves" and the page of
/// an installation whose infrastructure its subscriber's engineer is
/// ticking off, as he sees it, written to `RACI_SCREENSHOTS`
/// (docs/screenshots by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/screenshots; run by scripts/screenshots"]
async fn screenshots() {
    let out = std::env::var_os("RACI_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out).expect("the screenshots' directory");
    let env = TestEnv::new();
    env.ok(&["demo", "--installations", "12"]);
    let server = Server::start(&env);
    let shots = [
        ("ada.cse", "/", "my-moves.png", 520),
        ("umbrella.infra", "/installations/umbrella-00012", "installation.png", 1300),
    ];
    let invites: Vec<String> =
        shots.iter().map(|(who, ..)| invitation(&env, &server, who, who)).collect();
    with_browser(async |c| {
        let p = Person { c, base: &server.url };
        for ((_, page, file, height), invite) in shots.iter().zip(&invites) {
            p.accept_invitation(invite, "a long enough password").await;
            c.set_window_size(1100, *height).await.expect("a window size");
            p.open(page).await;
            let png = c.screenshot().await.expect("a screenshot");
            std::fs::write(out.join(file), png).expect("the screenshot written");
            p.sign_out().await;
        }
    })
    .await;
}
