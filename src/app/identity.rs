//! Who is signing in: invitations, passwords, personal tokens and browser
//! sessions. A credential only proves which person is acting; their party,
//! role, subscriber and whether they are active are read from the database
//! on every request, never from the credential.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Context, Recorder, acting, find_person, stamp};
use crate::domain::authority;
use crate::domain::values::{Id, Text};
use crate::error::{Error, Result};
use crate::store::identity::TokenRow;
use crate::store::{Event, Store};
use crate::view::PersonView;

/// How long an invitation stays valid.
pub const INVITATION_HOURS: i64 = 72;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// A browser session ends after this long without a request.
pub const SESSION_IDLE_HOURS: i64 = 12;
/// The longest a personal token may live.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// What `person invite` prints: the one-time code and where to redeem it.
#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub code: String,
    pub url: String,
    pub expires_at: String,
}

/// A token just made: the secret, shown this once.
#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewTokenView {
    pub token: String,
    pub id: String,
    pub expires_at: Option<String>,
}

/// One row of `token list`; never the secret.
#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub read_only: bool,
    pub last_used_at: Option<String>,
}

impl From<TokenRow> for TokenView {
    fn from(t: TokenRow) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            read_only: t.read_only,
            last_used_at: t.last_used_at,
        }
    }
}

/// `token create`, and the API's `POST /tokens`.
#[derive(Debug, Default, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: Option<Text>,
    pub expires_days: Option<u32>,
    #[serde(default)]
    pub read_only: bool,
}

/// What a credential proved: who is acting, through which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub handle: Id,
    pub token_id: String,
    pub read_only: bool,
    /// A browser session, which needs its CSRF token on every change.
    pub session: bool,
    pub csrf: Option<String>,
    pub last_used_at: Option<String>,
}

/// A random secret of 256 bits, as hex.
pub fn secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::storage(format!("the system has no randomness to give: {e}")))?;
    Ok(hex::encode(bytes))
}

/// How a secret is stored: its SHA-256, as hex. Secrets are random and long,
/// so a fast hash is enough; passwords get argon2id.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A password's rules, checked before anything is hashed or written.
pub fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::bad_input(format!(
            "the password has {chars} characters; it needs at least {MIN_PASSWORD_CHARS}"
        )));
    }
    if chars > 1024 {
        return Err(Error::bad_input("the password is over 1024 characters"));
    }
    Ok(())
}

