//! `raci serve`: the API's refusals, scoping, tokens, sessions and limits,
//! driven in process through the router on a database the CLI prepared; and
//! the real binary killed mid-burst, keeping every write it acknowledged.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, header};
use raci::server::db::Db;
use raci::server::{AppState, Config};
use rusqlite::Connection;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{TestEnv, handover_args, strs};

/// The router over a test's database, with the test's clock.
struct Server {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
}

/// What the server answered.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }

    /// The answer of a request that must succeed with `status`.
    fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        self.json()
    }

    /// A refusal: `status`, JSON, and exactly `{"error": {"kind", "message"}}`.
    fn refused(&self, status: u16, kind: &str) -> String {
        assert_eq!(self.status, status, "expected {status} {kind}, got: {}", self.text());
        let ct = self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        assert_eq!(ct, Some("application/json"), "{}", self.text());
        let v = self.json();
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
        assert_eq!(v["error"].as_object().map(|o| o.len()), Some(2), "{v}");
        assert_eq!(v["error"]["kind"], kind, "{v}");
        let message = v["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(!message.trim().is_empty(), "{v}");
        message
    }

    /// The session secret a sign-in page set.
    fn session(&self) -> String {
        assert_eq!(self.status, 303, "{}", self.text());
        let cookie = self
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("a Set-Cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let pair = cookie.split(';').next().unwrap_or_default();
        let secret = pair.strip_prefix("raci_session=").expect("the session cookie");
        assert!(!secret.is_empty(), "{cookie}");
        secret.to_string()
    }
}

/// How a request proves who sends it.
#[derive(Clone, Copy)]
enum As<'a> {
    Nobody,
    Bearer(&'a str),
    /// A session cookie, with the CSRF token when given.
    Cookie(&'a str, Option<&'a str>),
}

impl Server {
    fn over(env: &TestEnv) -> Server {
        Server::with(config(env))
    }

    fn with(config: Config) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let db = Db::open(&config.db, 2).expect("the server opens the database");
        Server { rt, app: raci::server::router(AppState::new(db, config)) }
    }

    fn send(&self, req: Request<Body>) -> Answer {
        self.send_all(vec![req]).pop().expect("an answer")
    }

    /// Sends every request at once; the answers in the requests' order.
    fn send_all(&self, reqs: Vec<Request<Body>>) -> Vec<Answer> {
        self.rt.block_on(async {
            let flights: Vec<_> = reqs
                .into_iter()
                .map(|req| {
                    let app = self.app.clone();
                    tokio::spawn(async move {
                        let res = app.oneshot(req).await.expect("the router answers");
                        let (parts, body) = res.into_parts();
                        let body = axum::body::to_bytes(body, usize::MAX).await.expect("the body");
                        Answer {
                            status: parts.status.as_u16(),
                            headers: parts.headers,
                            body: body.to_vec(),
                        }
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for flight in flights {
                answers.push(flight.await.expect("a request in flight"));
            }
            answers
        })
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        who: As<'_>,
        body: Option<(&str, Body)>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        match who {
            As::Nobody => {}
            As::Bearer(token) => req = req.header(header::AUTHORIZATION, format!("Bearer {token}")),
            As::Cookie(secret, csrf) => {
                req = req.header(header::COOKIE, format!("theme=dark; raci_session={secret}"));
                if let Some(csrf) = csrf {
                    req = req.header("x-csrf-token", csrf);
                }
            }
        }
        let body = match body {
            Some((content_type, body)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                body
            }
            None => Body::empty(),
        };
        self.send(req.body(body).expect("a request"))
    }

    fn get(&self, path: &str, who: As<'_>) -> Answer {
        self.request(Method::GET, path, who, None)
    }

    fn post(&self, path: &str, who: As<'_>, body: Value) -> Answer {
        let bytes = serde_json::to_vec(&body).expect("JSON");
        self.request(Method::POST, path, who, Some(("application/json", Body::from(bytes))))
    }

    fn delete(&self, path: &str, who: As<'_>) -> Answer {
        self.request(Method::DELETE, path, who, None)
    }

    fn form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", raci::api::segment(v)))
            .collect::<Vec<_>>()
            .join("&");
        let who = cookie.map_or(As::Nobody, |c| As::Cookie(c, None));
        self.request(
            Method::POST,
            path,
            who,
            Some(("application/x-www-form-urlencoded", Body::from(body))),
        )
    }

    /// `handle`'s password set through an invitation from `admin`.
    fn set_password(&self, admin: &str, handle: &str, password: &str) {
        let invitation =
            self.post(&format!("/api/v1/people/{handle}/invite"), As::Bearer(admin), json!({}));
        let code = invitation.ok(201)["code"].as_str().expect("a code").to_string();
        let made = self.post(
            &format!("/api/v1/invitations/{code}"),
            As::Nobody,
            json!({ "password": password }),
        );
        assert!(made.ok(201)["token"].as_str().is_some_and(|t| t.starts_with("raci_")));
    }
}

/// How `raci serve` runs on loopback over `env`'s database, at its clock.
fn config(env: &TestEnv) -> Config {
    Config {
        listen: "127.0.0.1:8080".parse().expect("address"),
        db: env.db(),
        secure: false,
        behind_proxy: false,
        now: Some(env.now.parse().expect("the test's clock")),
        tls: None,
    }
}

/// A personal token made with the CLI: `(secret, id)`.
fn token(env: &TestEnv, handle: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["token", "create", "--as", handle];
    args.extend(extra);
    let made = env.json(&args);
    (
        made["token"].as_str().expect("token").to_string(),
        made["id"].as_str().expect("id").to_string(),
    )
}

fn events(env: &TestEnv) -> i64 {
    Connection::open(env.db())
        .expect("open")
        .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
        .expect("count")
}

/// The `installation` of each row.
fn installations_in(rows: &Value) -> BTreeSet<String> {
    rows.as_array()
        .unwrap_or_else(|| panic!("an array: {rows}"))
        .iter()
        .map(|r| r["installation"].as_str().unwrap_or_else(|| panic!("{r}")).to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

const PASSWORD: &str = "correct horse battery staple";

fn comment(inst: &str) -> String {
    format!("/api/v1/installations/{inst}/tasks/infrastructure/comment")
}

#[test]
fn every_refusal_answers_its_status_and_kind() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let (sam, _) = token(&env, "sam", &[]);
    let server = Server::over(&env);
    let before = events(&env);

    // bad_input 400: a body that is not JSON, a field no route takes, a bad date.
    let broken = server.request(
        Method::POST,
        &comment("acme-prod"),
        As::Bearer(&carol),
        Some(("application/json", Body::from("{\"text\": "))),
    );
    broken.refused(400, "bad_input");
    let m = server
        .post(&comment("acme-prod"), As::Bearer(&carol), json!({"colour": "red"}))
        .refused(400, "bad_input");
    assert!(m.contains("colour"), "{m}");
    server
        .post(
            "/api/v1/installations/acme-prod/tasks/infrastructure/due",
            As::Bearer(&carol),
            json!({"due": "2026-13-45"}),
        )
        .refused(400, "bad_input");

    // unauthenticated 401: no token, an invalid one, a wrong password.
    server.get("/api/v1/installations", As::Nobody).refused(401, "unauthenticated");
    server.get("/api/v1/installations", As::Bearer("raci_0000")).refused(401, "unauthenticated");
    server
        .post(
            "/api/v1/login",
            As::Nobody,
            json!({"handle": "carol", "password": "not her password"}),
        )
        .refused(401, "unauthenticated");

    // not_permitted 403: a support engineer adding a person.
    let add = json!({"handle": "zed", "party": "vendor", "role": "support-engineer"});
    let m =
        server.post("/api/v1/people", As::Bearer(&sam), add.clone()).refused(403, "not_permitted");
    assert!(m.contains("administrator"), "{m}");

    // not_found 404: an installation, a task, a person, a route.
    server.get("/api/v1/installations/nope", As::Bearer(&carol)).refused(404, "not_found");
    server
        .post(
            "/api/v1/installations/acme-prod/tasks/no-such-task/comment",
            As::Bearer(&carol),
            json!({"text": "x"}),
        )
        .refused(404, "not_found");
    server
        .post("/api/v1/people/nobody/deactivate", As::Bearer(&carol), json!({"reason": "x"}))
        .refused(404, "not_found");
    server.get("/api/v1/no-such-route", As::Bearer(&carol)).refused(404, "not_found");

    // conflict 409: a duplicate installation ID, a submit before a start.
    server
        .post(
            "/api/v1/installations",
            As::Bearer(&carol),
            json!({"id": "acme-prod", "subscriber": "Acme"}),
        )
        .refused(409, "conflict");
    server
        .post(
            "/api/v1/installations/acme-prod/tasks/deployment/submit",
            As::Bearer(&carol),
            json!({}),
        )
        .refused(409, "conflict");

    // too_large 413: a JSON body over 1 MiB.
    let big = json!({"text": "x".repeat(raci::server::JSON_LIMIT)});
    server.post(&comment("acme-prod"), As::Bearer(&carol), big).refused(413, "too_large");

    // too_many_requests 429: a handle's sixth sign-in after five failures.
    for _ in 0..4 {
        server
            .post(
                "/api/v1/login",
                As::Nobody,
                json!({"handle": "carol", "password": "still wrong"}),
            )
            .refused(401, "unauthenticated");
    }
    server
        .post("/api/v1/login", As::Nobody, json!({"handle": "carol", "password": "still wrong"}))
        .refused(429, "too_many_requests");

    assert_eq!(events(&env), before, "a refused request recorded an event");
    // What was refused is still possible when asked rightly.
    server.post("/api/v1/people", As::Bearer(&carol), add).ok(201);
    server.post(&comment("acme-prod"), As::Bearer(&carol), json!({"text": "fine"})).ok(200);
}

#[test]
fn failed_sign_ins_are_throttled_even_with_the_right_password() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    server.set_password(&carol, "ian", PASSWORD);
    server.set_password(&carol, "gina", PASSWORD);
    let login = |handle: &str, password: &str| {
        server.post("/api/v1/login", As::Nobody, json!({"handle": handle, "password": password}))
    };
    let made = login("ian", PASSWORD).ok(201);
    assert!(made["token"].as_str().is_some_and(|t| t.starts_with("raci_")), "{made}");
    assert_eq!(
        server.get("/api/v1/me", As::Bearer(made["token"].as_str().unwrap_or_default())).ok(200)["handle"],
        "ian"
    );
    for _ in 0..5 {
        login("ian", "not ian's password").refused(401, "unauthenticated");
    }
    let m = login("ian", PASSWORD).refused(429, "too_many_requests");
    assert!(m.contains("15 minutes"), "{m}");
    // The handle's case does not dodge it; the sign-in page is throttled too.
    login("IAN", PASSWORD).refused(429, "too_many_requests");
    let page = server.form("/login", None, &[("handle", "ian"), ("password", PASSWORD)]);
    assert_eq!(page.status, 429, "{}", page.text());
    assert!(page.headers.get(header::SET_COOKIE).is_none());
    // Another handle from the same client is not.
    login("gina", PASSWORD).ok(201);
}

#[test]
fn sign_ins_tried_all_at_once_are_throttled_after_five() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    server.set_password(&carol, "ian", PASSWORD);
    let guess = |i: usize| {
        let body = json!({"handle": "ian", "password": format!("guess number {i}")});
        Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a request")
    };
    let answers = server.send_all((0..12).map(guess).collect());
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[401; 5].as_slice(), &[429; 7]].concat(), "five guesses, no more");
    let m = server
        .post("/api/v1/login", As::Nobody, json!({"handle": "ian", "password": PASSWORD}))
        .refused(429, "too_many_requests");
    assert!(m.contains("15 minutes"), "{m}");
}

