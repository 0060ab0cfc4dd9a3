//! Operations after the handover: update cycles, backups and tickets. Each
//! command runs in one transaction with its audit event.

use super::tasks::open_predecessors;
use super::{
    Context, Recorder, acting, day_of, viewer, visible_installation, writable_installation,
};
use crate::domain::TaskState;
use crate::domain::ledger::Change;
use crate::domain::matrix::{RowKind, TaskDef};
use crate::domain::operations::{
    self, CycleAction, CycleState, Environment, Operation, OperationRows, Severity, TicketAction,
    TicketState,
};
use crate::domain::rules::{self, Actor};
use crate::domain::values::{Day, Id, Text};
use crate::error::{Error, Result};
use crate::store::{Event, Installation, Store, TicketRow, Tx};
use crate::view::{BackupView, CycleView, TicketView};

/// The acting person and the installation, with the subscriber check done.
fn actor_on(
    tx: &Tx<'_>,
    ctx: &Context,
    installation: &Id,
) -> Result<(crate::store::Person, Actor, Installation)> {
    let (person, actor) = acting(tx, ctx)?;
    let inst = writable_installation(tx, &person, installation.as_str())?;
    Ok((person, actor, inst))
}

/// The row an operation is recorded on, once the template's letters allow
/// the actor to take it.
fn authorize<'t>(tx: &'t Tx<'_>, op: Operation, actor: &Actor) -> Result<&'t TaskDef> {
    let rows = OperationRows::of(tx.matrix()?)?;
    operations::authorize_operation(op, &rows, actor)?;
    Ok(op.owners(&rows).0)
}

fn with_note(head: String, note: Option<&Text>) -> String {
    match note {
        Some(n) => format!("{head}: {n}"),
        None => head,
    }
}

pub fn start_cycle(
    store: &mut Store,
    ctx: &Context,
    installation: &Id,
    version: &Text,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    store.write(|tx| start_cycle_in(tx, ctx, installation, version, note))
}

/// [`start_cycle`] inside a transaction the caller holds.
pub fn start_cycle_in(
    tx: &Tx<'_>,
    ctx: &Context,
    installation: &Id,
    version: &Text,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    let (person, actor, inst) = actor_on(tx, ctx, installation)?;
    let row = authorize(tx, Operation::CycleStart, &actor)?;
    let handover = match tx.matrix()?.of_kind(RowKind::Handover) {
        Some(def) => tx.task(&inst.id, &def.key)?.map(|t| t.status.state),
        None => None,
    };
    if handover != Some(TaskState::SignedOff) {
        return Err(Error::conflict(format!(
            "cannot start an update cycle on {}: its handover is {}; update cycles begin once the handover is recorded",
            inst.id,
            handover.map_or("missing", TaskState::as_str)
        )));
    }
    let cycles = tx.cycles(&inst.id)?;
    if let Some(open) = cycles.iter().find(|c| c.state.is_open()) {
        return Err(Error::conflict(format!(
            "cycle {} ({}) on {} is still {}; sign it off or cancel it before starting another",
            open.number, open.version, inst.id, open.state
        )));
    }
    let number = match cycles.last() {
        None => 1,
        Some(c) => c.number.checked_add(1).ok_or_else(|| {
            Error::storage(format!("cycle number {} cannot grow further", c.number))
        })?,
    };
    let change = Change::CycleStarted { number, version: version.to_string() };
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), Operation::CycleStart.name(), Some(change), |e| {
        e.task = Some(row.key.clone());
        e.cycle = Some(number);
        e.to = Some(CycleState::Preparing.to_string());
        e.note = Some(with_note(format!("version {version}"), note));
    })?;
    rec.finish(tx)
}

pub fn cycle_action(
    store: &mut Store,
    ctx: &Context,
    installation: &Id,
    number: i64,
    action: CycleAction,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    store.write(|tx| cycle_action_in(tx, ctx, installation, number, action, note))
}

