//! The JSON API: each route reads its path and body into the use case's
//! request, runs it (writes on the writer, reads on a read connection) and
//! answers what the CLI prints with `--format json`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;

use super::auth::{self, Auth};
use super::db::Db;
use super::{ApiError, ApiResult, AppState, IMPORT_LIMIT};
use crate::api::words;
use crate::api::*;
use crate::app::identity::{self, NewTokenView, TokenKind};
use crate::app::inbox::Only;
use crate::app::{Context, admin, inbox, operations, reads, signing, tasks};
use crate::domain::operations::{CycleAction, Step, TicketAction};
use crate::domain::rules::Verb;
use crate::domain::values::Id;
use crate::error::{Error, Kind, Result};
use crate::report;
use crate::store::{Event, Store};
use crate::view::{EventView, KeyView};

mod openapi;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi::openapi))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tokens", get(token_list).post(token_create))
        .route("/tokens/{id}", delete(token_revoke))
        .route("/invitations/{code}", post(redeem))
        .route("/matrix", get(matrix))
        .route("/people", get(people).post(person_add))
        .route("/people/{handle}/invite", post(person_invite))
        .route("/people/{handle}/set", post(person_set))
        .route("/people/{handle}/deactivate", post(person_deactivate))
        .route("/people/{handle}/reactivate", post(person_reactivate))
        .route("/installations", get(installations).post(installation_add))
        .route(
            "/installations/import",
            post(installation_import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/installations/{id}", get(status))
        .route("/installations/{id}/retire", post(retire))
        .route("/installations/{id}/unretire", post(unretire))
        .route("/installations/{id}/log", get(log))
        .route("/installations/{id}/checklist", get(checklist))
        .route("/installations/{id}/tasks/{task}/{verb}", post(task_step))
        .route("/installations/{id}/checklist/{task}/{action}", post(items))
        .route("/installations/{id}/checklist/{task}/{item}/{action}", post(item))
        .route("/installations/{id}/handover", get(handover_show).post(handover_record))
        .route("/installations/{id}/updates", get(update_list).post(update_start))
        .route("/installations/{id}/updates/{n}/steps/{step}", post(update_step))
        .route("/installations/{id}/updates/{n}/{action}", post(update_action))
        .route("/installations/{id}/backups", get(backup_list).post(backup_record))
        .route("/installations/{id}/tickets", get(ticket_list).post(ticket_open))
        .route("/installations/{id}/tickets/{reference}/{action}", post(ticket_action))
        .route("/reports/outstanding", get(outstanding))
        .route("/reports/overdue", get(overdue))
        .route("/reports/stale-backups", get(stale_backups))
        .route("/reports/clocks", get(clocks))
        .route("/reports/html", get(html))
        .route("/inbox", get(inbox_list))
        .route("/inbox/ack", post(inbox_ack))
        .route("/keys", get(key_list_all))
        .route("/people/{handle}/keys", get(key_list).post(key_add))
        .route("/people/{handle}/keys/{fingerprint}", delete(key_revoke))
        .route("/allowed-signers", get(allowed_signers))
        .route("/policy", post(policy))
        .route("/offline/request", post(offline_request))
        .route("/offline/apply", post(offline_apply))
        .route("/statements", post(statements))
}

/// A JSON body, refused as the API refuses: 400 `bad_input` naming what is
/// wrong, 413 `too_large` over the limit.
pub(super) struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> std::result::Result<Self, ApiError> {
        // An empty body is an empty object: every field optional or refused by name.
        let empty = req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() == b"0");
        if empty {
            return serde_json::from_str("{}")
                .map(Body)
                .map_err(|e| ApiError(Error::bad_input(format!("the body is missing: {e}"))));
        }
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(ApiError(json_refusal(&rejection))),
        }
    }
}

fn json_refusal(rejection: &JsonRejection) -> Error {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::new(
            Kind::TooLarge,
            format!("the body is over the limit of {} bytes", super::JSON_LIMIT),
        );
    }
    let detail = match rejection {
        JsonRejection::JsonDataError(e) => e.body_text(),
        JsonRejection::JsonSyntaxError(e) => e.body_text(),
        JsonRejection::MissingJsonContentType(_) => {
            "expected Content-Type: application/json".to_string()
        }
        other => other.body_text(),
    };
    Error::bad_input(format!("the body is not what this route takes: {detail}"))
}

/// A query string, refused as a bad input naming what is wrong.
pub(super) struct Q<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> std::result::Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(q)| Q(q)).map_err(|e| {
            ApiError(Error::bad_input(format!(
                "the query is not what this route takes: {}",
                e.body_text()
            )))
        })
    }
}

/// Path segments, refused as a bad input (an ID with a space, say).
fn id(text: &str) -> Result<Id> {
    text.parse()
}

type Json<T> = axum::Json<T>;

/// Runs a read on a read connection.
async fn read<T: Send + 'static>(
    db: &Db,
    ctx: Context,
    f: impl FnOnce(&mut Store, &Context) -> Result<T> + Send + 'static,
) -> ApiResult<Json<T>> {
    Ok(axum::Json(db.read(move |store| f(store, &ctx)).await?))
}

/// Runs a write on the writer and answers the events it recorded (a
/// signed one settles its signature in the use case: see `app::signing`).
async fn write(
    db: &Db,
    ctx: Context,
    f: impl Fn(&mut Store, &Context) -> Result<Vec<Event>> + Send + 'static,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let events = db.write(move |store| signing::run(store, &ctx, &f)).await?;
    Ok((StatusCode::OK, axum::Json(events.into_iter().map(EventView::from).collect())))
}

