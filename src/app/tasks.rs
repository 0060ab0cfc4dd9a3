//! The steps of a task: the `raci task` verbs, checklist items and the
//! operations handover. Each runs in one transaction: find, ask the rules,
//! change, append the events.

use std::collections::BTreeSet;

use super::{
    Context, Recorder, acting, day_of, find_def, viewer, visible_installation,
    writable_installation,
};
use crate::domain::ledger::Change;
use crate::domain::matrix::{ItemDef, RowKind, TaskDef};
use crate::domain::rules::{self, Facts, Handover, Topic, Verb};
use crate::domain::values::{Day, Id, Text};
use crate::domain::{Party, TaskState};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::{Event, TaskRow, Tx};
use crate::view::{AttendeeView, HandoverView};

/// One `raci task` step, validated.
#[derive(Debug, Clone)]
pub struct TaskStep {
    pub installation: Id,
    pub task: String,
    pub verb: Verb,
    /// The note, reason or comment.
    pub text: Option<Text>,
    /// The date of `due`.
    pub due: Option<Day>,
}

fn load_task(tx: &Tx<'_>, installation: &str, def: &TaskDef) -> Result<TaskRow> {
    tx.task(installation, &def.key)?.ok_or_else(|| {
        Error::storage(format!("installation {installation} has no row for task {}", def.key))
            .hint("run `raci db check`")
    })
}

/// Predecessors of `def` on this installation that are neither signed off nor waived.
pub(super) fn open_predecessors(
    tx: &Tx<'_>,
    installation: &str,
    def: &TaskDef,
) -> Result<Vec<String>> {
    let mut open = Vec::new();
    for p in &def.predecessors {
        match tx.task(installation, p)? {
            Some(row) if row.status.state.is_done() => {}
            _ => open.push(p.clone()),
        }
    }
    Ok(open)
}

/// What the rules need to know about a task on one installation before a
/// step: for `verb` only what that verb needs, for `None` everything (a page
/// offering every move).
pub(super) fn facts(
    tx: &Tx<'_>,
    installation: &str,
    def: &TaskDef,
    verb: Option<Verb>,
) -> Result<Facts> {
    let wants = |v: Verb| verb.is_none_or(|w| w == v);
    let matrix = tx.matrix()?;
    Ok(Facts {
        open_predecessors: if wants(Verb::Start) {
            open_predecessors(tx, installation, def)?
        } else {
            Vec::new()
        },
        unchecked_items: if wants(Verb::Submit) {
            tx.items(installation, Some(&def.key))?
                .into_iter()
                .filter(|i| i.checked_by.is_none())
                .map(|i| i.item)
                .collect()
        } else {
            Vec::new()
        },
        reopen_blockers: if wants(Verb::Reopen) {
            let tasks = tx.tasks(installation)?;
            let cycles: Vec<i64> = tx.cycles(installation)?.iter().map(|c| c.number).collect();
            let tickets: Vec<String> =
                tx.tickets(installation)?.into_iter().map(|t| t.reference).collect();
            let status_of = |key: &str| tasks.iter().find(|t| t.key == key).map(|t| t.status);
            rules::reopen_blockers(def, matrix, status_of, &cycles, &tickets)
        } else {
            Vec::new()
        },
        waivable: rules::waivable(matrix),
    })
}

pub fn step(store: &mut Store, ctx: &Context, step: &TaskStep) -> Result<Vec<Event>> {
    store.write(|tx| step_in(tx, ctx, step))
}

/// [`step`] inside a transaction the caller holds.
pub fn step_in(tx: &Tx<'_>, ctx: &Context, step: &TaskStep) -> Result<Vec<Event>> {
    match step.verb {
        Verb::Reject | Verb::Waive | Verb::Block | Verb::Reopen => {
            super::needs_text(step.verb.as_str(), "reason", step.text.as_ref())?;
        }
        Verb::Comment => super::needs_text("comment", "text", step.text.as_ref())?,
        Verb::Due if step.due.is_none() => {
            return Err(Error::bad_input("due needs a date, YYYY-MM-DD"));
        }
        _ => {}
    }
    let (person, actor) = acting(tx, ctx)?;
    let inst = writable_installation(tx, &person, step.installation.as_str())?;
    let matrix = tx.matrix()?;
    let def = find_def(matrix, &step.task)?;
    rules::refuse_recurring(def, step.verb.as_str())?;
    rules::authorize(step.verb, def, &actor)?;
    let row = load_task(tx, &inst.id, def)?;
    let facts = facts(tx, &inst.id, def, Some(step.verb))?;
    let next = rules::transition(step.verb, def, row.status, &facts)?;
    let changes_state = next != row.status;
    let change = match (changes_state, step.due) {
        (true, _) => Some(Change::TaskMoved {
            task: def.key.clone(),
            state: next.state,
            blocked_from: next.blocked_from,
        }),
        (false, Some(due)) => Some(Change::TaskDue { task: def.key.clone(), due: due.to_string() }),
        (false, None) => None,
    };
    let mut rec = Recorder::new(ctx, Some(&person));
    rec.record(tx, Some(&inst.id), step.verb.as_str(), change, |e| {
        e.task = Some(def.key.clone());
        if changes_state {
            e.from = Some(row.status.state.to_string());
            e.to = Some(next.state.to_string());
        }
        e.note = match (&step.text, step.due) {
            (Some(text), _) => Some(text.to_string()),
            (None, Some(due)) => Some(match &row.due {
                Some(old) => format!("due {due} (was {old})"),
                None => format!("due {due}"),
            }),
            (None, None) => None,
        };
    })?;
    rec.finish(tx)
}

