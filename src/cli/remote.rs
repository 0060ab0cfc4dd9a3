//! The remote CLI: the same commands against a raci server, over a blocking
//! HTTP client so the CLI stays synchronous and quick to start. The server
//! answers what the CLI prints with `--format json`; this side reads it back
//! into the same views and prints them the same way in every format.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::PREFIX;
use crate::error::{Error, Kind, Result};

/// The largest answer read (a report over 100k installations fits).
const ANSWER_LIMIT: u64 = 1 << 30;

/// A server and the token to present to it.
pub(crate) struct Remote {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
    /// The key that signs writes (`--sign-with`).
    signer: Option<super::signing::Signer>,
}

impl Remote {
    /// `url` checked and without a trailing slash; the token from
    /// `RACI_TOKEN`, else the one `raci login` stored for this server.
    pub(super) fn new(url: &str) -> Result<Remote> {
        let base = url.trim_end_matches('/').to_string();
        let ok = (base.starts_with("http://") || base.starts_with("https://"))
            && base.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
        if !ok {
            return Err(Error::bad_input(format!(
                "--server {url:?} is not a server's address; expected http://HOST:PORT or https://HOST"
            )));
        }
        let token = match std::env::var("RACI_TOKEN") {
            Ok(t) if !t.is_empty() => Some(t),
            _ => stored_tokens().ok().and_then(|m| m.get(&base).cloned()),
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .tls_config(tls_config()?)
            .build()
            .into();
        Ok(Remote { base, token, agent, signer: None })
    }

    pub(super) fn base(&self) -> &str {
        &self.base
    }

    pub(super) fn with_signer(mut self, signer: Option<super::signing::Signer>) -> Remote {
        self.signer = signer;
        self
    }

    pub(super) fn with_token(mut self, token: String) -> Remote {
        self.token = Some(token);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}/{}", self.base, path.trim_start_matches('/'))
    }

    fn authorized<B>(&self, req: ureq::RequestBuilder<B>) -> Result<ureq::RequestBuilder<B>> {
        match &self.token {
            Some(t) => Ok(req.header("Authorization", format!("Bearer {t}"))),
            None => Err(Error::unauthenticated(format!(
                "no token for {}: sign in with `raci login --server {} --handle HANDLE`, or set RACI_TOKEN",
                self.base, self.base
            ))),
        }
    }

    /// `GET path` as `T`.
    pub(super) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let req = self.authorized(self.agent.get(self.url(path)))?;
        let text = answer(req.call(), &self.base)?;
        parse(&text)
    }

    /// `GET path`, the body as text (the HTML report).
    pub(super) fn get_text(&self, path: &str) -> Result<String> {
        let req = self.authorized(self.agent.get(self.url(path)))?;
        answer(req.call(), &self.base)
    }

    /// `POST path` with a JSON body, as `T`.
    pub(super) fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        let req = self.authorized(self.agent.post(self.url(path)))?;
        parse(&answer(req.send_json(body), &self.base)?)
    }

    /// A write: `POST path` with `body`, signed when a signer is set: the
    /// server drafts the statement (`POST /statements`), `ssh-keygen` signs
    /// it here, and the write carries both.
    pub(super) fn post_write<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let Some(signer) = &self.signer else {
            return self.post(path, body);
        };
        let body = serde_json::to_value(body)
            .map_err(|e| Error::bad_input(format!("cannot encode the request: {e}")))?;
        let draft = crate::api::StatementRequest {
            method: Some("POST".into()),
            path: format!("{PREFIX}/{}", path.trim_start_matches('/')),
            body: Some(body.clone()),
        };
        // A write that would record nothing answers its (empty) events.
        let statement = match self.post::<serde_json::Value>("statements", &draft)? {
            serde_json::Value::Object(mut answer) => match answer.remove("statement") {
                Some(serde_json::Value::String(s)) => s,
                _ => {
                    return Err(Error::storage(
                        "the server's statement is not what this raci expects",
                    ));
                }
            },
            done => return parse(&done.to_string()),
        };
        let signature = signer.signature(&statement)?;
        let mut signed = match body {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        signed.insert("statement".into(), statement.into());
        signed.insert("signature".into(), signature.into());
        self.post(path, &signed)
    }

    /// `POST path` without a token (sign-in, invitations).
    pub(super) fn post_anonymous<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        parse(&answer(self.agent.post(self.url(path)).send_json(body), &self.base)?)
    }

    /// `POST path` with a CSV body.
    pub(super) fn post_csv<T: DeserializeOwned>(&self, path: &str, csv: Vec<u8>) -> Result<T> {
        let req = self.authorized(self.agent.post(self.url(path)))?;
        parse(&answer(req.header("Content-Type", "text/csv").send(csv), &self.base)?)
    }

    /// `DELETE path`, as `T`.
    pub(super) fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let req = self.authorized(self.agent.delete(self.url(path)))?;
        parse(&answer(req.call(), &self.base)?)
    }
}