/// [`write`] for a route that creates something: 201.
async fn create(
    db: &Db,
    ctx: Context,
    f: impl Fn(&mut Store, &Context) -> Result<Vec<Event>> + Send + 'static,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let (_, events) = write(db, ctx, f).await?;
    Ok((StatusCode::CREATED, events))
}

/// Whether the server is up, and its version
///
/// Takes no credential.
#[utoipa::path(
    get,
    path = "/health",
    tag = "meta",
    responses(
        (status = 200, description = "Up", body = Health),
    ),
)]
async fn health() -> Json<Health> {
    axum::Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

// Signing in.

/// Signs in with a handle and password: a personal token
///
/// Takes no credential. After 5 failures for one handle, or 20 from one
/// address, within 15 minutes, every attempt is refused (429) until the window
/// passes, even with the right password.
#[utoipa::path(
    post,
    path = "/login",
    tag = "sign-in",
    request_body = LoginBody,
    responses(
        (status = 201, description = "The token, shown this once", body = NewTokenView),
    ),
)]
async fn login(
    State(st): State<AppState>,
    parts: axum::http::request::Parts,
    Body(body): Body<LoginBody>,
) -> ApiResult<(StatusCode, Json<NewTokenView>)> {
    let client = auth::client(&parts, st.config.behind_proxy);
    let (made, _) =
        sign_in(&st, &client, &body.handle, body.password, TokenKind::Personal, body.token_name)
            .await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// Checks a password (throttled, off the executor) and signs in.
pub(super) async fn sign_in(
    st: &AppState,
    client: &str,
    handle: &str,
    password: String,
    kind: TokenKind,
    name: Option<crate::domain::values::Text>,
) -> ApiResult<(NewTokenView, Vec<Event>)> {
    // A handle that could not exist is refused as any wrong sign-in, and
    // keeps the throttle's keys short.
    let handle = match handle.parse::<crate::domain::values::Id>() {
        Ok(h) => h.to_string(),
        Err(_) => return Err(Error::unauthenticated("wrong handle or password").into()),
    };
    let handle = handle.as_str();
    let attempt = st.throttle.attempt(handle, client)?;
    let wanted = handle.to_string();
    let stored = match st.db.read(move |store| identity::password_of(store, &wanted)).await {
        Ok(phc) => Some(phc),
        Err(e) if e.kind == Kind::Unauthenticated => None,
        // The database failed, not the person: no sign-in is counted.
        Err(e) => {
            st.throttle.forgive(attempt);
            return Err(e.into());
        }
    };
    let checked = Db::blocking(move || {
        // A handle with no password is checked against a dummy hash, so the
        // answer takes as long as for one that exists.
        let phc = stored.unwrap_or_else(|| DUMMY_PHC.to_string());
        identity::verify(&password, &phc)
    })
    .await;
    checked?;
    st.throttle.forgive(attempt);
    let ctx = Context { now: st.now(), channel: kind.channel(), ..Context::default() };
    let handle = handle.to_string();
    Ok(st.db.write(move |store| identity::sign_in(store, &ctx, &handle, kind, name)).await?)
}

/// An argon2id hash of a random password, checked when a handle has none.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Hh1zZ1S0Ajq0GyV3JgN2c+K7W1Lsd1YfZIcdHk1cTE";

/// Revokes the presenting token (`raci logout`)
#[utoipa::path(
    post,
    path = "/logout",
    tag = "sign-in",
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn logout(State(st): State<AppState>, who: Auth) -> ApiResult<Json<Vec<EventView>>> {
    let Auth { principal, ctx } = who;
    let events = st.db.write(move |store| identity::sign_out(store, &ctx, &principal)).await?;
    Ok(axum::Json(events.into_iter().map(EventView::from).collect()))
}

/// The acting person, as in person list (`raci whoami`)
#[utoipa::path(
    get,
    path = "/me",
    tag = "sign-in",
    responses(
        (status = 200, description = "The person", body = crate::view::PersonView),
    ),
)]
async fn me(State(st): State<AppState>, who: Auth) -> ApiResult<Json<crate::view::PersonView>> {
    read(&st.db, who.ctx, identity::whoami).await
}

/// The acting person's tokens, never their secrets (`raci token list`)
#[utoipa::path(
    get,
    path = "/tokens",
    tag = "sign-in",
    responses(
        (status = 200, description = "The tokens", body = Vec<identity::TokenView>),
    ),
)]
async fn token_list(
    State(st): State<AppState>,
    who: Auth,
) -> ApiResult<Json<Vec<identity::TokenView>>> {
    read(&st.db, who.ctx, identity::tokens).await
}

