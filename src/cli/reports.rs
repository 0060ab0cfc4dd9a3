//! `raci report …`, `raci inbox` and `raci demo`.

use std::io::IsTerminal;

use super::args::{ClocksBy, InboxCommand, ReportCommand};
use super::{Backend, Io, seg};
use crate::app::{Context, demo as sample, inbox as inbox_app};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::report;
use crate::store::Store;
use crate::view::{ClockInstallationView, ClockView, OverdueView, StaleBackupView};

/// A query string of the filters given.
fn query(pairs: &[(&str, Option<String>)]) -> String {
    let given: Vec<String> =
        pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", seg(v)))).collect();
    if given.is_empty() { String::new() } else { format!("?{}", given.join("&")) }
}

pub(super) fn report(
    command: &ReportCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        ReportCommand::Outstanding { party, subscriber, installation } => {
            let filter = report::Filter {
                party: *party,
                subscriber: subscriber.as_ref().map(|s| s.as_str()),
                installation: installation.as_ref(),
            };
            let path = format!(
                "reports/outstanding{}",
                query(&[
                    ("party", party.map(|p| p.to_string())),
                    ("subscriber", subscriber.as_ref().map(|s| s.to_string())),
                    ("installation", installation.as_ref().map(|i| i.to_string())),
                ])
            );
            io.stream(|row| be.each(&path, |s, row| report::outstanding(s, ctx, &filter, row), row))
        }
        ReportCommand::Overdue => {
            let rows: Vec<OverdueView> = be.read("reports/overdue", |s| report::overdue(s, ctx))?;
            io.rows(&rows)
        }
        ReportCommand::StaleBackups { older_than } => {
            let path = format!("reports/stale-backups?older_than={older_than}");
            let rows: Vec<StaleBackupView> =
                be.read(&path, |s| report::stale_backups(s, ctx, *older_than))?;
            io.rows(&rows)
        }
        ReportCommand::Clocks { installation, by } => {
            let filter = query(&[("installation", installation.as_ref().map(|i| i.to_string()))]);
            let sep = if filter.is_empty() { "?" } else { "&" };
            let by_installation = format!("reports/clocks{filter}{sep}by=installation");
            let installation = installation.as_ref();
            // People read one line per installation, its union of time.
            match (io.format, by) {
                (Format::Table, _) => io.stream(|row| {
                    be.each(
                        &by_installation,
                        |s, row| report::clocks(s, ctx, installation, |_, union| row(union)),
                        &mut |union: ClockInstallationView| row(report::clock_total(&union)),
                    )
                }),
                (_, ClocksBy::Task) => io.stream(|row| {
                    be.each(
                        &format!("reports/clocks{filter}"),
                        |s, row| {
                            report::clocks(s, ctx, installation, |tasks, _| {
                                tasks.into_iter().try_for_each(&mut *row)
                            })
                        },
                        &mut |r: ClockView| row(r),
                    )
                }),
                (_, ClocksBy::Installation) => io.stream(|row| {
                    be.each(
                        &by_installation,
                        |s, row| report::clocks(s, ctx, installation, |_, union| row(union)),
                        row,
                    )
                }),
            }
        }
        ReportCommand::Html { output: file, subscriber, page_size } => {
            let subscriber = subscriber.as_ref().map(|s| s.as_str());
            let page = match be {
                Backend::Local(store, _) => {
                    return html(store, ctx, file.as_ref(), subscriber, *page_size, io);
                }
                Backend::Remote(r) => r.get_text(&format!(
                    "reports/html{}",
                    query(&[("subscriber", subscriber.map(str::to_string))])
                ))?,
            };
            write_page(page, file.as_ref(), io)
        }
    }
}

/// The HTML report of the local database: one page, or a site of pages.
fn html(
    store: &mut Store,
    ctx: &Context,
    file: Option<&std::path::PathBuf>,
    subscriber: Option<&str>,
    page_size: usize,
    io: Io<'_>,
) -> Result<()> {
    if let Some(dir) =
        file.as_ref().filter(|f| f.is_dir() || f.as_os_str().to_string_lossy().ends_with('/'))
    {
        if subscriber.is_some() {
            return Err(Error::bad_input(
                "--subscriber makes one page; --output DIR/ writes a page for every subscriber, so give a FILE with --subscriber",
            ));
        }
        let files = report::html::write_site(store, ctx, dir, page_size)?;
        return io.lines(&format!(
            "wrote the report ({files} files: index.html and the subscribers' pages) to {}\n",
            dir.display()
        ));
    }
    let page = report::html::render(store, ctx, subscriber)?;
    write_page(page, file, io)
}

/// The page to stdout, or to a file.
fn write_page(page: String, file: Option<&std::path::PathBuf>, io: Io<'_>) -> Result<()> {
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

pub(super) fn inbox(
    command: Option<&InboxCommand>,
    only: inbox_app::Only,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        None => {
            let path = format!(
                "inbox{}",
                query(&[
                    ("unread", only.unread.then(|| "true".to_string())),
                    ("limit", only.limit.map(|l| l.to_string())),
                ])
            );
            io.stream(|row| be.each(&path, |s, row| inbox_app::inbox(s, ctx, only, row), row))
        }
        Some(InboxCommand::Ack { ids }) => {
            let body = crate::api::AckBody { ids: ids.clone() };
            io.recorded(be.write(ctx, "inbox/ack", &body, |s, c| inbox_app::ack(s, c, ids))?)
        }
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