/// [`cycle_action`] inside a transaction the caller holds.
pub fn cycle_action_in(
    tx: &Tx<'_>,
    ctx: &Context,
    installation: &Id,
    number: i64,
    action: CycleAction,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    match action {
        CycleAction::Fail => super::needs_text("update fail", "reason", note)?,
        CycleAction::Cancel => super::needs_text("update cancel", "reason", note)?,
        _ => {}
    }
    let (person, actor, inst) = actor_on(tx, ctx, installation)?;
    let cycle = tx.cycle(&inst.id, number)?.ok_or_else(|| {
        Error::not_found(format!("no update cycle {number} on {}", inst.id))
            .hint(format!("`raci update list {}` shows its cycles", inst.id))
    })?;
    let row = authorize(tx, Operation::Cycle(action), &actor)?;
    let before = operations::Cycle {
        number,
        state: cycle.state,
        snapshot: cycle.snapshot,
        access: cycle.access,
    };
    let after = operations::cycle_transition(action, before)?;
    let from = cycle.state;
    let change =
        Change::CycleMoved { number, action: action.name().to_string(), state: after.state };
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), action.name(), Some(change), |e| {
        e.task = Some(row.key.clone());
        e.cycle = Some(number);
        e.from = Some(from.to_string());
        e.to = Some(after.state.to_string());
        e.note = note.map(Text::to_string);
    })?;
    rec.finish(tx)
}

pub fn cycles(store: &mut Store, ctx: &Context, installation: &Id) -> Result<Vec<CycleView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), installation.as_str())?;
        Ok(tx.cycles(&inst.id)?.into_iter().map(CycleView::from).collect())
    })
}

pub fn record_backup(
    store: &mut Store,
    ctx: &Context,
    installation: &Id,
    taken_on: Day,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    store.write(|tx| record_backup_in(tx, ctx, installation, taken_on, note))
}

/// [`record_backup`] inside a transaction the caller holds.
pub fn record_backup_in(
    tx: &Tx<'_>,
    ctx: &Context,
    installation: &Id,
    taken_on: Day,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    if taken_on.0 > ctx.today() {
        return Err(Error::bad_input(format!(
            "--taken-on {taken_on} is in the future; record a backup on or after the day it was taken"
        )));
    }
    let (person, actor, inst) = actor_on(tx, ctx, installation)?;
    let row = authorize(tx, Operation::Backup, &actor)?;
    let deployment = tx.task(&inst.id, rules::DEPLOYMENT)?.map(|t| t.status.state);
    if deployment != Some(TaskState::SignedOff) {
        return Err(Error::conflict(format!(
            "cannot record a backup on {}: its deployment is {}; backups are recorded once the deployment is signed off",
            inst.id,
            deployment.map_or("missing", TaskState::as_str)
        )));
    }
    if let Some(created) = day_of(&inst.created_at)
        && taken_on.0 < created
    {
        return Err(Error::conflict(format!(
            "cannot record a backup taken on {taken_on}: {} was created on {created}",
            inst.id
        )));
    }
    let change =
        Change::BackupRecorded { taken_on: taken_on.to_string(), note: note.map(Text::to_string) };
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), Operation::Backup.name(), Some(change), |e| {
        e.task = Some(row.key.clone());
        e.note = Some(with_note(format!("taken on {taken_on}"), note));
    })?;
    rec.finish(tx)
}

pub fn backups(store: &mut Store, ctx: &Context, installation: &Id) -> Result<Vec<BackupView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), installation.as_str())?;
        Ok(tx.backups(&inst.id)?.into_iter().map(BackupView::from).collect())
    })
}

/// A new ticket, validated.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub installation: Id,
    pub reference: Id,
    pub severity: Severity,
    pub environment: Environment,
    pub summary: Text,
}

pub fn open_ticket(store: &mut Store, ctx: &Context, new: &NewTicket) -> Result<Vec<Event>> {
    store.write(|tx| open_ticket_in(tx, ctx, new))
}

