//! `report html`: one self-contained page (no scripts, no fetches) with the
//! installations × tasks grid, the outstanding moves by party, what is
//! overdue and the party clocks; or, for a large program, a site: an index
//! of the subscribers and one such page per subscriber, so that no page
//! grows with the whole program. Every value is escaped by minijinja's HTML
//! auto-escaping, so a subscriber named `<script>` shows as text.

use minijinja::{Environment, context};
use serde::Serialize;

use super::{Visible, clock_total, clocks_in, outstanding_in, overdue_in};
use crate::app::Context;
use std::path::Path;

use crate::domain::Party;
use crate::domain::rules::{compare_subscribers, same_subscriber};
use crate::error::{Error, Result};
use crate::store::Store;

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

fn page(tx: &crate::store::Tx<'_>, ctx: &Context, subscriber: Option<&str>) -> Result<String> {
    {
        let matrix = tx.matrix()?;
        let visible = Visible::load(tx, ctx, subscriber)?;
        let mut grid: Vec<Row> = Vec::new();
        tx.each_installation_tasks(None, |id, subscriber, tasks| {
            if !visible.has(id) {
                return Ok(());
            }
            let state =
                |key: &str| tasks.iter().find(|t| t.key == key).map(|t| t.status.state.to_string());
            grid.push(Row {
                id: id.to_string(),
                subscriber: subscriber.to_string(),
                cells: matrix.tasks.iter().map(|t| state(&t.key).unwrap_or_default()).collect(),
            });
            Ok(())
        })?;
        let outstanding = outstanding_in(tx, ctx, &visible, None, None)?;
        let (vendor, subscriber): (Vec<_>, Vec<_>) =
            outstanding.into_iter().partition(|r| r.party == Some(Party::Vendor));
        let overdue = overdue_in(tx, ctx, &visible)?;
        let mut clocks = Vec::new();
        clocks_in(tx, ctx, &visible, None, &mut |_, union| {
            clocks.push(clock_total(&union));
            Ok(())
        })?;
        render_template(
            "report.html",
            context! {
                generated_at => ctx.stamp(),
                vendor_name => matrix.vendor_name,
                only => subscriber,
                tasks => matrix.tasks.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
                grid,
                vendor,
                subscriber,
                overdue,
                clocks,
            },
        )
    }
}

/// One subscriber's line on the index.
#[derive(Serialize)]
struct Entry {
    name: String,
    file: String,
    installations: usize,
}

/// A file name for a subscriber's page: its place in the list and a slug
/// of its name, so that two names differing only in punctuation stay apart.
fn file_name(n: usize, name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    format!("{n:04}-{slug}.html")
}

/// Writes the site into `dir`: `index.html` and one page per subscriber the
/// reader sees. Returns how many files were written.
pub fn write_site(store: &mut Store, ctx: &Context, dir: &Path) -> Result<usize> {
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
        // Subscribers as the installations spell them, one entry per name
        // under case folding.
        let mut entries: Vec<Entry> = Vec::new();
        for inst in tx.installations()? {
            if !visible.has(&inst.id) {
                continue;
            }
            match entries.iter_mut().find(|e| same_subscriber(&e.name, &inst.subscriber)) {
                Some(e) => e.installations += 1,
                None => entries.push(Entry {
                    file: String::new(),
                    name: inst.subscriber,
                    installations: 1,
                }),
            }
        }
        entries.sort_by(|a, b| compare_subscribers(&a.name, &b.name));
        for (n, e) in entries.iter_mut().enumerate() {
            e.file = file_name(n + 1, &e.name);
            write(&e.file, &page(tx, ctx, Some(&e.name))?)?;
        }
        let matrix = tx.matrix()?;
        let index = render_template(
            "index.html",
            context! {
                generated_at => ctx.stamp(),
                vendor_name => matrix.vendor_name,
                entries => &entries,
            },
        )?;
        write("index.html", &index)?;
        Ok(entries.len() + 1)
    })
}