#[test]
fn an_invitation_refused_for_a_short_password_stays_valid_and_a_used_one_is_gone() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    let invite = |handle: &str| {
        let v = server
            .post(&format!("/api/v1/people/{handle}/invite"), As::Bearer(&carol), json!({}))
            .ok(201);
        assert!(
            v["url"].as_str().is_some_and(|u| u.starts_with("http")
                && u.ends_with(&format!("/invite/{}", v["code"].as_str().unwrap_or("?")))),
            "{v}"
        );
        v["code"].as_str().expect("code").to_string()
    };
    let code = invite("ian");
    let redeem = |code: &str, password: &str| {
        server.post(
            &format!("/api/v1/invitations/{code}"),
            As::Nobody,
            json!({"password": password}),
        )
    };
    let m = redeem(&code, "short").refused(400, "bad_input");
    assert!(m.contains("12"), "{m}");
    // Still valid: the page offers it, and a good password redeems it.
    let page = server.get(&format!("/invite/{code}"), As::Nobody);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("ian"), "{}", page.text());
    let made = redeem(&code, PASSWORD).ok(201);
    let token = made["token"].as_str().expect("token").to_string();
    assert_eq!(server.get("/api/v1/me", As::Bearer(&token)).ok(200)["handle"], "ian");
    // Used: gone, whatever the password, on the API and the page.
    redeem(&code, PASSWORD).refused(404, "not_found");
    assert_eq!(server.get(&format!("/invite/{code}"), As::Nobody).status, 404);
    // An unknown code, and one voided by a newer invitation, answer the same.
    redeem("0123456789abcdef", PASSWORD).refused(404, "not_found");
    let older = invite("gina");
    let newer = invite("gina");
    redeem(&older, PASSWORD).refused(404, "not_found");
    redeem(&newer, PASSWORD).ok(201);
    // The password set by the invitation signs in.
    server
        .post("/api/v1/login", As::Nobody, json!({"handle": "ian", "password": PASSWORD}))
        .ok(201);
}

