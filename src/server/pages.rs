//! The web pages: server-rendered HTML with plain forms, POST then redirect,
//! no script, one stylesheet, every value auto-escaped by minijinja. A page
//! offers exactly the moves `app::board` finds open to the signed-in person;
//! every form goes through the same use cases as the command line and the
//! API, so a refused one shows the same message (without the CLI's hints).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::AppState;
use super::api::{redeem_with, sign_in};
use super::auth::{self, SESSION_COOKIE};
use crate::api::words;
use crate::app::identity::{self, NewTokenView, Principal, TokenKind};
use crate::app::{Context, admin, board, inbox, operations, reads, signing, tasks};
use crate::domain::operations::{CycleAction, Environment as Env, Severity, Step, TicketAction};
use crate::domain::rules::{Topic, Verb};
use crate::domain::signing::Statement;
use crate::domain::values::{Day, Id, Text};
use crate::domain::{Party, Role};
use crate::error::{Error, Result};
use crate::report;
use crate::store::Event;
use crate::view::PersonView;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/invite/{code}", get(invite_form).post(invite))
        .route("/installations", get(installations))
        .route("/installations/{id}", get(installation))
        .route("/installations/{id}/tasks/{task}/{verb}", post(task_step))
        .route("/installations/{id}/tasks/{task}/{verb}/statement", get(task_statement))
        .route("/installations/{id}/signed-steps", post(signed_step))
        .route("/installations/{id}/checklist/{task}/check", post(check_items))
        .route("/installations/{id}/checklist/{task}/{item}/uncheck", post(uncheck_item))
        .route("/installations/{id}/handover", post(handover))
        .route("/installations/{id}/updates", post(update_start))
        .route("/installations/{id}/updates/{n}/steps/{step}", post(update_step))
        .route("/installations/{id}/updates/{n}/{action}", post(update_action))
        .route("/installations/{id}/backups", post(backup))
        .route("/installations/{id}/tickets", post(ticket_open))
        .route("/installations/{id}/tickets/{reference}/{action}", post(ticket_action))
        .route("/reports/{report}", get(report_page))
        .route("/inbox", get(inbox_page))
        .route("/inbox/ack", post(inbox_ack))
        .route("/admin/people", get(people).post(person_add))
        .route("/admin/people/{handle}/{action}", post(person_action))
        .route("/account/tokens", get(tokens).post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
}

// Templates.

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, text) in [
            ("layout.html", include_str!("templates/layout.html")),
            ("login.html", include_str!("templates/login.html")),
            ("invite.html", include_str!("templates/invite.html")),
            ("message.html", include_str!("templates/message.html")),
            ("moves.html", include_str!("templates/moves.html")),
            ("installations.html", include_str!("templates/installations.html")),
            ("installation.html", include_str!("templates/installation.html")),
            ("report.html", include_str!("templates/report.html")),
            ("inbox.html", include_str!("templates/inbox.html")),
            ("people.html", include_str!("templates/people.html")),
            ("tokens.html", include_str!("templates/tokens.html")),
        ] {
            if let Err(e) = env.add_template(name, text) {
                tracing::error!("page template {name}: {e}");
            }
        }
        env
    })
}

fn render(status: StatusCode, name: &str, ctx: Value) -> Response {
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering {name}: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

fn status_of(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("templates/style.css"))
        .into_response()
}

// Sessions.

/// A signed-in browser: who, their context, and the page frame's values.
struct Page {
    principal: Principal,
    ctx: Context,
    me: PersonView,
}

impl Page {
    /// The frame every page shares, with the page's own values merged in.
    fn with(&self, title: &str, nav: &str, values: Value) -> Value {
        context! { title => title, nav => nav, me => self.me, csrf => self.principal.csrf, ..values }
    }
}

/// The browser's session, or `None`.
pub(super) async fn session(st: &AppState, parts: &Parts) -> Option<Principal> {
    let secret = auth::cookie(parts, SESSION_COOKIE)?;
    auth::principal(st, secret).await.ok().filter(|p| p.session)
}

