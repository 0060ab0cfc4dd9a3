//! Use cases. Each command loads what it needs, asks the domain, and writes
//! its change with its audit events, all inside one transaction of the store.

pub mod admin;
pub mod board;
pub mod db;
pub mod demo;
pub mod identity;
pub mod inbox;
pub mod operations;
pub mod reads;
pub mod signing;
pub mod tasks;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::domain::ledger::Change;
use crate::domain::matrix::{Matrix, TaskDef};
use crate::domain::rules::Actor;
use crate::domain::values::{Id, Text};
use crate::domain::{Channel, authority};
use crate::error::{Error, Result};
use crate::store::{Event, Installation, Person, Tx};

/// What every command knows before it starts: the time and who acts.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub acting: Option<Id>,
    /// The operating-system account this process runs as (from its real user
    /// ID), which a person bound with `--login` must match on the command line.
    pub os_user: Option<String>,
    /// How the command came, and for the API and the pages, the token or
    /// session that proved who `acting` is.
    pub channel: Channel,
    pub token_id: Option<String>,
    /// Whether the command is signed, or only drafted for signing.
    pub signing: Signing,
    /// Who carried an offline statement to raci, when that is not its signer.
    pub carrier: Option<String>,
}

/// How a command stands to signatures (see `signing`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Signing {
    #[default]
    Unsigned,
    /// Run the command to learn the statement it would record, and stop
    /// before the commit: nothing is kept, the error carries the statement.
    Draft,
    /// An offline draft: as `Draft`, for a signer who is not at hand, so
    /// the signer's login binding is not asked for.
    OfflineDraft,
    /// The command carries an SSH signature over its statement (`None`: to
    /// be derived before it runs, see `signing::run`). An offline one was
    /// made away from raci and brought by anyone: its signature, not this
    /// process's OS account, proves the actor.
    Signed { signature: String, statement: Option<String>, offline: bool },
}

impl Signing {
    /// Whether the signature (to come, or given) is what proves the actor,
    /// rather than this process's OS account.
    fn proves_actor(&self) -> bool {
        matches!(self, Signing::OfflineDraft | Signing::Signed { offline: true, .. })
    }
}

impl Context {
    /// A command of the local command line.
    pub fn cli(now: DateTime<Utc>, acting: Option<Id>, os_user: Option<String>) -> Context {
        Context { now, acting, os_user, ..Context::default() }
    }

    /// The time as stored: RFC 3339 in UTC, whole seconds.
    pub fn stamp(&self) -> String {
        stamp(self.now)
    }

    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The day of a stored time (or date).
pub(crate) fn day_of(stamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(stamp.get(..10)?, "%Y-%m-%d").ok()
}

/// Refuses a step that needs words (a reason, a comment) but was given none;
/// `what` names them as the API's body does.
fn needs_text(step: &str, what: &str, given: Option<&Text>) -> Result<()> {
    if given.is_none() {
        return Err(
            Error::bad_input(format!("{step} needs a {what}")).hint(format!("pass --{what} TEXT"))
        );
    }
    Ok(())
}

/// The refusal of a write that names no acting person.
fn nobody_acting() -> Error {
    Error::bad_input("this command needs to know who is acting")
        .hint("pass --as HANDLE or set RACI_AS")
}

/// The acting person, required: every write but administration needs one.
fn acting(tx: &Tx<'_>, ctx: &Context) -> Result<(Person, Actor)> {
    let Some(handle) = &ctx.acting else {
        return Err(nobody_acting());
    };
    let person = acting_person(tx, ctx, handle.as_str())?;
    authority::may_act(&person)?;
    let actor = Actor {
        handle: person.handle.clone(),
        party: person.party,
        role: person.role,
        subscriber: person.subscriber.clone(),
    };
    Ok((person, actor))
}

/// The acting person where one is optional (the bootstrap): when given,
/// they must be able to act.
fn acting_if_given(tx: &Tx<'_>, ctx: &Context) -> Result<Option<Person>> {
    let person = ctx.acting.as_ref().map(|h| acting_person(tx, ctx, h.as_str())).transpose()?;
    if let Some(p) = &person {
        authority::may_act(p)?;
    }
    Ok(person)
}

/// Who is reading: the person named, if any, whose subscriber (for a
/// subscriber's person) bounds what they see. Naming someone only narrows a
/// read, so neither a login binding nor deactivation is checked here.
pub(crate) fn viewer(tx: &Tx<'_>, ctx: &Context) -> Result<Option<Person>> {
    ctx.acting.as_ref().map(|h| find_person(tx, h.as_str())).transpose()
}

/// The person acting. On the command line, a person bound to an OS account
/// acts only from it; over the API or the pages their credential proved them.
fn acting_person(tx: &Tx<'_>, ctx: &Context, handle: &str) -> Result<Person> {
    let person = find_person(tx, handle)?;
    if ctx.channel == Channel::Cli
        && !ctx.signing.proves_actor()
        && let Some(login) = &person.login
        && ctx.os_user.as_deref() != Some(login.as_str())
    {
        return Err(Error::not_permitted(format!(
            "{handle} is bound to the OS account {login:?} and may act only from it; this process runs as {}",
            ctx.os_user.as_deref().map_or("an unknown account".to_string(), |u| format!("{u:?}"))
        )));
    }
    Ok(person)
}

fn find_person(tx: &Tx<'_>, handle: &str) -> Result<Person> {
    tx.person(handle)?.ok_or_else(|| no_person(handle))
}

/// The answer for a person who does not exist, or is hidden from the actor.
fn no_person(handle: &str) -> Error {
    Error::not_found(format!("no person {handle:?}"))
        .hint("`raci person list` shows who exists, `raci person add` adds one")
}

/// An installation `viewer` may see; another subscriber's is answered as one
/// that does not exist.
pub(crate) fn visible_installation(
    tx: &Tx<'_>,
    viewer: Option<&Person>,
    id: &str,
) -> Result<Installation> {
    match tx.installation(id)? {
        Some(inst) if authority::sees(viewer, &inst.subscriber) => Ok(inst),
        _ => Err(authority::no_installation(id)),
    }
}

/// The installation a write by `actor` changes: one they see, not retired.
fn writable_installation(tx: &Tx<'_>, actor: &Person, id: &str) -> Result<Installation> {
    let inst = visible_installation(tx, Some(actor), id)?;
    authority::may_write_to(&inst.id, inst.retired)?;
    Ok(inst)
}

fn find_def<'m>(matrix: &'m Matrix, key: &str) -> Result<&'m TaskDef> {
    matrix.task(key).ok_or_else(|| {
        Error::not_found(format!("no task {key:?}; the tasks are: {}", matrix.task_keys()))
    })
}

