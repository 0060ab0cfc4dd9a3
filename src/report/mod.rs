//! Reports across every installation: who owes the next move, what is
//! overdue, which backups are stale, where the time went, and one HTML page
//! with all of it. One query per report; the decisions come from the domain.

pub mod clocks;
pub mod html;

use chrono::{Duration, NaiveDate};

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::app::{Context, day_of, viewer, visible_installation};
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
/// subscriber when asked, never a retired one. Kept as the smaller set: for
/// a reader who sees every subscriber, the few it leaves out.
pub enum Visible {
    Only(HashSet<String>),
    AllBut(HashSet<String>),
}

impl Visible {
    pub fn load(tx: &Tx<'_>, ctx: &Context, subscriber: Option<&str>) -> Result<Visible> {
        let viewer = viewer(tx, ctx)?;
        let sees_all = subscriber.is_none() && authority::sees_every_subscriber(viewer.as_ref());
        let mut ids = HashSet::new();
        tx.each_installation(|i| {
            let covered = !i.retired
                && authority::sees(viewer.as_ref(), &i.subscriber)
                && subscriber.is_none_or(|s| rules::same_subscriber(s, &i.subscriber));
            if covered != sees_all {
                ids.insert(i.id);
            }
            Ok(())
        })?;
        Ok(if sees_all { Visible::AllBut(ids) } else { Visible::Only(ids) })
    }

    pub fn has(&self, installation: &str) -> bool {
        match self {
            Visible::Only(ids) => ids.contains(installation),
            Visible::AllBut(ids) => !ids.contains(installation),
        }
    }
}

/// What `report outstanding` is narrowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub party: Option<Party>,
    pub subscriber: Option<&'a str>,
    pub installation: Option<&'a Id>,
}

/// Every move owed, by the party given or by both, oldest first, handed to
/// `f` one at a time.
pub fn outstanding(
    store: &mut Store,
    ctx: &Context,
    filter: &Filter<'_>,
    mut f: impl FnMut(OutstandingView) -> Result<()>,
) -> Result<()> {
    store.read(|tx| {
        check_installation(tx, ctx, filter.installation)?;
        let visible = Visible::load(tx, ctx, filter.subscriber)?;
        outstanding_each(tx, ctx, &visible, filter.party, filter.installation, &mut f)
    })
}