/// Which certificates a server's may chain to: Mozilla's roots, or with
/// `RACI_CA_CERT` the PEM certificates of that file (a private CA's).
fn tls_config() -> Result<ureq::tls::TlsConfig> {
    use std::sync::Arc;
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let Some(path) = std::env::var_os("RACI_CA_CERT").filter(|p| !p.is_empty()) else {
        return Ok(TlsConfig::default());
    };
    let bad = |why: String| {
        Error::bad_input(format!(
            "RACI_CA_CERT={}: {why}; expected a PEM file of CA certificates",
            PathBuf::from(&path).display()
        ))
    };
    let pem = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("it holds no certificate".to_string()));
    }
    Ok(TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(certs))).build())
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::storage(format!("the server's answer is not what this raci expects: {e}"))
    })
}

/// The body of a successful answer, or the server's refusal as this CLI's
/// error: the same kind (so the same exit code) and the same message.
fn answer(
    res: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    base: &str,
) -> Result<String> {
    let mut res =
        res.map_err(|e| Error::storage(format!("cannot reach the raci server at {base}: {e}")))?;
    let status = res.status().as_u16();
    let text = res
        .body_mut()
        .with_config()
        .limit(ANSWER_LIMIT)
        .read_to_string()
        .map_err(|e| Error::storage(format!("the answer from {base} broke off: {e}")))?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        kind: String,
        message: String,
    }
    Err(match serde_json::from_str::<Refusal>(&text) {
        Ok(r) => Error::new(Kind::from_api(&r.error.kind, status), r.error.message),
        Err(_) => Error::new(
            Kind::from_api("", status),
            format!("the server at {base} answered {status}"),
        ),
    })
}

/// Where `raci login` keeps its tokens: one per server, mode 0600.
fn tokens_file() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "raci")
        .map(|d| d.config_dir().join("tokens.json"))
        .ok_or_else(|| Error::storage("cannot find the config directory (no home directory)"))
}

/// The token `raci login` stored for `server`, if any.
pub(super) fn stored_token(server: &str) -> Result<Option<String>> {
    Ok(stored_tokens()?.get(server.trim_end_matches('/')).cloned())
}

fn stored_tokens() -> Result<BTreeMap<String, String>> {
    let path = tokens_file()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Error::storage(format!("{} is not raci's token file: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e.into()),
    }
}

/// Stores (or with `None`, forgets) the token for `server`.
pub(super) fn store_token(server: &str, token: Option<&str>) -> Result<PathBuf> {
    use std::io::Write;
    let path = tokens_file()?;
    let mut all = stored_tokens()?;
    match token {
        Some(t) => all.insert(server.to_string(), t.to_string()),
        None => all.remove(server),
    };
    let dir = path.parent().ok_or_else(|| Error::storage("the token file has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_string_pretty(&all)
        .map_err(|e| Error::storage(format!("cannot write the token file: {e}")))?;
    let mut tmp = tempfile::Builder::new().prefix(".tokens").tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    tmp.persist(&path)
        .map_err(|e| Error::storage(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Reads a password: from the terminal without echo, or a line of stdin.
pub(super) fn read_password(prompt: &str) -> Result<String> {
    use std::io::IsTerminal;
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    Ok(text)
}