/// The argon2id PHC string of a password. Slow on purpose: a server runs
/// it off its async executor.
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::PasswordHasher;
    check_password(password)?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::storage(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches a stored PHC string. Slow on purpose.
pub fn password_matches(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    PasswordHash::new(phc)
        .is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The refusal of every sign-in that fails, whatever the reason, so it
/// tells no one which handles exist.
fn bad_sign_in() -> Error {
    Error::unauthenticated("wrong handle or password")
}

/// `person invite HANDLE`: a one-time code for the person to set their
/// password, by an administrator who may manage them. A newer invitation
/// voids the older.
pub fn invite(
    store: &mut Store,
    ctx: &Context,
    handle: &Id,
) -> Result<(InvitationView, Vec<Event>)> {
    let code = secret()?;
    let expires = stamp(ctx.now + Duration::hours(INVITATION_HOURS));
    store.write(|tx| {
        let (actor, target) = super::admin::manage_existing_admin(tx, ctx, handle.as_str())?;
        if !target.active {
            return Err(Error::conflict(format!(
                "{} is deactivated; reactivate them before inviting them",
                target.handle
            )));
        }
        tx.insert_invitation(&secret_hash(&code), &target.handle, &ctx.stamp(), &expires)?;
        let mut rec = Recorder::new(ctx, Some(&actor));
        rec.record(tx, None, "person-invite", None, |e| {
            e.note = Some(format!("{} until {expires}", target.handle));
        })?;
        let view =
            InvitationView { url: format!("/invite/{code}"), code, expires_at: expires.clone() };
        Ok((view, rec.finish(tx)?))
    })
}

/// An invitation that can be redeemed, or 404 for one that is unknown,
/// used, voided or expired (the four cannot be told apart).
fn open_invitation(tx: &crate::store::Tx<'_>, code: &str, now: DateTime<Utc>) -> Result<String> {
    let gone = || {
        Error::not_found("no open invitation with this code; ask an administrator for a new one")
    };
    let inv = tx.invitation(&secret_hash(code))?.ok_or_else(gone)?;
    if inv.used_at.is_some()
        || inv.voided_at.is_some()
        || inv.expires_at.as_str() <= stamp(now).as_str()
    {
        return Err(gone());
    }
    Ok(inv.handle)
}

/// Whether an invitation code can still be redeemed, and whose it is.
pub fn invitation_for(store: &mut Store, now: DateTime<Utc>, code: &str) -> Result<String> {
    store.read(|tx| open_invitation(tx, code, now))
}

/// Redeems an invitation: sets the password (its hash, made by the caller
/// with [`hash_password`] off any async executor) and signs in with a new
/// token or session. A refused redemption leaves the code valid.
pub fn redeem(
    store: &mut Store,
    ctx: &Context,
    code: &str,
    password_phc: &str,
    kind: TokenKind,
) -> Result<(NewTokenView, Vec<Event>)> {
    store.write(|tx| {
        let handle = open_invitation(tx, code, ctx.now)?;
        let person = find_person(tx, &handle)?;
        authority::may_act(&person).map_err(|e| Error::unauthenticated(e.message))?;
        tx.set_password(&person.handle, password_phc, &ctx.stamp())?;
        tx.use_invitation(&secret_hash(code), &ctx.stamp())?;
        let mut rec = Recorder::new(ctx, Some(&person));
        rec.record(tx, None, "password-set", None, |e| {
            e.note = Some(format!("{} by invitation", person.handle));
        })?;
        let made = issue(tx, ctx, &mut rec, &person.handle, kind, &TokenRequest::default())?;
        Ok((made, rec.finish(tx)?))
    })
}

/// The stored password hash of an active person, to check a sign-in
/// against (off the async executor); the same refusal for every failure.
pub fn password_of(store: &mut Store, handle: &str) -> Result<String> {
    store.read(|tx| {
        let person = tx.person(handle)?.ok_or_else(bad_sign_in)?;
        if !person.active {
            return Err(bad_sign_in());
        }
        tx.password_hash(&person.handle)?.ok_or_else(bad_sign_in)
    })
}

/// Checks a password; the refusal says nothing about which part was wrong.
pub fn verify(password: &str, phc: &str) -> Result<()> {
    if password_matches(password, phc) { Ok(()) } else { Err(bad_sign_in()) }
}

/// A personal token, or a browser session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Personal,
    Session,
}

impl Principal {
    pub fn kind(&self) -> TokenKind {
        if self.session { TokenKind::Session } else { TokenKind::Personal }
    }
}

impl TokenKind {
    /// How the events made with it come: a session is the pages'.
    pub fn channel(self) -> crate::domain::Channel {
        match self {
            TokenKind::Personal => crate::domain::Channel::Api,
            TokenKind::Session => crate::domain::Channel::Web,
        }
    }
}

/// Signs `handle` in, once their password was verified: a new token or
/// session, recorded.
pub fn sign_in(
    store: &mut Store,
    ctx: &Context,
    handle: &str,
    kind: TokenKind,
    name: Option<Text>,
) -> Result<(NewTokenView, Vec<Event>)> {
    store.write(|tx| {
        let person = tx.person(handle)?.ok_or_else(bad_sign_in)?;
        if !person.active {
            return Err(bad_sign_in());
        }
        let mut rec = Recorder::new(ctx, Some(&person));
        let req = TokenRequest { name, ..TokenRequest::default() };
        let made = issue(tx, ctx, &mut rec, &person.handle, kind, &req)?;
        Ok((made, rec.finish(tx)?))
    })
}

/// `token create`: a personal token for the acting person.
pub fn create_token(
    store: &mut Store,
    ctx: &Context,
    req: &TokenRequest,
) -> Result<(NewTokenView, Vec<Event>)> {
    store.write(|tx| {
        let (person, _) = acting(tx, ctx)?;
        let mut rec = Recorder::new(ctx, Some(&person));
        let made = issue(tx, ctx, &mut rec, &person.handle, TokenKind::Personal, req)?;
        Ok((made, rec.finish(tx)?))
    })
}

fn issue(
    tx: &crate::store::Tx<'_>,
    ctx: &Context,
    rec: &mut Recorder<'_>,
    handle: &str,
    kind: TokenKind,
    req: &TokenRequest,
) -> Result<NewTokenView> {
    let token = format!("raci_{}", secret()?);
    let id = secret()?[..12].to_string();
    let expires_at = match (kind, req.expires_days) {
        (TokenKind::Session, _) => Some(stamp(ctx.now + Duration::hours(SESSION_IDLE_HOURS))),
        (TokenKind::Personal, Some(0)) => {
            return Err(Error::bad_input("a token must live at least one day, not 0"));
        }
        (TokenKind::Personal, Some(days)) if days > MAX_TOKEN_DAYS => {
            return Err(Error::bad_input(format!(
                "a token may live at most {MAX_TOKEN_DAYS} days, not {days}"
            )));
        }
        (TokenKind::Personal, Some(days)) => Some(stamp(ctx.now + Duration::days(i64::from(days)))),
        (TokenKind::Personal, None) => Some(stamp(ctx.now + Duration::days(90))),
    };
    let (kind_name, default_name, csrf) = match kind {
        TokenKind::Personal => ("personal", "token", None),
        TokenKind::Session => ("session", "browser session", Some(secret()?)),
    };
    let name = req.name.as_ref().map_or(default_name.to_string(), |n| n.to_string());
    let row = TokenRow {
        id: id.clone(),
        handle: handle.to_string(),
        kind: kind_name.to_string(),
        name: name.clone(),
        read_only: req.read_only,
        csrf,
        created_at: ctx.stamp(),
        expires_at: expires_at.clone(),
        revoked_at: None,
        last_used_at: None,
    };
    tx.insert_token(&row, &secret_hash(&token))?;
    if kind == TokenKind::Personal {
        let what = if req.read_only { "read-only token" } else { "token" };
        rec.record(tx, None, "token-create", None, |e| {
            e.note = Some(format!("{handle}: {what} {id} {name:?}"));
        })?;
    }
    Ok(NewTokenView { token, id, expires_at })
}

/// `token list`: the acting person's personal tokens still in force.
pub fn tokens(store: &mut Store, ctx: &Context) -> Result<Vec<TokenView>> {
    store.read(|tx| {
        let (person, _) = acting(tx, ctx)?;
        let now = ctx.stamp();
        Ok(tx
            .tokens_of(&person.handle, "personal")?
            .into_iter()
            .filter(|t| t.revoked_at.is_none() && t.expires_at.as_ref().is_none_or(|e| *e > now))
            .map(TokenView::from)
            .collect())
    })
}

/// `token revoke ID`: the acting person's own token, or one of a person an
/// administrator may manage; another's is answered as one that does not exist.
pub fn revoke_token(store: &mut Store, ctx: &Context, id: &str) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (person, _) = acting(tx, ctx)?;
        let missing = || {
            Error::not_found(format!("no token {id:?} in force"))
                .hint("`raci token list` shows yours")
        };
        let token = tx.token(id)?.filter(|t| t.revoked_at.is_none()).ok_or_else(missing)?;
        if token.handle != person.handle {
            super::admin::manage_existing_admin(tx, ctx, &token.handle).map_err(|_| missing())?;
        }
        tx.revoke_token(&token.id, &ctx.stamp())?;
        let mut rec = Recorder::new(ctx, Some(&person));
        if token.kind == "personal" {
            rec.record(tx, None, "token-revoke", None, |e| {
                e.note = Some(format!("{}: token {} {:?}", token.handle, token.id, token.name));
            })?;
        }
        rec.finish(tx)
    })
}

