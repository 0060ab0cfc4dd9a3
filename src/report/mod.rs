//! Reports across every installation: who owes the next move, what is
//! overdue, which backups are stale, where the time went, and one HTML page
//! with all of it. One query per report; the decisions come from the domain.

pub mod clocks;
pub mod html;

use chrono::{Duration, NaiveDate};

use std::collections::HashSet;

use crate::app::{Context, viewer, visible_installation};
use crate::domain::authority;
use crate::domain::matrix::Matrix;
use crate::domain::rules;
use crate::domain::values::Id;
use crate::domain::{Party, TaskState};
use crate::error::Result;
use crate::store::{Store, Tx};
use crate::view::{
    ClockInstallationView, ClockTotalView, ClockView, OutstandingView, OverdueView, StaleBackupView,
};

/// The vendor requires a major release at least this often.
pub const UPDATE_EVERY_DAYS: i64 = 90;

/// An installation named with `--installation` must be one the reader sees.
fn check_installation(tx: &Tx<'_>, ctx: &Context, installation: Option<&Id>) -> Result<()> {
    match installation {
        Some(id) => visible_installation(tx, viewer(tx, ctx)?.as_ref(), id.as_str()).map(drop),
        None => Ok(()),
    }
}

/// The installations a report covers: those the reader sees, of one
/// subscriber when asked, never a retired one.
pub struct Visible(HashSet<String>);

impl Visible {
    pub fn load(tx: &Tx<'_>, ctx: &Context, subscriber: Option<&str>) -> Result<Visible> {
        let viewer = viewer(tx, ctx)?;
        Ok(Visible(
            tx.installations()?
                .into_iter()
                .filter(|i| {
                    !i.retired
                        && authority::sees(viewer.as_ref(), &i.subscriber)
                        && subscriber.is_none_or(|s| rules::same_subscriber(s, &i.subscriber))
                })
                .map(|i| i.id)
                .collect(),
        ))
    }

    pub fn has(&self, installation: &str) -> bool {
        self.0.contains(installation)
    }
}

/// What `report outstanding` is narrowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub party: Option<Party>,
    pub subscriber: Option<&'a str>,
    pub installation: Option<&'a Id>,
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// Every move owed, by the party given or by both, oldest first.
pub fn outstanding(
    store: &mut Store,
    ctx: &Context,
    filter: &Filter<'_>,
) -> Result<Vec<OutstandingView>> {
    store.read(|tx| {
        check_installation(tx, ctx, filter.installation)?;
        let visible = Visible::load(tx, ctx, filter.subscriber)?;
        outstanding_in(tx, ctx, &visible, filter.party, filter.installation)
    })
}

