//! Signed steps: people's SSH keys, each organisation's policy, online and
//! offline signatures, and what `db check` proves of them. A step is signed
//! over the statement its own events give (`domain::signing`), so a
//! signature cannot be moved to another step, and one step has one text.

use std::path::Path;

use chrono::Duration;

use super::admin::manage_existing_admin;
use super::tasks::{self, TaskStep};
use super::{Context, Recorder, Signing, acting, find_person, viewer};
use crate::domain::authority::{self, Org};
use crate::domain::ledger::Change;
use crate::domain::records::Person;
use crate::domain::replay::Global;
use crate::domain::rules::Verb;
use crate::domain::signing::{self, Key, NAMESPACE, Statement, Subject};
use crate::domain::values::{Id, Text};
use crate::error::{Error, Result};
use crate::store::{Event, Store, Tx};
use crate::view::{EventView, KeyView};

/// The longest an offline statement may wait for its signature.
pub const MAX_OFFLINE_DAYS: u32 = 90;
/// How long an offline statement waits unless told.
pub const DEFAULT_OFFLINE_DAYS: u32 = 7;

/// The statement of a command that recorded `events`.
fn statement_of(tx: &Tx<'_>, events: &[Event]) -> Result<Option<Statement>> {
    let Some(first) = events.first() else { return Ok(None) };
    // A task, cycle or ticket with no event yet: the step follows its
    // installation's last event (or the ledger's), so that every statement
    // is bound to a moment of the ledger.
    let mut follows = None;
    for subject in Subject::of(first).and_wider() {
        follows = tx.last_hash_of(&subject, Some(first.id))?;
        if follows.is_some() {
            break;
        }
    }
    Ok(Statement::of(events, follows))
}

/// Settles a command's signature once its events are recorded (from
/// `Recorder::finish`, inside the command's transaction):
/// - a draft stops here with the statement, so nothing is kept;
/// - a signed command's statement must be the one its events give, signed
///   by one of the actor's active keys, and not expired;
/// - an unsigned step is refused where the actor's organisation requires
///   signatures.
pub(super) fn settle(
    tx: &Tx<'_>,
    ctx: &Context,
    actor: Option<&Person>,
    events: &mut [Event],
) -> Result<()> {
    match &ctx.signing {
        Signing::Draft | Signing::OfflineDraft => match statement_of(tx, events)? {
            Some(statement) => Err(Error::drafted(statement.text())),
            None => {
                Err(Error::conflict("the command records nothing, so there is nothing to sign"))
            }
        },
        Signing::Signed { signature, statement, .. } => {
            let Some(actor) = actor else {
                return Err(Error::bad_input("only a command with an acting person can be signed"));
            };
            let Some(text) = statement else {
                return Err(Error::bad_input("a signed command needs the statement it signed"));
            };
            let given = Statement::parse(text)?;
            let key = signing::verify(signature, text, &actor.handle, &tx.keys(None)?)?;
            refuse_expired(ctx, &given)?;
            let derived = statement_of(tx, events)?.ok_or_else(|| {
                Error::conflict("the command records nothing, so nothing was signed")
            })?;
            if given.online() != derived {
                return Err(if given.follows != derived.follows {
                    Error::conflict(format!(
                        "the statement was made for {} when it stood at another event; it has moved since, so the signature no longer applies (make and sign a new statement)",
                        what(&given)
                    ))
                } else {
                    Error::not_permitted(format!(
                        "the signed statement is not this step: it says {} by {}",
                        what(&given),
                        given.actor
                    ))
                });
            }
            tracing::debug!(key, "signed step");
            Ok(())
        }
        Signing::Unsigned => {
            if let Some(actor) = actor
                && events.iter().any(signing::is_step)
                && signing::required(&tx.policies()?, Org::of(actor))
            {
                return Err(Error::not_permitted(format!(
                    "{} requires its people's steps to be signed, and this one is not; sign it with --sign-with KEY (or an offline statement)",
                    Org::of(actor).describe()
                ))
                .hint("`raci person key add` registers your key"));
            }
            Ok(())
        }
    }
}

