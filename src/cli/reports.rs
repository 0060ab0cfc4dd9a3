//! `raci report …`, `raci inbox` and `raci demo`.

use std::io::IsTerminal;

use super::Io;
use super::args::{ClocksBy, InboxCommand, ReportCommand};
use crate::app::{Context, demo as sample, inbox as inbox_app};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::report;
use crate::store::Store;

pub(super) fn report(
    command: &ReportCommand,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    match command {
        ReportCommand::Outstanding { party, subscriber, installation } => {
            let filter = report::Filter {
                party: *party,
                subscriber: subscriber.as_ref().map(|s| s.as_str()),
                installation: installation.as_ref(),
            };
            io.stream(|row| report::outstanding(store, ctx, &filter, row))
        }
        ReportCommand::Overdue => io.rows(&report::overdue(store, ctx)?),
        ReportCommand::StaleBackups { older_than } => {
            io.rows(&report::stale_backups(store, ctx, *older_than)?)
        }
        ReportCommand::Clocks { installation, by } => {
            let installation = installation.as_ref();
            // People read one line per installation, its union of time.
            match (io.format, by) {
                (Format::Table, _) => io.stream(|row| {
                    report::clocks(store, ctx, installation, |_, union| {
                        row(report::clock_total(&union))
                    })
                }),
                (_, ClocksBy::Task) => io.stream(|row| {
                    report::clocks(store, ctx, installation, |tasks, _| {
                        tasks.into_iter().try_for_each(&mut *row)
                    })
                }),
                (_, ClocksBy::Installation) => {
                    io.stream(|row| report::clocks(store, ctx, installation, |_, union| row(union)))
                }
            }
        }
        ReportCommand::Html { output: file, subscriber, page_size } => {
            let subscriber = subscriber.as_ref().map(|s| s.as_str());
            if let Some(dir) = file
                .as_ref()
                .filter(|f| f.is_dir() || f.as_os_str().to_string_lossy().ends_with('/'))
            {
                if subscriber.is_some() {
                    return Err(Error::bad_input(
                        "--subscriber makes one page; --output DIR/ writes a page for every subscriber, so give a FILE with --subscriber",
                    ));
                }
                let files = report::html::write_site(store, ctx, dir, *page_size)?;
                return io.lines(&format!(
                    "wrote the report ({files} files: index.html and the subscribers' pages) to {}\n",
                    dir.display()
                ));
            }
            let page = report::html::render(store, ctx, subscriber)?;
            let Some(path) = file else {
                return io.lines(&page);
            };
            std::fs::write(path, &page).map_err(|e| {
                Error::bad_input(format!(
                    "cannot write {}: {e}; expected a writable file path",
                    path.display()
                ))
            })?;
            io.lines(&format!("wrote the report ({} bytes) to {}\n", page.len(), path.display()))
        }
    }
}

pub(super) fn inbox(
    command: Option<&InboxCommand>,
    only: inbox_app::Only,
    ctx: &Context,
    store: &mut Store,
    io: Io<'_>,
) -> Result<()> {
    match command {
        None => io.stream(|row| inbox_app::inbox(store, ctx, only, row)),
        Some(InboxCommand::Ack { ids }) => io.recorded(inbox_app::ack(store, ctx, ids)?),
    }
}

/// Fills the database, showing progress on a terminal for large samples,
/// then prints the outstanding report.
pub(super) fn demo(installations: u32, ctx: &Context, store: &mut Store, io: Io<'_>) -> Result<()> {
    let total = installations as usize;
    let show = total >= 500 && std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show && (done.is_multiple_of(100) || done == total) {
            eprint!("\rdemo: {done}/{total} installations");
            if done == total {
                eprintln!();
            }
        }
    };
    sample::demo(store, ctx, total, &mut progress)?;
    io.stream(|row| report::outstanding(store, ctx, &report::Filter::default(), row))
}