/// One `raci checklist check|uncheck`, validated.
#[derive(Debug, Clone)]
pub struct ItemStep {
    pub installation: Id,
    pub task: String,
    /// The items, in the order given; with `all`, none.
    pub items: Vec<String>,
    /// Every unchecked item of the task that the acting person's party owns.
    pub all: bool,
    pub check: bool,
    pub note: Option<Text>,
}

pub fn set_item(store: &mut Store, ctx: &Context, step: &ItemStep) -> Result<Vec<Event>> {
    store.write(|tx| set_item_in(tx, ctx, step))
}

/// [`set_item`] inside a transaction the caller holds: every item or none,
/// one event each.
pub fn set_item_in(tx: &Tx<'_>, ctx: &Context, step: &ItemStep) -> Result<Vec<Event>> {
    match (step.all, step.items.is_empty()) {
        (false, true) => {
            return Err(Error::bad_input("name the items to change, or all of them"));
        }
        (true, false) => {
            return Err(Error::bad_input("name the items or ask for all of them, not both"));
        }
        _ => {}
    }
    let (person, actor) = acting(tx, ctx)?;
    let inst = writable_installation(tx, &person, step.installation.as_str())?;
    let matrix = tx.matrix()?;
    let def = find_def(matrix, &step.task)?;
    let row = load_task(tx, &inst.id, def)?;
    let checked = tx.checked_items(&inst.id, &def.key)?;
    let mut chosen: Vec<&ItemDef> = Vec::new();
    if step.all {
        chosen = def
            .items
            .iter()
            .filter(|i| i.owner == actor.party && !checked.contains(&i.key))
            .collect();
        if chosen.is_empty() {
            return Err(Error::conflict(format!(
                "no item of {} is left for the {} to check (it is {})",
                def.key, actor.party, row.status.state
            )));
        }
    }
    for key in &step.items {
        let item = def.item(key).ok_or_else(|| {
            let items: Vec<&str> = def.items.iter().map(|i| i.key.as_str()).collect();
            Error::not_found(if items.is_empty() {
                format!("no item {key:?}: task {} has no checklist", def.key)
            } else {
                format!("no item {key:?} in task {}; its items are: {}", def.key, items.join(", "))
            })
        })?;
        if !chosen.iter().any(|c| c.key == item.key) {
            chosen.push(item);
        }
    }
    let note = step.note.as_ref().map(Text::as_str);
    let action = if step.check { "check" } else { "uncheck" };
    let mut rec = Recorder::new(ctx, Some(&person));
    for item in chosen {
        let is_checked = checked.contains(&item.key);
        rules::authorize_item(def, item, &actor, step.check, row.status.state, is_checked)?;
        let change = Change::ItemSet {
            task: def.key.clone(),
            item: item.key.clone(),
            checked: step.check,
            note: step.check.then(|| note.map(str::to_string)).flatten(),
        };
        rec.record(tx, Some(&inst.id), action, Some(change), |e| {
            e.task = Some(def.key.clone());
            e.note = Some(match note {
                Some(n) => format!("{}: {n}", item.key),
                None => item.key.clone(),
            });
        })?;
    }
    rec.finish(tx)
}