pub fn outstanding_in(
    tx: &Tx<'_>,
    ctx: &Context,
    visible: &Visible,
    party: Option<Party>,
    installation: Option<&Id>,
) -> Result<Vec<OutstandingView>> {
    let matrix = tx.matrix()?;
    let today = ctx.today().format("%Y-%m-%d").to_string();
    let only = installation.map(Id::as_str);
    let wanted = |p: Party| party.is_none_or(|want| want == p);
    let mut rows = Vec::new();
    tx.each_installation_tasks(only, |installation, subscriber, tasks| {
        if !visible.has(installation) {
            return Ok(());
        }
        let find = |key: &str| tasks.iter().find(|t| t.key == key);
        for t in tasks {
            let Some(def) = matrix.task(&t.key) else {
                continue;
            };
            let done = rules::predecessors_done(def, |p| find(p).map(|r| r.status.state));
            let Some(owner) = rules::next_move(def, t.status, done) else {
                continue;
            };
            if !wanted(owner) {
                continue;
            }
            // A pending task became its owner's move when its last predecessor was done.
            let predecessors_since =
                def.predecessors.iter().filter_map(|p| find(p).map(|r| r.since.as_str())).max();
            let since = match (t.status.state, predecessors_since) {
                (TaskState::Pending, Some(p)) if p > t.since.as_str() => p,
                _ => t.since.as_str(),
            };
            rows.push(OutstandingView {
                installation: installation.to_string(),
                subscriber: subscriber.to_string(),
                task: t.key.clone(),
                state: t.status.state.to_string(),
                party: Some(owner),
                next_move: rules::next_step(def, t.status.state).to_string(),
                since: since.to_string(),
                overdue: t.due.as_deref().is_some_and(|d| d < today.as_str()),
                due: t.due.clone(),
                cycle: None,
                ticket: None,
            });
        }
        Ok(())
    })?;
    let cycles = tx.open_cycles(only)?;
    let update_overdue: std::collections::HashSet<String> = if cycles.is_empty() {
        Default::default()
    } else {
        update_overdue(tx, ctx.today())?.into_iter().map(|r| r.installation).collect()
    };
    for (c, subscriber) in cycles {
        let Some((owner, step)) = c.state.next() else {
            continue;
        };
        if !visible.has(&c.installation) {
            continue;
        }
        if !wanted(owner) {
            continue;
        }
        // A cycle is late when its installation is overdue for an update.
        let late = update_overdue.contains(&c.installation);
        rows.push(OutstandingView {
            installation: c.installation,
            subscriber,
            task: c.state.task().into(),
            state: c.state.to_string(),
            party: Some(owner),
            next_move: step.into(),
            since: c.since,
            overdue: late,
            due: None,
            cycle: Some(c.number),
            ticket: None,
        });
    }
    for (k, subscriber) in tx.open_tickets(only)? {
        let Some((owner, task, step)) = k.state.next() else {
            continue;
        };
        if !visible.has(&k.installation) {
            continue;
        }
        if !wanted(owner) {
            continue;
        }
        rows.push(OutstandingView {
            installation: k.installation,
            subscriber,
            task: task.into(),
            state: k.state.to_string(),
            party: Some(owner),
            next_move: step.into(),
            since: k.since,
            overdue: false,
            due: None,
            cycle: None,
            ticket: Some(k.reference),
        });
    }
    let position = |task: &str| matrix.tasks.iter().position(|t| t.key == task);
    rows.sort_by(|a, b| {
        (&a.since, &a.installation, position(&a.task), &a.cycle, &a.ticket).cmp(&(
            &b.since,
            &b.installation,
            position(&b.task),
            &b.cycle,
            &b.ticket,
        ))
    });
    Ok(rows)
}

/// Open tasks past their due date, and installations overdue for an update.
pub fn overdue(store: &mut Store, ctx: &Context) -> Result<Vec<OverdueView>> {
    store.read(|tx| overdue_in(tx, ctx, &Visible::load(tx, ctx, None)?))
}

pub fn overdue_in(tx: &Tx<'_>, ctx: &Context, visible: &Visible) -> Result<Vec<OverdueView>> {
    let today = ctx.today();
    let mut rows = Vec::new();
    for (installation, task, due) in tx.past_due(&today.format("%Y-%m-%d").to_string())? {
        rows.push(OverdueView {
            days_overdue: day(&due).map_or(0, |d| (today - d).num_days()),
            installation,
            task,
            due,
            reason: "past_due".into(),
        });
    }
    rows.extend(update_overdue(tx, today)?);
    rows.retain(|r| visible.has(&r.installation));
    rows.sort_by(|a, b| {
        (&a.due, &a.installation, &a.task).cmp(&(&b.due, &b.installation, &b.task))
    });
    Ok(rows)
}

/// Handed-over installations whose last signed-off update cycle (or, before
/// any, the handover meeting) is more than 90 days old.
fn update_overdue(tx: &Tx<'_>, today: NaiveDate) -> Result<Vec<OverdueView>> {
    let mut rows = Vec::new();
    for op in tx.handed_over()? {
        let Some(reference) = op.last_cycle.as_deref().or(op.handed_over.as_deref()).and_then(day)
        else {
            continue;
        };
        let due = reference + Duration::days(UPDATE_EVERY_DAYS);
        if today > due {
            rows.push(OverdueView {
                installation: op.installation,
                task: "updates".into(),
                due: due.format("%Y-%m-%d").to_string(),
                reason: "update_overdue".into(),
                days_overdue: (today - due).num_days(),
            });
        }
    }
    Ok(rows)
}

