//! The onboarding commands: the matrix, people, installations, status,
//! task steps, checklists, the handover.

use super::args::{
    ChecklistCommand, HandoverCommand, InstallationCommand, ItemArgs, PersonCommand, TaskCommand,
};
use super::{Backend, Io, seg};
use crate::api::{HandoverBody, ItemsBody, NoteBody, PersonSetBody, ReasonBody, StepBody};
use crate::app::{Context, admin, reads, tasks};
use crate::domain::values::Id;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::view::{HandoverRowView, HandoverView, ItemView, StatusView};

/// The seed's table for people (its cells verbatim, the vendor by name);
/// the letters as arrays for scripts.
pub(super) fn matrix(be: &mut Backend<'_>, io: Io<'_>) -> Result<()> {
    let rows = be.read("matrix", |s| Ok(reads::matrix_rows(&reads::matrix(s)?)))?;
    if io.format != Format::Table {
        return io.rows(&rows);
    }
    let vendor = rows.first().map_or("vendor", |r| r.vendor_name.as_str());
    let header =
        ["Key", "PSaaS Appliance-Related Tasks or Deliverables", vendor, "Subscriber", "Notes"];
    let mut table = output::TableWriter::new(header.iter().map(|h| h.to_string()).collect(), &[]);
    let mut text = String::new();
    for t in &rows {
        text.push_str(&table.text_row([
            &t.task,
            &t.title,
            &t.vendor_cell,
            &t.subscriber_cell,
            &t.notes,
        ]));
    }
    text.push_str(&table.finish());
    output::lines(&text, io.out)
}

pub(super) fn person(
    command: &PersonCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        PersonCommand::Add { handle, party, role, name, email, subscriber, login, admin } => {
            check_login(login.as_ref())?;
            let new = admin::NewPerson {
                handle: handle.clone(),
                party: *party,
                role: *role,
                name: name.clone(),
                email: email.clone(),
                subscriber: subscriber.clone(),
                login: login.clone(),
                admin: *admin,
            };
            io.recorded(be.write(ctx, "people", &new, |s, c| admin::add_person(s, c, &new))?)
        }
        PersonCommand::Set { handle, role, admin, name, email, login, no_login } => {
            check_login(login.as_ref())?;
            let req = admin::PersonChange {
                handle: handle.clone(),
                role: *role,
                admin: *admin,
                name: name.clone(),
                email: email.clone(),
                login: if *no_login { Some(None) } else { login.clone().map(Some) },
            };
            let body = PersonSetBody {
                role: req.role,
                admin: req.admin,
                name: req.name.clone(),
                email: req.email.clone(),
                login: req.login.clone(),
            };
            let path = format!("people/{}/set", seg(handle));
            io.recorded(be.write(ctx, &path, &body, |s, c| admin::set_person(s, c, &req))?)
        }
        PersonCommand::Deactivate { handle, reason } => {
            let path = format!("people/{}/deactivate", seg(handle));
            let body = ReasonBody { reason: reason.clone() };
            io.recorded(
                be.write(ctx, &path, &body, |s, c| admin::deactivate_person(s, c, handle, reason))?,
            )
        }
        PersonCommand::Reactivate { handle } => {
            let path = format!("people/{}/reactivate", seg(handle));
            io.recorded(be.write(ctx, &path, &NoteBody::default(), |s, c| {
                admin::reactivate_person(s, c, handle)
            })?)
        }
        PersonCommand::Invite { handle } => super::server::invite(handle, ctx, be, io),
        PersonCommand::List => io.rows(&be.read("people", |s| reads::persons(s, ctx))?),
        PersonCommand::Key(command) => super::signing::key(command, ctx, be, io),
        PersonCommand::AllowedSigners { all } => super::signing::allowed_signers(*all, ctx, be, io),
    }
}

/// A `--login` must name an account of this host.
fn check_login(login: Option<&Id>) -> Result<()> {
    if let Some(login) = login
        && nix::unistd::User::from_name(login.as_str()).ok().flatten().is_none()
    {
        return Err(Error::bad_input(format!(
            "--login {login}: there is no such OS account on this host; bind people to accounts that can run raci here"
        )));
    }
    Ok(())
}

/// What `installation import` prints for scripts.
#[derive(Debug, Default, serde::Serialize)]
struct ImportView {
    imported: usize,
}

pub(super) fn installation(
    command: &InstallationCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        InstallationCommand::Add { id, subscriber, appliance_id } => {
            let new = admin::NewInstallation {
                id: id.clone(),
                subscriber: subscriber.clone(),
                appliance_id: appliance_id.clone(),
            };
            io.recorded(
                be.write(ctx, "installations", &new, |s, c| admin::add_installation(s, c, &new))?,
            )
        }
        InstallationCommand::Import { file } => {
            let imported = match be {
                Backend::Local(store, _) => admin::import_installations(store, ctx, file)?,
                Backend::Remote(r) => {
                    let csv = std::fs::read(file).map_err(|e| {
                        Error::bad_input(format!(
                            "cannot read {}: {e}; expected a CSV file",
                            file.display()
                        ))
                    })?;
                    r.post_csv::<crate::api::Imported>("installations/import", csv)?.imported
                }
            };
            match io.format {
                Format::Table => io.lines(&format!(
                    "imported {imported} installation{} from {}\n",
                    if imported == 1 { "" } else { "s" },
                    file.display()
                )),
                Format::Json => output::json(&ImportView { imported }, io.out),
                Format::Csv => io.rows(&[ImportView { imported }]),
            }
        }
        InstallationCommand::Retire { id, reason } => {
            let path = format!("installations/{}/retire", seg(id));
            let body = ReasonBody { reason: reason.clone() };
            io.recorded(be.write(ctx, &path, &body, |s, c| {
                admin::retire_installation(s, c, id, Some(reason))
            })?)
        }
        InstallationCommand::Unretire { id } => {
            let path = format!("installations/{}/unretire", seg(id));
            io.recorded(be.write(ctx, &path, &NoteBody::default(), |s, c| {
                admin::retire_installation(s, c, id, None)
            })?)
        }
        InstallationCommand::List { all } => {
            let path = format!("installations?all={all}");
            io.stream(|row| be.each(&path, |s, row| reads::installations(s, ctx, *all, row), row))
        }
    }
}