/// What a statement is about, for messages.
fn what(s: &Statement) -> String {
    let place = [
        s.installation.clone(),
        s.task.clone(),
        s.cycle.map(|n| format!("cycle {n}")),
        s.ticket.as_ref().map(|t| format!("ticket {t}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if place.is_empty() { s.verb.clone() } else { format!("{} of {place}", s.verb) }
}

fn refuse_expired(ctx: &Context, s: &Statement) -> Result<()> {
    match &s.expires_at {
        Some(expires) if ctx.stamp() > *expires => Err(Error::conflict(format!(
            "the statement expired at {expires}; make a new one with `raci offline request`"
        ))),
        _ => Ok(()),
    }
}

/// Refuses a statement already used by an event (the backstop of
/// `Recorder::record`, which asks before it writes).
pub(super) fn refuse_reused(tx: &Tx<'_>, statement: &str) -> Result<()> {
    match tx.event_with_statement(statement)? {
        Some(id) => Err(Error::conflict(format!(
            "this statement was already applied (event {id}); a statement is used once"
        ))),
        None => Ok(()),
    }
}

/// What running a command as a draft gave.
#[derive(Debug)]
pub enum Drafted<T> {
    /// The statement it would record; nothing was kept.
    Statement(String),
    /// It had nothing to record (it already was so) and finished.
    Done(T),
}

/// Runs `f` as a draft: the statement it would record, or, for a command
/// that records nothing, its answer.
pub fn draft<T>(
    ctx: &Context,
    mode: Signing,
    f: impl FnOnce(&Context) -> Result<T>,
) -> Result<Drafted<T>> {
    let draft = Context { signing: mode, ..ctx.clone() };
    match f(&draft) {
        Err(Error { statement: Some(text), .. }) => Ok(Drafted::Statement(text)),
        Err(e) => Err(e),
        Ok(done) => Ok(Drafted::Done(done)),
    }
}

/// Runs a write signed over the statement it records: first as a draft,
/// to learn the statement, which `sign` signs; then with that signature.
/// A write that would record nothing is done after its draft.
pub fn sign_and_run<T>(
    store: &mut Store,
    ctx: &Context,
    sign: impl FnOnce(&str) -> Result<String>,
    f: impl Fn(&mut Store, &Context) -> Result<T>,
) -> Result<T> {
    let text = match draft(ctx, Signing::Draft, |c| f(store, c))? {
        Drafted::Statement(text) => text,
        Drafted::Done(done) => return Ok(done),
    };
    let signature = sign(&text)?;
    let signing = Signing::Signed { signature, statement: Some(text), offline: false };
    f(store, &Context { signing, ..ctx.clone() })
}

/// Runs a write; one whose signature came without its statement (an API
/// client sent only `signature`) through [`sign_and_run`], the signature
/// given. Under the server's writer both runs are in one group, so nothing
/// moves in between.
pub fn run<T>(
    store: &mut Store,
    ctx: &Context,
    f: impl Fn(&mut Store, &Context) -> Result<T>,
) -> Result<T> {
    match &ctx.signing {
        Signing::Signed { signature, statement: None, .. } => {
            let signature = signature.clone();
            sign_and_run(store, ctx, |_| Ok(signature), f)
        }
        _ => f(store, ctx),
    }
}

// --- keys ------------------------------------------------------------------

/// The acting person and the person whose keys they change: themselves, or
/// someone an administrator may manage.
fn key_holder(tx: &Tx<'_>, ctx: &Context, handle: &str) -> Result<(Person, Person)> {
    let (me, _) = acting(tx, ctx)?;
    if me.handle == handle {
        return Ok((me.clone(), me));
    }
    manage_existing_admin(tx, ctx, handle).map_err(|e| {
        if e.kind == crate::error::Kind::NotPermitted {
            Error::not_permitted(format!(
                "{}'s keys are managed by {handle} or an administrator who manages them; {}",
                handle, e.message
            ))
        } else {
            e
        }
    })
}

/// `person key add HANDLE KEY`.
pub fn add_key(store: &mut Store, ctx: &Context, handle: &Id, line: &str) -> Result<Vec<Event>> {
    let key = Key::parse(line)?;
    store.write(|tx| {
        let (actor, holder) = key_holder(tx, ctx, handle.as_str())?;
        authority::may_act(&holder)?;
        if let Some(existing) = tx.key(&key.fingerprint)? {
            return Err(Error::conflict(match existing.revoked_at {
                None if existing.handle == holder.handle => {
                    format!("{} already has the key {}", holder.handle, key.fingerprint)
                }
                None => format!("the key {} is already another person's", key.fingerprint),
                Some(_) => format!(
                    "the key {} was revoked and cannot be added again; make a new key",
                    key.fingerprint
                ),
            }));
        }
        let mut rec = Recorder::new(ctx, Some(&actor));
        let change = Change::KeyAdded {
            handle: holder.handle.clone(),
            fingerprint: key.fingerprint.clone(),
            key_type: key.key_type.clone(),
            public_key: key.public_key.clone(),
            comment: key.comment.clone(),
        };
        rec.record(tx, None, "key-add", Some(change), |e| {
            e.note = Some(format!("{}: {} {}", holder.handle, key.key_type, key.fingerprint));
        })?;
        rec.finish(tx)
    })
}

/// `person key revoke HANDLE FINGERPRINT`.
pub fn revoke_key(
    store: &mut Store,
    ctx: &Context,
    handle: &Id,
    fingerprint: &str,
) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (actor, holder) = key_holder(tx, ctx, handle.as_str())?;
        let key = tx
            .key(fingerprint)?
            .filter(|k| k.handle == holder.handle && k.revoked_at.is_none())
            .ok_or_else(|| {
                Error::not_found(format!("{} has no active key {fingerprint}", holder.handle))
                    .hint(format!("`raci person key list {}` shows them", holder.handle))
            })?;
        let mut rec = Recorder::new(ctx, Some(&actor));
        let change = Change::KeyRevoked {
            handle: holder.handle.clone(),
            fingerprint: key.fingerprint.clone(),
        };
        rec.record(tx, None, "key-revoke", Some(change), |e| {
            e.note = Some(format!("{}: {} {}", holder.handle, key.key_type, key.fingerprint));
        })?;
        rec.finish(tx)
    })
}

