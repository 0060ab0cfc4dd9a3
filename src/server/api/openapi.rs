//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, generated
//! from the handlers' `#[utoipa::path]` annotations and the types they read
//! and answer. The refusals each route can answer are added by one rule
//! ([`Refusals`]) rather than repeated on every handler.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::{Ref, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, License, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::api::{ErrorBody, PREFIX};
use crate::domain::operations::Step;
use crate::domain::rules::Verb;
use crate::error::{Error, Kind};
use crate::server::ApiResult;
use crate::view::{ClockInstallationView, ClockView};

/// The routes under `/api/v1`, each from its handler's annotation.
#[derive(OpenApi)]
#[openapi(paths(
    super::health,
    openapi,
    super::login,
    super::logout,
    super::me,
    super::token_list,
    super::token_create,
    super::token_revoke,
    super::redeem,
    super::matrix,
    super::people,
    super::person_add,
    super::person_invite,
    super::person_set,
    super::person_deactivate,
    super::person_reactivate,
    super::installations,
    super::installation_add,
    super::installation_import,
    super::status,
    super::retire,
    super::unretire,
    super::log,
    super::checklist,
    super::task_step,
    super::items,
    super::item,
    super::handover_show,
    super::handover_record,
    super::update_list,
    super::update_start,
    super::update_step,
    super::update_action,
    super::backup_list,
    super::backup_record,
    super::ticket_list,
    super::ticket_open,
    super::ticket_action,
    super::outstanding,
    super::overdue,
    super::stale_backups,
    super::clocks,
    super::html,
    super::inbox_list,
    super::inbox_ack,
    super::key_list_all,
    super::key_list,
    super::key_add,
    super::key_revoke,
    super::allowed_signers,
    super::policy,
    super::offline_request,
    super::offline_apply,
    super::statements,
))]
struct V1;

/// The whole document: the routes under their prefix, who may call them,
/// and what each refusal looks like.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "raci",
        description = "The JSON API of `raci serve`: the same use cases and rules as the command line. \
            A read answers exactly what the CLI prints for the same command with `--format json`; \
            a write answers the JSON array of the events it recorded (200, or 201 where something is created). \
            A refusal answers `{\"error\": {\"kind\", \"message\"}}` with the status of its kind.",
    ),
    nest((path = "/api/v1", api = V1)),
    // The schemas only a path parameter names (the rest are found from the
    // bodies and answers).
    components(schemas(ErrorBody, Verb, Step, ItemAction, CycleEnd, TicketMove)),
    servers((url = "/", description = "The server `raci serve` runs")),
    security(("bearer" = []), ("session" = [])),
    modifiers(&Credentials, &OptionalBodies, &Refusals),
    tags(
        (name = "meta", description = "The server itself"),
        (name = "sign-in", description = "Signing in: passwords, invitations and tokens"),
        (name = "people", description = "People and the matrix (`person …`, `matrix`)"),
        (name = "installations", description = "Installations and their log (`installation …`, `status`, `log`)"),
        (name = "tasks", description = "Task steps and checklists (`task …`, `checklist …`)"),
        (name = "handover", description = "The operations handover (`handover …`)"),
        (name = "updates", description = "Update cycles (`update …`)"),
        (name = "backups", description = "Backups (`backup …`)"),
        (name = "tickets", description = "Support tickets (`ticket …`)"),
        (name = "reports", description = "Reports (`report …`)"),
        (name = "inbox", description = "The Informed inbox (`inbox …`)"),
        (name = "signing", description = "Signed steps: SSH keys, the policy, offline statements (`person key …`, `policy …`, `offline …`). Any write's body may carry `signature` (and `statement`), the armored sshsig over the statement `POST /statements` answers"),
    ),
)]
struct ApiDoc;

/// The operations that take no credential (any presented is ignored).
const PUBLIC: [&str; 4] = ["health", "openapi", "login", "redeem"];

/// The document.
pub(super) fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut license = License::new(env!("CARGO_PKG_LICENSE"));
    license.identifier = Some(env!("CARGO_PKG_LICENSE").to_string());
    doc.info.license = Some(license);
    debug_assert!(doc.paths.paths.keys().all(|p| p.starts_with(PREFIX)));
    doc
}

/// The document as served, written on the first request.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| document().to_pretty_json().map_err(|e| e.to_string()));

/// The OpenAPI 3.1 document of every route
///
/// Generated from the code; takes no credential.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
pub(super) async fn openapi() -> ApiResult<Response> {
    match &*DOCUMENT {
        Ok(json) => {
            Ok(([(header::CONTENT_TYPE, "application/json")], json.as_str()).into_response())
        }
        Err(e) => Err(Error::storage(format!("cannot write the OpenAPI document: {e}")).into()),
    }
}

/// The two credentials: a bearer token, or a browser session's cookie.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some(
            "A personal token from `raci login` or `raci token create` (`POST /api/v1/login`, \
             `POST /api/v1/tokens`): `Authorization: Bearer TOKEN`. A read-only token gets 403 \
             on every write."
                .to_string(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::server::auth::SESSION_COOKIE,
                "A browser session from the pages' sign-in; a write must also carry the page's \
                 CSRF token in the `X-CSRF-Token` header (else 403).",
            ))),
        );
        for (_, op) in operations(doc) {
            if op.operation_id.as_deref().is_some_and(|id| PUBLIC.contains(&id)) {
                op.security = Some(Vec::new());
            }
        }
    }
}