/// [`outstanding_each`], collected (for the HTML page).
pub fn outstanding_in(
    tx: &Tx<'_>,
    ctx: &Context,
    visible: &Visible,
    party: Option<Party>,
    installation: Option<&Id>,
) -> Result<Vec<OutstandingView>> {
    let mut rows = Vec::new();
    outstanding_each(tx, ctx, visible, party, installation, &mut |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok(rows)
}

/// One move owed, kept small until it is printed: the report sorts every
/// move of the program by `since`, so it holds them all at once (names
/// shared per installation, fixed words borrowed).
struct Move {
    since: Box<str>,
    installation: Rc<str>,
    subscriber: Rc<str>,
    /// The task's place in the template.
    task: usize,
    state: &'static str,
    party: Party,
    next_move: &'static str,
    overdue: bool,
    due: Option<Box<str>>,
    cycle: Option<i64>,
    ticket: Option<Box<str>>,
}

/// Every move owed, oldest first, handed to `f` one at a time.
pub fn outstanding_each(
    tx: &Tx<'_>,
    ctx: &Context,
    visible: &Visible,
    party: Option<Party>,
    installation: Option<&Id>,
    f: &mut dyn FnMut(OutstandingView) -> Result<()>,
) -> Result<()> {
    let matrix = tx.matrix()?;
    let today = ctx.today().format("%Y-%m-%d").to_string();
    let only = installation.map(Id::as_str);
    let wanted = |p: Party| party.is_none_or(|want| want == p);
    let position = |task: &str| matrix.tasks.iter().position(|t| t.key == task);
    let mut moves: Vec<Move> = Vec::new();
    // A program has few subscribers and many installations: one copy of each name.
    let mut names: HashMap<String, Rc<str>> = HashMap::new();
    let mut intern = |name: &str| -> Rc<str> {
        match names.get(name) {
            Some(rc) => rc.clone(),
            None => names.entry(name.to_string()).or_insert_with(|| name.into()).clone(),
        }
    };
    tx.each_installation_tasks(only, |installation, subscriber, tasks| {
        if !visible.has(installation) {
            return Ok(());
        }
        let (installation, subscriber): (Rc<str>, Rc<str>) =
            (installation.into(), intern(subscriber));
        let find = |key: &str| tasks.iter().find(|t| t.key == key);
        for t in tasks {
            let Some(task) = position(&t.key) else {
                continue;
            };
            let def = &matrix.tasks[task];
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
            moves.push(Move {
                since: since.into(),
                installation: installation.clone(),
                subscriber: subscriber.clone(),
                task,
                state: t.status.state.as_str(),
                party: owner,
                next_move: rules::next_step(def, t.status.state),
                overdue: t.due.as_deref().is_some_and(|d| d < today.as_str()),
                due: t.due.as_deref().map(Into::into),
                cycle: None,
                ticket: None,
            });
        }
        Ok(())
    })?;
    let cycles = tx.open_cycles(only)?;
    let update_overdue: HashSet<String> = if cycles.is_empty() {
        Default::default()
    } else {
        update_overdue(tx, ctx.today())?.into_iter().map(|r| r.installation).collect()
    };
    for (c, subscriber) in cycles {
        let Some((owner, step)) = c.state.next() else {
            continue;
        };
        if !visible.has(&c.installation) || !wanted(owner) {
            continue;
        }
        let Some(task) = position(c.state.task()) else {
            continue;
        };
        moves.push(Move {
            // A cycle is late when its installation is overdue for an update.
            overdue: update_overdue.contains(&c.installation),
            since: c.since.into(),
            installation: c.installation.into(),
            subscriber: intern(&subscriber),
            task,
            state: c.state.as_str(),
            party: owner,
            next_move: step,
            due: None,
            cycle: Some(c.number),
            ticket: None,
        });
    }
    for (k, subscriber) in tx.open_tickets(only)? {
        let Some((owner, task, step)) = k.state.next() else {
            continue;
        };
        if !visible.has(&k.installation) || !wanted(owner) {
            continue;
        }
        let Some(task) = position(task) else {
            continue;
        };
        moves.push(Move {
            since: k.since.into(),
            installation: k.installation.into(),
            subscriber: intern(&subscriber),
            task,
            state: k.state.as_str(),
            party: owner,
            next_move: step,
            overdue: false,
            due: None,
            cycle: None,
            ticket: Some(k.reference.into()),
        });
    }
    moves.sort_by(|a, b| {
        (&a.since, &a.installation, a.task, &a.cycle, &a.ticket).cmp(&(
            &b.since,
            &b.installation,
            b.task,
            &b.cycle,
            &b.ticket,
        ))
    });
    for m in moves {
        f(OutstandingView {
            installation: m.installation.to_string(),
            subscriber: m.subscriber.to_string(),
            task: matrix.tasks[m.task].key.clone(),
            state: m.state.to_string(),
            party: Some(m.party),
            next_move: m.next_move.to_string(),
            since: m.since.into(),
            overdue: m.overdue,
            due: m.due.map(Into::into),
            cycle: m.cycle,
            ticket: m.ticket.map(Into::into),
        })?;
    }
    Ok(())
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
            days_overdue: day_of(&due).map_or(0, |d| (today - d).num_days()),
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
    tx.each_handed_over(|op| {
        let Some(reference) =
            op.last_cycle.as_deref().or(op.handed_over.as_deref()).and_then(day_of)
        else {
            return Ok(());
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
        Ok(())
    })?;
    Ok(rows)
}

/// Installations whose last backup is older than `older_than` days, or that
/// have none since their handover; the stalest first.
pub fn stale_backups(
    store: &mut Store,
    ctx: &Context,
    older_than: i64,
) -> Result<Vec<StaleBackupView>> {
    if !(0..=36_500).contains(&older_than) {
        return Err(crate::error::Error::bad_input(format!(
            "older than {older_than} days: expected 0 to 36500 days"
        )));
    }
    store.read(|tx| {
        let today = ctx.today();
        let visible = Visible::load(tx, ctx, None)?;
        let mut rows = Vec::new();
        tx.each_handed_over(|op| {
            if !visible.has(&op.installation) {
                return Ok(());
            }
            let last = op.last_backup.as_deref().and_then(day_of);
            let handed_over = op.handed_over.as_deref().and_then(day_of);
            let none_since_handover = match (last, handed_over) {
                (None, _) => true,
                (Some(l), Some(h)) => l < h,
                (Some(_), None) => false,
            };
            let Some(reference) = last.or(handed_over) else {
                return Ok(());
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
            Ok(())
        })?;
        rows.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.installation.cmp(&b.installation)));
        Ok(rows)
    })
}

/// Party clocks of every installation the reader sees (or one), handed to
/// `each` one installation at a time: per task, and the installation's union
/// of time (each moment once per party).
pub fn clocks(
    store: &mut Store,
    ctx: &Context,
    installation: Option<&Id>,
    mut each: impl FnMut(Vec<ClockView>, ClockInstallationView) -> Result<()>,
) -> Result<()> {
    store.read(|tx| {
        check_installation(tx, ctx, installation)?;
        clocks_in(tx, ctx, &Visible::load(tx, ctx, None)?, installation, &mut each)
    })
}

pub fn clocks_in(
    tx: &Tx<'_>,
    ctx: &Context,
    visible: &Visible,
    installation: Option<&Id>,
    each: &mut dyn FnMut(Vec<ClockView>, ClockInstallationView) -> Result<()>,
) -> Result<()> {
    let matrix: &Matrix = tx.matrix()?;
    let mut current: Option<(String, clocks::Replay<'_>)> = None;
    let mut flush = |done: Option<(String, clocks::Replay<'_>)>| -> Result<()> {
        let Some((id, replay)) = done else { return Ok(()) };
        let (tasks, union) = replay.finish(ctx.now);
        let tasks = tasks
            .into_iter()
            .map(|(task, c)| ClockView {
                installation: id.clone(),
                task,
                vendor_seconds: c.vendor,
                subscriber_seconds: c.subscriber,
                blocked_seconds: c.blocked,
            })
            .collect();
        each(tasks, union.view(id))
    };
    tx.each_event(installation.map(Id::as_str), |e| {
        let id = e.installation.as_deref().unwrap_or_default();
        if !visible.has(id) {
            return Ok(());
        }
        if current.as_ref().is_none_or(|(cur, _)| cur != id) {
            flush(current.take())?;
            current = Some((id.to_string(), clocks::Replay::new(matrix)));
        }
        if let Some((_, replay)) = current.as_mut() {
            replay.apply(&e);
        }
        Ok(())
    })?;
    flush(current.take())
}

/// An installation's clock, for people: durations written as people write
/// them.
pub fn clock_total(c: &ClockInstallationView) -> ClockTotalView {
    ClockTotalView {
        installation: c.installation.clone(),
        vendor: clocks::human(c.vendor_seconds),
        subscriber: clocks::human(c.subscriber_seconds),
        blocked: clocks::human(c.blocked_seconds),
        vendor_share: match c.vendor_seconds + c.subscriber_seconds {
            0 => "-".into(),
            _ => format!("{:.0}%", c.vendor_share * 100.0),
        },
    }
}
