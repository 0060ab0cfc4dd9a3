//! The pages over plain HTTP: only the moves the rules allow appear as
//! buttons, the others say whose they are, and a hand-crafted form for a
//! move without a button is refused with the command line's message.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TestEnv;
use crate::remote::Server;

/// A browser without a browser: a cookie jar of one session.
struct Browser {
    agent: ureq::Agent,
    base: String,
    cookie: String,
}

impl Browser {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
    }

    /// Signs in at /login with a password set through an invitation.
    fn sign_in(env: &TestEnv, server: &Server, handle: &str, admin: &str) -> Browser {
        let invited = env.json(&["person", "invite", handle, "--as", admin]);
        let code = invited["code"].as_str().expect("a code");
        let agent = Browser::agent();
        let res = agent
            .post(format!("{}/invite/{code}", server.url))
            .send_form([("password", "correct horse battery")])
            .expect("an answer");
        assert_eq!(res.status().as_u16(), 303, "redeeming the invitation signs in");
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        Browser { agent, base: server.url.clone(), cookie }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut res = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .call()
            .expect("an answer");
        (res.status().as_u16(), res.body_mut().read_to_string().unwrap_or_default())
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let mut res = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .send_form(form.iter().copied())
            .expect("an answer");
        (res.status().as_u16(), res.body_mut().read_to_string().unwrap_or_default())
    }

    /// A GET answered with its status, content type, content disposition
    /// and body.
    fn download(&self, path: &str) -> (u16, String, String, String) {
        let mut res = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .call()
            .expect("an answer");
        let header = |name: &str| {
            res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
        };
        let (kind, disposition) = (header("content-type"), header("content-disposition"));
        (
            res.status().as_u16(),
            kind,
            disposition,
            res.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    /// A `multipart/form-data` POST, as a browser sends a form with file
    /// inputs: the CSRF field (when given), then each file as (field, file
    /// name, text). The status, the `Location` and the body.
    fn upload(
        &self,
        path: &str,
        csrf: Option<&str>,
        files: &[(&str, &str, &str)],
    ) -> (u16, String, String) {
        let boundary = "----raci-test-boundary-7d1f0a";
        let mut body = String::new();
        if let Some(token) = csrf {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            ));
        }
        for (name, file, text) in files {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n{text}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let mut res = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .send(body.as_bytes())
            .expect("an answer");
        let location =
            res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
        (res.status().as_u16(), location, res.body_mut().read_to_string().unwrap_or_default())
    }

    /// The page's CSRF token, from its forms.
    fn csrf(&self) -> String {
        let (_, page) = self.get("/");
        let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        page[at..at + 64].to_string()
    }
}