/// A body that may be left out (`request_body = Option<T>`) is described
/// as `T`, not required: an empty body reads as `{}`, but a JSON `null` is
/// refused like any other body that is not an object.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (_, op) in operations(doc) {
            let Some(RefOr::T(body)) = op.request_body.as_mut() else { continue };
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else { continue };
                if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema
                    && let [RefOr::Ref(object), RefOr::T(Schema::Object(null))] =
                        one_of.items.as_slice()
                    && null.schema_type == SchemaType::Type(Type::Null)
                {
                    content.schema = Some(RefOr::Ref(object.clone()));
                }
            }
        }
    }
}

/// Every refusal a route can answer, by what the route does: any route with
/// an input refuses a bad one (400); one that needs a credential refuses a
/// missing one (401) and a person or token that may not (403); a path with
/// a name in it refuses an unknown one (404); a write refuses what the state
/// does not allow (409); a body can be too large (413); every route that
/// reads the database can find it unusable (503); and [`SIGN_IN`]'s.
struct Refusals;

/// The refusals of the route that checks a password, beyond the rule.
const SIGN_IN: [(&str, Kind, &str); 2] = [
    ("login", Kind::Unauthenticated, "Wrong handle or password, or a deactivated person"),
    (
        "login",
        Kind::TooManyRequests,
        "After 5 failed sign-ins for one handle, or 20 from one address, within 15 minutes",
    ),
];

fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::BadInput => "BadInput",
        Kind::Unauthenticated => "Unauthenticated",
        Kind::NotPermitted => "NotPermitted",
        Kind::NotFound => "NotFound",
        Kind::Conflict => "Conflict",
        Kind::TooLarge => "TooLarge",
        Kind::TooManyRequests => "TooManyRequests",
        Kind::Storage => "Storage",
    }
}

fn description(kind: Kind) -> &'static str {
    match kind {
        Kind::BadInput => "Bad input: a malformed body, query or path value",
        Kind::Unauthenticated => {
            "No credential, or one that is invalid, expired or revoked, or whose person was deactivated"
        }
        Kind::NotPermitted => {
            "Not permitted: the person's party or role may not do this, a read-only token, or a session's write without its CSRF token"
        }
        Kind::NotFound => {
            "Not found: no such installation, task, item, cycle, ticket, person, token or invitation (another subscriber's installation included)"
        }
        Kind::Conflict => "Conflict: the state does not allow it",
        Kind::TooLarge => "The body is over the limit",
        Kind::TooManyRequests => "Too many failed sign-ins; wait for the window to pass",
        Kind::Storage => "The database is unreadable, corrupt, locked past the timeout, or newer",
    }
}

impl Modify for Refusals {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for kind in Kind::ALL {
            let example = serde_json::json!({
                "error": {"kind": kind.as_str(), "message": description(kind)}
            });
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .example(Some(example))
                .build();
            let response = ResponseBuilder::new()
                .description(description(kind))
                .content("application/json", content)
                .build();
            components.responses.insert(name(kind).to_string(), RefOr::T(response));
        }
        for (path, op) in operations(doc) {
            let (method, path) = (path.0, path.1);
            let public = op.security.as_ref().is_some_and(Vec::is_empty);
            let id = op.operation_id.clone().unwrap_or_default();
            let has_input =
                op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || op.request_body.is_some();
            let write = !matches!(method, HttpMethod::Get | HttpMethod::Head);
            let mut kinds = Vec::new();
            if has_input {
                kinds.push(Kind::BadInput);
            }
            if !public {
                kinds.extend([Kind::Unauthenticated, Kind::NotPermitted]);
            }
            if path.contains('{') {
                kinds.push(Kind::NotFound);
            }
            if write && !public {
                kinds.push(Kind::Conflict);
            }
            if op.request_body.is_some() {
                kinds.push(Kind::TooLarge);
            }
            if id != "health" && id != "openapi" {
                kinds.push(Kind::Storage);
            }
            let mut refs: Vec<(Kind, Ref)> =
                kinds.into_iter().map(|k| (k, Ref::from_response_name(name(k)))).collect();
            for (_, kind, why) in SIGN_IN.iter().filter(|(op, _, _)| *op == id) {
                let mut r = Ref::from_response_name(name(*kind));
                r.description = why.to_string();
                refs.retain(|(k, _)| k != kind);
                refs.push((*kind, r));
            }
            for (kind, r) in refs {
                op.responses
                    .responses
                    .entry(kind.http_status().to_string())
                    .or_insert(RefOr::Ref(r));
            }
        }
    }
}

/// Every operation of the document, with its method and path.
fn operations(
    doc: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = ((HttpMethod, String), &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            (HttpMethod::Get, item.get.as_mut()),
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, op)| op.map(|op| ((method, path.clone()), op)))
    })
}

/// A checklist action in a path: `check` or `uncheck`.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Describes the path; the handler matches the words.
pub(super) enum ItemAction {
    Check,
    Uncheck,
}

/// An update cycle's end in a path (its steps are under `steps/`).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Describes the path; the handler matches the words.
pub(super) enum CycleEnd {
    Fail,
    Signoff,
    Cancel,
}

/// A ticket's move in a path.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Describes the path; the handler matches the words.
pub(super) enum TicketMove {
    Resolve,
    Close,
    Reopen,
    Comment,
}

/// `report clocks`: per task, or with `by=installation`, per installation.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Describes the answer; the handler builds one of the two.
pub(super) enum Clocks {
    ByTask(Vec<ClockView>),
    ByInstallation(Vec<ClockInstallationView>),
}
