//! `report html`: one self-contained page (no scripts, no fetches) with the
//! installations × tasks grid, the outstanding moves by party, what is
//! overdue and the party clocks; or, for a large program, a site: an index
//! and each subscriber's installations split into pages of at most
//! [`PAGE_SIZE`], each page with those installations' grid, moves, overdue
//! rows and clocks, so that no page grows with the program. Every value is
//! escaped by minijinja's HTML auto-escaping, so a subscriber named
//! `<script>` shows as text.
//!
//! The site is written one subscriber at a time: that subscriber's
//! outstanding and overdue rows come from one scan each and are dealt out to
//! its pages; the grid and the clocks are read per installation through the
//! indexes. Memory is bounded by one subscriber's rows and one page, and the
//! time by a few scans per subscriber plus a few lookups per installation.

use minijinja::{Environment, context};
use serde::Serialize;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{Visible, clock_total, clocks, clocks_in, outstanding_in, overdue_in};
use crate::app::Context;

use crate::domain::Party;
use crate::domain::rules::{compare_subscribers, same_subscriber};
use crate::error::{Error, Result};
use crate::store::{Store, Tx};
use crate::view::{ClockInstallationView, OutstandingView, OverdueView};

/// Installations per page of a site: about 1 KB of HTML each, so a page
/// stays near half a megabyte.
pub const PAGE_SIZE: usize = 500;

const TEMPLATE: &str = include_str!("report.html");
const INDEX: &str = include_str!("index.html");
/// The style both pages share, inline (the pages fetch nothing).
const STYLE: &str = include_str!("style.html");

#[derive(Serialize)]
struct Row {
    id: String,
    subscriber: String,
    cells: Vec<String>,
}

fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    for (name, source) in [("report.html", TEMPLATE), ("index.html", INDEX), ("style.html", STYLE)]
    {
        env.add_template(name, source)
            .map_err(|e| Error::storage(format!("the report template {name} is invalid: {e}")))?;
    }
    Ok(env)
}

fn render_template(name: &str, values: minijinja::Value) -> Result<String> {
    let env = environment()?;
    let template = env
        .get_template(name)
        .map_err(|e| Error::storage(format!("the report template {name} is missing: {e}")))?;
    template.render(values).map_err(|e| Error::storage(format!("cannot render the report: {e}")))
}

/// Renders the page: every installation the reader sees, or one
/// subscriber's.
pub fn render(store: &mut Store, ctx: &Context, subscriber: Option<&str>) -> Result<String> {
    store.read(|tx| page(tx, ctx, subscriber))
}

fn page(tx: &Tx<'_>, ctx: &Context, subscriber: Option<&str>) -> Result<String> {
    let visible = Visible::load(tx, ctx, subscriber)?;
    let mut grid: Vec<Row> = Vec::new();
    tx.each_installation_tasks(None, |id, subscriber, tasks| {
        if visible.has(id) {
            grid.push(row(tx, id, subscriber, tasks)?);
        }
        Ok(())
    })?;
    let outstanding = outstanding_in(tx, ctx, &visible, None, None)?;
    let overdue = overdue_in(tx, ctx, &visible)?;
    let mut clocks = Vec::new();
    clocks_in(tx, ctx, &visible, None, &mut |_, union| {
        clocks.push(union);
        Ok(())
    })?;
    let body = Body { grid, outstanding, overdue, clocks };
    render_page(tx, ctx, subscriber, None, body)
}

/// One installation's line of the grid: its tasks' states in the template's order.
fn row(tx: &Tx<'_>, id: &str, subscriber: &str, tasks: &[crate::store::TaskRow]) -> Result<Row> {
    let matrix = tx.matrix()?;
    let state = |key: &str| tasks.iter().find(|t| t.key == key).map(|t| t.status.state.to_string());
    Ok(Row {
        id: id.to_string(),
        subscriber: subscriber.to_string(),
        cells: matrix.tasks.iter().map(|t| state(&t.key).unwrap_or_default()).collect(),
    })
}

/// What a page shows, for the installations it covers.
#[derive(Default)]
struct Body {
    grid: Vec<Row>,
    outstanding: Vec<OutstandingView>,
    overdue: Vec<OverdueView>,
    clocks: Vec<ClockInstallationView>,
}

/// Where a page of a site sits: its subscriber's pages around it.
#[derive(Serialize)]
struct Part {
    number: usize,
    of: usize,
    previous: Option<String>,
    next: Option<String>,
}

fn render_page(
    tx: &Tx<'_>,
    ctx: &Context,
    only: Option<&str>,
    part: Option<Part>,
    body: Body,
) -> Result<String> {
    let matrix = tx.matrix()?;
    let (vendor, subscriber): (Vec<_>, Vec<_>) =
        body.outstanding.into_iter().partition(|r| r.party == Some(Party::Vendor));
    render_template(
        "report.html",
        context! {
            generated_at => ctx.stamp(),
            vendor_name => matrix.vendor_name,
            only,
            part,
            tasks => matrix.tasks.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
            grid => body.grid,
            vendor,
            subscriber,
            overdue => body.overdue,
            clocks => body.clocks.iter().map(clock_total).collect::<Vec<_>>(),
        },
    )
}

/// One page's line on the index.
#[derive(Serialize)]
struct Entry {
    name: String,
    file: String,
    /// The page's place among its subscriber's pages, when there are several.
    part: Option<(usize, usize)>,
    first: String,
    last: String,
    installations: usize,
    subscriber_moves: usize,
    vendor_moves: usize,
    overdue: usize,
}