/// The signed-in person, or a redirect (303) to the sign-in page.
async fn page(st: &AppState, parts: &Parts) -> std::result::Result<Page, Response> {
    let to_login = || Redirect::to("/login").into_response();
    let principal = session(st, parts).await.ok_or_else(to_login)?;
    let ctx = st.context(&principal);
    let reader = ctx.clone();
    let me =
        st.db.read(move |store| identity::whoami(store, &reader)).await.map_err(|_| to_login())?;
    Ok(Page { principal, ctx, me })
}

/// A form's fields, repeated ones kept (`item`, `topic`).
#[derive(Debug, Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// An optional text field: empty is absent.
    fn text(&self, name: &str) -> Result<Option<Text>> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => t.parse().map(Some),
        }
    }

    fn required<T: std::str::FromStr<Err = Error>>(&self, name: &str) -> Result<T> {
        match self.get(name).map(str::trim) {
            None | Some("") => Err(Error::bad_input(format!("the form needs {name}"))),
            Some(t) => t.parse(),
        }
    }
}

/// A signed-in person's form, with its CSRF token checked.
async fn form(
    st: &AppState,
    parts: &Parts,
    Form(fields): Form<Vec<(String, String)>>,
) -> std::result::Result<(Page, Fields), Response> {
    let page = page(st, parts).await?;
    let fields = Fields(fields);
    if let Some(refused) = csrf_refused(&page, &fields) {
        return Err(refused);
    }
    Ok((page, fields))
}

/// The refusal (403) of a form without this session's CSRF token.
fn csrf_refused(page: &Page, fields: &Fields) -> Option<Response> {
    if fields.get("csrf").is_none() || fields.get("csrf") != page.principal.csrf.as_deref() {
        let e = Error::not_permitted(
            "the form is stale or forged: its CSRF token does not match this session; reload the page",
        );
        return Some(message(page, status_of(&e), "Refused", &e.message));
    }
    None
}

/// A signed-in person's form with files (`multipart/form-data`), its CSRF
/// token checked as any other form's: a body that is no such form, or that
/// breaks off before the token, is a form without it (403); one that breaks
/// off after it is bad input.
async fn multipart_form(
    st: &AppState,
    parts: &Parts,
    body: std::result::Result<Multipart, MultipartRejection>,
) -> std::result::Result<(Page, Fields), Response> {
    let page = page(st, parts).await?;
    let (fields, broken) = parts_of(body).await;
    let fields = Fields(fields);
    if let Some(refused) = csrf_refused(&page, &fields) {
        return Err(refused);
    }
    if let Some(e) = broken {
        return Err(message(&page, status_of(&e), "Refused", &e.message));
    }
    Ok((page, fields))
}

/// The parts of a `multipart/form-data` body in order, each read as text,
/// and what kept the rest from being read, if anything.
async fn parts_of(
    body: std::result::Result<Multipart, MultipartRejection>,
) -> (Vec<(String, String)>, Option<Error>) {
    let unreadable =
        |e: &dyn std::fmt::Display| Error::bad_input(format!("the form could not be read: {e}"));
    let mut body = match body {
        Ok(body) => body,
        Err(e) => return (Vec::new(), Some(unreadable(&e))),
    };
    let mut fields = Vec::new();
    loop {
        let field = match body.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return (fields, None),
            Err(e) => return (fields, Some(unreadable(&e))),
        };
        let name = field.name().unwrap_or_default().to_string();
        match field.bytes().await.map(|b| String::from_utf8(b.to_vec())) {
            Ok(Ok(text)) => fields.push((name, text)),
            Ok(Err(_)) => {
                let e = Error::bad_input(format!("the form's {name} is not text (UTF-8)"));
                return (fields, Some(e));
            }
            Err(e) => return (fields, Some(unreadable(&e))),
        }
    }
}

