//! From raw arguments to a finished command: parse, open the database, run
//! the use case, print. `main.rs` only maps the result to an exit code.

mod args;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Parser;
use clap::error::ErrorKind;

pub use args::Cli;
use args::{
    BackupsCommand, ChecklistCommand, Command, DbCommand, HandoverCommand, InboxCommand,
    InstallationCommand, PersonCommand, ReportCommand, TicketCommand, UpdateCommand,
};

use crate::app::{self, Context, admin, demo, inbox, operations, reads, tasks};
use crate::domain::operations::{CycleAction, TicketAction};
use crate::domain::values::Id;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::report;
use crate::store::{Event, Store};
use crate::view::EventView;

/// Runs one command line, printing to `out`. Help and version are printed
/// too and count as success.
pub fn run(argv: impl IntoIterator<Item = OsString>, out: &mut dyn Write) -> Result<()> {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return clap_outcome(e, out),
    };
    let ctx = Context {
        now: now()?,
        acting: cli.acting.clone(),
        // Only a person bound with --login needs it; reads skip the lookup.
        os_user: cli.acting.as_ref().and_then(|_| os_user()),
    };
    // These need no database.
    match &cli.command {
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "raci",
                &mut text,
            );
            return output::lines(&String::from_utf8_lossy(&text), out);
        }
        Command::Man => {
            let mut text = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut text)
                .map_err(|e| Error::storage(format!("cannot render the man page: {e}")))?;
            return output::lines(&String::from_utf8_lossy(&text), out);
        }
        _ => {}
    }
    let db = db_path(cli.db.clone())?;
    let mut store = Store::open_with_timeout(&db, busy_timeout()?)?;
    if let Command::Db(command) = &cli.command {
        return db_command(command, &db, cli.format, &mut store, out);
    }
    dispatch(&cli, &ctx, &mut store, out)
}

/// Help and version go to stdout; every other clap error becomes one line.
fn clap_outcome(e: clap::Error, out: &mut dyn Write) -> Result<()> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            output::lines(&e.render().to_string(), out)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            Err(Error::bad_input(
                "a command is required; the commands are listed above",
            ))
        }
        _ => Err(Error::bad_input(one_line(&e.render().to_string()))),
    }
}

/// Clap's message up to its first blank line, on one line.
fn one_line(rendered: &str) -> String {
    let text = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{text}; see --help")
}

/// How long to wait for another raci's write: `RACI_BUSY_TIMEOUT_MS`, or 5 s.
fn busy_timeout() -> Result<std::time::Duration> {
    match std::env::var("RACI_BUSY_TIMEOUT_MS") {
        Ok(text) if !text.is_empty() => text
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms <= 3_600_000)
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| {
                Error::bad_input(format!(
                    "RACI_BUSY_TIMEOUT_MS={text:?} is not a number of milliseconds up to 3600000"
                ))
            }),
        _ => Ok(crate::store::BUSY_TIMEOUT),
    }
}

/// The account of this process's real user ID; never an environment variable.
fn os_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}

fn db_command(
    command: &DbCommand,
    db: &std::path::Path,
    format: Format,
    store: &mut Store,
    out: &mut dyn Write,
) -> Result<()> {
    let (view, text) = match command {
        DbCommand::Check => {
            let view = app::db::check(store)?;
            let text = match (&view.head_event, &view.head_hash) {
                (Some(id), Some(hash)) => format!(
                    "integrity: {}\nforeign keys: {} violations\naudit chain: {} events verified; head event {id}, hash {hash}\nstate: {}\n",
                    view.integrity,
                    view.foreign_key_violations,
                    view.events,
                    agreement(&view)
                ),
                _ => format!(
                    "integrity: {}\nforeign keys: {} violations\naudit chain: {} events verified\nstate: {}\n",
                    view.integrity,
                    view.foreign_key_violations,
                    view.events,
                    agreement(&view)
                ),
            };
            (view, text)
        }
        DbCommand::Backup { file } => {
            let view = app::db::backup(store, db, file)?;
            let text = format!(
                "backed up to {}; the copy is sound ({} events verified)\n",
                file.display(),
                view.events
            );
            (view, text)
        }
    };
    match format {
        Format::Table => output::lines(&text, out)?,
        _ => output::rows(format, std::slice::from_ref(&view), out)?,
    }
    if view.sound {
        Ok(())
    } else {
        Err(app::db::unsound(&view))
    }
}