/// Makes a personal token (`raci token create`)
///
/// The body may be empty.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "sign-in",
    request_body = Option<identity::TokenRequest>,
    responses(
        (status = 201, description = "The token, shown this once", body = NewTokenView),
    ),
)]
async fn token_create(
    State(st): State<AppState>,
    who: Auth,
    Body(req): Body<identity::TokenRequest>,
) -> ApiResult<(StatusCode, Json<NewTokenView>)> {
    let ctx = who.ctx;
    let (made, _) = st.db.write(move |store| identity::create_token(store, &ctx, &req)).await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// Revokes one of the acting person's tokens (`raci token revoke`)
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "sign-in",
    params(
        ("id" = String, Path, description = "The token's ID, as token list shows it"),
    ),
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn token_revoke(
    State(st): State<AppState>,
    who: Auth,
    Path(token): Path<String>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    write(&st.db, who.ctx, move |s, c| identity::revoke_token(s, c, &token)).await
}

/// Redeems an invitation: sets the password and signs in
///
/// Takes no credential. An unknown, used or voided code answers 404; a refused
/// password (under 12 characters) leaves the code valid.
#[utoipa::path(
    post,
    path = "/invitations/{code}",
    tag = "sign-in",
    params(
        ("code" = String, Path, description = "The one-time code of `raci person invite`"),
    ),
    request_body = PasswordBody,
    responses(
        (status = 201, description = "The token, shown this once", body = NewTokenView),
    ),
)]
async fn redeem(
    State(st): State<AppState>,
    Path(code): Path<String>,
    Body(body): Body<PasswordBody>,
) -> ApiResult<(StatusCode, Json<NewTokenView>)> {
    let (made, _) = redeem_with(&st, code, body.password, TokenKind::Personal).await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// Redeems an invitation: the password's rules first (a refusal leaves the
/// code valid), its hash off the executor, then one write.
pub(super) async fn redeem_with(
    st: &AppState,
    code: String,
    password: String,
    kind: TokenKind,
) -> ApiResult<(NewTokenView, Vec<Event>)> {
    let now = st.now();
    let known = code.clone();
    st.db.read(move |store| identity::invitation_for(store, now, &known)).await?;
    identity::check_password(&password)?;
    let phc = Db::blocking(move || identity::hash_password(&password)).await?;
    let ctx = Context { now, channel: kind.channel(), ..Context::default() };
    Ok(st.db.write(move |store| identity::redeem(store, &ctx, &code, &phc, kind)).await?)
}

// People.

/// The RACI matrix (`raci matrix`)
#[utoipa::path(
    get,
    path = "/matrix",
    tag = "people",
    responses(
        (status = 200, description = "Its rows", body = Vec<crate::view::MatrixRowView>),
    ),
)]
async fn matrix(
    State(st): State<AppState>,
    who: Auth,
) -> ApiResult<Json<Vec<crate::view::MatrixRowView>>> {
    read(&st.db, who.ctx, |s, _| Ok(reads::matrix_rows(&reads::matrix(s)?))).await
}

/// The people (`raci person list`)
#[utoipa::path(
    get,
    path = "/people",
    tag = "people",
    responses(
        (
            status = 200,
            description = "The people this person may see",
            body = Vec<crate::view::PersonView>,
        ),
    ),
)]
async fn people(
    State(st): State<AppState>,
    who: Auth,
) -> ApiResult<Json<Vec<crate::view::PersonView>>> {
    read(&st.db, who.ctx, reads::persons).await
}

/// Adds a person (`raci person add`)
#[utoipa::path(
    post,
    path = "/people",
    tag = "people",
    request_body = admin::NewPerson,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn person_add(
    State(st): State<AppState>,
    who: Auth,
    Body(new): Body<admin::NewPerson>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    create(&st.db, who.ctx, move |s, c| admin::add_person(s, c, &new)).await
}