/// Installations whose last backup is older than `older_than` days, or that
/// have none since their handover; the stalest first.
pub fn stale_backups(
    store: &mut Store,
    ctx: &Context,
    older_than: i64,
) -> Result<Vec<StaleBackupView>> {
    store.read(|tx| {
        let today = ctx.today();
        let visible = Visible::load(tx, ctx, None)?;
        let mut rows = Vec::new();
        for op in tx.handed_over()? {
            if !visible.has(&op.installation) {
                continue;
            }
            let last = op.last_backup.as_deref().and_then(day);
            let handed_over = op.handed_over.as_deref().and_then(day);
            let none_since_handover = match (last, handed_over) {
                (None, _) => true,
                (Some(l), Some(h)) => l < h,
                (Some(_), None) => false,
            };
            let Some(reference) = last.or(handed_over) else {
                continue;
            };
            let days = (today - reference).num_days();
            if none_since_handover || days > older_than {
                rows.push(StaleBackupView {
                    installation: op.installation,
                    subscriber: op.subscriber,
                    last_backup: op.last_backup,
                    days,
                });
            }
        }
        rows.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.installation.cmp(&b.installation)));
        Ok(rows)
    })
}

/// Party clocks of every installation (or one): per task, and per
/// installation as the union of time (each moment once per party).
#[derive(Debug, Default)]
pub struct Clocks {
    pub tasks: Vec<ClockView>,
    pub installations: Vec<ClockInstallationView>,
}

pub fn clocks(store: &mut Store, ctx: &Context, installation: Option<&Id>) -> Result<Clocks> {
    store.read(|tx| {
        check_installation(tx, ctx, installation)?;
        clocks_in(tx, ctx, &Visible::load(tx, ctx, None)?, installation)
    })
}

pub fn clocks_in(
    tx: &Tx<'_>,
    ctx: &Context,
    visible: &Visible,
    installation: Option<&Id>,
) -> Result<Clocks> {
    let matrix: &Matrix = tx.matrix()?;
    let mut out = Clocks::default();
    let mut current: Option<(String, clocks::Replay<'_>)> = None;
    let flush = |done: Option<(String, clocks::Replay<'_>)>, out: &mut Clocks| {
        if let Some((id, replay)) = done {
            let (tasks, union) = replay.finish(ctx.now);
            for (task, c) in tasks {
                out.tasks.push(ClockView {
                    installation: id.clone(),
                    task,
                    vendor_seconds: c.vendor,
                    subscriber_seconds: c.subscriber,
                    blocked_seconds: c.blocked,
                });
            }
            out.installations.push(ClockInstallationView {
                installation: id,
                vendor_seconds: union.vendor,
                subscriber_seconds: union.subscriber,
                blocked_seconds: union.blocked,
                vendor_share: union.vendor_share(),
            });
        }
    };
    tx.each_event(installation.map(Id::as_str), |e| {
        let id = e.installation.clone().unwrap_or_default();
        if !visible.has(&id) {
            return Ok(());
        }
        if current.as_ref().is_none_or(|(cur, _)| *cur != id) {
            flush(current.take(), &mut out);
            current = Some((id, clocks::Replay::new(matrix)));
        }
        if let Some((_, replay)) = current.as_mut() {
            replay.apply(&e);
        }
        Ok(())
    })?;
    flush(current.take(), &mut out);
    Ok(out)
}

/// Each installation's clock, for people: durations written as people
/// write them.
pub fn clock_totals(rows: &[ClockInstallationView]) -> Vec<ClockTotalView> {
    rows.iter()
        .map(|c| ClockTotalView {
            installation: c.installation.clone(),
            vendor: clocks::human(c.vendor_seconds),
            subscriber: clocks::human(c.subscriber_seconds),
            blocked: clocks::human(c.blocked_seconds),
            vendor_share: match c.vendor_seconds + c.subscriber_seconds {
                0 => "-".into(),
                _ => format!("{:.0}%", c.vendor_share * 100.0),
            },
        })
        .collect()
}