/// Who a secret proves, or 401: unknown, revoked or expired, or a person
/// who was deactivated. A session's idle expiry moves on with each use.
pub fn authenticate(store: &mut Store, now: DateTime<Utc>, secret: &str) -> Result<Principal> {
    let refused = |why: &str| Error::unauthenticated(why.to_string());
    let token = store
        .read(|tx| tx.token_by_secret(&secret_hash(secret)))?
        .ok_or_else(|| refused("the token is not valid; sign in again with `raci login`"))?;
    if token.revoked_at.is_some() {
        return Err(refused("the token was revoked; sign in again"));
    }
    if token.expires_at.as_ref().is_some_and(|e| e.as_str() <= stamp(now).as_str()) {
        return Err(refused("the token has expired; sign in again"));
    }
    let person = store.read(|tx| tx.person(&token.handle))?;
    match person {
        Some(p) if p.active => {}
        _ => return Err(refused("the token's person was deactivated and can no longer act")),
    }
    Ok(Principal {
        handle: token.handle.parse()?,
        token_id: token.id,
        read_only: token.read_only,
        session: token.kind == "session",
        csrf: token.csrf,
        last_used_at: token.last_used_at,
    })
}

/// Notes that a token was used; a session's idle expiry moves on.
pub fn touch(store: &mut Store, now: DateTime<Utc>, principal: &Principal) -> Result<()> {
    let expires = principal.session.then(|| stamp(now + Duration::hours(SESSION_IDLE_HOURS)));
    store.write(|tx| tx.touch_token(&principal.token_id, &stamp(now), expires.as_deref()))
}

/// Ends a session or revokes the presenting token (`logout`).
pub fn sign_out(store: &mut Store, ctx: &Context, principal: &Principal) -> Result<Vec<Event>> {
    if principal.session {
        store.write(|tx| tx.revoke_token(&principal.token_id, &ctx.stamp()))?;
        return Ok(Vec::new());
    }
    revoke_token(store, ctx, &principal.token_id)
}

/// `whoami`: the acting person, as in `person list`.
pub fn whoami(store: &mut Store, ctx: &Context) -> Result<PersonView> {
    store.read(|tx| {
        let Some(handle) = &ctx.acting else {
            return Err(super::nobody_acting());
        };
        Ok(PersonView::from(find_person(tx, handle.as_str())?))
    })
}