/// Invites a person to set their password (`raci person invite`)
///
/// Valid 72 hours; a newer invitation voids the older.
#[utoipa::path(
    post,
    path = "/people/{handle}/invite",
    tag = "people",
    params(
        ("handle" = Id, Path, description = "The person's handle"),
    ),
    responses(
        (
            status = 201,
            description = "The one-time code and its URL",
            body = identity::InvitationView,
        ),
    ),
)]
async fn person_invite(
    State(st): State<AppState>,
    headers: HeaderMap,
    who: Auth,
    Path(handle): Path<String>,
) -> ApiResult<(StatusCode, Json<identity::InvitationView>)> {
    let handle = id(&handle)?;
    let ctx = who.ctx;
    let (mut view, _) = st.db.write(move |store| identity::invite(store, &ctx, &handle)).await?;
    view.url = super::absolute(&st, &headers, &view.url);
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Changes a person's role, admin flag, name, email or login
///
/// `raci person set`: only the fields given change.
#[utoipa::path(
    post,
    path = "/people/{handle}/set",
    tag = "people",
    params(
        ("handle" = Id, Path, description = "The person's handle"),
    ),
    request_body = PersonSetBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn person_set(
    State(st): State<AppState>,
    who: Auth,
    Path(handle): Path<String>,
    Body(b): Body<PersonSetBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let req = admin::PersonChange {
        handle: id(&handle)?,
        role: b.role,
        admin: b.admin,
        name: b.name,
        email: b.email,
        login: b.login,
    };
    write(&st.db, who.ctx, move |s, c| admin::set_person(s, c, &req)).await
}

/// Deactivates a person (`raci person deactivate`)
///
/// Their tokens and sessions stop working on the next request.
#[utoipa::path(
    post,
    path = "/people/{handle}/deactivate",
    tag = "people",
    params(
        ("handle" = Id, Path, description = "The person's handle"),
    ),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn person_deactivate(
    State(st): State<AppState>,
    who: Auth,
    Path(handle): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let handle = id(&handle)?;
    write(&st.db, who.ctx, move |s, c| admin::deactivate_person(s, c, &handle, &b.reason)).await
}

/// Reactivates a person (`raci person reactivate`)
#[utoipa::path(
    post,
    path = "/people/{handle}/reactivate",
    tag = "people",
    params(
        ("handle" = Id, Path, description = "The person's handle"),
    ),
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn person_reactivate(
    State(st): State<AppState>,
    who: Auth,
    Path(handle): Path<String>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let handle = id(&handle)?;
    write(&st.db, who.ctx, move |s, c| admin::reactivate_person(s, c, &handle)).await
}

// Installations.

/// The installations (`raci installation list`)
#[utoipa::path(
    get,
    path = "/installations",
    tag = "installations",
    params(
        ListQuery,
    ),
    responses(
        (
            status = 200,
            description = "The installations this person may see",
            body = Vec<crate::view::InstallationView>,
        ),
    ),
)]
async fn installations(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Vec<crate::view::InstallationView>>> {
    read(&st.db, who.ctx, move |s, c| {
        let mut rows = Vec::new();
        reads::installations(s, c, q.all, |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    })
    .await
}

/// Adds an installation (`raci installation add`)
#[utoipa::path(
    post,
    path = "/installations",
    tag = "installations",
    request_body = admin::NewInstallation,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn installation_add(
    State(st): State<AppState>,
    who: Auth,
    Body(new): Body<admin::NewInstallation>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    create(&st.db, who.ctx, move |s, c| admin::add_installation(s, c, &new)).await
}

/// Adds installations from a CSV (`raci installation import`)
///
/// The body is the CSV itself, up to 64 MiB; every row or none.
#[utoipa::path(
    post,
    path = "/installations/import",
    tag = "installations",
    request_body(
        content = String,
        content_type = "text/csv",
        description = "The CSV, with the columns of `raci installation import`",
    ),
    responses(
        (status = 201, description = "How many were added", body = Imported),
    ),
)]
async fn installation_import(
    State(st): State<AppState>,
    who: Auth,
    body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::new(Kind::TooLarge, format!("the CSV is over the limit of {IMPORT_LIMIT} bytes"))
        } else {
            Error::bad_input(format!("cannot read the CSV: {}", e.body_text()))
        }
    })?;
    let ctx = who.ctx;
    let imported = st
        .db
        .write(move |store| {
            admin::import_from(store, &ctx, body.as_ref(), std::path::Path::new("the CSV"))
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Imported { imported })))
}

/// An installation's status (`raci status`)
#[utoipa::path(
    get,
    path = "/installations/{id}",
    tag = "installations",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (
            status = 200,
            description = "Its tasks, open update cycles and open tickets",
            body = crate::view::StatusView,
        ),
    ),
)]
async fn status(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<crate::view::StatusView>> {
    read(&st.db, who.ctx, move |s, c| reads::status(s, c, &inst)).await
}

/// Retires an installation (`raci installation retire`)
#[utoipa::path(
    post,
    path = "/installations/{id}/retire",
    tag = "installations",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn retire(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    write(&st.db, who.ctx, move |s, c| admin::retire_installation(s, c, &inst, Some(&b.reason)))
        .await
}

/// Brings a retired installation back (`raci installation unretire`)
#[utoipa::path(
    post,
    path = "/installations/{id}/unretire",
    tag = "installations",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn unretire(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    write(&st.db, who.ctx, move |s, c| admin::retire_installation(s, c, &inst, None)).await
}

/// An installation's events (`raci log`)
#[utoipa::path(
    get,
    path = "/installations/{id}/log",
    tag = "installations",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (status = 200, description = "Its events, oldest first", body = Vec<EventView>),
    ),
)]
async fn log(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    read(&st.db, who.ctx, move |s, c| reads::log(s, c, &inst)).await
}

/// An installation's checklist (`raci checklist show`)
#[utoipa::path(
    get,
    path = "/installations/{id}/checklist",
    tag = "tasks",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ChecklistQuery,
    ),
    responses(
        (status = 200, description = "Its items", body = Vec<crate::view::ItemView>),
    ),
)]
async fn checklist(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Q(q): Q<ChecklistQuery>,
) -> ApiResult<Json<Vec<crate::view::ItemView>>> {
    read(&st.db, who.ctx, move |s, c| {
        reads::checklist(s, c, &inst, q.task.as_ref().map(Id::as_str))
    })
    .await
}

/// Takes a step on a task (`raci task VERB`)
///
/// The body carries the text the verb takes: `note` (start, submit, signoff,
/// unblock), `reason` (reject, waive, block, reopen), `text` (comment) or `due`
/// (due); it may be empty where none is needed.
#[utoipa::path(
    post,
    path = "/installations/{id}/tasks/{task}/{verb}",
    tag = "tasks",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("task" = String, Path, description = "The task's key in the matrix"),
        ("verb" = Verb, Path, description = "The step"),
    ),
    request_body = Option<StepBody>,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn task_step(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, task, verb)): Path<(String, String, String)>,
    Body(b): Body<StepBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let verb: Verb = verb.parse()?;
    let step = tasks::TaskStep {
        installation: id(&inst)?,
        task,
        verb,
        text: b.reason.or(b.text).or(b.note),
        due: b.due,
    };
    write(&st.db, who.ctx, move |s, c| tasks::step(s, c, &step)).await
}