fn agreement(view: &app::db::CheckView) -> &'static str {
    match (view.state_agrees, view.broken_event) {
        (true, _) => "agrees with the audit log",
        (false, Some(_)) => "not compared: the audit chain does not verify",
        (false, None) => "disagrees with the audit log",
    }
}

/// The clock: `RACI_NOW` (RFC 3339) when set, as git's GIT_COMMITTER_DATE.
fn now() -> Result<DateTime<Utc>> {
    match std::env::var("RACI_NOW") {
        Ok(text) if !text.is_empty() => DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Error::bad_input(format!(
                    "RACI_NOW={text:?} is not a time; expected RFC 3339, e.g. 2026-11-27T09:00:00Z"
                ))
            }),
        _ => Ok(Utc::now()),
    }
}

/// `--db`, or the platform data directory.
fn db_path(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(path) if path.as_os_str().is_empty() => {
            Err(Error::bad_input("--db is empty; expected a file path"))
        }
        Some(path) if path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') => {
            Err(Error::bad_input(format!(
                "--db {} is a directory; expected a file path",
                path.display()
            )))
        }
        Some(path) => Ok(path),
        None => directories::ProjectDirs::from("", "", "raci")
            .map(|dirs| dirs.data_dir().join("raci.db"))
            .ok_or_else(|| {
                Error::storage(
                    "cannot find the platform data directory (no home directory); pass --db PATH",
                )
            }),
    }
}