fn message(page: &Page, status: StatusCode, title: &str, text: &str) -> Response {
    render(status, "message.html", page.with(title, "", context! { error => text }))
}

/// After a form: back to `to` when done; the refusal on a page when not.
fn done(page: &Page, to: &str, outcome: Result<Vec<Event>>) -> Response {
    match outcome {
        Ok(_) => Redirect::to(to).into_response(),
        Err(e) => message(page, status_of(&e), "Refused", &e.message),
    }
}

// Signing in and out.

/// The session cookie lives as long as the browser's session: the server
/// ends the session after 12 hours without a request (each request moves
/// that on), so a fixed `Max-Age` would cut off someone still at work.
fn session_cookie(st: &AppState, made: &NewTokenView) -> HeaderValue {
    let secure = if st.config.secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        made.token
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn signed_in(st: &AppState, made: &NewTokenView) -> Response {
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(st, made));
    res
}

async fn login_form() -> Response {
    render(StatusCode::OK, "login.html", context! { title => "Sign in", handle => "" })
}

#[derive(serde::Deserialize)]
struct LoginForm {
    handle: String,
    password: String,
}

async fn login(State(st): State<AppState>, parts: Parts, Form(f): Form<LoginForm>) -> Response {
    let client = auth::client(&parts, st.config.behind_proxy);
    match sign_in(&st, &client, &f.handle, f.password, TokenKind::Session, None).await {
        Ok((made, _)) => signed_in(&st, &made),
        Err(e) => render(
            status_of(&e.0),
            "login.html",
            context! { title => "Sign in", handle => f.handle, error => e.0.message },
        ),
    }
}