/// The handover meetings recorded for an installation, oldest first, each
/// attendee with their party.
pub fn handovers(store: &mut Store, ctx: &Context, installation: &Id) -> Result<Vec<HandoverView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), installation.as_str())?;
        let mut out = Vec::new();
        for h in tx.handovers(&inst.id)? {
            let mut attendees = Vec::new();
            for handle in h.attendees.split('+').filter(|a| !a.is_empty()) {
                let party = tx.person(handle)?.map(|p| p.party);
                attendees.push(AttendeeView { handle: handle.to_string(), party });
            }
            out.push(HandoverView {
                held_on: h.held_on,
                minutes: h.minutes,
                attendees,
                topics: h.topics.split('+').filter(|t| !t.is_empty()).map(str::to_string).collect(),
                recorded_by: h.recorded_by,
                recorded_at: h.recorded_at,
            });
        }
        Ok(out)
    })
}

/// One `raci handover record`, validated.
#[derive(Debug, Clone)]
pub struct HandoverRecord {
    pub installation: Id,
    pub held_on: Day,
    pub minutes: i64,
    pub attendees: Vec<Id>,
    pub topics: Vec<Topic>,
}

pub fn record_handover(
    store: &mut Store,
    ctx: &Context,
    req: &HandoverRecord,
) -> Result<Vec<Event>> {
    store.write(|tx| record_handover_in(tx, ctx, req))
}

/// [`record_handover`] inside a transaction the caller holds.
pub fn record_handover_in(tx: &Tx<'_>, ctx: &Context, req: &HandoverRecord) -> Result<Vec<Event>> {
    if req.held_on.0 > ctx.today() {
        return Err(Error::bad_input(format!(
            "--held-on {} is in the future; record a handover on or after the day it was held",
            req.held_on
        )));
    }
    let (person, actor) = acting(tx, ctx)?;
    let inst = writable_installation(tx, &person, req.installation.as_str())?;
    let matrix = tx.matrix()?;
    let def = matrix
        .of_kind(RowKind::Handover)
        .ok_or_else(|| Error::storage("the template has no handover row; it cannot be used"))?;
    let configuration = find_def(matrix, rules::CONFIGURATION)?;
    rules::authorize_handover(def, &actor)?;
    let mut attending: Vec<(String, Option<Party>)> = Vec::new();
    for handle in &req.attendees {
        // Someone raci does not know may not attend, like anyone else who
        // may not (exit 5, named by the rules).
        let (handle, party) = match tx.person(handle.as_str())? {
            Some(p) => {
                let party = rules::attends_for(
                    p.party,
                    p.subscriber.as_deref(),
                    p.active,
                    &inst.subscriber,
                );
                (p.handle, party)
            }
            None => (handle.to_string(), None),
        };
        if !attending.iter().any(|(a, _)| *a == handle) {
            attending.push((handle, party));
        }
    }
    let topics: BTreeSet<Topic> = req.topics.iter().copied().collect();
    let row = load_task(tx, &inst.id, def)?;
    let configured = load_task(tx, &inst.id, configuration)?;
    rules::check_handover(&Handover {
        held_on: req.held_on.0,
        minutes: req.minutes,
        attendees: attending.clone(),
        topics: topics.clone(),
        configuration: configured.status.state,
        handover: row.status.state,
        created_on: day_of(&inst.created_at),
        configured_on: configured
            .status
            .state
            .is_done()
            .then(|| day_of(&configured.since))
            .flatten(),
    })?;
    let topics: Vec<String> = topics.iter().map(|t| t.as_str().to_string()).collect();
    let attendees: Vec<String> = attending.into_iter().map(|(a, _)| a).collect();
    let note = format!(
        "held {} for {} minutes; attendees {}; topics {}",
        req.held_on,
        req.minutes,
        attendees.join("+"),
        topics.join("+")
    );
    let recorded = Change::HandoverRecorded {
        held_on: req.held_on.to_string(),
        minutes: req.minutes,
        attendees,
        topics,
    };
    let moved = |state| Change::TaskMoved { task: def.key.clone(), state, blocked_from: None };
    let mut rec = Recorder::new(ctx, Some(&person));
    let task = Some(def.key.clone());
    rec.record(tx, Some(&inst.id), "handover", Some(recorded), |e| {
        e.task = task.clone();
        e.note = Some(note);
    })?;
    rec.record(
        tx,
        Some(&inst.id),
        Verb::Submit.as_str(),
        Some(moved(TaskState::Submitted)),
        |e| {
            e.task = task.clone();
            e.from = Some(row.status.state.to_string());
            e.to = Some(TaskState::Submitted.to_string());
        },
    )?;
    rec.record(
        tx,
        Some(&inst.id),
        Verb::Signoff.as_str(),
        Some(moved(TaskState::SignedOff)),
        |e| {
            e.task = task.clone();
            e.from = Some(TaskState::Submitted.to_string());
            e.to = Some(TaskState::SignedOff.to_string());
        },
    )?;
    rec.finish(tx)
}