/// An installation's times never go backwards: refuses a write whose clock
/// is earlier than that installation's last event.
fn refuse_going_back(installation: &str, last: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let Some(last) = last else {
        return Ok(());
    };
    let earlier = match DateTime::parse_from_rfc3339(last) {
        Ok(t) => now < t.with_timezone(&Utc),
        Err(_) => stamp(now).as_str() < last,
    };
    if earlier {
        return Err(Error::conflict(format!(
            "the clock says {}, but {installation}'s last event was recorded at {last}; an installation's history never goes back in time",
            stamp(now)
        )));
    }
    Ok(())
}

/// Appends events for one command and keeps them, so the command can print
/// what it recorded.
struct Recorder<'a> {
    ctx: &'a Context,
    actor: Option<&'a Person>,
    recorded: Vec<Event>,
}

impl<'a> Recorder<'a> {
    fn new(ctx: &'a Context, actor: Option<&'a Person>) -> Self {
        Recorder { ctx, actor, recorded: Vec::new() }
    }

    /// An event by this command's actor, now, making `change` (if any) and
    /// filled in for people by `fill`. The store applies the change to the
    /// state tables, the same way the replay does, and appends the event.
    fn record(
        &mut self,
        tx: &Tx<'_>,
        installation: Option<&str>,
        action: &str,
        change: Option<Change>,
        fill: impl FnOnce(&mut Event),
    ) -> Result<()> {
        let mut event = Event {
            installation: installation.map(str::to_string),
            at: self.ctx.stamp(),
            actor: self.actor.map(|p| p.handle.clone()),
            party: self.actor.map(|p| p.party),
            role: self.actor.map(|p| p.role),
            action: action.to_string(),
            format: crate::store::ledger::FORMAT,
            data: change.as_ref().map(Change::to_json),
            channel: self.ctx.channel,
            token_id: self.ctx.token_id.clone(),
            ..Event::default()
        };
        fill(&mut event);
        // A signed command's first event carries its signature (and an
        // offline one its statement), so the chain covers them; `finish`
        // proves they are this command's.
        if self.recorded.is_empty()
            && let Signing::Signed { signature, statement, .. } = &self.ctx.signing
        {
            if let Some(text) = statement {
                signing::refuse_reused(tx, text)?;
            }
            event.signature = Some(signature.clone());
            event.statement = statement.clone();
            event.carrier = self.ctx.carrier.clone();
        }
        // Every use case refuses a retired installation early; this is the
        // backstop, so that no write can slip past. And an installation's
        // history never goes back in time. One look-up answers both.
        if let Some(id) = installation
            && let Some((retired, last)) = tx.installation_write_facts(id)?
        {
            if !matches!(change, Some(Change::InstallationUnretired)) {
                authority::may_write_to(id, retired)?;
            }
            refuse_going_back(id, last.as_deref(), self.ctx.now)?;
        }
        event.id = tx.record(&event, change.as_ref())?;
        self.recorded.push(event);
        Ok(())
    }

    /// The events this command recorded, once its signature (or the lack
    /// of one) is settled: see [`signing::settle`].
    fn finish(mut self, tx: &Tx<'_>) -> Result<Vec<Event>> {
        signing::settle(tx, self.ctx, self.actor, &mut self.recorded)?;
        Ok(self.recorded)
    }
}