impl TestEnv {
    /// Both installations handed over in January and never updated or
    /// backed up since, and a new installation of each subscriber waiting
    /// for its infrastructure: every report has rows of both subscribers.
    fn both_subscribers_in_every_report() -> TestEnv {
        let mut env = TestEnv::with_people_and_installations_at("2026-01-09T09:00:00Z");
        env.ready_for_handover("acme-prod");
        env.ready_for_handover_by("globex-prod", "gina");
        env.now = "2026-01-10T09:00:00Z".into();
        env.handed_over_ready("acme-prod", "2026-01-09");
        env.ok(&strs(&handover_args(
            "globex-prod",
            "2026-01-09",
            "120",
            &["sam", "gina"],
            &TestEnv::ALL_TOPICS,
            "carol",
        )));
        env.now = "2026-11-02T09:00:00Z".into();
        env.ok(&["installation", "add", "acme-new", "--subscriber", "Acme", "--as", "carol"]);
        env.ok(&["installation", "add", "globex-new", "--subscriber", "Globex", "--as", "carol"]);
        env.ok(&["task", "start", "acme-new", "infrastructure", "--as", "ian"]);
        env.ok(&["task", "start", "globex-new", "infrastructure", "--as", "gina"]);
        env
    }
}

#[test]
fn a_subscribers_engineer_sees_only_their_subscriber() {
    let env = TestEnv::both_subscribers_in_every_report();
    let (carol, _) = token(&env, "carol", &[]);
    let (gina, _) = token(&env, "gina", &[]);
    let server = Server::over(&env);
    let before = events(&env);

    // Acme's installation is as missing to Globex's engineer as one that is.
    let hidden =
        server.get("/api/v1/installations/acme-prod", As::Bearer(&gina)).refused(404, "not_found");
    let missing =
        server.get("/api/v1/installations/acme-gone", As::Bearer(&gina)).refused(404, "not_found");
    assert_eq!(hidden.replace("acme-prod", "ID"), missing.replace("acme-gone", "ID"));
    for path in ["log", "checklist", "handover", "updates", "backups", "tickets"] {
        server
            .get(&format!("/api/v1/installations/acme-prod/{path}"), As::Bearer(&gina))
            .refused(404, "not_found");
    }
    server
        .post(&comment("acme-prod"), As::Bearer(&gina), json!({"text": "peek"}))
        .refused(404, "not_found");
    server
        .post(
            "/api/v1/installations/acme-prod/backups",
            As::Bearer(&gina),
            json!({"taken_on": "2026-11-01"}),
        )
        .refused(404, "not_found");
    assert_eq!(events(&env), before);
    // Their own answers.
    assert_eq!(
        server.get("/api/v1/installations/globex-prod", As::Bearer(&gina)).ok(200)["installation"],
        "globex-prod"
    );

    let ids = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["id"].as_str().map(str::to_string))
            .collect()
    };
    let all = set(&["acme-prod", "acme-new", "globex-prod", "globex-new"]);
    let globex = set(&["globex-prod", "globex-new"]);
    assert_eq!(ids(&server.get("/api/v1/installations", As::Bearer(&carol)).ok(200)), all);
    assert_eq!(ids(&server.get("/api/v1/installations", As::Bearer(&gina)).ok(200)), globex);
    assert_eq!(
        ids(&server.get("/api/v1/installations?all=true", As::Bearer(&gina)).ok(200)),
        globex
    );

    let subscribers = |v: &Value| -> BTreeSet<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["handle"].as_str().unwrap_or("?").to_string(),
                    p["subscriber"].as_str().unwrap_or("-").to_string(),
                )
            })
            .collect()
    };
    let people = subscribers(&server.get("/api/v1/people", As::Bearer(&gina)).ok(200));
    assert!(people.contains(&("gina".into(), "Globex".into())), "{people:?}");
    assert!(people.contains(&("carol".into(), "-".into())), "{people:?}");
    assert!(!people.iter().any(|(_, s)| s == "Acme"), "Globex sees Acme's people: {people:?}");
    let everyone = subscribers(&server.get("/api/v1/people", As::Bearer(&carol)).ok(200));
    assert!(everyone.contains(&("ian".into(), "Acme".into())), "{everyone:?}");

    for report in [
        "outstanding",
        "overdue",
        "stale-backups",
        "clocks",
        "clocks?by=installation",
        "outstanding?subscriber=Acme",
        "stale-backups?older_than=30",
    ] {
        let path = format!("/api/v1/reports/{report}");
        let vendor = installations_in(&server.get(&path, As::Bearer(&carol)).ok(200));
        let theirs = installations_in(&server.get(&path, As::Bearer(&gina)).ok(200));
        let acme: BTreeSet<String> =
            vendor.iter().filter(|i| i.starts_with("acme-")).cloned().collect();
        assert!(!acme.is_empty(), "{report}: the vendor sees no Acme row: {vendor:?}");
        assert!(
            theirs.iter().all(|i| i.starts_with("globex-")),
            "{report}: Globex sees {theirs:?}"
        );
        let expected: BTreeSet<String> =
            vendor.iter().filter(|i| i.starts_with("globex-")).cloned().collect();
        assert_eq!(theirs, expected, "{report}: Globex's rows are the vendor's rows of Globex");
        if !report.contains('=') {
            assert!(!theirs.is_empty(), "{report}: Globex sees none of its own rows");
        }
    }
    // Naming Acme's installation in a filter is naming a missing one.
    server
        .get("/api/v1/reports/outstanding?installation=acme-prod", As::Bearer(&gina))
        .refused(404, "not_found");
    server
        .get("/api/v1/reports/clocks?installation=acme-prod", As::Bearer(&gina))
        .refused(404, "not_found");
    let html = server.get("/api/v1/reports/html", As::Bearer(&gina));
    assert_eq!(html.status, 200, "{}", html.text());
    assert!(html.text().contains("globex-prod") && !html.text().contains("acme-prod"));
}