/// `person key list [HANDLE]`, revoked keys too: a person's own, or those of
/// the people an administrator may manage (with HANDLE, that person's, if
/// the actor is them or may manage them; else exit 3, as for adding one).
pub fn keys(store: &mut Store, ctx: &Context, handle: Option<&Id>) -> Result<Vec<KeyView>> {
    store.read(|tx| {
        if let Some(h) = handle {
            let (_, holder) = key_holder(tx, ctx, h.as_str())?;
            return Ok(tx.keys(Some(&holder.handle))?.into_iter().map(KeyView::from).collect());
        }
        let (me, _) = acting(tx, ctx)?;
        let admins = tx.active_admins()?;
        let people = tx.persons()?;
        let manages = |p: &Person| {
            p.handle == me.handle
                || authority::may_manage_existing(&me, p, &admins) == authority::Decision::Allowed
        };
        Ok(tx
            .keys(None)?
            .into_iter()
            .filter(|k| people.iter().find(|p| p.handle == k.handle).is_some_and(manages))
            .map(KeyView::from)
            .collect())
    })
}

/// Every key of the people `ctx`'s viewer sees, active or revoked.
fn visible_keys(store: &mut Store, ctx: &Context) -> Result<Vec<KeyView>> {
    store.read(|tx| {
        let viewer = viewer(tx, ctx)?;
        let people = tx.persons()?;
        Ok(tx
            .keys(None)?
            .into_iter()
            .filter(|k| {
                people
                    .iter()
                    .find(|p| p.handle == k.handle)
                    .is_some_and(|p| authority::sees_person(viewer.as_ref(), p))
            })
            .map(KeyView::from)
            .collect())
    })
}

/// `person allowed-signers [--all]`: the OpenSSH allowed_signers file of
/// every active key (with `all`, revoked ones too, valid before their
/// revocation), so that `ssh-keygen -Y verify` checks raci's signatures
/// without raci.
pub fn allowed_signers(store: &mut Store, ctx: &Context, all: bool) -> Result<String> {
    let rows = visible_keys(store, ctx)?;
    let mut text = String::new();
    for k in rows {
        let valid_before = match (&k.revoked_at, all) {
            (None, _) => String::new(),
            (Some(_), false) => continue,
            (Some(at), true) => format!(",valid-before=\"{}\"", ssh_time(at)),
        };
        text.push_str(&format!(
            "{} namespaces=\"{NAMESPACE}\"{valid_before} {}",
            k.handle, k.public_key
        ));
        if !k.comment.is_empty() {
            text.push(' ');
            text.push_str(&k.comment);
        }
        text.push('\n');
    }
    Ok(text)
}