fn dispatch(cli: &Cli, ctx: &Context, store: &mut Store, out: &mut dyn Write) -> Result<()> {
    let format = cli.format;
    match &cli.command {
        Command::Init => output::lines(
            &format!(
                "database ready at schema version {}\n",
                crate::store::latest_version()
            ),
            out,
        ),
        Command::Matrix => {
            let matrix = reads::matrix(store)?;
            match format {
                Format::Table => {
                    let mut table = output::new_table(&[
                        "Key",
                        "PSaaS Appliance-Related Tasks or Deliverables",
                        matrix.vendor_name.as_str(),
                        "Subscriber",
                        "Notes",
                    ]);
                    for t in &matrix.tasks {
                        table.add_row([
                            &t.key,
                            &t.title,
                            &t.vendor_cell,
                            &t.subscriber_cell,
                            &t.notes,
                        ]);
                    }
                    output::table(&table, out)
                }
                _ => output::rows(format, &reads::matrix_rows(&matrix), out),
            }
        }
        Command::Person(PersonCommand::Add {
            handle,
            party,
            role,
            name,
            email,
            subscriber,
            login,
        }) => {
            let new = admin::NewPerson {
                handle: handle.clone(),
                party: *party,
                role: *role,
                name: name.clone(),
                email: email.clone(),
                subscriber: subscriber.clone(),
                login: login.clone(),
            };
            if let Some(login) = login
                && nix::unistd::User::from_name(login.as_str())
                    .ok()
                    .flatten()
                    .is_none()
            {
                return Err(Error::bad_input(format!(
                    "--login {login}: there is no such OS account on this host; bind people to accounts that can run raci here"
                )));
            }
            recorded(format, admin::add_person(store, ctx, &new)?, out)
        }
        Command::Person(PersonCommand::List) => output::rows(format, &reads::persons(store)?, out),
        Command::Installation(InstallationCommand::Add {
            id,
            subscriber,
            appliance_id,
        }) => {
            let new = admin::NewInstallation {
                id: id.clone(),
                subscriber: subscriber.clone(),
                appliance_id: appliance_id.clone(),
            };
            recorded(format, admin::add_installation(store, ctx, &new)?, out)
        }
        Command::Installation(InstallationCommand::Import { file }) => {
            let imported = admin::import_installations(store, ctx, file)?;
            match format {
                Format::Table => output::lines(
                    &format!(
                        "imported {imported} installation{} from {}\n",
                        if imported == 1 { "" } else { "s" },
                        file.display()
                    ),
                    out,
                ),
                Format::Json => output::json(&ImportView { imported }, out),
                Format::Csv => output::rows(format, &[ImportView { imported }], out),
            }
        }
        Command::Installation(InstallationCommand::List) => {
            output::rows(format, &reads::installations(store)?, out)
        }
        Command::Status { id } => {
            let status = reads::status(store, ctx, id.as_str())?;
            match format {
                Format::Json => output::json(&status, out),
                _ => {
                    if format == Format::Table {
                        output::lines(
                            &format!(
                                "installation {} (subscriber {})\n",
                                status.installation, status.subscriber
                            ),
                            out,
                        )?;
                    }
                    output::rows(format, &status.tasks, out)?;
                    if format == Format::Table && !status.cycles.is_empty() {
                        output::lines("open update cycles\n", out)?;
                        output::rows(format, &status.cycles, out)?;
                    }
                    if format == Format::Table && !status.tickets.is_empty() {
                        output::lines("open tickets\n", out)?;
                        output::rows(format, &status.tickets, out)?;
                    }
                    Ok(())
                }
            }
        }
        Command::Task(command) => {
            let (verb, target, text, due) = command.parts();
            let step = tasks::TaskStep {
                installation: target.id.clone(),
                task: target.task.to_string(),
                verb,
                text: text.cloned(),
                due,
            };
            recorded(format, tasks::step(store, ctx, &step)?, out)
        }
        Command::Checklist(ChecklistCommand::Show { id, task }) => output::rows(
            format,
            &reads::checklist(store, id.as_str(), task.as_ref().map(Id::as_str))?,
            out,
        ),
        Command::Checklist(ChecklistCommand::Check(a)) => item(a, true, format, ctx, store, out),
        Command::Checklist(ChecklistCommand::Uncheck(a)) => item(a, false, format, ctx, store, out),
        Command::Handover(HandoverCommand::Record {
            id,
            held_on,
            minutes,
            attendees,
            topics,
        }) => {
            let req = tasks::HandoverRecord {
                installation: id.clone(),
                held_on: *held_on,
                minutes: i64::from(*minutes),
                attendees: attendees.clone(),
                topics: topics.clone(),
            };
            recorded(format, tasks::record_handover(store, ctx, &req)?, out)
        }
        Command::Log { id } => output::rows(format, &reads::log(store, id.as_str())?, out),
        Command::Update(command) => update(command, format, ctx, store, out),
        Command::Backups(BackupsCommand::Record { id, taken_on, note }) => recorded(
            format,
            operations::record_backup(store, ctx, id, *taken_on, note.as_ref())?,
            out,
        ),
        Command::Backups(BackupsCommand::List { id }) => {
            output::rows(format, &operations::backups(store, id)?, out)
        }
        Command::Ticket(command) => ticket(command, format, ctx, store, out),
        Command::Report(command) => report_command(command, format, ctx, store, out),
        Command::Inbox { command: None } => output::rows(format, &inbox::inbox(store, ctx)?, out),
        Command::Inbox {
            command: Some(InboxCommand::Ack { ids }),
        } => recorded(format, inbox::ack(store, ctx, ids)?, out),
        Command::Demo { installations } => {
            let total = *installations as usize;
            let show = total >= 500 && std::io::stderr().is_terminal();
            let mut progress = |done: usize, total: usize| {
                if show && (done.is_multiple_of(100) || done == total) {
                    eprint!("\rdemo: {done}/{total} installations");
                    if done == total {
                        eprintln!();
                    }
                }
            };
            demo::demo(store, ctx.now, total, &mut progress)?;
            output::rows(format, &report::outstanding(store, ctx, None, None)?, out)
        }
        Command::Completions { .. } | Command::Man | Command::Db(_) => Ok(()),
    }
}

fn report_command(
    command: &ReportCommand,
    format: Format,
    ctx: &Context,
    store: &mut Store,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        ReportCommand::Outstanding {
            party,
            installation,
        } => output::rows(
            format,
            &report::outstanding(store, ctx, *party, installation.as_ref())?,
            out,
        ),
        ReportCommand::Overdue => output::rows(format, &report::overdue(store, ctx)?, out),
        ReportCommand::StaleBackups { older_than } => output::rows(
            format,
            &report::stale_backups(store, ctx, *older_than)?,
            out,
        ),
        ReportCommand::Clocks { installation } => {
            let rows = report::clocks(store, ctx, installation.as_ref())?;
            match format {
                Format::Table => output::rows(format, &report::clock_totals(&rows), out),
                _ => output::rows(format, &rows, out),
            }
        }
        ReportCommand::Html { output: file } => {
            let page = report::html::render(store, ctx)?;
            match file {
                Some(path) => {
                    std::fs::write(path, &page).map_err(|e| {
                        Error::bad_input(format!(
                            "cannot write {}: {e}; expected a writable file path",
                            path.display()
                        ))
                    })?;
                    let note = format!(
                        "wrote the report ({} bytes) to {}\n",
                        page.len(),
                        path.display()
                    );
                    output::lines(&note, out)
                }
                None => output::lines(&page, out),
            }
        }
    }
}