/// [`open_ticket`] inside a transaction the caller holds.
pub fn open_ticket_in(tx: &Tx<'_>, ctx: &Context, new: &NewTicket) -> Result<Vec<Event>> {
    operations::check_new_ticket(new.severity, new.environment)?;
    let (person, actor, inst) = actor_on(tx, ctx, &new.installation)?;
    let def = authorize(tx, Operation::Ticket(TicketAction::Open), &actor)?;
    let open = open_predecessors(tx, &inst.id, def)?;
    if !open.is_empty() {
        return Err(Error::conflict(format!(
            "cannot open a ticket on {}: {} is not yet signed off; support begins after the deployment",
            inst.id,
            open.join(", ")
        )));
    }
    if let Some(existing) = tx.ticket_like(&inst.id, new.reference.as_str())? {
        return Err(Error::conflict(format!(
            "ticket {} already exists on {}{}; references are unique ignoring case, choose another",
            new.reference,
            inst.id,
            if existing.reference == new.reference.as_str() {
                String::new()
            } else {
                format!(" as {}", existing.reference)
            }
        )));
    }
    let change = Change::TicketOpened {
        reference: new.reference.to_string(),
        severity: new.severity,
        environment: new.environment,
        summary: new.summary.to_string(),
    };
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), TicketAction::Open.as_str(), Some(change), |e| {
        e.task = Some(def.key.clone());
        e.ticket = Some(new.reference.to_string());
        e.to = Some(TicketState::Open.to_string());
        e.note = Some(format!("{} on {}: {}", new.severity, new.environment, new.summary));
    })?;
    rec.finish(tx)
}

pub fn ticket_action(
    store: &mut Store,
    ctx: &Context,
    installation: &Id,
    reference: &Id,
    action: TicketAction,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    store.write(|tx| ticket_action_in(tx, ctx, installation, reference, action, note))
}

/// [`ticket_action`] inside a transaction the caller holds.
pub fn ticket_action_in(
    tx: &Tx<'_>,
    ctx: &Context,
    installation: &Id,
    reference: &Id,
    action: TicketAction,
    note: Option<&Text>,
) -> Result<Vec<Event>> {
    match action {
        TicketAction::Reopen => super::needs_text("ticket reopen", "reason", note)?,
        TicketAction::Comment => super::needs_text("ticket comment", "text", note)?,
        _ => {}
    }
    let (person, actor, inst) = actor_on(tx, ctx, installation)?;
    let ticket = find_ticket(tx, &inst, reference)?;
    let row = authorize(tx, Operation::Ticket(action), &actor)?;
    let to = operations::ticket_transition(action, reference.as_str(), ticket.state)?;
    let change = (to != ticket.state)
        .then(|| Change::TicketMoved { reference: ticket.reference.clone(), state: to });
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), action.as_str(), change, |e| {
        e.task = Some(row.key.clone());
        e.ticket = Some(ticket.reference.clone());
        if to != ticket.state {
            e.from = Some(ticket.state.to_string());
            e.to = Some(to.to_string());
        }
        e.note = note.map(Text::to_string);
    })?;
    rec.finish(tx)
}

/// A ticket by its reference: exactly, or else ignoring case.
fn find_ticket(tx: &Tx<'_>, inst: &Installation, reference: &Id) -> Result<TicketRow> {
    let exact = tx.ticket(&inst.id, reference.as_str())?;
    let found = match exact {
        Some(t) => Some(t),
        None => tx.ticket_like(&inst.id, reference.as_str())?,
    };
    found.ok_or_else(|| {
        Error::not_found(format!("no ticket {reference} on {}", inst.id))
            .hint(format!("`raci ticket list {}` shows its tickets", inst.id))
    })
}

pub fn tickets(store: &mut Store, ctx: &Context, installation: &Id) -> Result<Vec<TicketView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), installation.as_str())?;
        Ok(tx.tickets(&inst.id)?.into_iter().map(TicketView::from).collect())
    })
}