/// An RFC 3339 time as allowed_signers writes one: `YYYYMMDDHHMMSSZ`.
fn ssh_time(at: &str) -> String {
    let digits: String = at.chars().filter(char::is_ascii_digit).take(14).collect();
    format!("{digits}Z")
}

// --- policy ----------------------------------------------------------------

/// `policy require-signatures on|off`: for the administrator's own
/// organisation. Turning it on needs the administrator to hold an active key,
/// so the organisation is not locked out of its own steps by its own rule.
pub fn set_policy(store: &mut Store, ctx: &Context, on: bool) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (actor, _) = acting(tx, ctx)?;
        authority::administrator(&actor).into_result(|| super::no_person(&actor.handle))?;
        let active_keys = tx.keys(Some(&actor.handle))?.iter().filter(|k| k.revoked_at.is_none()).count();
        if on && active_keys == 0 {
            return Err(Error::conflict(format!(
                "{} has no active key, and would be unable to sign the steps the policy requires; add one first",
                actor.handle
            ))
            .hint(format!("`raci person key add {} \"$(cat ~/.ssh/id_ed25519.pub)\"`", actor.handle)));
        }
        let org = Org::of(&actor);
        if signing::required(&tx.policies()?, org) == on {
            // Nothing changes, so nothing is recorded.
            return Ok(Vec::new());
        }
        let subscriber = match org {
            Org::Vendor => None,
            Org::Subscriber(name) => Some(name.to_string()),
        };
        let mut rec = Recorder::new(ctx, Some(&actor));
        let change = Change::PolicySet { subscriber, require_signatures: on };
        rec.record(tx, None, "policy", Some(change), |e| {
            e.note = Some(format!(
                "{} {} signed steps",
                org.describe(),
                if on { "requires" } else { "no longer requires" }
            ));
        })?;
        rec.finish(tx)
    })
}

// --- offline ---------------------------------------------------------------

/// `offline request`: a task step to be signed where raci is not.
#[derive(Debug, Clone)]
pub struct OfflineRequest {
    pub installation: Id,
    pub task: String,
    pub verb: Verb,
    /// The signer.
    pub signer: Id,
    pub text: Option<Text>,
    pub expires_days: Option<u32>,
}

impl From<&crate::api::OfflineRequestBody> for OfflineRequest {
    fn from(b: &crate::api::OfflineRequestBody) -> Self {
        OfflineRequest {
            installation: b.installation.clone(),
            task: b.task.to_string(),
            verb: b.verb,
            signer: b.signer.clone(),
            text: b.note.clone().or_else(|| b.reason.clone()),
            expires_days: b.expires_days,
        }
    }
}

/// The statement of an offline step, for its signer: the step as the rules
/// allow it now, with an expiry and a nonce. Nothing is recorded.
pub fn offline_request(store: &mut Store, ctx: &Context, req: &OfflineRequest) -> Result<String> {
    match req.verb {
        Verb::Due => {
            return Err(Error::bad_input("due is not signed offline; set it with `raci task due`"));
        }
        Verb::Reject | Verb::Waive | Verb::Block | Verb::Reopen | Verb::Comment
            if req.text.is_none() =>
        {
            return Err(Error::bad_input(format!(
                "{} needs {}; pass --reason TEXT",
                req.verb,
                if req.verb == Verb::Comment { "its text" } else { "a reason" }
            )));
        }
        _ => {}
    }
    let days = req.expires_days.unwrap_or(DEFAULT_OFFLINE_DAYS);
    if days == 0 || days > MAX_OFFLINE_DAYS {
        return Err(Error::bad_input(format!(
            "--expires-days {days}: an offline statement lives 1 to {MAX_OFFLINE_DAYS} days"
        )));
    }
    let step = TaskStep {
        installation: req.installation.clone(),
        task: req.task.clone(),
        verb: req.verb,
        text: req.text.clone(),
        due: None,
    };
    // Whoever asks must see the installation and the signer: another
    // subscriber's are answered as ones that do not exist.
    store.read(|tx| {
        let asking = viewer(tx, ctx)?;
        super::visible_installation(tx, asking.as_ref(), req.installation.as_str())?;
        let signer = find_person(tx, req.signer.as_str())?;
        if !authority::sees_person(asking.as_ref(), &signer) {
            return Err(super::no_person(req.signer.as_str()));
        }
        Ok(())
    })?;
    let as_signer = Context { acting: Some(req.signer.clone()), ..ctx.clone() };
    let text = match draft(&as_signer, Signing::OfflineDraft, |c| tasks::step(store, c, &step))? {
        Drafted::Statement(text) => text,
        Drafted::Done(_) => return Err(Error::conflict("the step records nothing to sign")),
    };
    let mut statement = Statement::parse(&text)?;
    statement.expires_at = Some(super::stamp(ctx.now + Duration::days(i64::from(days))));
    statement.nonce = Some(super::identity::secret()?[..32].to_string());
    Ok(statement.text())
}

