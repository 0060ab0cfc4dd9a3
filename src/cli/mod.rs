//! From raw arguments to a finished command: parse, open the database, run
//! the use case, print. `main.rs` only maps the result to an exit code.

mod args;
mod db;
mod onboarding;
mod operations;
mod reports;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Parser;
use clap::error::ErrorKind;

pub use args::Cli;
use args::{Command, PersonCommand};

use crate::app::{Context, reads};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::store::{Event, IfMissing, Store};
use crate::view::EventView;

/// Runs one command line, printing to `out`. Help and version are printed
/// too and count as success.
pub fn run(argv: impl IntoIterator<Item = OsString>, out: &mut dyn Write) -> Result<()> {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return clap_outcome(e, out),
    };
    output::set_layout(layout(cli.wide));
    let ctx = Context {
        now: now()?,
        acting: cli.acting.clone(),
        // Only a person bound with --login needs it; reads skip the lookup.
        os_user: cli.acting.as_ref().and_then(|_| os_user()),
        ..Context::default()
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
    let missing = match &cli.command {
        Command::Init | Command::Demo { .. } | Command::Person(PersonCommand::Add { .. }) => {
            IfMissing::Create
        }
        _ => IfMissing::Refuse,
    };
    if missing == IfMissing::Refuse && !crate::store::database_at(&db) {
        return Err(Error::storage(format!(
            "there is no raci database at {}; create one with `raci init`, or with the first `raci person add`",
            db.display()
        )));
    }
    let existed = crate::store::database_at(&db);
    let mut store = Store::open_with_timeout(&db, missing, busy_timeout()?)?;
    if let Command::Db(command) = &cli.command {
        let io = Io { format: cli.format, out };
        return db::run(command, &db, &mut store, io);
    }
    let done = dispatch(&cli, &ctx, &mut store, out);
    // A refused command changes nothing: not even the new, empty database
    // it opened (a first `person add` of a subscriber's person, say).
    if done.is_err() && !existed {
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    done
}

/// Help and version go to stdout; every other clap error becomes one line.
fn clap_outcome(e: clap::Error, out: &mut dyn Write) -> Result<()> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            output::lines(&e.render().to_string(), out)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            Err(Error::bad_input("a command is required; the commands are listed above"))
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

/// How tables are laid out: the width to fit (`COLUMNS`, or the terminal's
/// when printing to one), `--wide`, and colour on a terminal unless
/// `NO_COLOR` is set.
fn layout(wide: bool) -> output::Layout {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|c| *c > 0)
        .or_else(|| terminal.then(|| terminal_size::terminal_size().map(|(w, _)| w.0)).flatten());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    output::Layout { columns, wide, color: terminal && !no_color }
}

/// The account of this process's real user ID; never an environment variable.
fn os_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name)
}

/// The clock: `RACI_NOW` (RFC 3339) when set, as git's GIT_COMMITTER_DATE.
/// Set but empty, or not a time, is refused rather than silently ignored.
fn now() -> Result<DateTime<Utc>> {
    let text = match std::env::var("RACI_NOW") {
        Err(std::env::VarError::NotPresent) => return Ok(Utc::now()),
        Err(std::env::VarError::NotUnicode(_)) => String::from("(not UTF-8)"),
        Ok(text) => text,
    };
    DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        Error::bad_input(format!(
            "RACI_NOW={text:?} is not a time; expected RFC 3339, e.g. 2026-11-27T09:00:00Z"
        ))
    })
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
    let io = Io { format: cli.format, out };
    match &cli.command {
        Command::Init => io.lines(&format!(
            "database ready at schema version {}\n",
            crate::store::latest_version()
        )),
        Command::Matrix => onboarding::matrix(store, io),
        Command::Person(command) => onboarding::person(command, ctx, store, io),
        Command::Installation(command) => onboarding::installation(command, ctx, store, io),
        Command::Status { id } => onboarding::status(id, ctx, store, io),
        Command::Task(command) => onboarding::task(command, ctx, store, io),
        Command::Checklist(command) => onboarding::checklist(command, ctx, store, io),
        Command::Handover(command) => onboarding::handover(command, ctx, store, io),
        // One installation's log: its ID and the actors' party and role are
        // what a narrow terminal can spare.
        Command::Log { id } => output::rows_giving_up(
            io.format,
            &reads::log(store, ctx, id.as_str())?,
            &["token_id", "channel", "installation", "role", "party", "from", "id"],
            io.out,
        ),
        Command::Update(command) => operations::update(command, ctx, store, io),
        Command::Backups(command) => operations::backups(command, ctx, store, io),
        Command::Ticket(command) => operations::ticket(command, ctx, store, io),
        Command::Report(command) => reports::report(command, ctx, store, io),
        Command::Inbox { unread, limit, command } => {
            let only = crate::app::inbox::Only { unread: *unread, limit: *limit };
            reports::inbox(command.as_ref(), only, ctx, store, io)
        }
        Command::Demo { installations } => reports::demo(*installations, ctx, store, io),
        Command::Completions { .. } | Command::Man | Command::Db(_) => Ok(()),
    }
}

/// Where a command prints, and how.
pub(super) struct Io<'o> {
    pub(super) format: Format,
    pub(super) out: &'o mut dyn Write,
}

impl Io<'_> {
    pub(super) fn rows<T: serde::Serialize + Default>(self, rows: &[T]) -> Result<()> {
        output::rows(self.format, rows, self.out)
    }

    /// Prints the rows `fill` hands over, as they come.
    pub(super) fn stream<T: serde::Serialize + Default>(
        self,
        fill: impl FnOnce(&mut dyn FnMut(T) -> Result<()>) -> Result<()>,
    ) -> Result<()> {
        let mut w = output::RowWriter::<T>::new(self.format, &[], self.out)?;
        fill(&mut |row| w.row(&row))?;
        w.finish()
    }

    pub(super) fn lines(self, text: &str) -> Result<()> {
        output::lines(text, self.out)
    }

    /// What a write prints: the events it recorded, one line each for
    /// people. The change is committed by now, so failing to print it is a
    /// warning, not an error a script would retry (and so record twice).
    pub(super) fn recorded(self, events: Vec<Event>) -> Result<()> {
        if let Err(e) = print_recorded(self.format, events, self.out) {
            eprintln!("warning: the change was recorded, but printing it failed: {}", e.message);
        }
        Ok(())
    }
}

fn print_recorded(format: Format, events: Vec<Event>, out: &mut dyn Write) -> Result<()> {
    if format != Format::Table {
        let views: Vec<EventView> = events.into_iter().map(EventView::from).collect();
        return output::rows(format, &views, out);
    }
    if events.is_empty() {
        return output::lines("nothing changed: it already was so\n", out);
    }
    let mut text = String::new();
    for e in &events {
        let cycle = e.cycle.map(|n| format!("cycle {n}"));
        let ticket = e.ticket.as_ref().map(|t| format!("ticket {t}"));
        let place =
            [e.installation.as_deref(), e.task.as_deref(), cycle.as_deref(), ticket.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        let mut line =
            if place.is_empty() { e.action.clone() } else { format!("{place}: {}", e.action) };
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
