//! `raci update …`, `raci backups …` and `raci ticket …`.

use super::args::{BackupsCommand, TicketCommand, UpdateCommand};
use super::{Backend, Io, seg};
use crate::api::{BackupBody, NoteBody, TicketBody, TicketStepBody, UpdateBody};
use crate::app::Context;
use crate::app::operations::{self, NewTicket};
use crate::domain::operations::{CycleAction, TicketAction};
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
            return io.recorded(be.write(&path, &body, |s| {
                operations::start_cycle(s, ctx, id, version, note.as_ref())
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
    let base = format!("installations/{}/updates/{cycle}", seg(id));
    let (path, body) = match action {
        CycleAction::Step(step) => {
            (format!("{base}/steps/{step}"), serde_json::to_value(NoteBody { note: note.cloned() }))
        }
        CycleAction::Fail | CycleAction::Cancel => (
            format!("{base}/{}", if action == CycleAction::Fail { "fail" } else { "cancel" }),
            serde_json::to_value(TicketStepBody { reason: note.cloned(), ..Default::default() }),
        ),
        CycleAction::Signoff => (
            format!("{base}/signoff"),
            serde_json::to_value(TicketStepBody { note: note.cloned(), ..Default::default() }),
        ),
    };
    let body = body.map_err(|e| crate::error::Error::bad_input(e.to_string()))?;
    io.recorded(
        be.write(&path, &body, |s| operations::cycle_action(s, ctx, id, *cycle, action, note))?,
    )
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
            io.recorded(be.write(&path, &body, |s| {
                operations::record_backup(s, ctx, id, *taken_on, note.as_ref())
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
            return io.recorded(be.write(&path, &body, |s| operations::open_ticket(s, ctx, &new))?);
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
    let (verb, body) = match action {
        TicketAction::Reopen => {
            ("reopen", TicketStepBody { reason: note.cloned(), ..Default::default() })
        }
        TicketAction::Comment => {
            ("comment", TicketStepBody { text: note.cloned(), ..Default::default() })
        }
        TicketAction::Close => {
            ("close", TicketStepBody { note: note.cloned(), ..Default::default() })
        }
        _ => ("resolve", TicketStepBody { note: note.cloned(), ..Default::default() }),
    };
    let path = format!("installations/{}/tickets/{}/{verb}", seg(id), seg(reference));
    io.recorded(
        be.write(&path, &body, |s| operations::ticket_action(s, ctx, id, reference, action, note))?,
    )
}
