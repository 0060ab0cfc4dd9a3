//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 document of every route,
//! generated from the code. Asked of the server's own router, in process:
//! every route of PRODUCT.md's API is in it with its method, and every
//! operation in it is one the router answers, with the credential it says.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use raci::server::db::Db;
use raci::server::{AppState, Config, router};
use serde_json::Value;
use tower::ServiceExt;

use crate::common::TestEnv;

/// PRODUCT.md, "The API": its list of routes as it spells them (`a|b` for
/// either), then "every other command has a route of the same shape".
const ROUTES: &[&str] = &[
    "GET /api/v1/health",
    "POST /api/v1/login",
    "POST /api/v1/logout",
    "GET /api/v1/me",
    "GET /api/v1/people",
    "POST /api/v1/people",
    "POST /api/v1/people/{handle}/invite",
    "POST /api/v1/invitations/{code}",
    "GET /api/v1/installations",
    "POST /api/v1/installations",
    "GET /api/v1/installations/{id}",
    "GET /api/v1/installations/{id}/log",
    "GET /api/v1/installations/{id}/checklist",
    "POST /api/v1/installations/{id}/tasks/{task}/{verb}",
    "POST /api/v1/installations/{id}/checklist/{task}/{item}/check|uncheck",
    "POST /api/v1/installations/{id}/handover",
    "GET /api/v1/installations/{id}/handover",
    "GET|POST /api/v1/installations/{id}/updates",
    "POST /api/v1/installations/{id}/updates/{n}/steps/{step}",
    "POST /api/v1/installations/{id}/updates/{n}/fail|signoff|cancel",
    "GET|POST /api/v1/installations/{id}/backups",
    "GET|POST /api/v1/installations/{id}/tickets",
    "POST /api/v1/installations/{id}/tickets/{ref}/resolve|close|reopen|comment",
    "GET /api/v1/reports/outstanding|overdue|stale-backups|clocks",
    "GET /api/v1/inbox",
    "POST /api/v1/inbox/ack",
    "GET|POST /api/v1/tokens",
    "DELETE /api/v1/tokens/{id}",
    "GET /api/v1/openapi.json",
    // Of the same shape.
    "POST /api/v1/people/{handle}/set|deactivate|reactivate",
    "POST /api/v1/installations/import",
    "POST /api/v1/installations/{id}/retire|unretire",
    "GET /api/v1/reports/html",
    "POST /api/v1/installations/{id}/checklist/{task}/check|uncheck",
    "GET|POST /api/v1/people/{handle}/keys",
    "DELETE /api/v1/people/{handle}/keys/{fingerprint}",
    "GET /api/v1/allowed-signers",
    "POST /api/v1/policy",
    "POST /api/v1/offline/request|apply",
    "POST /api/v1/statements",
];

/// Each route of [`ROUTES`] with one method and one word for each `a|b`.
fn routes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for route in ROUTES {
        let (methods, path) = route.split_once(' ').expect("METHOD PATH");
        let mut paths = vec![String::new()];
        for segment in path.trim_start_matches('/').split('/') {
            paths = paths
                .iter()
                .flat_map(|p| segment.split('|').map(move |word| format!("{p}/{word}")))
                .collect();
        }
        for method in methods.split('|') {
            out.extend(paths.iter().map(|p| (method.to_string(), p.clone())));
        }
    }
    out
}

/// A server over a fresh database, and a runtime to ask it in.
struct Server {
    _env: TestEnv,
    app: axum::Router,
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn new() -> Server {
        let env = TestEnv::new();
        env.ok(&[
            "person",
            "add",
            "vera",
            "--party",
            "vendor",
            "--role",
            "customer-success-engineer",
        ]);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let db = rt.block_on(async { Db::open(&env.db(), 1) }).expect("the database opens");
        let config = Config {
            listen: "127.0.0.1:8080".parse().expect("address"),
            db: env.db(),
            secure: false,
            behind_proxy: false,
            now: None,
            tls: None,
        };
        Server { app: router(AppState::new(db, config)), _env: env, rt }
    }

    /// Sends a request without a credential; the status, content type and body.
    fn ask(&self, method: &str, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        self.rt.block_on(async {
            let res = self.app.clone().oneshot(req).await.expect("an answer");
            let status = res.status();
            let content_type = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
            (status, content_type, body.to_vec())
        })
    }

    fn document(&self) -> Value {
        let (status, content_type, body) = self.ask("GET", "/api/v1/openapi.json");
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(content_type.starts_with("application/json"), "{content_type}");
        serde_json::from_slice(&body).expect("the document is JSON")
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The document's operations: method (upper case), path, operation.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// What a `$ref` points at.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("a local $ref");
            doc.pointer(pointer).unwrap_or_else(|| panic!("{r} resolves"))
        }
        None => v,
    }
}

