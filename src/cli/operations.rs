//! `raci update …`, `raci backups …` and `raci ticket …`.

use super::Io;
use super::args::{BackupsCommand, TicketCommand, UpdateCommand};
use crate::app::Context;
use crate::app::operations::{self, NewTicket};
use crate::domain::operations::{CycleAction, TicketAction};
use crate::error::Result;
use crate::store::Store;

pub(super) fn update(
    command: &UpdateCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    let (id, cycle, action, note) = match command {
        UpdateCommand::Start { id, version, note } => {
            return io.recorded(operations::start_cycle(store, ctx, id, version, note.as_ref())?);
        }
        UpdateCommand::List { id } => return io.rows(&operations::cycles(store, ctx, id)?),
        UpdateCommand::Step { id, cycle, step, note } => {
            (id, cycle, CycleAction::Step(*step), note.as_ref())
        }
        UpdateCommand::Fail { id, cycle, reason } => (id, cycle, CycleAction::Fail, Some(reason)),
        UpdateCommand::Cancel { id, cycle, reason } => {
            (id, cycle, CycleAction::Cancel, Some(reason))
        }
        UpdateCommand::Signoff { id, cycle, note } => {
            (id, cycle, CycleAction::Signoff, note.as_ref())
        }
    };
    io.recorded(operations::cycle_action(store, ctx, id, *cycle, action, note)?)
}

pub(super) fn backups(
    command: &BackupsCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    match command {
        BackupsCommand::Record { id, taken_on, note } => {
            io.recorded(operations::record_backup(store, ctx, id, *taken_on, note.as_ref())?)
        }
        BackupsCommand::List { id } => io.rows(&operations::backups(store, ctx, id)?),
    }
}

pub(super) fn ticket(
    command: &TicketCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    let (id, reference, action, note) = match command {
        TicketCommand::Open { id, reference, severity, environment, summary } => {
            let new = NewTicket {
                installation: id.clone(),
                reference: reference.clone(),
                severity: *severity,
                environment: *environment,
                summary: summary.clone(),
            };
            return io.recorded(operations::open_ticket(store, ctx, &new)?);
        }
        TicketCommand::List { id } => return io.rows(&operations::tickets(store, ctx, id)?),
        TicketCommand::Resolve(a) => (&a.id, &a.reference, TicketAction::Resolve, a.note.as_ref()),
        TicketCommand::Close(a) => (&a.id, &a.reference, TicketAction::Close, a.note.as_ref()),
        TicketCommand::Reopen { id, reference, reason } => {
            (id, reference, TicketAction::Reopen, Some(reason))
        }
        TicketCommand::Comment { id, reference, text } => {
            (id, reference, TicketAction::Comment, Some(text))
        }
    };
    io.recorded(operations::ticket_action(store, ctx, id, reference, action, note)?)
}