/// Checks or unchecks several checklist items of one task
///
/// The items named in `items`, or with `all: true` every item of the task.
#[utoipa::path(
    post,
    path = "/installations/{id}/checklist/{task}/{action}",
    tag = "tasks",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("task" = String, Path, description = "The task's key in the matrix"),
        ("action" = openapi::ItemAction, Path, description = "check or uncheck"),
    ),
    request_body = ItemsBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn items(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, task, action)): Path<(String, String, String)>,
    Body(b): Body<ItemsBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let step = tasks::ItemStep {
        installation: id(&inst)?,
        task,
        items: b.items.iter().map(Id::to_string).collect(),
        all: b.all,
        check: words::item_action(&action)?,
        note: b.note,
    };
    write(&st.db, who.ctx, move |s, c| tasks::set_item(s, c, &step)).await
}

/// Checks or unchecks one checklist item (`raci checklist check|uncheck`)
#[utoipa::path(
    post,
    path = "/installations/{id}/checklist/{task}/{item}/{action}",
    tag = "tasks",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("task" = String, Path, description = "The task's key in the matrix"),
        ("item" = String, Path, description = "The item's key"),
        ("action" = openapi::ItemAction, Path, description = "check or uncheck"),
    ),
    request_body = Option<NoteBody>,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn item(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, task, item, action)): Path<(String, String, String, String)>,
    Body(b): Body<NoteBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let step = tasks::ItemStep {
        installation: id(&inst)?,
        task,
        items: vec![item],
        all: false,
        check: words::item_action(&action)?,
        note: b.note,
    };
    write(&st.db, who.ctx, move |s, c| tasks::set_item(s, c, &step)).await
}

/// An installation's handover meetings (`raci handover show`)
#[utoipa::path(
    get,
    path = "/installations/{id}/handover",
    tag = "handover",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (
            status = 200,
            description = "The meetings recorded",
            body = Vec<crate::view::HandoverView>,
        ),
    ),
)]
async fn handover_show(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<Vec<crate::view::HandoverView>>> {
    let inst = id(&inst)?;
    read(&st.db, who.ctx, move |s, c| tasks::handovers(s, c, &inst)).await
}

/// Records the operations handover (`raci handover record`)
#[utoipa::path(
    post,
    path = "/installations/{id}/handover",
    tag = "handover",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    request_body = HandoverBody,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn handover_record(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Body(b): Body<HandoverBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let req = tasks::HandoverRecord {
        installation: id(&inst)?,
        held_on: b.held_on,
        minutes: i64::from(b.minutes),
        attendees: b.attendees,
        topics: b.topics,
    };
    create(&st.db, who.ctx, move |s, c| tasks::record_handover(s, c, &req)).await
}

/// An installation's update cycles (`raci update list`)
#[utoipa::path(
    get,
    path = "/installations/{id}/updates",
    tag = "updates",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (status = 200, description = "Its cycles", body = Vec<crate::view::CycleView>),
    ),
)]
async fn update_list(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<Vec<crate::view::CycleView>>> {
    let inst = id(&inst)?;
    read(&st.db, who.ctx, move |s, c| operations::cycles(s, c, &inst)).await
}

/// Starts an update cycle (`raci update start`)
#[utoipa::path(
    post,
    path = "/installations/{id}/updates",
    tag = "updates",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    request_body = UpdateBody,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn update_start(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Body(b): Body<UpdateBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    create(&st.db, who.ctx, move |s, c| {
        operations::start_cycle(s, c, &inst, &b.version, b.note.as_ref())
    })
    .await
}

/// Records a step of an update cycle (`raci update step`)
#[utoipa::path(
    post,
    path = "/installations/{id}/updates/{n}/steps/{step}",
    tag = "updates",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("n" = i64, Path, minimum = 1, description = "The update cycle's number, from 1"),
        ("step" = Step, Path, description = "The step"),
    ),
    request_body = Option<NoteBody>,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn update_step(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, n, step)): Path<(String, String, String)>,
    Body(b): Body<NoteBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    let n = words::cycle_number(&n)?;
    let step: Step = step.parse()?;
    write(&st.db, who.ctx, move |s, c| {
        operations::cycle_action(s, c, &inst, n, CycleAction::Step(step), b.note.as_ref())
    })
    .await
}

/// Fails, signs off or cancels an update cycle
///
/// `raci update fail|signoff|cancel`: `fail` and `cancel` need a `reason`;
/// `signoff` takes an optional `note`.
#[utoipa::path(
    post,
    path = "/installations/{id}/updates/{n}/{action}",
    tag = "updates",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("n" = i64, Path, minimum = 1, description = "The update cycle's number, from 1"),
        ("action" = openapi::CycleEnd, Path, description = "fail, signoff or cancel"),
    ),
    request_body = TicketStepBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn update_action(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, n, action)): Path<(String, String, String)>,
    Body(b): Body<TicketStepBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    let n = words::cycle_number(&n)?;
    let action = words::cycle_action(&action)?;
    let text = words::words_for(words::cycle_needs_reason(action), false, b.note, b.reason, b.text);
    write(&st.db, who.ctx, move |s, c| {
        operations::cycle_action(s, c, &inst, n, action, text.as_ref())
    })
    .await
}