#[test]
fn a_read_only_token_reads_but_may_not_write() {
    let env = TestEnv::with_people_and_installations();
    let (reader, _) = token(&env, "ian", &["--read-only"]);
    let (writer, _) = token(&env, "ian", &[]);
    let server = Server::over(&env);
    let before = events(&env);
    for path in [
        "/api/v1/me",
        "/api/v1/installations",
        "/api/v1/installations/acme-prod",
        "/api/v1/installations/acme-prod/log",
        "/api/v1/reports/outstanding",
        "/api/v1/tokens",
    ] {
        let a = server.get(path, As::Bearer(&reader));
        assert_eq!(a.status, 200, "{path}: {}", a.text());
    }
    let m = server
        .post(&comment("acme-prod"), As::Bearer(&reader), json!({"text": "hello"}))
        .refused(403, "not_permitted");
    assert!(m.contains("read-only"), "{m}");
    server
        .post(
            "/api/v1/installations/acme-prod/tasks/infrastructure/start",
            As::Bearer(&reader),
            json!({}),
        )
        .refused(403, "not_permitted");
    server.post("/api/v1/tokens", As::Bearer(&reader), json!({})).refused(403, "not_permitted");
    server.post("/api/v1/inbox/ack", As::Bearer(&reader), json!({})).refused(403, "not_permitted");
    assert_eq!(events(&env), before);
    // The same person with a full token may.
    server.post(&comment("acme-prod"), As::Bearer(&writer), json!({"text": "hello"})).ok(200);
    assert_eq!(events(&env), before + 1);
}

#[test]
fn a_revoked_token_and_a_deactivated_person_are_refused_on_the_next_request() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let (gina, _) = token(&env, "gina", &[]);
    let server = Server::over(&env);

    let made = server.post("/api/v1/tokens", As::Bearer(&carol), json!({"name": "laptop"})).ok(201);
    let (spare, id) = (made["token"].as_str().expect("token"), made["id"].as_str().expect("id"));
    assert!(
        server
            .get("/api/v1/tokens", As::Bearer(&carol))
            .ok(200)
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["id"] == id)
    );
    assert_eq!(server.get("/api/v1/me", As::Bearer(spare)).ok(200)["handle"], "carol");
    server.delete(&format!("/api/v1/tokens/{id}"), As::Bearer(&carol)).ok(200);
    server.get("/api/v1/me", As::Bearer(spare)).refused(401, "unauthenticated");
    server
        .post(&comment("acme-prod"), As::Bearer(spare), json!({"text": "x"}))
        .refused(401, "unauthenticated");
    assert!(
        !server
            .get("/api/v1/tokens", As::Bearer(&carol))
            .ok(200)
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["id"] == id)
    );
    // Revoking it twice: it is no longer in force.
    server.delete(&format!("/api/v1/tokens/{id}"), As::Bearer(&carol)).refused(404, "not_found");
    // logout revokes the presenting token.
    let other = server.post("/api/v1/tokens", As::Bearer(&carol), json!({})).ok(201);
    let other = other["token"].as_str().expect("token");
    server.post("/api/v1/logout", As::Bearer(other), json!({})).ok(200);
    server.get("/api/v1/me", As::Bearer(other)).refused(401, "unauthenticated");

    assert_eq!(server.get("/api/v1/me", As::Bearer(&gina)).ok(200)["handle"], "gina");
    server
        .post(
            "/api/v1/people/gina/deactivate",
            As::Bearer(&carol),
            json!({"reason": "left Globex"}),
        )
        .ok(200);
    server.get("/api/v1/me", As::Bearer(&gina)).refused(401, "unauthenticated");
    server
        .post(&comment("globex-prod"), As::Bearer(&gina), json!({"text": "x"}))
        .refused(401, "unauthenticated");
    // The administrator's own token is untouched; reactivation lets gina back in.
    server.post("/api/v1/people/gina/reactivate", As::Bearer(&carol), json!({})).ok(200);
    assert_eq!(server.get("/api/v1/me", As::Bearer(&gina)).ok(200)["handle"], "gina");
}

