//! From raw arguments to a finished command: parse, open the database, run
//! the use case, print. `main.rs` only maps the result to an exit code.

mod args;
mod db;
mod onboarding;
mod operations;
mod remote;
mod reports;
mod server;
mod signing;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Parser;
use clap::error::ErrorKind;

pub use args::Cli;
use args::{Command, PersonCommand};

use crate::app::signing as app_signing;
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
    // These need no database.
    match &cli.command {
        Command::Serve { listen, tls_cert, tls_key, behind_proxy } => {
            let db = db_path(cli.db.clone())?;
            return server::serve(
                *listen,
                db,
                tls_cert.as_ref().zip(tls_key.as_ref()),
                *behind_proxy,
            );
        }
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
    // Against a server, every command but those of the database itself.
    if let Some(url) = &cli.server
        && !matches!(cli.command, Command::Init | Command::Demo { .. } | Command::Db(_))
    {
        return server::remote(&cli, url, out);
    }
    if matches!(cli.command, Command::Login { .. } | Command::Logout) {
        return Err(Error::bad_input(
            "login and logout are for a server; pass --server URL or set RACI_SERVER",
        ));
    }
    let ctx = Context {
        now: now()?,
        acting: cli.acting.clone(),
        // Only a person bound with --login needs it; reads skip the lookup.
        os_user: cli.acting.as_ref().and_then(|_| os_user()),
        ..Context::default()
    };
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
    let signer = cli.sign_with().map(signing::Signer::new);
    let done = dispatch(&cli, &ctx, &mut Backend::Local(&mut store, signer.as_ref()), out);
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

/// Where a command's data comes from: the local database, or a server
/// that runs the same use case and answers the same views.
pub(super) enum Backend<'a> {
    /// The database, and the key that signs writes (`--sign-with`).
    Local(&'a mut Store, Option<&'a signing::Signer>),
    Remote(&'a remote::Remote),
}

impl Backend<'_> {
    /// A read: locally the use case, remotely `GET path`.
    pub(super) fn read<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        local: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        match self {
            Backend::Local(store, _) => local(store),
            Backend::Remote(r) => r.get(path),
        }
    }

    /// A read handed over row by row: locally as the use case finds them,
    /// remotely as the answer holds them.
    pub(super) fn each<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        local: impl FnOnce(&mut Store, &mut dyn FnMut(T) -> Result<()>) -> Result<()>,
        row: &mut dyn FnMut(T) -> Result<()>,
    ) -> Result<()> {
        match self {
            Backend::Local(store, _) => local(store, row),
            Backend::Remote(r) => r.get::<Vec<T>>(path)?.into_iter().try_for_each(row),
        }
    }

    /// A write: locally the use case, remotely `POST path` with `body`;
    /// either way the events it recorded. With a key to sign with, the
    /// write is first drafted to learn its statement, which `ssh-keygen`
    /// signs, and then made with the signature.
    pub(super) fn write(
        &mut self,
        ctx: &Context,
        path: &str,
        body: &impl serde::Serialize,
        local: impl Fn(&mut Store, &Context) -> Result<Vec<Event>>,
    ) -> Result<Vec<EventView>> {
        let events = match self {
            Backend::Local(store, None) => local(store, ctx)?,
            Backend::Local(store, Some(signer)) => {
                app_signing::sign_and_run(store, ctx, |text| signer.signature(text), local)?
            }
            Backend::Remote(r) => return r.post_write(path, body),
        };
        Ok(events.into_iter().map(EventView::from).collect())
    }

    /// The local database, for what only runs on it.
    pub(super) fn local(&mut self, what: &str) -> Result<&mut Store> {
        match self {
            Backend::Local(store, _) => Ok(store),
            Backend::Remote(_) => Err(Error::bad_input(format!(
                "{what} runs only on a local database; drop --server (and RACI_SERVER)"
            ))),
        }
    }
}

/// An ID as one segment of an API path.
pub(super) fn seg(text: impl std::fmt::Display) -> String {
    crate::api::segment(&text.to_string())
}

