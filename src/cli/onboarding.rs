//! The onboarding commands: the matrix, people, installations, status,
//! task steps, checklists, the handover.

use super::Io;
use super::args::{
    ChecklistCommand, HandoverCommand, InstallationCommand, ItemArgs, PersonCommand, TaskCommand,
};
use crate::app::{Context, admin, reads, tasks};
use crate::domain::values::Id;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::store::Store;
use crate::view::HandoverRowView;

/// The seed's table for people (its cells verbatim, the vendor by name);
/// the letters as arrays for scripts.
pub(super) fn matrix(store: &mut Store, io: Io<'_>) -> Result<()> {
    let matrix = reads::matrix(store)?;
    if io.format != Format::Table {
        return io.rows(&reads::matrix_rows(&matrix));
    }
    let header = [
        "Key",
        "PSaaS Appliance-Related Tasks or Deliverables",
        matrix.vendor_name.as_str(),
        "Subscriber",
        "Notes",
    ];
    let mut table = output::TableWriter::new(header.iter().map(|h| h.to_string()).collect(), &[]);
    let mut text = String::new();
    for t in &matrix.tasks {
        text.push_str(&table.text_row([
            &t.key,
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
    store: &mut Store,
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
            io.recorded(admin::add_person(store, ctx, &new)?)
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
            io.recorded(admin::set_person(store, ctx, &req)?)
        }
        PersonCommand::Deactivate { handle, reason } => {
            io.recorded(admin::deactivate_person(store, ctx, handle, reason)?)
        }
        PersonCommand::Reactivate { handle } => {
            io.recorded(admin::reactivate_person(store, ctx, handle)?)
        }
        PersonCommand::List => io.rows(&reads::persons(store, ctx)?),
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
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    match command {
        InstallationCommand::Add { id, subscriber, appliance_id } => {
            let new = admin::NewInstallation {
                id: id.clone(),
                subscriber: subscriber.clone(),
                appliance_id: appliance_id.clone(),
            };
            io.recorded(admin::add_installation(store, ctx, &new)?)
        }
        InstallationCommand::Import { file } => {
            let imported = admin::import_installations(store, ctx, file)?;
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
            io.recorded(admin::retire_installation(store, ctx, id, Some(reason))?)
        }
        InstallationCommand::Unretire { id } => {
            io.recorded(admin::retire_installation(store, ctx, id, None)?)
        }
        InstallationCommand::List { all } => {
            io.stream(|row| reads::installations(store, ctx, *all, row))
        }
    }
}

/// JSON gives the whole document; table and CSV give the task rows, and the
/// table adds the open cycles and tickets.
pub(super) fn status(id: &Id, ctx: &Context, store: &mut Store, io: Io<'_>) -> Result<()> {
    let status = reads::status(store, ctx, id.as_str())?;
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
    store: &mut Store,
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
    io.recorded(tasks::step(store, ctx, &step)?)
}

pub(super) fn checklist(
    command: &ChecklistCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    let step = match command {
        ChecklistCommand::Show { id, task } => {
            return io.rows(&reads::checklist(
                store,
                ctx,
                id.as_str(),
                task.as_ref().map(Id::as_str),
            )?);
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
    io.recorded(tasks::set_item(store, ctx, &step)?)
}

pub(super) fn handover(
    command: &HandoverCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    let (id, held_on, minutes, attendees, topics) = match command {
        HandoverCommand::Record { id, held_on, minutes, attendees, topics } => {
            (id, held_on, minutes, attendees, topics)
        }
        HandoverCommand::Show { id } => {
            let meetings = tasks::handovers(store, ctx, id)?;
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
    io.recorded(tasks::record_handover(store, ctx, &req)?)
}