/// The words a path parameter takes, when its schema is an enum of them.
fn words<'a>(doc: &'a Value, op: &'a Value, name: &str) -> Vec<&'a str> {
    let params = op["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(param) = params.iter().find(|p| p["name"] == name && p["in"] == "path") else {
        return Vec::new();
    };
    resolve(doc, &param["schema"])["enum"]
        .as_array()
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether the document's path (with its operation) describes the route:
/// the same segments, a parameter for a parameter, and for a word either
/// that word or a path parameter whose enum holds it.
fn describes(doc: &Value, op: &Value, doc_path: &str, route: &str) -> bool {
    let ours: Vec<&str> = doc_path.split('/').collect();
    let theirs: Vec<&str> = route.split('/').collect();
    ours.len() == theirs.len()
        && ours.iter().zip(&theirs).all(|(o, t)| {
            let param = |s: &str| s.starts_with('{') && s.ends_with('}');
            match (param(o), param(t)) {
                (true, true) => true,
                (false, false) => o == t,
                (true, false) => words(doc, op, &o[1..o.len() - 1]).contains(t),
                (false, true) => false,
            }
        })
}

#[test]
fn the_document_is_openapi_3_1_with_every_route_of_the_contract() {
    let server = Server::new();
    let doc = server.document();
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1"), "openapi {version}");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let ops = operations(&doc);
    let missing: Vec<String> = routes()
        .into_iter()
        .filter(|(method, route)| {
            !ops.iter().any(|(m, p, op)| m == method && describes(&doc, op, p, route))
        })
        .map(|(m, r)| format!("{m} {r}"))
        .collect();
    assert!(missing.is_empty(), "routes of PRODUCT.md missing from the document: {missing:#?}");
}

#[test]
fn every_operation_is_answered_by_the_router_with_the_credential_it_names() {
    let server = Server::new();
    let doc = server.document();
    assert_eq!(
        doc["security"],
        serde_json::json!([{"bearer": []}, {"session": []}]),
        "by default a bearer token or a session"
    );
    let schemes = doc["components"]["securitySchemes"].as_object().expect("schemes");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let mut public = Vec::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().expect("operationId");
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has a summary");
        // A request with each parameter filled in: a word from its enum, or
        // any name.
        let uri: Vec<String> = path
            .split('/')
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => words(&doc, op, name).first().copied().unwrap_or("x1").to_string(),
                None => s.to_string(),
            })
            .collect();
        let uri = uri.join("/");
        let (status, _, body) = server.ask(&method, &uri);
        let body = String::from_utf8_lossy(&body);
        assert!(
            status != StatusCode::NOT_FOUND || !body.contains("no such page or route"),
            "{method} {uri} ({id}) is not a route: {body}"
        );
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri} ({id})");
        let needs_credential = op.get("security").is_none_or(|s| s != &serde_json::json!([]));
        if needs_credential {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} ({id}) needs a credential"
            );
            let refusal: Value = serde_json::from_str(&body).expect("a JSON refusal");
            assert_eq!(refusal["error"]["kind"], "unauthenticated", "{body}");
            assert!(op["responses"]["401"].is_object(), "{id} names its 401");
        } else {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} ({id}) takes no credential"
            );
            public.push(id.to_string());
        }
    }
    public.sort();
    assert_eq!(public, ["health", "login", "openapi", "redeem"]);
}

#[test]
fn schemas_name_the_spellings_the_api_takes_and_every_ref_resolves() {
    let server = Server::new();
    let doc = server.document();
    let schemas = &doc["components"]["schemas"];
    let spellings = |name: &str| -> Vec<String> {
        let e = schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name} is an enum"));
        e.iter().map(|v| v.as_str().expect("a string").to_string()).collect()
    };
    assert_eq!(
        spellings("ErrorKind"),
        [
            "bad_input",
            "unauthenticated",
            "not_permitted",
            "not_found",
            "conflict",
            "too_large",
            "too_many_requests",
            "storage"
        ]
    );
    assert_eq!(spellings("Party"), ["vendor", "subscriber"]);
    assert!(spellings("Role").contains(&"customer-success-engineer".to_string()));
    assert!(spellings("TaskState").contains(&"in_progress".to_string()));
    assert!(spellings("Step").contains(&"dev-updated".to_string()));
    assert_eq!(spellings("Channel"), ["cli", "api", "web"]);
    assert_eq!(schemas["Id"]["type"], "string");
    assert_eq!(schemas["Day"]["format"], "date");
    assert_eq!(schemas["TicketBody"]["properties"]["ref"]["$ref"], "#/components/schemas/Id");

    // A refusal is described as the server writes one.
    let error = &schemas["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    let (status, _, body) = server.ask("GET", "/api/v1/me");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refusal: Value = serde_json::from_slice(&body).expect("JSON");
    let kinds = spellings("ErrorKind");
    assert!(kinds.iter().any(|k| refusal["error"]["kind"] == k.as_str()), "{refusal}");
    assert!(refusal["error"]["message"].is_string());

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r} is local"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
}