async fn logout(
    State(st): State<AppState>,
    parts: Parts,
    f: Form<Vec<(String, String)>>,
) -> Response {
    // Without a session there is nothing to end; a forged form (no or the
    // wrong CSRF token) is refused and ends nothing.
    if session(&st, &parts).await.is_some() {
        let (page, _) = match form(&st, &parts, f).await {
            Ok(x) => x,
            Err(refused) => return refused,
        };
        let (ctx, principal) = (page.ctx, page.principal);
        let _ = st.db.write(move |store| identity::sign_out(store, &ctx, &principal)).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("raci_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

async fn invite_form(State(st): State<AppState>, Path(code): Path<String>) -> Response {
    let now = st.now();
    let known = code.clone();
    match st.db.read(move |store| identity::invitation_for(store, now, &known)).await {
        Ok(handle) => render(
            StatusCode::OK,
            "invite.html",
            context! { title => "Set your password", handle => handle, code => code, min => identity::MIN_PASSWORD_CHARS },
        ),
        Err(e) => render(
            status_of(&e),
            "message.html",
            context! { title => "Invitation", error => e.message },
        ),
    }
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    password: String,
}

async fn invite(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Response {
    match redeem_with(&st, code.clone(), f.password, TokenKind::Session).await {
        Ok((made, _)) => signed_in(&st, &made),
        Err(e) => {
            let now = st.now();
            let known = code.clone();
            let handle = st
                .db
                .read(move |store| identity::invitation_for(store, now, &known))
                .await
                .unwrap_or_default();
            render(
                status_of(&e.0),
                "invite.html",
                context! { title => "Set your password", handle => handle, code => code, min => identity::MIN_PASSWORD_CHARS, error => e.0.message },
            )
        }
    }
}

// Reading.

async fn home(State(st): State<AppState>, parts: Parts) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ctx = page.ctx.clone();
    let party = page.me.party;
    let read = st
        .db
        .read(move |store| {
            let mut rows = Vec::new();
            let filter = report::Filter { party, ..report::Filter::default() };
            report::outstanding(store, &ctx, &filter, |r| {
                rows.push(r);
                Ok(())
            })?;
            let mut unread = 0;
            inbox::inbox(store, &ctx, inbox::Only { unread: true, limit: None }, |_| {
                unread += 1;
                Ok(())
            })?;
            Ok((rows, unread))
        })
        .await;
    match read {
        Ok((rows, unread)) => render(
            StatusCode::OK,
            "moves.html",
            page.with("My moves", "moves", context! { rows => rows, unread => unread }),
        ),
        Err(e) => message(&page, status_of(&e), "My moves", &e.message),
    }
}

#[derive(serde::Deserialize, Default)]
struct Search {
    #[serde(default)]
    q: String,
}

async fn installations(
    State(st): State<AppState>,
    parts: Parts,
    Query(search): Query<Search>,
) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ctx = page.ctx.clone();
    let q = search.q.clone();
    match st.db.read(move |store| board::installations(store, &ctx, &q, 200)).await {
        Ok((rows, more)) => render(
            StatusCode::OK,
            "installations.html",
            page.with(
                "Installations",
                "installations",
                context! { rows => rows, more => more, q => search.q },
            ),
        ),
        Err(e) => message(&page, status_of(&e), "Installations", &e.message),
    }
}

async fn installation(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ctx = page.ctx.clone();
    let wanted = id.clone();
    match st.db.read(move |store| board::installation(store, &ctx, &wanted)).await {
        Ok(b) => render(
            StatusCode::OK,
            "installation.html",
            page.with(
                &format!("Installation {}", b.status.installation),
                "installations",
                context! {
                    b => b,
                    severities => Severity::NAMES,
                    environments => Env::NAMES,
                },
            ),
        ),
        Err(e) => message(&page, status_of(&e), &format!("Installation {id}"), &e.message),
    }
}

/// A report's rows as the page's table: the JSON contract's columns.
fn rows_of<T: Serialize>(rows: Vec<T>) -> (Vec<String>, Vec<serde_json::Value>) {
    let values: Vec<serde_json::Value> =
        rows.iter().filter_map(|r| serde_json::to_value(r).ok()).collect();
    let columns = values
        .first()
        .and_then(|v| v.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (columns, values)
}

async fn report_page(
    State(st): State<AppState>,
    parts: Parts,
    Path(name): Path<String>,
) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ctx = page.ctx.clone();
    let which = name.clone();
    let read = st
        .db
        .read(move |store| {
            Ok(match which.as_str() {
                "outstanding" => {
                    let mut rows = Vec::new();
                    report::outstanding(store, &ctx, &report::Filter::default(), |r| {
                        rows.push(r);
                        Ok(())
                    })?;
                    ("Outstanding moves, oldest first", rows_of(rows))
                }
                "overdue" => ("Overdue tasks", rows_of(report::overdue(store, &ctx)?)),
                "stale-backups" => (
                    "Installations with no backup in 7 days",
                    rows_of(report::stale_backups(store, &ctx, 7)?),
                ),
                "clocks" => {
                    let mut rows = Vec::new();
                    report::clocks(store, &ctx, None, |_, union| {
                        rows.push(report::clock_total(&union));
                        Ok(())
                    })?;
                    ("Whose side each installation's moves lay with", rows_of(rows))
                }
                other => {
                    return Err(Error::not_found(format!(
                        "no report {other:?}; the reports are outstanding, overdue, clocks and stale-backups"
                    )));
                }
            })
        })
        .await;
    match read {
        Ok((caption, (columns, rows))) => render(
            StatusCode::OK,
            "report.html",
            page.with(
                "Reports",
                "reports",
                context! { report => name, caption => caption, columns => columns, rows => rows },
            ),
        ),
        Err(e) => message(&page, status_of(&e), "Reports", &e.message),
    }
}

async fn inbox_page(State(st): State<AppState>, parts: Parts) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ctx = page.ctx.clone();
    let read = st
        .db
        .read(move |store| {
            let mut rows = Vec::new();
            inbox::inbox(store, &ctx, inbox::Only { unread: false, limit: Some(500) }, |r| {
                rows.push(r);
                Ok(())
            })?;
            Ok(rows)
        })
        .await;
    match read {
        Ok(rows) => render(
            StatusCode::OK,
            "inbox.html",
            page.with("Inbox", "inbox", context! { rows => rows }),
        ),
        Err(e) => message(&page, status_of(&e), "Inbox", &e.message),
    }
}

async fn people(State(st): State<AppState>, parts: Parts) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    people_page(&st, &page, StatusCode::OK, context! {}).await
}

