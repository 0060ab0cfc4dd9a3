//! `raci update …`, `raci backups …` and `raci ticket …`.

use super::args::{BackupsCommand, TicketCommand, UpdateCommand};
use super::{Backend, Io, seg};
use crate::api::{BackupBody, NoteBody, TicketBody, TicketStepBody, UpdateBody, words};
use crate::app::Context;
use crate::app::operations::{self, NewTicket};
use crate::domain::operations::{CycleAction, TicketAction};
use crate::domain::values::Text;
use crate::error::Result;
use crate::view::{BackupView, CycleView, TicketView};

pub(super) fn update(
    command: &UpdateCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let (id, cycle, action, note) = match command {
        UpdateCommand::Start { id, version, note } => {
            let path = format!("installations/{}/updates", seg(id));
            let body = UpdateBody { version: version.clone(), note: note.clone() };
            return io.recorded(be.write(ctx, &path, &body, |s, c| {
                operations::start_cycle(s, c, id, version, note.as_ref())
            })?);
        }
        UpdateCommand::List { id } => {
            let path = format!("installations/{}/updates", seg(id));
            let rows: Vec<CycleView> = be.read(&path, |s| operations::cycles(s, ctx, id))?;
            return io.rows(&rows);
        }
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
    let path = format!("installations/{}/updates/{cycle}/{}", seg(id), words::cycle_word(action));
    // Steps take a note; the other moves the body a step of a ticket takes.
    let body = match action {
        CycleAction::Step(_) => serde_json::to_value(NoteBody { note: note.cloned() }),
        _ => serde_json::to_value(step_body(words::cycle_needs_reason(action), false, note)),
    }
    .map_err(|e| crate::error::Error::bad_input(e.to_string()))?;
    io.recorded(be.write(ctx, &path, &body, |s, c| {
        operations::cycle_action(s, c, id, *cycle, action, note)
    })?)
}

pub(super) fn backups(
    command: &BackupsCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        BackupsCommand::Record { id, taken_on, note } => {
            let path = format!("installations/{}/backups", seg(id));
            let body = BackupBody { taken_on: *taken_on, note: note.clone() };
            io.recorded(be.write(ctx, &path, &body, |s, c| {
                operations::record_backup(s, c, id, *taken_on, note.as_ref())
            })?)
        }
        BackupsCommand::List { id } => {
            let path = format!("installations/{}/backups", seg(id));
            let rows: Vec<BackupView> = be.read(&path, |s| operations::backups(s, ctx, id))?;
            io.rows(&rows)
        }
    }
}

pub(super) fn ticket(
    command: &TicketCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
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
            let body = TicketBody {
                reference: reference.clone(),
                severity: *severity,
                environment: *environment,
                summary: summary.clone(),
            };
            let path = format!("installations/{}/tickets", seg(id));
            return io.recorded(
                be.write(ctx, &path, &body, |s, c| operations::open_ticket(s, c, &new))?,
            );
        }
        TicketCommand::List { id } => {
            let path = format!("installations/{}/tickets", seg(id));
            let rows: Vec<TicketView> = be.read(&path, |s| operations::tickets(s, ctx, id))?;
            return io.rows(&rows);
        }
        TicketCommand::Resolve(a) => (&a.id, &a.reference, TicketAction::Resolve, a.note.as_ref()),
        TicketCommand::Close(a) => (&a.id, &a.reference, TicketAction::Close, a.note.as_ref()),
        TicketCommand::Reopen { id, reference, reason } => {
            (id, reference, TicketAction::Reopen, Some(reason))
        }
        TicketCommand::Comment { id, reference, text } => {
            (id, reference, TicketAction::Comment, Some(text))
        }
    };
    let body = step_body(action == TicketAction::Reopen, action == TicketAction::Comment, note);
    let verb = words::ticket_word(action);
    let path = format!("installations/{}/tickets/{}/{verb}", seg(id), seg(reference));
    io.recorded(be.write(ctx, &path, &body, |s, c| {
        operations::ticket_action(s, c, id, reference, action, note)
    })?)
}

/// A step's words under the name its move takes (see `api::words::words_for`).
fn step_body(reason: bool, comment: bool, words: Option<&Text>) -> TicketStepBody {
    let words = words.cloned();
    match (reason, comment) {
        (true, _) => TicketStepBody { reason: words, ..Default::default() },
        (_, true) => TicketStepBody { text: words, ..Default::default() },
        _ => TicketStepBody { note: words, ..Default::default() },
    }
}
