//! The pages over plain HTTP: only the moves the rules allow appear as
//! buttons, the others say whose they are, and a hand-crafted form for a
//! move without a button is refused with the command line's message.

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

    /// The page's CSRF token, from its forms.
    fn csrf(&self) -> String {
        let (_, page) = self.get("/");
        let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        page[at..at + 64].to_string()
    }
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