/// An installation's backups (`raci backup list`)
#[utoipa::path(
    get,
    path = "/installations/{id}/backups",
    tag = "backups",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (status = 200, description = "Its backups", body = Vec<crate::view::BackupView>),
    ),
)]
async fn backup_list(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<Vec<crate::view::BackupView>>> {
    let inst = id(&inst)?;
    read(&st.db, who.ctx, move |s, c| operations::backups(s, c, &inst)).await
}

/// Records a backup (`raci backup record`)
#[utoipa::path(
    post,
    path = "/installations/{id}/backups",
    tag = "backups",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    request_body = BackupBody,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn backup_record(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Body(b): Body<BackupBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    create(&st.db, who.ctx, move |s, c| {
        operations::record_backup(s, c, &inst, b.taken_on, b.note.as_ref())
    })
    .await
}

/// An installation's tickets (`raci ticket list`)
#[utoipa::path(
    get,
    path = "/installations/{id}/tickets",
    tag = "tickets",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    responses(
        (status = 200, description = "Its tickets", body = Vec<crate::view::TicketView>),
    ),
)]
async fn ticket_list(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
) -> ApiResult<Json<Vec<crate::view::TicketView>>> {
    let inst = id(&inst)?;
    read(&st.db, who.ctx, move |s, c| operations::tickets(s, c, &inst)).await
}

/// Opens a support ticket (`raci ticket open`)
#[utoipa::path(
    post,
    path = "/installations/{id}/tickets",
    tag = "tickets",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
    ),
    request_body = TicketBody,
    responses(
        (status = 201, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn ticket_open(
    State(st): State<AppState>,
    who: Auth,
    Path(inst): Path<String>,
    Body(b): Body<TicketBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let new = operations::NewTicket {
        installation: id(&inst)?,
        reference: b.reference,
        severity: b.severity,
        environment: b.environment,
        summary: b.summary,
    };
    create(&st.db, who.ctx, move |s, c| operations::open_ticket(s, c, &new)).await
}

/// Resolves, closes, reopens or comments on a ticket
///
/// `raci ticket resolve|close|reopen|comment`: `reopen` needs a `reason` and
/// `comment` a `text`; `resolve` and `close` take an optional `note`.
#[utoipa::path(
    post,
    path = "/installations/{id}/tickets/{reference}/{action}",
    tag = "tickets",
    params(
        ("id" = Id, Path, description = "The installation's ID"),
        ("reference" = Id, Path, description = "The ticket's reference"),
        ("action" = openapi::TicketMove, Path, description = "resolve, close, reopen or comment"),
    ),
    request_body = TicketStepBody,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn ticket_action(
    State(st): State<AppState>,
    who: Auth,
    Path((inst, reference, action)): Path<(String, String, String)>,
    Body(b): Body<TicketStepBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let inst = id(&inst)?;
    let reference = id(&reference)?;
    let action = words::ticket_action(&action)?;
    let text = words::words_for(
        action == TicketAction::Reopen,
        action == TicketAction::Comment,
        b.note,
        b.reason,
        b.text,
    );
    write(&st.db, who.ctx, move |s, c| {
        operations::ticket_action(s, c, &inst, &reference, action, text.as_ref())
    })
    .await
}

// Reports and the inbox.

/// The moves each party owes (`raci report outstanding`)
#[utoipa::path(
    get,
    path = "/reports/outstanding",
    tag = "reports",
    params(
        ReportQuery,
    ),
    responses(
        (
            status = 200,
            description = "The moves, oldest first",
            body = Vec<crate::view::OutstandingView>,
        ),
    ),
)]
async fn outstanding(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<ReportQuery>,
) -> ApiResult<Json<Vec<crate::view::OutstandingView>>> {
    read(&st.db, who.ctx, move |s, c| {
        let filter = report::Filter {
            party: q.party,
            subscriber: q.subscriber.as_ref().map(|t| t.as_str()),
            installation: q.installation.as_ref(),
        };
        let mut rows = Vec::new();
        report::outstanding(s, c, &filter, |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    })
    .await
}

/// Tasks past due, and installations without a recent update
///
/// `raci report overdue`.
#[utoipa::path(
    get,
    path = "/reports/overdue",
    tag = "reports",
    responses(
        (status = 200, description = "The overdue rows", body = Vec<crate::view::OverdueView>),
    ),
)]
async fn overdue(
    State(st): State<AppState>,
    who: Auth,
) -> ApiResult<Json<Vec<crate::view::OverdueView>>> {
    read(&st.db, who.ctx, report::overdue).await
}

/// Installations without a recent backup (`raci report stale-backups`)
#[utoipa::path(
    get,
    path = "/reports/stale-backups",
    tag = "reports",
    params(
        ReportQuery,
    ),
    responses(
        (
            status = 200,
            description = "The stale installations",
            body = Vec<crate::view::StaleBackupView>,
        ),
    ),
)]
async fn stale_backups(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<ReportQuery>,
) -> ApiResult<Json<Vec<crate::view::StaleBackupView>>> {
    let older_than = q.older_than.unwrap_or(7);
    read(&st.db, who.ctx, move |s, c| report::stale_backups(s, c, older_than)).await
}

