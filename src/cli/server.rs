//! `raci serve`, the commands of signing in (`login`, `logout`, `whoami`,
//! `token …`), and running any other command against a server.

use std::io::Write;
use std::path::PathBuf;

use super::args::{Cli, Command, TokenCommand};
use super::remote::{self, Remote};
use super::{Backend, Io, dispatch, seg};
use crate::api::{LoginBody, PasswordBody};
use crate::app::Context;
use crate::app::identity::{self, InvitationView, NewTokenView, TokenRequest, TokenView};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::view::{EventView, PersonView};

pub(super) fn serve(
    listen: std::net::SocketAddr,
    db: PathBuf,
    tls: Option<(&PathBuf, &PathBuf)>,
    behind_proxy: bool,
) -> Result<()> {
    crate::server::check_listen(&listen, tls.is_some(), behind_proxy)?;
    let now = match std::env::var("RACI_NOW") {
        Ok(_) => Some(super::now()?),
        Err(_) => None,
    };
    init_log();
    crate::server::serve(crate::server::Config {
        listen,
        db,
        secure: behind_proxy || tls.is_some(),
        behind_proxy,
        tls: tls.map(|(c, k)| (c.clone(), k.clone())),
        now,
    })
}

/// The access log: one JSON line per request on stderr (`RUST_LOG` filters).
fn init_log() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A command against the server at `url`.
pub(super) fn remote(cli: &Cli, url: &str, out: &mut dyn Write) -> Result<()> {
    let server = Remote::new(url)?.with_signer(cli.sign_with().map(super::signing::Signer::new));
    let io = Io { format: cli.format, out };
    match &cli.command {
        Command::Login { handle, invite } => {
            return login(server, handle.as_ref(), invite.as_deref(), io);
        }
        Command::Logout => {
            // The token `raci login` stored for this server, whatever
            // RACI_TOKEN says: that is the one to revoke and forget.
            let stored = remote::stored_token(server.base())?.ok_or_else(|| {
                Error::bad_input(format!(
                    "no token is stored for {}; `raci login` stores one",
                    server.base()
                ))
            })?;
            let server = server.with_token(stored);
            match server.post::<Vec<EventView>>("logout", &serde_json::json!({})) {
                // Already revoked or expired: forgetting it is all that is left.
                Ok(_) => {}
                Err(e) if e.kind == crate::error::Kind::Unauthenticated => {}
                Err(e) => return Err(e),
            }
            let path = remote::store_token(server.base(), None)?;
            return io.lines(&format!(
                "signed out of {}; forgot its token in {}\n",
                server.base(),
                path.display()
            ));
        }
        _ => {}
    }
    // Identity comes from the token: naming anyone else is refused.
    let me: PersonView = server.get("me")?;
    if let Some(acting) = &cli.acting
        && acting.as_str() != me.handle
    {
        return Err(Error::bad_input(format!(
            "--as {acting}: against a server you act as the token's person, {}; drop --as (or RACI_AS)",
            me.handle
        )));
    }
    let ctx = Context { acting: me.handle.parse().ok(), ..Context::default() };
    dispatch(cli, &ctx, &mut Backend::Remote(&server), io.out)
}

fn login(
    server: Remote,
    handle: Option<&crate::domain::values::Id>,
    invite: Option<&str>,
    io: Io<'_>,
) -> Result<()> {
    let made: NewTokenView = match (handle, invite) {
        (_, Some(code)) => {
            let password = remote::read_password("new password (at least 12 characters): ")?;
            identity::check_password(&password)?;
            server
                .post_anonymous(&format!("invitations/{}", seg(code)), &PasswordBody { password })?
        }
        (Some(handle), None) => {
            let password = remote::read_password(&format!("password for {handle}: "))?;
            let body = LoginBody {
                handle: handle.to_string(),
                password,
                token_name: Some("raci login".parse()?),
            };
            server.post_anonymous("login", &body)?
        }
        (None, None) => {
            return Err(Error::bad_input("login needs --handle HANDLE or --invite CODE"));
        }
    };
    let path = remote::store_token(server.base(), Some(&made.token))?;
    let server = server.with_token(made.token.clone());
    let me: PersonView = server.get("me")?;
    match io.format {
        Format::Table => io.lines(&format!(
            "signed in to {} as {}; token {} stored in {}\n",
            server.base(),
            me.handle,
            made.id,
            path.display()
        )),
        _ => person(me, io),
    }
}

pub(super) fn whoami(ctx: &Context, be: &mut Backend<'_>, io: Io<'_>) -> Result<()> {
    let me = be.read("me", |s| identity::whoami(s, ctx))?;
    person(me, io)
}

/// One person: the object `GET /me` answers for scripts, a row for people.
fn person(me: PersonView, io: Io<'_>) -> Result<()> {
    match io.format {
        Format::Json => output::json(&me, io.out),
        _ => io.rows(&[me]),
    }
}

pub(super) fn token(
    command: &TokenCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        TokenCommand::Create { name, expires_days, read_only } => {
            let req = TokenRequest {
                name: name.clone(),
                expires_days: *expires_days,
                read_only: *read_only,
            };
            let made: NewTokenView = match be {
                Backend::Local(store, _) => identity::create_token(store, ctx, &req)?.0,
                Backend::Remote(r) => r.post("tokens", &req)?,
            };
            secret_lines(
                io,
                &made,
                &[
                    ("token", made.token.clone()),
                    ("id", made.id.clone()),
                    ("expires_at", made.expires_at.clone().unwrap_or_default()),
                ],
            )
        }
        TokenCommand::List => {
            let rows: Vec<TokenView> = be.read("tokens", |s| identity::tokens(s, ctx))?;
            io.rows(&rows)
        }
        TokenCommand::Revoke { id } => {
            let events = match be {
                Backend::Local(store, _) => identity::revoke_token(store, ctx, id)?
                    .into_iter()
                    .map(EventView::from)
                    .collect(),
                Backend::Remote(r) => r.delete(&format!("tokens/{}", seg(id)))?,
            };
            io.recorded(events)
        }
    }
}

/// `person invite`: the code and where to redeem it.
pub(super) fn invite(
    handle: &crate::domain::values::Id,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let view: InvitationView = match be {
        Backend::Local(store, _) => identity::invite(store, ctx, handle)?.0,
        Backend::Remote(r) => {
            r.post(&format!("people/{}/invite", seg(handle)), &serde_json::json!({}))?
        }
    };
    secret_lines(
        io,
        &view,
        &[
            ("code", view.code.clone()),
            ("url", view.url.clone()),
            ("expires_at", view.expires_at.clone()),
        ],
    )
}

/// A secret is printed whole, never fitted to a table's width: one
/// `name value` line each for people, the document for scripts.
fn secret_lines<T: serde::Serialize + Default>(
    io: Io<'_>,
    doc: &T,
    lines: &[(&str, String)],
) -> Result<()> {
    match io.format {
        Format::Json => output::json(doc, io.out),
        Format::Csv => output::rows(Format::Csv, std::slice::from_ref(doc), io.out),
        Format::Table => {
            let text: String = lines.iter().map(|(k, v)| format!("{k:<11} {v}\n")).collect();
            io.lines(&text)
        }
    }
}