async fn people_page(st: &AppState, page: &Page, status: StatusCode, extra: Value) -> Response {
    if !page.me.admin {
        let e = Error::not_permitted(format!(
            "{} administers nothing; people are managed by their organisation's administrators",
            page.me.handle
        ));
        return message(page, status_of(&e), "People", &e.message);
    }
    let ctx = page.ctx.clone();
    match st.db.read(move |store| reads::persons(store, &ctx)).await {
        Ok(rows) => render(
            status,
            "people.html",
            page.with(
                "People",
                "people",
                context! {
                    rows => rows,
                    parties => Party::NAMES,
                    roles => Role::NAMES,
                    roles_of => Party::ALL
                        .iter()
                        .map(|p| (p.as_str(), Role::of_names(*p)))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                    ..extra
                },
            ),
        ),
        Err(e) => message(page, status_of(&e), "People", &e.message),
    }
}

async fn tokens(State(st): State<AppState>, parts: Parts) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    tokens_page(&st, &page, StatusCode::OK, context! {}).await
}

async fn tokens_page(st: &AppState, page: &Page, status: StatusCode, extra: Value) -> Response {
    let ctx = page.ctx.clone();
    match st.db.read(move |store| identity::tokens(store, &ctx)).await {
        Ok(rows) => render(
            status,
            "tokens.html",
            page.with("Personal tokens", "tokens", context! { rows => rows, ..extra }),
        ),
        Err(e) => message(page, status_of(&e), "Personal tokens", &e.message),
    }
}

// Acting: each form runs the use case the CLI and the API run.

/// Runs a write for a page's form on the writer.
async fn write(
    st: &AppState,
    page: &Page,
    f: impl FnOnce(&mut crate::store::Store, &Context) -> Result<Vec<Event>> + Send + 'static,
) -> Result<Vec<Event>> {
    let ctx = page.ctx.clone();
    st.db.write(move |store| f(store, &ctx)).await
}

/// One form, one use case: the session and its CSRF token checked, the
/// fields read into the use case's request by `read`, the use case run by
/// `run`; then back to `to`, or the refusal (the CLI's message) on a page.
async fn act<R: Send + 'static>(
    st: &AppState,
    parts: &Parts,
    f: Form<Vec<(String, String)>>,
    to: String,
    read: impl FnOnce(&Fields) -> Result<R>,
    run: impl FnOnce(&mut crate::store::Store, &Context, R) -> Result<Vec<Event>> + Send + 'static,
) -> Response {
    let (page, fields) = match form(st, parts, f).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let outcome = match read(&fields) {
        Ok(req) => write(st, &page, move |s, c| run(s, c, req)).await,
        Err(e) => Err(e),
    };
    done(&page, &to, outcome)
}

async fn task_step(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, task, verb)): Path<(String, String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#{task}");
    let read = |fields: &Fields| {
        let verb: Verb = verb.parse()?;
        let text = match verb {
            Verb::Comment => fields.text("text")?,
            _ => fields.text("reason")?.or(fields.text("note")?),
        };
        let due = match verb {
            Verb::Due => Some(fields.required::<Day>("due")?),
            _ => None,
        };
        Ok(tasks::TaskStep { installation: id.parse()?, task, verb, text, due })
    };
    act(&st, &parts, f, to, read, |s, c, step| tasks::step(s, c, &step)).await
}