/// Each party's time holding the move (`raci report clocks`)
#[utoipa::path(
    get,
    path = "/reports/clocks",
    tag = "reports",
    params(
        ReportQuery,
    ),
    responses(
        (
            status = 200,
            description = "Per task, or with by=installation per installation",
            body = openapi::Clocks,
        ),
    ),
)]
async fn clocks(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<ReportQuery>,
) -> ApiResult<Response> {
    let by_installation = match q.by.as_deref() {
        None | Some("task") => false,
        Some("installation") => true,
        Some(other) => {
            return Err(
                Error::bad_input(format!("by={other:?}; expected task or installation")).into()
            );
        }
    };
    let installation = q.installation;
    if by_installation {
        let rows = read(&st.db, who.ctx, move |s, c| {
            let mut rows = Vec::new();
            report::clocks(s, c, installation.as_ref(), |_, union| {
                rows.push(union);
                Ok(())
            })?;
            Ok(rows)
        })
        .await?;
        return Ok(rows.into_response());
    }
    let rows = read(&st.db, who.ctx, move |s, c| {
        let mut rows = Vec::new();
        report::clocks(s, c, installation.as_ref(), |tasks, _| {
            rows.extend(tasks);
            Ok(())
        })?;
        Ok(rows)
    })
    .await?;
    Ok(rows.into_response())
}

/// The HTML report (`raci report html`)
#[utoipa::path(
    get,
    path = "/reports/html",
    tag = "reports",
    params(
        ReportQuery,
    ),
    responses(
        (
            status = 200,
            description = "The report, one self-contained page",
            content_type = "text/html",
            body = String,
        ),
    ),
)]
async fn html(State(st): State<AppState>, who: Auth, Q(q): Q<ReportQuery>) -> ApiResult<Response> {
    let page = st
        .db
        .read(move |store| {
            report::html::render(store, &who.ctx, q.subscriber.as_ref().map(|t| t.as_str()))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

/// The acting person's Informed events (`raci inbox`)
#[utoipa::path(
    get,
    path = "/inbox",
    tag = "inbox",
    params(
        InboxQuery,
    ),
    responses(
        (
            status = 200,
            description = "The events, unread first, newest first",
            body = Vec<crate::view::InboxView>,
        ),
    ),
)]
async fn inbox_list(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<InboxQuery>,
) -> ApiResult<Json<Vec<crate::view::InboxView>>> {
    read(&st.db, who.ctx, move |s, c| {
        let mut rows = Vec::new();
        inbox::inbox(s, c, Only { unread: q.unread, limit: q.limit }, |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    })
    .await
}

/// Marks Informed events read (`raci inbox ack`)
///
/// The given `ids`, or with none, every unread one. The body may be empty.
#[utoipa::path(
    post,
    path = "/inbox/ack",
    tag = "inbox",
    request_body = Option<AckBody>,
    responses(
        (status = 200, description = "The events it recorded", body = Vec<EventView>),
    ),
)]
async fn inbox_ack(
    State(st): State<AppState>,
    who: Auth,
    Body(b): Body<AckBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    write(&st.db, who.ctx, move |s, c| inbox::ack(s, c, &b.ids)).await
}

/// Every SSH key of the people this person sees (`raci person key list`)
#[utoipa::path(
    get,
    path = "/keys",
    tag = "signing",
    responses((status = 200, description = "Keys, revoked ones too", body = Vec<KeyView>)),
)]
async fn key_list_all(State(st): State<AppState>, who: Auth) -> ApiResult<Json<Vec<KeyView>>> {
    read(&st.db, who.ctx, |s, c| signing::keys(s, c, None)).await
}

/// One person's SSH keys (`raci person key list HANDLE`)
#[utoipa::path(
    get,
    path = "/people/{handle}/keys",
    tag = "signing",
    params(("handle" = Id, Path, description = "The person's handle")),
    responses((status = 200, description = "Their keys, revoked ones too", body = Vec<KeyView>)),
)]
async fn key_list(
    State(st): State<AppState>,
    who: Auth,
    Path(handle): Path<String>,
) -> ApiResult<Json<Vec<KeyView>>> {
    let handle = id(&handle)?;
    read(&st.db, who.ctx, move |s, c| signing::keys(s, c, Some(&handle))).await
}

/// Adds an SSH key for a person (`raci person key add`)
///
/// By the person themselves or an administrator who may manage them.
#[utoipa::path(
    post,
    path = "/people/{handle}/keys",
    tag = "signing",
    params(("handle" = Id, Path, description = "Whose key")),
    request_body = KeyBody,
    responses((status = 201, description = "The events it recorded", body = Vec<EventView>)),
)]
async fn key_add(
    State(st): State<AppState>,
    who: Auth,
    Path(handle): Path<String>,
    Body(b): Body<KeyBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let handle = id(&handle)?;
    create(&st.db, who.ctx, move |s, c| signing::add_key(s, c, &handle, &b.key)).await
}

/// Revokes an SSH key (`raci person key revoke`)
///
/// Steps it signed while active stay valid.
#[utoipa::path(
    delete,
    path = "/people/{handle}/keys/{fingerprint}",
    tag = "signing",
    params(
        ("handle" = Id, Path, description = "Whose key"),
        ("fingerprint" = String, Path, description = "SHA256:…, as key list shows it (percent-encoded)"),
    ),
    responses((status = 200, description = "The events it recorded", body = Vec<EventView>)),
)]
async fn key_revoke(
    State(st): State<AppState>,
    who: Auth,
    Path((handle, fingerprint)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let handle = id(&handle)?;
    write(&st.db, who.ctx, move |s, c| signing::revoke_key(s, c, &handle, &fingerprint)).await
}

/// `?all=true`: revoked keys too.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AllQuery {
    /// Revoked keys too, valid before their revocation.
    #[serde(default)]
    all: bool,
}

