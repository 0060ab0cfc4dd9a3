//! The pages a browser needs to get in: sign-in, an invitation's "set your
//! password", sign-out, and a first page. Plain forms, POST then redirect,
//! no script; every value auto-escaped by minijinja.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, context};
use serde::Deserialize;

use super::AppState;
use super::api::{redeem_with, sign_in};
use super::auth::{self, SESSION_COOKIE};
use crate::app::identity::{self, NewTokenView, Principal, SESSION_IDLE_HOURS, TokenKind};
use crate::error::Error;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/invite/{code}", get(invite_form).post(invite))
        .route("/style.css", get(style))
}

const LAYOUT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · raci</title><link rel="stylesheet" href="/style.css"></head>
<body><header><a href="/" class="brand">raci</a></header><main>
<h1>{{ title }}</h1>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% block body %}{% endblock %}
</main></body></html>"#;

const LOGIN: &str = r#"{% extends "layout" %}{% block body %}
<form method="post" action="/login">
<label for="handle">Handle</label><input id="handle" name="handle" autocomplete="username" required value="{{ handle }}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>{% endblock %}"#;

const INVITE: &str = r#"{% extends "layout" %}{% block body %}
<p>Choose a password for <strong>{{ handle }}</strong>: at least {{ min }} characters.</p>
<form method="post" action="/invite/{{ code }}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="{{ min }}" required>
<button type="submit">Set password and sign in</button>
</form>{% endblock %}"#;

const HOME: &str = r#"{% extends "layout" %}{% block body %}
<p>Signed in as <strong>{{ person.handle }}</strong> ({{ person.party }}, {{ person.role }}{% if person.subscriber %}, {{ person.subscriber }}{% endif %}).</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit">Sign out</button></form>{% endblock %}"#;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}\
header{background:#24292f;padding:.6rem 1rem}header a{color:#fff;text-decoration:none;font-weight:600}\
main{max-width:40rem;margin:1.5rem auto;padding:0 1rem}\
form{display:grid;gap:.5rem;max-width:24rem}input,button{font:inherit;padding:.45rem}\
button{background:#1f6feb;color:#fff;border:0;border-radius:4px;cursor:pointer}\
.error{background:#ffebe9;border:1px solid #cf222e;padding:.5rem;border-radius:4px}";

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, text) in [("layout", LAYOUT), ("login", LOGIN), ("invite", INVITE), ("home", HOME)] {
        if let Err(e) = env.add_template(name, text) {
            tracing::error!("page template {name}: {e}");
        }
    }
    env
}

fn render(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering {name}: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

fn status_of(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure under TLS.
fn session_cookie(st: &AppState, made: &NewTokenView) -> HeaderValue {
    let secure = if st.config.secure { "; Secure" } else { "" };
    let max_age = SESSION_IDLE_HOURS * 3600;
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        made.token
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn signed_in(st: &AppState, made: &NewTokenView) -> Response {
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(st, made));
    res
}

/// The browser's session, or `None` (the page then redirects to sign-in).
pub(super) async fn session(st: &AppState, parts: &Parts) -> Option<Principal> {
    let secret = auth::cookie(parts, SESSION_COOKIE)?;
    auth::principal(st, secret).await.ok().filter(|p| p.session)
}

async fn home(State(st): State<AppState>, parts: Parts) -> Response {
    let Some(principal) = session(&st, &parts).await else {
        return Redirect::to("/login").into_response();
    };
    let ctx = st.context(&principal);
    match st.db.read(move |store| identity::whoami(store, &ctx)).await {
        Ok(person) => render(
            StatusCode::OK,
            "home",
            context! { title => "raci", person => person, csrf => principal.csrf },
        ),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

async fn login_form() -> Response {
    render(StatusCode::OK, "login", context! { title => "Sign in", handle => "" })
}

#[derive(Deserialize)]
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
            "login",
            context! { title => "Sign in", handle => f.handle, error => e.0.message },
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(st): State<AppState>, parts: Parts, Form(f): Form<CsrfForm>) -> Response {
    if let Some(principal) = session(&st, &parts).await {
        if principal.csrf.as_deref() != Some(f.csrf.as_str()) {
            let e =
                Error::not_permitted("the form is stale or forged: its CSRF token does not match");
            return (status_of(&e), e.message).into_response();
        }
        let ctx = st.context(&principal);
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
            "invite",
            context! { title => "Set your password", handle => handle, code => code, min => identity::MIN_PASSWORD_CHARS },
        ),
        Err(e) => {
            render(status_of(&e), "layout", context! { title => "Invitation", error => e.message })
        }
    }
}

#[derive(Deserialize)]
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
                "invite",
                context! { title => "Set your password", handle => handle, code => code, min => identity::MIN_PASSWORD_CHARS, error => e.0.message },
            )
        }
    }
}