/// The statement of a task move for the signed-in person to sign where
/// their key is (`raci offline request ID TASK VERB --for ME`), as a file
/// to download, byte for byte. Nothing is recorded.
async fn task_statement(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, task, verb)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let page = match page(&st, &parts).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fields = Fields(query);
    let req = (|| {
        Ok(signing::OfflineRequest {
            installation: id.parse()?,
            task: task.clone(),
            verb: verb.parse()?,
            signer: page.principal.handle.clone(),
            text: fields.text("reason")?.or(fields.text("note")?),
            expires_days: None,
        })
    })();
    // A draft runs the step and rolls it back: on the writer, whose
    // connection may write.
    let ctx = page.ctx.clone();
    let made = match req {
        Ok(req) => st.db.write(move |store| signing::offline_request(store, &ctx, &req)).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(text) => {
            let name: String = format!("{id}-{task}-{verb}.json")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                text,
            )
                .into_response()
        }
        Err(e) => message(&page, status_of(&e), "Refused", &e.message),
    }
}

/// A signed step carried in as two files, the statement and its
/// signature (`raci offline apply STATEMENT SIGNATURE`): recorded as the
/// signer's, the signed-in person as its carrier when not the signer.
async fn signed_step(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    body: std::result::Result<Multipart, MultipartRejection>,
) -> Response {
    let (page, fields) = match multipart_form(&st, &parts, body).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let file = |name: &str, what: &str| match fields.get(name) {
        None | Some("") => Err(Error::bad_input(format!("the form needs {what}"))),
        Some(text) => Ok(text.to_string()),
    };
    let read = (|| {
        let statement = file("statement", "the statement file (step.json)")?;
        let signature = file("signature", "the signature file (step.json.sig)")?;
        // A statement of another installation belongs on that one's page.
        if let Ok(s) = Statement::parse(&statement)
            && let Some(other) = s.installation.filter(|i| !i.eq_ignore_ascii_case(&id))
        {
            return Err(Error::bad_input(format!(
                "the statement is of installation {other}, not {id}; upload it on {other}'s page"
            )));
        }
        Ok((statement, signature))
    })();
    let outcome = match read {
        Ok((statement, signature)) => {
            write(&st, &page, move |s, c| signing::offline_apply(s, c, &statement, &signature))
                .await
        }
        Err(e) => Err(e),
    };
    let task = outcome.as_ref().ok().and_then(|events| events.first()?.task.clone());
    let to = match task {
        Some(task) => format!("/installations/{id}#{task}"),
        None => format!("/installations/{id}#signed-steps"),
    };
    done(&page, &to, outcome)
}

async fn check_items(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, task)): Path<(String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#{task}");
    let read = |fields: &Fields| {
        Ok(tasks::ItemStep {
            installation: id.parse()?,
            task,
            items: fields.all("item").into_iter().map(str::to_string).collect(),
            all: false,
            check: true,
            note: fields.text("note")?,
        })
    };
    act(&st, &parts, f, to, read, |s, c, step| tasks::set_item(s, c, &step)).await
}

async fn uncheck_item(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, task, item)): Path<(String, String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#{task}");
    let read = |_: &Fields| {
        Ok(tasks::ItemStep {
            installation: id.parse()?,
            task,
            items: vec![item],
            all: false,
            check: false,
            note: None,
        })
    };
    act(&st, &parts, f, to, read, |s, c, step| tasks::set_item(s, c, &step)).await
}

async fn handover(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#handover");
    let read = |fields: &Fields| {
        let minutes: i64 = fields
            .get("minutes")
            .and_then(|m| m.trim().parse().ok())
            .ok_or_else(|| Error::bad_input("the handover needs its length in whole minutes"))?;
        Ok(tasks::HandoverRecord {
            installation: id.parse()?,
            held_on: fields.required("held_on")?,
            minutes,
            attendees: fields
                .get("attendees")
                .unwrap_or_default()
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .collect::<Result<_>>()?,
            topics: fields
                .all("topic")
                .into_iter()
                .map(str::parse::<Topic>)
                .collect::<Result<_>>()?,
        })
    };
    act(&st, &parts, f, to, read, |s, c, req| tasks::record_handover(s, c, &req)).await
}