/// The OpenSSH allowed_signers file (`raci person allowed-signers`)
///
/// One line per key: the handle, `namespaces="raci-step@v1"`, the key; for
/// `ssh-keygen -Y verify -f FILE -I HANDLE -n raci-step@v1`.
#[utoipa::path(
    get,
    path = "/allowed-signers",
    tag = "signing",
    params(AllQuery),
    responses((status = 200, description = "The file", body = String, content_type = "text/plain")),
)]
async fn allowed_signers(
    State(st): State<AppState>,
    who: Auth,
    Q(q): Q<AllQuery>,
) -> ApiResult<Response> {
    let text = st.db.read(move |s| signing::allowed_signers(s, &who.ctx, q.all)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Sets whether the administrator's organisation requires signed steps (`raci policy require-signatures`)
#[utoipa::path(
    post,
    path = "/policy",
    tag = "signing",
    request_body = PolicyBody,
    responses((status = 200, description = "The events it recorded", body = Vec<EventView>)),
)]
async fn policy(
    State(st): State<AppState>,
    who: Auth,
    Body(b): Body<PolicyBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    write(&st.db, who.ctx, move |s, c| signing::set_policy(s, c, b.require_signatures)).await
}

/// The statement of a task step to sign offline (`raci offline request`)
///
/// Nothing is recorded; the statement expires and is used once.
#[utoipa::path(
    post,
    path = "/offline/request",
    tag = "signing",
    request_body = OfflineRequestBody,
    responses((status = 200, description = "The statement, byte for byte", body = StatementView)),
)]
async fn offline_request(
    State(st): State<AppState>,
    who: Auth,
    Body(b): Body<OfflineRequestBody>,
) -> ApiResult<Json<StatementView>> {
    let req = signing::OfflineRequest::from(&b);
    let ctx = who.ctx;
    let statement = st.db.write(move |s| signing::offline_request(s, &ctx, &req)).await?;
    Ok(axum::Json(StatementView { statement }))
}

/// Records an offline-signed step as its signer's (`raci offline apply`)
///
/// The presenting person is recorded as the one who carried it, when not the signer.
#[utoipa::path(
    post,
    path = "/offline/apply",
    tag = "signing",
    request_body = OfflineApplyBody,
    responses((status = 200, description = "The events it recorded", body = Vec<EventView>)),
)]
async fn offline_apply(
    State(st): State<AppState>,
    who: Auth,
    Body(b): Body<OfflineApplyBody>,
) -> ApiResult<(StatusCode, Json<Vec<EventView>>)> {
    let ctx = who.ctx;
    let events =
        st.db.write(move |s| signing::offline_apply(s, &ctx, &b.statement, &b.signature)).await?;
    Ok((StatusCode::OK, axum::Json(events.into_iter().map(EventView::from).collect())))
}

/// The routes a statement cannot be drafted for: those that sign in or
/// out, or that take a signature of their own.
const UNSIGNED_ROUTES: [&str; 7] = [
    "/login",
    "/logout",
    "/invitations/",
    "/tokens",
    "/statements",
    "/offline/",
    "/installations/import",
];

/// The statement a write would be signed over (`--sign-with` against a server)
///
/// Runs the write's route as a draft, as the presenting person: the rules
/// refuse it as they would the write, and nothing is recorded. Sign the
/// answer with `ssh-keygen -Y sign -n raci-step@v1`, then send the write with
/// `"signature"` (and `"statement"`) in its body.
#[utoipa::path(
    post,
    path = "/statements",
    tag = "signing",
    request_body = StatementRequest,
    responses((status = 200, description = "The statement to sign", body = StatementView)),
)]
async fn statements(
    State(st): State<AppState>,
    headers: HeaderMap,
    _who: Auth,
    Body(req): Body<StatementRequest>,
) -> ApiResult<Response> {
    use tower::ServiceExt;
    if req.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case("POST")) {
        return Err(Error::bad_input("only a POST write is signed; \"method\" must be POST").into());
    }
    let route = req.path.strip_prefix(PREFIX).filter(|r| r.starts_with('/')).ok_or_else(|| {
        Error::bad_input(format!("\"path\" must be a route of the API, under {PREFIX}/"))
    })?;
    if UNSIGNED_ROUTES.iter().any(|r| route.starts_with(r)) {
        return Err(Error::bad_input(format!("{} is not a write that is signed", req.path)).into());
    }
    let body = serde_json::to_vec(&req.body.unwrap_or_else(|| serde_json::json!({})))
        .map_err(|e| Error::bad_input(format!("cannot encode the body: {e}")))?;
    let mut draft = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(route)
        .header(header::CONTENT_TYPE, "application/json");
    for name in [header::AUTHORIZATION, header::COOKIE] {
        if let Some(v) = headers.get(&name) {
            draft = draft.header(name, v);
        }
    }
    if let Some(v) = headers.get(auth::CSRF_HEADER) {
        draft = draft.header(auth::CSRF_HEADER, v);
    }
    let mut draft = draft
        .body(axum::body::Body::from(body))
        .map_err(|e| Error::bad_input(format!("\"path\" is not a route: {e}")))?;
    draft.extensions_mut().insert(super::signed::Carried(crate::app::Signing::Draft));
    let answer = match routes().with_state(st).oneshot(draft).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    // No such route, or not one that takes a POST: the router's bare answer.
    let bare = !answer.headers().contains_key(header::CONTENT_TYPE);
    if bare && matches!(answer.status(), StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
        return Err(Error::bad_input(format!(
            "{} is not a write of the API; /api/v1/openapi.json lists them",
            req.path
        ))
        .into());
    }
    Ok(answer)
}
