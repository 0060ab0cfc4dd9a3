//! `report html`: one self-contained page (no scripts, no fetches) with the
//! installations × tasks grid, the outstanding moves by party, what is
//! overdue and the party clocks. Every value is escaped by minijinja's HTML
//! auto-escaping, so a subscriber named `<script>` shows as text.

use minijinja::{Environment, context};
use serde::Serialize;

use super::{Visible, clock_totals, clocks_in, outstanding_in, overdue_in};
use crate::app::Context;
use crate::domain::Party;
use crate::error::{Error, Result};
use crate::store::Store;

const TEMPLATE: &str = include_str!("report.html");

#[derive(Serialize)]
struct Row {
    id: String,
    subscriber: String,
    cells: Vec<String>,
}

/// Renders the page.
pub fn render(store: &mut Store, ctx: &Context) -> Result<String> {
    store.read(|tx| {
        let matrix = tx.matrix()?;
        let visible = Visible::load(tx, ctx, None)?;
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
        let clocks = clock_totals(&clocks_in(tx, ctx, &visible, None)?.installations);
        let mut env = Environment::new();
        env.add_template("report.html", TEMPLATE)
            .map_err(|e| Error::storage(format!("the report template is invalid: {e}")))?;
        let template = env
            .get_template("report.html")
            .map_err(|e| Error::storage(format!("the report template is missing: {e}")))?;
        template
            .render(context! {
                generated_at => ctx.stamp(),
                vendor_name => matrix.vendor_name,
                tasks => matrix.tasks.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
                grid,
                vendor,
                subscriber,
                overdue,
                clocks,
            })
            .map_err(|e| Error::storage(format!("cannot render the report: {e}")))
    })
}