fn dispatch(cli: &Cli, ctx: &Context, be: &mut Backend<'_>, out: &mut dyn Write) -> Result<()> {
    let io = Io { format: cli.format, out };
    match &cli.command {
        Command::Init => {
            be.local("init")?;
            io.lines(&format!(
                "database ready at schema version {}\n",
                crate::store::latest_version()
            ))
        }
        Command::Matrix => onboarding::matrix(be, io),
        Command::Person(command) => onboarding::person(command, ctx, be, io),
        Command::Installation(command) => onboarding::installation(command, ctx, be, io),
        Command::Status { id } => onboarding::status(id, ctx, be, io),
        Command::Task(command) => onboarding::task(command, ctx, be, io),
        Command::Checklist(command) => onboarding::checklist(command, ctx, be, io),
        Command::Handover(command) => onboarding::handover(command, ctx, be, io),
        // One installation's log: its ID and the actors' party and role are
        // what a narrow terminal can spare.
        Command::Log { id } => {
            let log: Vec<EventView> = be.read(&format!("installations/{}/log", seg(id)), |s| {
                reads::log(s, ctx, id.as_str())
            })?;
            if io.format != Format::Table {
                return io.rows(&log);
            }
            let rows: Vec<LogRow> = log.into_iter().map(LogRow::from).collect();
            output::rows_giving_up(
                io.format,
                &rows,
                &[
                    "token_id",
                    "channel",
                    "carried_by",
                    "installation",
                    "role",
                    "party",
                    "from",
                    "id",
                ],
                io.out,
            )
        }
        Command::Update(command) => operations::update(command, ctx, be, io),
        Command::Backups(command) => operations::backups(command, ctx, be, io),
        Command::Ticket(command) => operations::ticket(command, ctx, be, io),
        Command::Report(command) => reports::report(command, ctx, be, io),
        Command::Inbox { unread, limit, command } => {
            let only = crate::app::inbox::Only { unread: *unread, limit: *limit };
            reports::inbox(command.as_ref(), only, ctx, be, io)
        }
        Command::Demo { installations } => {
            reports::demo(*installations, ctx, be.local("demo")?, io)
        }
        Command::Whoami => server::whoami(ctx, be, io),
        Command::Token(command) => server::token(command, ctx, be, io),
        Command::Policy(command) => signing::policy(command, ctx, be, io),
        Command::Offline(command) => signing::offline(command, ctx, be, io),
        Command::Export(command) => signing::export(command, ctx, be, io),
        Command::Login { .. } | Command::Logout | Command::Serve { .. } => Ok(()),
        Command::Completions { .. } | Command::Man | Command::Db(_) => Ok(()),
    }
}

/// One event of `log` in a table: a statement is a document of its own, so
/// a table says only whether the step is signed.
#[derive(Debug, Default, serde::Serialize)]
struct LogRow {
    id: i64,
    at: String,
    installation: Option<String>,
    actor: Option<String>,
    party: Option<crate::domain::Party>,
    role: Option<crate::domain::Role>,
    action: String,
    task: Option<String>,
    from: Option<String>,
    to: Option<String>,
    note: Option<String>,
    cycle: Option<i64>,
    ticket: Option<String>,
    channel: crate::domain::Channel,
    token_id: Option<String>,
    signed: bool,
    carried_by: Option<String>,
}

impl From<EventView> for LogRow {
    fn from(e: EventView) -> Self {
        LogRow {
            id: e.id,
            at: e.at,
            installation: e.installation,
            actor: e.actor,
            party: e.party,
            role: e.role,
            action: e.action,
            task: e.task,
            from: e.from,
            to: e.to,
            note: e.note,
            cycle: e.cycle,
            ticket: e.ticket,
            channel: e.channel,
            token_id: e.token_id,
            signed: e.signature.is_some(),
            carried_by: e.carried_by,
        }
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
    pub(super) fn recorded(self, events: Vec<EventView>) -> Result<()> {
        if let Err(e) = print_recorded(self.format, events, self.out) {
            eprintln!("warning: the change was recorded, but printing it failed: {}", e.message);
        }
        Ok(())
    }
}

fn print_recorded(format: Format, events: Vec<EventView>, out: &mut dyn Write) -> Result<()> {
    if format != Format::Table {
        return output::rows(format, &events, out);
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