/// The CSRF token the signed-in home page carries.
fn csrf_of(page: &Answer) -> String {
    let text = page.text();
    let start = text.find("name=\"csrf\" value=\"").map(|i| i + "name=\"csrf\" value=\"".len());
    let start = start.unwrap_or_else(|| panic!("no CSRF field in the page: {text}"));
    text[start..].split('"').next().unwrap_or_default().to_string()
}

#[test]
fn a_browser_session_changes_nothing_without_its_csrf_token() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    server.set_password(&carol, "ian", PASSWORD);
    let page = server.form("/login", None, &[("handle", "ian"), ("password", "wrong password!")]);
    assert_eq!(page.status, 401, "{}", page.text());
    assert!(page.headers.get(header::SET_COOKIE).is_none());
    let session =
        server.form("/login", None, &[("handle", "ian"), ("password", PASSWORD)]).session();
    let home = server.get("/", As::Cookie(&session, None));
    assert_eq!(home.status, 200, "{}", home.text());
    let csrf = csrf_of(&home);
    assert!(csrf.len() >= 32, "{csrf}");
    assert_eq!(server.get("/", As::Nobody).status, 303);

    // Reads need no CSRF token.
    assert_eq!(server.get("/api/v1/me", As::Cookie(&session, None)).ok(200)["handle"], "ian");
    let before = events(&env);
    for wrong in [None, Some("0000"), Some(carol.as_str())] {
        let m = server
            .post(&comment("acme-prod"), As::Cookie(&session, wrong), json!({"text": "by browser"}))
            .refused(403, "not_permitted");
        assert!(m.contains("CSRF"), "{m}");
    }
    assert_eq!(events(&env), before);
    let recorded = server
        .post(
            &comment("acme-prod"),
            As::Cookie(&session, Some(&csrf)),
            json!({"text": "by browser"}),
        )
        .ok(200);
    assert_eq!(recorded[0]["channel"], "web", "{recorded}");
    assert_eq!(events(&env), before + 1);

    // A session from an invitation page works the same; its sign-out needs the token too.
    let invitation =
        server.post("/api/v1/people/gina/invite", As::Bearer(&carol), json!({})).ok(201);
    let code = invitation["code"].as_str().expect("code");
    let gina = server.form(&format!("/invite/{code}"), None, &[("password", PASSWORD)]).session();
    let gina_csrf = csrf_of(&server.get("/", As::Cookie(&gina, None)));
    server
        .post(&comment("globex-prod"), As::Cookie(&gina, None), json!({"text": "x"}))
        .refused(403, "not_permitted");
    server
        .post(&comment("globex-prod"), As::Cookie(&gina, Some(&gina_csrf)), json!({"text": "x"}))
        .ok(200);
    let forged = server.form("/logout", Some(&gina), &[("csrf", &csrf)]);
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(server.get("/api/v1/me", As::Cookie(&gina, None)).ok(200)["handle"], "gina");
    let out = server.form("/logout", Some(&gina), &[("csrf", &gina_csrf)]);
    assert_eq!(out.status, 303, "{}", out.text());
    server.get("/api/v1/me", As::Cookie(&gina, None)).refused(401, "unauthenticated");
    // A personal token is no session cookie.
    server.get("/api/v1/me", As::Cookie(&carol, None)).refused(401, "unauthenticated");
}

fn assert_secure_headers(what: &str, a: &Answer) {
    let get = |name: header::HeaderName| {
        a.headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_string()
    };
    let csp = get(header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(!csp.contains("http") && !csp.contains('*'), "{what}: another origin in {csp}");
    assert_eq!(get(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
}

#[test]
fn every_response_carries_the_security_headers() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    let answers = [
        ("health", server.get("/api/v1/health", As::Nobody)),
        ("a read", server.get("/api/v1/installations", As::Bearer(&carol))),
        ("a write", server.post(&comment("acme-prod"), As::Bearer(&carol), json!({"text": "x"}))),
        ("401", server.get("/api/v1/me", As::Nobody)),
        ("404", server.get("/nowhere", As::Nobody)),
        ("400", server.post(&comment("acme-prod"), As::Bearer(&carol), json!({"txt": "x"}))),
        (
            "413",
            server.post(
                &comment("acme-prod"),
                As::Bearer(&carol),
                json!({"text": "x".repeat(1 << 21)}),
            ),
        ),
        ("405", server.delete("/api/v1/installations", As::Bearer(&carol))),
        ("sign-in page", server.get("/login", As::Nobody)),
        ("redirect", server.get("/", As::Nobody)),
        ("style", server.get("/style.css", As::Nobody)),
        ("html report", server.get("/api/v1/reports/html", As::Bearer(&carol))),
    ];
    let statuses: Vec<u16> = answers.iter().map(|(_, a)| a.status).collect();
    assert_eq!(statuses, [200, 200, 200, 401, 404, 400, 413, 405, 200, 303, 200, 200]);
    assert_eq!(answers[0].1.json()["status"], "ok");
    for (what, a) in &answers {
        assert_secure_headers(what, a);
    }
    // The pages load nothing inline.
    let page = answers[8].1.text();
    assert!(!page.contains("<script") && !page.contains("style="), "{page}");
}

#[test]
fn a_write_that_times_out_is_refused_with_the_headers_and_not_made_later() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    // A paused clock runs on to the server's timeout while the writer waits.
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let db = Db::open(&env.db(), 1).expect("open");
    let app = raci::server::router(AppState::new(db.clone(), config(&env)));
    let send = |rt: &tokio::runtime::Runtime, text: &str| {
        let req = Request::post(comment("acme-prod"))
            .header(header::AUTHORIZATION, format!("Bearer {carol}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "text": text }).to_string()))
            .expect("a request");
        rt.block_on(async {
            let (parts, body) =
                app.clone().oneshot(req).await.expect("the router answers").into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.expect("the body").to_vec();
            Answer { status: parts.status.as_u16(), headers: parts.headers, body }
        })
    };
    // A long write holds the writer, so the request's write waits in its queue.
    let (started, running) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let long = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        rt.block_on(db.write(move |_| {
            let _ = started.send(());
            let _ = released.recv();
            Ok(())
        }))
    });
    running.recv().expect("the long write runs");
    let slow = send(&paused, "slow");
    release.send(()).expect("release");
    long.join().expect("the long write").expect("its answer");
    let m = slow.refused(503, "storage");
    assert!(m.contains("60 seconds"), "{m}");
    assert_secure_headers("a timeout", &slow);
    // The writer takes jobs in order: once a later write is answered, the
    // refused one was either made or dropped. A refusal changes nothing.
    let running =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    send(&running, "after").ok(200);
    let comments: Vec<String> = env
        .json(&["log", "acme-prod"])
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "comment")
        .filter_map(|e| e["note"].as_str().map(str::to_string))
        .collect();
    assert_eq!(comments, ["after"]);
}