/// A file name for a subscriber's page: its place in the list and a slug
/// of its name, so that two names differing only in punctuation stay apart;
/// and the page's number when the subscriber has several.
fn file_name(n: usize, name: &str, part: Option<usize>) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    match part {
        Some(k) => format!("{n:04}-{slug}-{k:02}.html"),
        None => format!("{n:04}-{slug}.html"),
    }
}

/// Writes the site into `dir`: `index.html` and each subscriber the reader
/// sees in pages of at most `page_size` installations. Returns how many
/// files were written.
pub fn write_site(store: &mut Store, ctx: &Context, dir: &Path, page_size: usize) -> Result<usize> {
    let page_size = page_size.max(1);
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::bad_input(format!(
            "cannot create {}: {e}; expected a writable directory",
            dir.display()
        ))
    })?;
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| {
            Error::bad_input(format!("cannot write {}: {e}", dir.join(name).display()))
        })
    };
    store.read(|tx| {
        let visible = Visible::load(tx, ctx, None)?;
        let subscribers = subscribers(tx, &visible)?;
        drop(visible);
        let mut entries: Vec<Entry> = Vec::new();
        for (n, (name, ids)) in subscribers.into_iter().enumerate() {
            let pages: Vec<&[String]> = ids.chunks(page_size).collect();
            let file = |k: usize| file_name(n + 1, &name, (pages.len() > 1).then_some(k + 1));
            // The subscriber's moves and overdue rows, in the reports' order,
            // dealt out to its pages.
            let page_of: HashMap<&str, usize> = pages
                .iter()
                .enumerate()
                .flat_map(|(k, p)| p.iter().map(move |id| (id.as_str(), k)))
                .collect();
            let mut bodies: Vec<Body> = pages.iter().map(|_| Body::default()).collect();
            let visible = Visible::Only(ids.iter().cloned().collect::<HashSet<_>>());
            for r in outstanding_in(tx, ctx, &visible, None, None)? {
                if let Some(&k) = page_of.get(r.installation.as_str()) {
                    bodies[k].outstanding.push(r);
                }
            }
            for r in overdue_in(tx, ctx, &visible)? {
                if let Some(&k) = page_of.get(r.installation.as_str()) {
                    bodies[k].overdue.push(r);
                }
            }
            drop(visible);
            for (k, (ids, mut body)) in pages.iter().zip(bodies).enumerate() {
                for id in ids.iter() {
                    body.grid.push(row(tx, id, &name, &tx.tasks(id)?)?);
                    body.clocks.extend(clock(tx, ctx, id)?);
                }
                let entry = Entry {
                    name: name.clone(),
                    file: file(k),
                    part: (pages.len() > 1).then_some((k + 1, pages.len())),
                    first: ids.first().cloned().unwrap_or_default(),
                    last: ids.last().cloned().unwrap_or_default(),
                    installations: ids.len(),
                    subscriber_moves: body
                        .outstanding
                        .iter()
                        .filter(|r| r.party == Some(Party::Subscriber))
                        .count(),
                    vendor_moves: body
                        .outstanding
                        .iter()
                        .filter(|r| r.party == Some(Party::Vendor))
                        .count(),
                    overdue: body.overdue.len(),
                };
                let part = Part {
                    number: k + 1,
                    of: pages.len(),
                    previous: k.checked_sub(1).map(file),
                    next: (k + 1 < pages.len()).then(|| file(k + 1)),
                };
                write(&entry.file, &render_page(tx, ctx, Some(&name), Some(part), body)?)?;
                entries.push(entry);
            }
        }
        let matrix = tx.matrix()?;
        let index = render_template(
            "index.html",
            context! {
                generated_at => ctx.stamp(),
                vendor_name => matrix.vendor_name,
                subscribers => entries.iter().filter(|e| e.part.is_none_or(|(k, _)| k == 1)).count(),
                entries => &entries,
            },
        )?;
        write("index.html", &index)?;
        Ok(entries.len() + 1)
    })
}

/// The subscribers the reader sees, in name order, each with its
/// installations in ID order; names equal under case folding are one
/// subscriber, spelled as its first installation spells it.
fn subscribers(tx: &Tx<'_>, visible: &Visible) -> Result<Vec<(String, Vec<String>)>> {
    let mut all: Vec<(String, String)> = tx
        .installations()?
        .into_iter()
        .filter(|i| visible.has(&i.id))
        .map(|i| (i.subscriber, i.id))
        .collect();
    // Stable: within a subscriber the installations stay in ID order.
    all.sort_by(|a, b| compare_subscribers(&a.0, &b.0));
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (subscriber, id) in all {
        match out.last_mut() {
            Some((name, ids)) if same_subscriber(name, &subscriber) => ids.push(id),
            _ => out.push((subscriber, vec![id])),
        }
    }
    Ok(out)
}

/// One installation's party clocks, from its own events (an index lookup,
/// not a scan of the ledger).
fn clock(tx: &Tx<'_>, ctx: &Context, id: &str) -> Result<Option<ClockInstallationView>> {
    let events = tx.events(id)?;
    if events.is_empty() {
        return Ok(None);
    }
    let mut replay = clocks::Replay::new(tx.matrix()?);
    for e in &events {
        replay.apply(e);
    }
    let (_, union) = replay.finish(ctx.now);
    Ok(Some(union.view(id.to_string())))
}