fn item(
    a: &args::ItemArgs,
    check: bool,
    format: Format,
    ctx: &Context,
    store: &mut Store,
    out: &mut dyn Write,
) -> Result<()> {
    let step = tasks::ItemStep {
        installation: a.target.id.clone(),
        task: a.target.task.to_string(),
        item: a.item.to_string(),
        check,
        note: a.note.clone(),
    };
    recorded(format, tasks::set_item(store, ctx, &step)?, out)
}

fn update(
    command: &UpdateCommand,
    format: Format,
    ctx: &Context,
    store: &mut Store,
    out: &mut dyn Write,
) -> Result<()> {
    let events = match command {
        UpdateCommand::Start { id, version, note } => {
            operations::start_cycle(store, ctx, id, version, note.as_ref())?
        }
        UpdateCommand::Step {
            id,
            cycle,
            step,
            note,
        } => operations::cycle_action(
            store,
            ctx,
            id,
            *cycle,
            CycleAction::Step(*step),
            note.as_ref(),
        )?,
        UpdateCommand::Fail { id, cycle, reason } => {
            operations::cycle_action(store, ctx, id, *cycle, CycleAction::Fail, Some(reason))?
        }
        UpdateCommand::Signoff { id, cycle, note } => {
            operations::cycle_action(store, ctx, id, *cycle, CycleAction::Signoff, note.as_ref())?
        }
        UpdateCommand::List { id } => {
            return output::rows(format, &operations::cycles(store, id)?, out);
        }
    };
    recorded(format, events, out)
}

fn ticket(
    command: &TicketCommand,
    format: Format,
    ctx: &Context,
    store: &mut Store,
    out: &mut dyn Write,
) -> Result<()> {
    let events = match command {
        TicketCommand::Open {
            id,
            reference,
            severity,
            environment,
            summary,
        } => operations::open_ticket(
            store,
            ctx,
            &operations::NewTicket {
                installation: id.clone(),
                reference: reference.clone(),
                severity: *severity,
                environment: *environment,
                summary: summary.clone(),
            },
        )?,
        TicketCommand::Resolve(a) => operations::ticket_action(
            store,
            ctx,
            &a.id,
            &a.reference,
            TicketAction::Resolve,
            a.note.as_ref(),
        )?,
        TicketCommand::Close(a) => operations::ticket_action(
            store,
            ctx,
            &a.id,
            &a.reference,
            TicketAction::Close,
            a.note.as_ref(),
        )?,
        TicketCommand::Comment {
            id,
            reference,
            text,
        } => {
            operations::ticket_action(store, ctx, id, reference, TicketAction::Comment, Some(text))?
        }
        TicketCommand::List { id } => {
            return output::rows(format, &operations::tickets(store, id)?, out);
        }
    };
    recorded(format, events, out)
}

/// What `installation import` prints for scripts.
#[derive(Debug, Default, serde::Serialize)]
struct ImportView {
    imported: usize,
}

/// What a write prints: the events it recorded, one line each for people.
/// The change is committed by now, so failing to print it is a warning, not
/// an error a script would retry (and so record twice).
fn recorded(format: Format, events: Vec<Event>, out: &mut dyn Write) -> Result<()> {
    if let Err(e) = print_recorded(format, events, out) {
        eprintln!(
            "warning: the change was recorded, but printing it failed: {}",
            e.message
        );
    }
    Ok(())
}

fn print_recorded(format: Format, events: Vec<Event>, out: &mut dyn Write) -> Result<()> {
    if format != Format::Table {
        let views: Vec<EventView> = events.into_iter().map(EventView::from).collect();
        return output::rows(format, &views, out);
    }
    let mut text = String::new();
    for e in &events {
        let cycle = e.cycle.map(|n| format!("cycle {n}"));
        let ticket = e.ticket.as_ref().map(|t| format!("ticket {t}"));
        let place = [
            e.installation.as_deref(),
            e.task.as_deref(),
            cycle.as_deref(),
            ticket.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let mut line = if place.is_empty() {
            e.action.clone()
        } else {
            format!("{place}: {}", e.action)
        };
        if let (Some(from), Some(to)) = (&e.from, &e.to) {
            line.push_str(&format!(" ({from} → {to})"));
        }
        if let Some(note) = &e.note {
            line.push_str(&format!(" — {note}"));
        }
        text.push_str(&line);
        text.push('\n');
    }
    output::lines(&text, out)
}