#[test]
fn a_json_body_over_a_mebibyte_is_too_large_but_an_import_may_be() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    let server = Server::over(&env);
    let before = events(&env);
    let limit = raci::server::JSON_LIMIT;
    assert_eq!(limit, 1 << 20);

    let over = json!({"text": "y".repeat(limit)});
    let m = server.post(&comment("acme-prod"), As::Bearer(&carol), over).refused(413, "too_large");
    assert!(m.contains(&limit.to_string()), "{m}");
    // Just under the limit is read (and refused for what it says, not its size).
    let under = json!({"text": "y".repeat(limit - 100)});
    server.post(&comment("acme-prod"), As::Bearer(&carol), under).refused(400, "bad_input");
    assert_eq!(events(&env), before);

    // A CSV over 1 MiB is imported whole.
    let mut csv = String::from("id,subscriber,appliance_id\n");
    let mut rows = 0;
    while csv.len() <= limit + 4096 {
        rows += 1;
        csv.push_str(&format!("bulk-{rows:04},Initech,{}\n", "a".repeat(1990)));
    }
    let import = |body: Vec<u8>| {
        server.request(
            Method::POST,
            "/api/v1/installations/import",
            As::Bearer(&carol),
            Some(("text/csv", Body::from(body))),
        )
    };
    assert_eq!(import(csv.into_bytes()).ok(201)["imported"], rows);
    let listed = server.get("/api/v1/installations", As::Bearer(&carol)).ok(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(rows + 2));
    // One over 64 MiB is not.
    let huge = vec![b'z'; raci::server::IMPORT_LIMIT + 1];
    import(huge).refused(413, "too_large");
}

#[test]
fn api_events_say_they_came_by_the_api_and_which_token() {
    let env = TestEnv::with_people_and_installations();
    let (ian, ian_id) = token(&env, "ian", &[]);
    env.ok(&[
        "task",
        "comment",
        "acme-prod",
        "infrastructure",
        "by the command line",
        "--as",
        "ian",
    ]);
    let server = Server::over(&env);
    let recorded = server
        .post(
            "/api/v1/installations/acme-prod/tasks/infrastructure/start",
            As::Bearer(&ian),
            json!({"note": "from the API"}),
        )
        .ok(200);
    assert_eq!(recorded.as_array().map(Vec::len), Some(1), "{recorded}");
    server.post(&comment("acme-prod"), As::Bearer(&ian), json!({"text": "by the API"})).ok(200);

    let log = server.get("/api/v1/installations/acme-prod/log", As::Bearer(&ian)).ok(200);
    let find = |action: &str, note: &str| {
        log.as_array()
            .into_iter()
            .flatten()
            .find(|e| e["action"] == action && e["note"] == note)
            .cloned()
            .unwrap_or_else(|| panic!("no {action} {note:?} in {log}"))
    };
    for (action, note) in [("start", "from the API"), ("comment", "by the API")] {
        let e = find(action, note);
        assert_eq!(e["channel"], "api", "{e}");
        assert_eq!(e["token_id"], ian_id.as_str(), "{e}");
        assert_eq!(e["actor"], "ian", "{e}");
        assert_eq!(e["at"], "2026-11-02T09:00:00Z", "the server's clock: {e}");
    }
    let cli = find("comment", "by the command line");
    assert_eq!(cli["channel"], "cli", "{cli}");
    assert!(cli["token_id"].is_null(), "{cli}");
    // The command line reads the same ledger.
    let local = env.json(&["log", "acme-prod"]);
    assert_eq!(local, log);
    env.ok(&["db", "check"]);
}