/// `offline apply STATEMENT SIGNATURE`: the step recorded as its signer's,
/// through the same rules; `ctx.acting`, when given, carried it.
pub fn offline_apply(
    store: &mut Store,
    ctx: &Context,
    statement: &str,
    signature: &str,
) -> Result<Vec<Event>> {
    let parsed = Statement::parse(statement)?;
    let (Some(installation), Some(task), None, None) =
        (&parsed.installation, &parsed.task, parsed.cycle, &parsed.ticket)
    else {
        return Err(Error::bad_input("an offline statement is of a task step"));
    };
    if parsed.expires_at.is_none() || parsed.nonce.is_none() {
        return Err(Error::bad_input(
            "this is not an offline statement (it has no expiry); make one with `raci offline request`",
        ));
    }
    let step = TaskStep {
        installation: installation.parse()?,
        task: task.clone(),
        verb: parsed.verb.parse()?,
        text: parsed.note.as_deref().map(str::parse).transpose()?,
        due: None,
    };
    // Who carried it acts as themselves (their login binding, their
    // subscriber): only someone who may see the installation carries a step,
    // and someone who may not learns nothing more of it.
    let carrier = match &ctx.acting {
        Some(h) if h.as_str() != parsed.actor => Some(store.read(|tx| {
            let (p, _) = acting(tx, &Context { signing: Signing::Unsigned, ..ctx.clone() })?;
            super::visible_installation(tx, Some(&p), installation)?;
            Ok(p.handle)
        })?),
        _ => None,
    };
    // Then in the contract's order: the signature, key and namespace (exit
    // 3), then expiry and reuse (exit 5), then the step itself.
    store.read(|tx| {
        signing::verify(signature, statement, &parsed.actor, &tx.keys(None)?)?;
        refuse_expired(ctx, &parsed)?;
        refuse_reused(tx, statement)
    })?;
    let signed = Context {
        acting: Some(parsed.actor.parse()?),
        signing: Signing::Signed {
            signature: signature.to_string(),
            statement: Some(statement.to_string()),
            offline: true,
        },
        carrier,
        ..ctx.clone()
    };
    tasks::step(store, &signed, &step)
}

// --- export ----------------------------------------------------------------

/// `export signatures ID DIR`: each signed step of an installation's log
/// as `N.json` (the statement, byte for byte) and `N.json.sig` (its
/// signature), which `ssh-keygen -Y verify` checks with `person
/// allowed-signers` alone. Returns how many steps it wrote.
pub fn export_signatures(log: &[EventView], dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut written = 0;
    for e in log {
        let (Some(statement), Some(signature)) = (&e.statement, &e.signature) else { continue };
        std::fs::write(dir.join(format!("{}.json", e.id)), statement)?;
        let mut armored = signature.trim_end().to_string();
        armored.push('\n');
        std::fs::write(dir.join(format!("{}.json.sig", e.id)), armored)?;
        written += 1;
    }
    Ok(written)
}

// --- db check --------------------------------------------------------------