/// Runs `ssh-keygen` as a signer does, where raci is not.
fn ssh_keygen(args: &[&str]) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .output()
        .expect("ssh-keygen (openssh-client), which signs statements as a signer would");
    assert!(out.status.success(), "ssh-keygen {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A new ed25519 key pair for `handle` in the test's directory, its public
/// half registered with `raci person key add` by the person: the private
/// key's path.
pub(crate) fn key_for(env: &TestEnv, handle: &str) -> PathBuf {
    let key = env.dir().join(format!("{handle}_ed25519"));
    let comment = format!("{handle}@test");
    ssh_keygen(&["-q", "-t", "ed25519", "-N", "", "-C", &comment, "-f", path(&key)]);
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("the public key");
    env.ok(&["person", "key", "add", handle, public.trim(), "--as", handle]);
    key
}

/// Writes `statement` to `file` in the test's directory and signs it with
/// the plain `ssh-keygen -Y sign -n raci-step@v1 -f KEY`: the statement's
/// and the signature's paths.
pub(crate) fn sign(env: &TestEnv, key: &Path, file: &str, statement: &str) -> (PathBuf, PathBuf) {
    let at = env.dir().join(file);
    std::fs::write(&at, statement).expect("the statement written");
    ssh_keygen(&["-Y", "sign", "-n", "raci-step@v1", "-f", path(key), path(&at)]);
    let sig = env.dir().join(format!("{file}.sig"));
    assert!(sig.exists(), "ssh-keygen wrote {}", sig.display());
    (at, sig)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The move buttons of one task's section: their labels.
fn buttons(page: &str, task: &str) -> Vec<String> {
    let start = page.find(&format!("<section class=\"task\" id=\"{task}\"")).expect("the task");
    let end = page[start..].find("</section>").map_or(page.len(), |e| start + e);
    let section = &page[start..end];
    let Some(moves) = section.find("<div class=\"moves\">") else {
        return Vec::new();
    };
    let section = &section[moves..];
    let section = &section[..section.find("</div>").unwrap_or(section.len())];
    section
        .split("<button type=\"submit\">")
        .skip(1)
        .filter_map(|b| b.split('<').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn pages_offer_only_the_moves_the_rules_allow_and_refuse_the_rest_as_the_cli_does() {
    let env = TestEnv::with_people_and_installations();
    let server = Server::start(&env);
    let ian = Browser::sign_in(&env, &server, "ian", "carol");
    let carol = Browser::sign_in(&env, &server, "carol", "carol");

    // The subscriber's engineer may start infrastructure (and block it);
    // the vendor sees no start button there, and is told whose it is.
    let (code, page) = ian.get("/installations/acme-prod");
    assert_eq!(code, 200);
    assert_eq!(buttons(&page, "infrastructure"), ["start", "block"]);
    assert!(buttons(&page, "deployment").is_empty(), "{:?}", buttons(&page, "deployment"));
    let (_, theirs) = carol.get("/installations/acme-prod");
    assert!(buttons(&theirs, "infrastructure").is_empty());
    assert!(
        theirs.contains("Not yours: start on infrastructure is for the subscriber"),
        "the vendor is told whose move it is"
    );

    // A hand-crafted form for a move without a button: the CLI's refusal.
    let cli = env.run(&["task", "start", "acme-prod", "infrastructure", "--as", "carol"]);
    assert_eq!(cli.code, 3);
    let message = cli.stderr.trim().strip_prefix("error: ").expect("one error line").to_string();
    let (code, page) = carol.post(
        "/installations/acme-prod/tasks/infrastructure/start",
        &[("csrf", &carol.csrf()), ("note", "")],
    );
    assert_eq!(code, 403);
    assert!(page.contains(&message.replace('\'', "&#x27;")), "{message} in {page}");
    assert_eq!(env.state("acme-prod", "infrastructure"), "pending");

    // The same form by the engineer moves the task, through the pages' channel.
    let (code, _) = ian.post(
        "/installations/acme-prod/tasks/infrastructure/start",
        &[("csrf", &ian.csrf()), ("note", "VMs ordered")],
    );
    assert_eq!(code, 303);
    assert_eq!(env.state("acme-prod", "infrastructure"), "in_progress");
    let log = env.json(&["log", "acme-prod"]);
    let last = log.as_array().and_then(|l| l.last()).expect("an event");
    assert_eq!(last["channel"], "web");
    assert_eq!(last["note"], "VMs ordered");

    // Now its items are the subscriber's to tick: checkboxes for ian only.
    let (_, page) = ian.get("/installations/acme-prod");
    assert_eq!(page.matches("type=\"checkbox\" name=\"item\"").count(), 9);
    let (_, theirs) = carol.get("/installations/acme-prod");
    assert_eq!(theirs.matches("type=\"checkbox\" name=\"item\"").count(), 0);

    // Another subscriber's installation is a page that does not exist.
    let (code, _) = ian.get("/installations/globex-prod");
    assert_eq!(code, 404);
}

#[test]
fn a_move_is_signed_offline_through_the_installation_page_and_applied_once() {
    let env = TestEnv::with_people_and_installations();
    let key = key_for(&env, "ian");
    let server = Server::start(&env);
    let ian = Browser::sign_in(&env, &server, "ian", "carol");
    let carol = Browser::sign_in(&env, &server, "carol", "carol");

    // Each move offered as a button has its statement to sign, and the page
    // a form to upload a signed one (files, with the CSRF token).
    let (_, page) = ian.get("/installations/acme-prod");
    let page = page.replace("&#x2f;", "/");
    for verb in ["start", "block"] {
        let get = format!(
            "<form method=\"get\" action=\"/installations/acme-prod/tasks/infrastructure/{verb}/statement\""
        );
        assert!(page.contains(&get), "a statement to {verb}: {page}");
    }
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(page.contains("type=\"file\" accept=\".json,application/json\""), "{page}");

    // The statement downloads as a file, as `offline request` makes it (but
    // for its nonce): the signed-in person's move, nothing recorded.
    let before = env.json(&["log", "acme-prod"]).as_array().map(Vec::len);
    let (code, kind, disposition, statement) = ian
        .download("/installations/acme-prod/tasks/infrastructure/start/statement?note=VMs+ordered");
    assert_eq!(code, 200, "{statement}");
    assert_eq!(kind, "application/json");
    assert_eq!(disposition, "attachment; filename=\"acme-prod-infrastructure-start.json\"");
    let cli = env.ok(&[
        "offline",
        "request",
        "acme-prod",
        "infrastructure",
        "start",
        "--for",
        "ian",
        "--note",
        "VMs ordered",
    ]);
    let without_nonce = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).expect("a JSON statement");
        assert!(v["nonce"].is_string(), "{text}");
        v["nonce"] = serde_json::Value::Null;
        v
    };
    assert_eq!(without_nonce(&statement), without_nonce(&cli));
    assert!(statement.ends_with("}\n"), "the canonical text, one trailing newline");
    assert_eq!(env.json(&["log", "acme-prod"]).as_array().map(Vec::len), before);

    let (statement_file, sig_file) = sign(&env, &key, "step.json", &statement);
    let signature = std::fs::read_to_string(&sig_file).expect("the signature");
    assert!(signature.starts_with("-----BEGIN SSH SIGNATURE-----"), "{signature}");
    let step =
        [("statement", "step.json", &*statement), ("signature", "step.json.sig", &*signature)];
    let upload = |who: &Browser, csrf: Option<&str>| {
        who.upload("/installations/acme-prod/signed-steps", csrf, &step)
    };

    // A forged upload, without the page's token or with another: refused
    // as any forged form is, and nothing happens; nor does a plain form
    // without the token get further.
    let before = env.snapshot();
    for csrf in [None, Some("forged")] {
        let (code, _, page) = upload(&ian, csrf);
        assert_eq!(code, 403, "{page}");
        assert!(page.contains("CSRF token does not match this session"), "{page}");
    }
    let (code, page) = ian.post("/installations/acme-prod/signed-steps", &[("statement", "x")]);
    assert_eq!(code, 403, "{page}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.state("acme-prod", "infrastructure"), "pending");

    // With the token: the step is recorded as ian's, signed, by the pages.
    let (code, location, page) = upload(&ian, Some(&ian.csrf()));
    assert_eq!(code, 303, "{page}");
    assert_eq!(location, "/installations/acme-prod#infrastructure");
    assert_eq!(env.state("acme-prod", "infrastructure"), "in_progress");
    let log = env.json(&["log", "acme-prod"]);
    let last = log.as_array().and_then(|l| l.last()).expect("an event");
    assert_eq!(last["action"], "start");
    assert_eq!(last["actor"], "ian");
    assert_eq!(last["note"], "VMs ordered");
    assert_eq!(last["channel"], "web");
    assert_eq!(last["statement"], statement.as_str());
    assert_eq!(last["signature"], signature.as_str());
    assert_eq!(last["carried_by"], serde_json::Value::Null, "ian carried his own");

    // The same files again: refused, 409, as `offline apply` refuses them.
    let before = env.snapshot();
    let (code, _, page) = upload(&ian, Some(&ian.csrf()));
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("already applied"), "{page}");
    assert_eq!(env.snapshot(), before);
    let cli = env.run(&["offline", "apply", path(&statement_file), path(&sig_file)]);
    assert_eq!(cli.code, 5, "{}", cli.stderr);

    // A move that needs a reason: the statement carries it; carried in by
    // someone else, the step is still the signer's, and the carrier named.
    let (code, _, _, block) = ian.download(
        "/installations/acme-prod/tasks/infrastructure/block/statement?reason=no+VMs+yet",
    );
    assert_eq!(code, 200, "{block}");
    assert_eq!(without_nonce(&block)["note"], "no VMs yet");
    let (_, sig_file) = sign(&env, &key, "block.json", &block);
    let block_sig = std::fs::read_to_string(sig_file).expect("the signature");
    let files =
        [("statement", "block.json", &*block), ("signature", "block.json.sig", &*block_sig)];
    let (code, _, page) =
        carol.upload("/installations/acme-prod/signed-steps", Some(&carol.csrf()), &files);
    assert_eq!(code, 303, "{page}");
    assert_eq!(env.state("acme-prod", "infrastructure"), "blocked");
    let log = env.json(&["log", "acme-prod"]);
    let last = log.as_array().and_then(|l| l.last()).expect("an event");
    assert_eq!((&last["action"], &last["actor"]), (&"block".into(), &"ian".into()));
    assert_eq!(last["carried_by"], "carol");

    // A statement for a move that is not the person's: the CLI's refusal.
    let cli = env.run(&["offline", "request", "acme-prod", "deployment", "start", "--for", "ian"]);
    assert_eq!(cli.code, 3, "{}", cli.stderr);
    let message =
        cli.stderr.lines().next().and_then(|l| l.strip_prefix("error: ")).expect("an error line");
    let (code, _, _, page) =
        ian.download("/installations/acme-prod/tasks/deployment/start/statement");
    assert_eq!(code, 403);
    assert!(page.contains(&message.replace('\'', "&#x27;")), "{message} in {page}");
    // A statement without its signature is one the form needs.
    let files = [("statement", "block.json", &*block)];
    let (code, _, page) =
        ian.upload("/installations/acme-prod/signed-steps", Some(&ian.csrf()), &files);
    assert_eq!(code, 400, "{page}");
    assert!(page.contains("the form needs the signature file"), "{page}");
}