/// `raci serve` as a child process, killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(env: &TestEnv) -> Served {
        let db = env.db();
        let mut child = env
            .command(&["serve", "--listen", "127.0.0.1:0", "--db", db.to_str().expect("path")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("raci serve starts");
        let stdout = child.stdout.take().expect("stdout");
        // Killed on drop from here on, whatever the first line says.
        let mut served = Served { child, url: String::new() };
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).expect("the first line");
        served.url = first
            .trim()
            .strip_prefix("raci serving on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
        served
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reaps it.
    fn kill(&mut self) -> Option<i32> {
        let _ = self.child.kill();
        self.child.wait().ok().and_then(|s| s.signal())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn every_write_the_server_acknowledged_survives_its_sigkill() {
    let env = TestEnv::with_people_and_installations();
    let installations = ["acme-prod", "globex-prod", "burst-1", "burst-2"];
    for inst in &installations[2..] {
        env.ok(&["installation", "add", inst, "--subscriber", "Initech", "--as", "carol"]);
    }
    let (carol, _) = token(&env, "carol", &[]);
    let before = events(&env);
    let mut server = Served::start(&env);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let health = agent.get(format!("{}/api/v1/health", server.url)).call().expect("health");
    assert_eq!(health.status().as_u16(), 200);
    // The remote CLI prints what the local one does, as the token's person.
    let url = server.url.clone();
    let remote = |token: &str, args: &[&str]| {
        let mut all = vec!["--server", url.as_str()];
        all.extend(args);
        env.command(&all).env("RACI_TOKEN", token).output().expect("raci runs")
    };
    let status = remote(&carol, &["status", "acme-prod", "--format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        env.ok(&["status", "acme-prod", "--format", "json"])
    );
    let me = remote(&carol, &["whoami", "--format", "json"]);
    assert!(String::from_utf8_lossy(&me.stdout).contains("\"carol\""));
    assert_eq!(remote("raci_not_a_token", &["whoami"]).status.code(), Some(3));
    assert_eq!(remote(&carol, &["installation", "list", "--as", "ian"]).status.code(), Some(2));

    const THREADS: usize = 6;
    const EACH: usize = 150;
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let attempted = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(15);
    let workers: Vec<_> = (0..THREADS)
        .map(|w| {
            let (agent, url, token) = (agent.clone(), server.url.clone(), carol.clone());
            let (acknowledged, attempted, stop) =
                (Arc::clone(&acknowledged), Arc::clone(&attempted), Arc::clone(&stop));
            std::thread::spawn(move || {
                for k in 0..EACH {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let inst = installations[(w + k) % installations.len()];
                    let text = format!("burst {w}-{k}");
                    attempted.lock().expect("lock").push((inst.to_string(), text.clone()));
                    let answer = agent
                        .post(format!("{url}{}", comment(inst)))
                        .header("Authorization", format!("Bearer {token}"))
                        .send_json(json!({ "text": text }));
                    match answer {
                        Ok(res) if res.status().is_success() => {
                            acknowledged.lock().expect("lock").push((inst.to_string(), text));
                        }
                        Ok(res) => panic!("{text} refused: {}", res.status()),
                        // The server is gone: nothing after this is acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Kill it once a good part of the burst is acknowledged, mid-flight.
    let enough = THREADS * EACH / 3;
    while acknowledged.lock().expect("lock").len() < enough && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(server.kill(), Some(9), "the server died of SIGKILL");
    stop.store(true, Ordering::Relaxed);
    assert_eq!(remote(&carol, &["whoami"]).status.code(), Some(6), "an unreachable server");
    for w in workers {
        w.join().expect("a writer thread");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let attempted: BTreeSet<(String, String)> =
        attempted.lock().expect("lock").iter().cloned().collect();
    assert!(acknowledged.len() >= enough, "only {} writes acknowledged", acknowledged.len());
    assert!(
        attempted.len() < THREADS * EACH,
        "the server was killed after the burst, not during it"
    );

    let mut kept = BTreeSet::new();
    for inst in installations {
        for e in env.json(&["log", inst]).as_array().into_iter().flatten() {
            if e["action"] == "comment" {
                assert_eq!(e["channel"], "api", "{e}");
                kept.insert((inst.to_string(), e["note"].as_str().unwrap_or_default().to_string()));
            }
        }
    }
    let lost: Vec<_> = acknowledged.iter().filter(|a| !kept.contains(*a)).collect();
    assert!(lost.is_empty(), "acknowledged but not in the ledger: {lost:?}");
    assert!(kept.is_subset(&attempted), "a comment no one sent: {:?}", kept.difference(&attempted));
    assert_eq!(events(&env) - before, kept.len() as i64, "each comment is kept once");
    env.ok(&["db", "check"]);
    eprintln!(
        "killed mid-burst: {} acknowledged, {} kept, {} attempted",
        acknowledged.len(),
        kept.len(),
        attempted.len()
    );
}

#[test]
fn a_step_that_needs_a_reason_text_or_date_is_refused_without_one() {
    let env = TestEnv::with_people_and_installations();
    let (ian, _) = token(&env, "ian", &[]);
    let server = Server::over(&env);
    let before = events(&env);
    let step = |verb: &str, body: Value| {
        server.post(
            &format!("/api/v1/installations/acme-prod/tasks/infrastructure/{verb}"),
            As::Bearer(&ian),
            body,
        )
    };
    for (verb, needs) in [
        ("block", "reason"),
        ("waive", "reason"),
        ("reject", "reason"),
        ("reopen", "reason"),
        ("comment", "text"),
        ("due", "due"),
    ] {
        let m = step(verb, json!({})).refused(400, "bad_input");
        assert!(m.contains(needs), "{verb}: {m}");
    }
    assert_eq!(events(&env), before, "a step without what it needs was recorded");
    // With it, they are recorded as the command line records them.
    let blocked = step("block", json!({"reason": "waiting for DNS"})).ok(200);
    assert_eq!(blocked[0]["note"], "waiting for DNS", "{blocked}");
    let due = step("due", json!({"due": "2026-11-20"})).ok(200);
    assert_eq!(due[0]["note"], "due 2026-11-20", "{due}");
    step("unblock", json!({})).ok(200);
}

/// The router over `env`'s database with the clock at `now`.
fn at(env: &mut TestEnv, now: &str) -> Server {
    env.now = now.to_string();
    Server::over(env)
}

#[test]
fn tokens_sessions_and_invitations_expire_by_the_servers_clock() {
    let mut env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &["--expires-days", "30"]);
    let (day, _) = token(&env, "ian", &["--expires-days", "1"]);
    let server = at(&mut env, "2026-11-02T09:00:00Z");
    server.set_password(&carol, "ian", PASSWORD);
    let session =
        server.form("/login", None, &[("handle", "ian"), ("password", PASSWORD)]).session();
    let code = server.post("/api/v1/people/gina/invite", As::Bearer(&carol), json!({})).ok(201);
    let code = code["code"].as_str().expect("code").to_string();
    drop(server);

    // Eleven hours on: the session is in use, which moves its idle expiry on.
    let server = at(&mut env, "2026-11-02T20:00:00Z");
    assert_eq!(server.get("/api/v1/me", As::Cookie(&session, None)).ok(200)["handle"], "ian");
    assert_eq!(server.get("/api/v1/me", As::Bearer(&day)).ok(200)["handle"], "ian");
    // The session's use is noted after the answer: wait for it.
    let db = env.db();
    let expires_at = |want: &str| {
        let now = || -> Option<String> {
            Connection::open(&db)
                .expect("open")
                .query_row("SELECT expires_at FROM token WHERE kind = 'session'", [], |r| r.get(0))
                .expect("the session")
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while now().as_deref() != Some(want) {
            assert!(Instant::now() < deadline, "the session expires at {:?}, not {want}", now());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    expires_at("2026-11-03T08:00:00Z");
    drop(server);

    // Thirteen hours after sign-in, two after its last use: still in.
    let server = at(&mut env, "2026-11-02T22:00:00Z");
    assert_eq!(server.get("/api/v1/me", As::Cookie(&session, None)).ok(200)["handle"], "ian");
    expires_at("2026-11-03T10:00:00Z");
    drop(server);

    // A day and a bit on: the one-day token has expired.
    let server = at(&mut env, "2026-11-03T09:30:00Z");
    let m = server.get("/api/v1/me", As::Bearer(&day)).refused(401, "unauthenticated");
    assert!(m.contains("expired"), "{m}");
    drop(server);
    // Over twelve idle hours: the session is over, and the pages ask to sign in.
    let server = at(&mut env, "2026-11-03T10:00:01Z");
    server.get("/api/v1/me", As::Cookie(&session, None)).refused(401, "unauthenticated");
    let home = server.get("/", As::Cookie(&session, None));
    assert_eq!(home.status, 303, "{}", home.text());
    assert_eq!(home.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/login"));
    // The invitation, 72 hours.
    let redeem = |s: &Server| {
        s.post(&format!("/api/v1/invitations/{code}"), As::Nobody, json!({"password": PASSWORD}))
    };
    drop(server);
    let server = at(&mut env, "2026-11-05T09:00:01Z");
    redeem(&server).refused(404, "not_found");
    assert_eq!(server.get("/api/v1/me", As::Bearer(&carol)).ok(200)["handle"], "carol");
    drop(server);
    let server = at(&mut env, "2026-11-05T08:59:00Z");
    redeem(&server).ok(201);
}

#[test]
fn session_cookies_are_secure_behind_a_tls_proxy_and_only_there() {
    let env = TestEnv::with_people_and_installations();
    let (carol, _) = token(&env, "carol", &[]);
    for (behind_proxy, handle) in [(false, "ian"), (true, "gina")] {
        let server = Server::with(Config { secure: behind_proxy, behind_proxy, ..config(&env) });
        let invitation =
            server.post(&format!("/api/v1/people/{handle}/invite"), As::Bearer(&carol), json!({}));
        let invitation = invitation.ok(201);
        let scheme = if behind_proxy { "https://" } else { "http://" };
        assert!(invitation["url"].as_str().is_some_and(|u| u.starts_with(scheme)), "{invitation}");
        let code = invitation["code"].as_str().expect("code");
        let page = server.form(&format!("/invite/{code}"), None, &[("password", PASSWORD)]);
        page.session();
        let cookie = page.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok());
        let secure = cookie.is_some_and(|c| c.split(';').any(|a| a.trim() == "Secure"));
        assert_eq!(secure, behind_proxy, "{cookie:?}");
    }
}

#[test]
fn serve_refuses_an_open_address_without_tls_and_a_missing_database() {
    let env = TestEnv::with_people_and_installations();
    let db = env.db();
    let db = db.to_str().expect("path");
    let run = env.run(&["serve", "--listen", "0.0.0.0:0", "--db", db]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains("TLS"), "{}", run.stderr);
    let missing = env.dir().join("missing.db");
    let run =
        env.run(&["serve", "--listen", "127.0.0.1:0", "--db", missing.to_str().expect("path")]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(!missing.exists(), "serve created the database it was refused");
}

#[test]
fn loose_requests_are_refused_as_the_cli_refuses_them() {
    let env = TestEnv::with_people_and_installations();
    let (ian, _) = token(&env, "ian", &[]);
    let (reader, _) = token(&env, "ian", &["--read-only"]);
    let server = Server::over(&env);
    let before = events(&env);
    // A method the route does not take: 405 with the JSON error, and Allow.
    let a = server.delete("/api/v1/installations/acme-prod", As::Bearer(&ian));
    assert_eq!(a.status, 405, "{}", a.text());
    assert_eq!(a.json()["error"]["kind"], "bad_input");
    assert!(
        a.json()["error"]["message"].as_str().is_some_and(|m| m.starts_with("DELETE is not")),
        "{}",
        a.text()
    );
    // A checklist change naming no item (the CLI demands one, or --all).
    server
        .post(
            "/api/v1/installations/acme-prod/tasks/infrastructure/start",
            As::Bearer(&ian),
            json!({}),
        )
        .ok(200);
    let changed = events(&env);
    let m = server
        .post(
            "/api/v1/installations/acme-prod/checklist/infrastructure/check",
            As::Bearer(&ian),
            json!({}),
        )
        .refused(400, "bad_input");
    assert!(m.contains("items"), "{m}");
    server
        .post(
            "/api/v1/installations/acme-prod/checklist/infrastructure/check",
            As::Bearer(&ian),
            json!({"items": ["memory"], "all": true}),
        )
        .refused(400, "bad_input");
    assert_eq!(events(&env), changed);
    assert_eq!(changed, before + 1);
    // A stale-backup window outside the CLI's range.
    server
        .get("/api/v1/reports/stale-backups?older_than=-5", As::Bearer(&ian))
        .refused(400, "bad_input");
    // A read-only token may still sign itself out.
    server.post("/api/v1/logout", As::Bearer(&reader), json!({})).ok(200);
    server.get("/api/v1/me", As::Bearer(&reader)).refused(401, "unauthenticated");
}