/// What `db check` finds wrong with the ledger's signatures, in event order:
/// a stored signature that no longer verifies, a statement that does not
/// say what its events did, or a step recorded without a signature where
/// the policy then in force required one.
pub fn signature_problem(tx: &Tx<'_>) -> Result<Option<String>> {
    if !tx.has_signatures_or_policy()? {
        return Ok(None);
    }
    // People, keys and policies as the ledger stands at each event: the
    // one replay of its global events, applied as they come (what it
    // cannot apply, the state comparison of `db check` names).
    let mut global = Global::default();
    // The signed command being read: its first event, its statement, and
    // the events of it read so far.
    let mut open: Option<(Statement, String, Vec<Event>)> = None;
    let mut problem: Option<String> = None;
    tx.each_event_in_order(|e| {
        if problem.is_some() {
            return Ok(());
        }
        // A later event of a signed command: its statement covers it.
        if let Some((statement, signature, mut group)) = open.take() {
            if group.len() < statement.changes.len() {
                group.push(e.clone());
                if group.len() < statement.changes.len() {
                    open = Some((statement, signature, group));
                } else {
                    problem = check_group(tx, &statement, &signature, &group, &global)?;
                }
                replay_global(&mut global, &e);
                return Ok(());
            }
            problem = check_group(tx, &statement, &signature, &group, &global)?;
            if problem.is_some() {
                return Ok(());
            }
        }
        match (&e.statement, &e.signature) {
            (Some(text), Some(signature)) => match Statement::parse(text) {
                Ok(statement) if statement.changes.len() > 1 => {
                    open = Some((statement, signature.clone(), vec![e.clone()]));
                }
                Ok(statement) => {
                    problem =
                        check_group(tx, &statement, signature, std::slice::from_ref(&e), &global)?;
                }
                Err(err) => {
                    problem = Some(format!(
                        "audit event {}'s statement cannot be read: {}",
                        e.id, err.message
                    ));
                }
            },
            (None, None) => problem = unsigned_problem(&e, &global),
            _ => {
                problem = Some(format!(
                    "audit event {} carries a statement or a signature without the other",
                    e.id
                ));
            }
        }
        replay_global(&mut global, &e);
        Ok(())
    })?;
    if problem.is_none()
        && let Some((statement, signature, group)) = open
    {
        problem = check_group(tx, &statement, &signature, &group, &global)?;
    }
    Ok(problem)
}

/// A step recorded without a signature where its actor's organisation then
/// required one.
fn unsigned_problem(e: &Event, global: &Global) -> Option<String> {
    if !signing::is_step(e) {
        return None;
    }
    let Some(actor) = e.actor.as_ref().and_then(|h| global.people.get(h)) else {
        // Every step names who took it; one that does not, while any
        // organisation requires signatures, could be anyone's.
        return global.policies.values().any(|p| p.require_signatures).then(|| {
            format!(
                "audit event {} ({} on {}) names no actor among the people, while signed steps are required",
                e.id,
                e.action,
                e.installation.as_deref().unwrap_or_default()
            )
        });
    };
    let own = Org::of(actor);
    if !signing::required(global.policies.values(), own) {
        return None;
    }
    let place = [e.installation.as_deref(), e.task.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!(
        "audit event {} ({} of {place} by {}) was recorded without a signature while {} required signed steps",
        e.id,
        e.action,
        actor.handle,
        own.describe()
    ))
}

/// Applies an event with no installation to the replay of the global
/// state (people, keys, policies).
fn replay_global(global: &mut Global, e: &Event) {
    if e.installation.is_none()
        && let Ok(Some(change)) = crate::domain::ledger::change_of(e)
    {
        let _ = global.apply(e, &change);
    }
}

/// Whether one signed command holds: its signature by a key of its actor
/// active then, over a statement that says what its events did.
fn check_group(
    tx: &Tx<'_>,
    statement: &Statement,
    signature: &str,
    group: &[Event],
    global: &Global,
) -> Result<Option<String>> {
    let Some(first) = group.first() else { return Ok(None) };
    if let Err(why) = signing::one_command(group) {
        return Ok(Some(format!("audit event {}'s signature does not hold: {why}", first.id)));
    }
    let text = first.statement.as_deref().unwrap_or_default();
    if let Err(e) = signing::verify(signature, text, &statement.actor, global.keys.values()) {
        return Ok(Some(format!(
            "audit event {}'s signature does not hold: {}",
            first.id, e.message
        )));
    }
    let derived = statement_of(tx, group)?;
    if derived.as_ref() != Some(&statement.online()) {
        return Ok(Some(format!(
            "audit event {}'s signed statement does not say what its events did",
            first.id
        )));
    }
    if let Some(expires) = &statement.expires_at
        && first.at > *expires
    {
        return Ok(Some(format!(
            "audit event {} applies an offline statement after it expired ({expires})",
            first.id
        )));
    }
    Ok(None)
}