async fn update_start(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#updates");
    let read = |fields: &Fields| {
        Ok((id.parse::<Id>()?, fields.required::<Text>("version")?, fields.text("note")?))
    };
    act(&st, &parts, f, to, read, |s, c, (inst, version, note)| {
        operations::start_cycle(s, c, &inst, &version, note.as_ref())
    })
    .await
}

async fn update_step(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, n, step)): Path<(String, String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#updates");
    let read = |fields: &Fields| {
        let action = CycleAction::Step(step.parse::<Step>()?);
        Ok((id.parse::<Id>()?, words::cycle_number(&n)?, action, fields.text("note")?))
    };
    act(&st, &parts, f, to, read, |s, c, (inst, n, action, note)| {
        operations::cycle_action(s, c, &inst, n, action, note.as_ref())
    })
    .await
}

async fn update_action(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, n, action)): Path<(String, String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#updates");
    let read = |fields: &Fields| {
        let action = words::cycle_action(&action)?;
        let text = words::words_for(
            words::cycle_needs_reason(action),
            false,
            fields.text("note")?,
            fields.text("reason")?,
            None,
        );
        Ok((id.parse::<Id>()?, words::cycle_number(&n)?, action, text))
    };
    act(&st, &parts, f, to, read, |s, c, (inst, n, action, text)| {
        operations::cycle_action(s, c, &inst, n, action, text.as_ref())
    })
    .await
}

async fn backup(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#backups");
    let read = |fields: &Fields| {
        Ok((id.parse::<Id>()?, fields.required::<Day>("taken_on")?, fields.text("note")?))
    };
    act(&st, &parts, f, to, read, |s, c, (inst, day, note)| {
        operations::record_backup(s, c, &inst, day, note.as_ref())
    })
    .await
}

async fn ticket_open(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#tickets");
    let read = |fields: &Fields| {
        Ok(operations::NewTicket {
            installation: id.parse()?,
            reference: fields.required("ref")?,
            severity: fields.required("severity")?,
            environment: fields.required("environment")?,
            summary: fields.required("summary")?,
        })
    };
    act(&st, &parts, f, to, read, |s, c, new| operations::open_ticket(s, c, &new)).await
}