/// JSON gives the whole document; table and CSV give the task rows, and the
/// table adds the open cycles and tickets.
pub(super) fn status(id: &Id, ctx: &Context, be: &mut Backend<'_>, io: Io<'_>) -> Result<()> {
    let status: StatusView =
        be.read(&format!("installations/{}", seg(id)), |s| reads::status(s, ctx, id.as_str()))?;
    let Io { format, out } = io;
    match format {
        Format::Json => output::json(&status, out),
        Format::Csv => output::rows(format, &status.tasks, out),
        Format::Table => {
            output::lines(
                &format!(
                    "installation {} (subscriber {}){}\n",
                    status.installation,
                    status.subscriber,
                    if status.retired { ", retired" } else { "" }
                ),
                out,
            )?;
            output::rows(format, &status.tasks, out)?;
            if !status.cycles.is_empty() {
                output::lines("open update cycles\n", out)?;
                // The title names the installation; the cycle number and
                // the ticket reference name the rows.
                output::rows_giving_up(format, &status.cycles, &["installation"], out)?;
            }
            if !status.tickets.is_empty() {
                output::lines("open tickets\n", out)?;
                output::rows_giving_up(format, &status.tickets, &["installation"], out)?;
            }
            Ok(())
        }
    }
}

pub(super) fn task(
    command: &TaskCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let (verb, target, text, due) = command.parts();
    let step = tasks::TaskStep {
        installation: target.id.clone(),
        task: target.task.to_string(),
        verb,
        text: text.cloned(),
        due,
    };
    let path = format!("installations/{}/tasks/{}/{}", seg(&target.id), seg(&target.task), verb);
    io.recorded(be.write(ctx, &path, &StepBody::of(verb, text.cloned(), due), |s, c| {
        tasks::step(s, c, &step)
    })?)
}

pub(super) fn checklist(
    command: &ChecklistCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let step = match command {
        ChecklistCommand::Show { id, task } => {
            let path = match task {
                Some(t) => format!("installations/{}/checklist?task={}", seg(id), seg(t)),
                None => format!("installations/{}/checklist", seg(id)),
            };
            let rows: Vec<ItemView> = be.read(&path, |s| {
                reads::checklist(s, ctx, id.as_str(), task.as_ref().map(Id::as_str))
            })?;
            return io.rows(&rows);
        }
        ChecklistCommand::Check(a) => tasks::ItemStep {
            installation: a.target.id.clone(),
            task: a.target.task.to_string(),
            items: a.items.iter().map(Id::to_string).collect(),
            all: a.all,
            check: true,
            note: a.note.clone(),
        },
        ChecklistCommand::Uncheck(ItemArgs { target, items, note }) => tasks::ItemStep {
            installation: target.id.clone(),
            task: target.task.to_string(),
            items: items.iter().map(Id::to_string).collect(),
            all: false,
            check: false,
            note: note.clone(),
        },
    };
    let path = format!(
        "installations/{}/checklist/{}/{}",
        seg(&step.installation),
        seg(&step.task),
        if step.check { "check" } else { "uncheck" }
    );
    let body = ItemsBody {
        items: step.items.iter().map(|i| i.parse()).collect::<Result<_>>()?,
        all: step.all,
        note: step.note.clone(),
    };
    io.recorded(be.write(ctx, &path, &body, |s, c| tasks::set_item(s, c, &step))?)
}

pub(super) fn handover(
    command: &HandoverCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let (id, held_on, minutes, attendees, topics) = match command {
        HandoverCommand::Record { id, held_on, minutes, attendees, topics } => {
            (id, held_on, minutes, attendees, topics)
        }
        HandoverCommand::Show { id } => {
            let meetings: Vec<HandoverView> = be
                .read(&format!("installations/{}/handover", seg(id)), |s| {
                    tasks::handovers(s, ctx, id)
                })?;
            return match io.format {
                Format::Json => output::json(&meetings, io.out),
                _ => io.rows(&meetings.into_iter().map(HandoverRowView::from).collect::<Vec<_>>()),
            };
        }
    };
    let req = tasks::HandoverRecord {
        installation: id.clone(),
        held_on: *held_on,
        minutes: i64::from(*minutes),
        attendees: attendees.clone(),
        topics: topics.clone(),
    };
    let body = HandoverBody {
        held_on: *held_on,
        minutes: *minutes,
        attendees: attendees.clone(),
        topics: topics.clone(),
    };
    let path = format!("installations/{}/handover", seg(id));
    io.recorded(be.write(ctx, &path, &body, |s, c| tasks::record_handover(s, c, &req))?)
}