async fn ticket_action(
    State(st): State<AppState>,
    parts: Parts,
    Path((id, reference, action)): Path<(String, String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let to = format!("/installations/{id}#tickets");
    let read = |fields: &Fields| {
        let action = words::ticket_action(&action)?;
        let text = words::words_for(
            action == TicketAction::Reopen,
            action == TicketAction::Comment,
            fields.text("note")?,
            fields.text("reason")?,
            fields.text("text")?,
        );
        Ok((id.parse::<Id>()?, reference.parse::<Id>()?, action, text))
    };
    act(&st, &parts, f, to, read, |s, c, (inst, reference, action, text)| {
        operations::ticket_action(s, c, &inst, &reference, action, text.as_ref())
    })
    .await
}

async fn inbox_ack(
    State(st): State<AppState>,
    parts: Parts,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let read = |fields: &Fields| {
        fields
            .all("id")
            .into_iter()
            .map(|i| {
                i.parse::<i64>()
                    .map_err(|_| Error::bad_input(format!("{i:?} is not an event's number")))
            })
            .collect::<Result<Vec<i64>>>()
    };
    act(&st, &parts, f, "/inbox".to_string(), read, |s, c, ids| inbox::ack(s, c, &ids)).await
}

async fn person_add(
    State(st): State<AppState>,
    parts: Parts,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let (page, fields) = match form(&st, &parts, f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let parsed = (|| {
        let party: Party = fields.required("party")?;
        Ok(admin::NewPerson {
            handle: fields.required("handle")?,
            party,
            role: fields.required("role")?,
            name: fields.text("name")?,
            email: fields.text("email")?,
            subscriber: if party == Party::Subscriber { fields.text("subscriber")? } else { None },
            login: None,
            admin: fields.get("admin") == Some("true"),
        })
    })();
    let outcome = match parsed {
        Ok(new) => write(&st, &page, move |s, c| admin::add_person(s, c, &new)).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Redirect::to("/admin/people").into_response(),
        Err(e) => people_page(&st, &page, status_of(&e), context! { error => e.message }).await,
    }
}

async fn person_action(
    State(st): State<AppState>,
    parts: Parts,
    Path((handle, action)): Path<(String, String)>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let (page, fields) = match form(&st, &parts, f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let handle: Id = match handle.parse() {
        Ok(h) => h,
        Err(e) => return message(&page, status_of(&e), "People", &e.message),
    };
    if action == "invite" {
        let ctx = page.ctx.clone();
        let who = handle.clone();
        let invited = st.db.write(move |store| identity::invite(store, &ctx, &who)).await;
        return match invited {
            Ok((mut view, _)) => {
                view.url = super::absolute(&st, &parts.headers, &view.url);
                let invitation = context! { handle => handle.as_str(), url => view.url, expires_at => view.expires_at };
                people_page(&st, &page, StatusCode::OK, context! { invitation => invitation }).await
            }
            Err(e) => people_page(&st, &page, status_of(&e), context! { error => e.message }).await,
        };
    }
    let outcome = match action.as_str() {
        "deactivate" => match fields.required::<Text>("reason") {
            Ok(reason) => {
                write(&st, &page, move |s, c| admin::deactivate_person(s, c, &handle, &reason))
                    .await
            }
            Err(e) => Err(e),
        },
        "reactivate" => {
            write(&st, &page, move |s, c| admin::reactivate_person(s, c, &handle)).await
        }
        "set" => match fields.required::<Role>("role") {
            Ok(role) => {
                let req = admin::PersonChange {
                    handle,
                    role: Some(role),
                    admin: Some(fields.get("admin") == Some("true")),
                    name: None,
                    email: None,
                    login: None,
                };
                write(&st, &page, move |s, c| admin::set_person(s, c, &req)).await
            }
            Err(e) => Err(e),
        },
        other => Err(Error::not_found(format!(
            "no action {other:?} on people; expected invite, set, deactivate or reactivate"
        ))),
    };
    match outcome {
        Ok(_) => Redirect::to("/admin/people").into_response(),
        Err(e) => people_page(&st, &page, status_of(&e), context! { error => e.message }).await,
    }
}

async fn token_create(
    State(st): State<AppState>,
    parts: Parts,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let (page, fields) = match form(&st, &parts, f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = (|| {
        Ok(identity::TokenRequest {
            name: fields.text("name")?,
            expires_days: match fields.get("expires_days").map(str::trim) {
                None | Some("") => None,
                Some(d) => Some(
                    d.parse()
                        .map_err(|_| Error::bad_input(format!("{d:?} is not a number of days")))?,
                ),
            },
            read_only: fields.get("read_only") == Some("true"),
        })
    })();
    let ctx = page.ctx.clone();
    let made = match req {
        Ok(req) => st.db.write(move |store| identity::create_token(store, &ctx, &req)).await,
        Err(e) => Err(e),
    };
    match made {
        Ok((made, _)) => {
            tokens_page(&st, &page, StatusCode::CREATED, context! { made => made }).await
        }
        Err(e) => tokens_page(&st, &page, status_of(&e), context! { error => e.message }).await,
    }
}

async fn token_revoke(
    State(st): State<AppState>,
    parts: Parts,
    Path(id): Path<String>,
    f: Form<Vec<(String, String)>>,
) -> Response {
    let (page, _) = match form(&st, &parts, f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let outcome = write(&st, &page, move |s, c| identity::revoke_token(s, c, &id)).await;
    match outcome {
        Ok(_) => Redirect::to("/account/tokens").into_response(),
        Err(e) => tokens_page(&st, &page, status_of(&e), context! { error => e.message }).await,
    }
}
