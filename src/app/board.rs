//! What one person sees of one installation and may do on it now: the
//! status, and for each task, item, cycle and ticket the moves the rules
//! offer them (`domain::moves`), with why the others are not theirs. The
//! pages render this; every form they post goes through the same use cases
//! as the command line and the API, which judge it again.

use serde::Serialize;

use super::{Context, acting, find_def, visible_installation};
use crate::api::words;
use crate::domain::moves::{self, Offer};
use crate::domain::operations::{Cycle, Operation, OperationRows, TicketAction};
use crate::domain::rules::{self, Verb};
use crate::domain::{Party, TaskState};
use crate::error::Result;
use crate::store::Store;
use crate::view::{
    BackupView, CycleView, EventView, HandoverView, ItemView, StatusView, TaskView, TicketView,
};

/// A move a page offers as a button: where the form posts, its label, and
/// the words it needs (`reason`, or an optional `note`).
#[derive(Debug, Clone, Serialize)]
pub struct Button {
    pub path: String,
    pub label: String,
    pub needs_reason: bool,
}

#[derive(Debug, Serialize)]
pub struct TaskBoard {
    pub view: TaskView,
    pub title: String,
    pub buttons: Vec<Button>,
    /// Why moves the state allows are not this person's ("signoff on
    /// infrastructure is for the subscriber (Accountable) …").
    pub not_yours: Vec<String>,
    pub items: Vec<ItemBoard>,
    /// The party that may check each item, when items may change now.
    pub may_comment: bool,
    pub may_set_due: bool,
}

#[derive(Debug, Serialize)]
pub struct ItemBoard {
    pub view: ItemView,
    /// Whether this person may toggle it now (check it, or uncheck it).
    pub toggle: bool,
    pub not_yours: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CycleBoard {
    pub view: CycleView,
    pub buttons: Vec<Button>,
    pub not_yours: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TicketBoard {
    pub view: TicketView,
    pub buttons: Vec<Button>,
    pub not_yours: Vec<String>,
    pub may_comment: bool,
}

/// The forms that need no state of their own: each open, or why not.
#[derive(Debug, Serialize)]
pub struct Forms {
    pub handover: Option<String>,
    pub backup: Option<String>,
    pub cycle: Option<String>,
    pub ticket: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct InstallationBoard {
    pub status: StatusView,
    pub tasks: Vec<TaskBoard>,
    pub cycles: Vec<CycleBoard>,
    pub tickets: Vec<TicketBoard>,
    pub backups: Vec<BackupView>,
    pub handovers: Vec<HandoverView>,
    pub log: Vec<EventView>,
    /// `None`: the form is this person's; otherwise why not.
    pub forms: Forms,
    pub party: Party,
}

fn reason_of<A>(offers: &[Offer<A>]) -> Vec<String> {
    offers.iter().filter_map(|o| o.not_yours.clone()).collect()
}

fn why_not<A>(o: Offer<A>) -> Option<String> {
    o.not_yours
}

/// One installation as `ctx`'s person may act on it.
pub fn installation(store: &mut Store, ctx: &Context, id: &str) -> Result<InstallationBoard> {
    let status = super::reads::status(store, ctx, id)?;
    let log = super::reads::log(store, ctx, id)?;
    let items = super::reads::checklist(store, ctx, id, None)?;
    let inst_id: crate::domain::values::Id = status.installation.parse()?;
    let backups = super::operations::backups(store, ctx, &inst_id)?;
    let handovers = super::tasks::handovers(store, ctx, &inst_id)?;
    let cycles_all = super::operations::cycles(store, ctx, &inst_id)?;
    let tickets_all = super::operations::tickets(store, ctx, &inst_id)?;
    store.read(|tx| {
        let (person, actor) = acting(tx, ctx)?;
        let inst = visible_installation(tx, Some(&person), id)?;
        let matrix = tx.matrix()?;
        let rows = OperationRows::of(matrix)?;
        let base = format!("/installations/{}", inst.id);
        let retired = inst.retired;
        let rows_of_tasks = tx.tasks(&inst.id)?;
        let mut tasks = Vec::new();
        for view in &status.tasks {
            let def = find_def(matrix, &view.task)?;
            let Some(row) = rows_of_tasks.iter().find(|r| r.key == def.key) else { continue };
            let facts = super::tasks::facts(tx, &inst.id, def, None)?;
            let offers = if retired {
                Vec::new()
            } else {
                moves::task_moves(def, row.status, &facts, &actor)
            };
            let buttons = offers
                .iter()
                .filter(|o| o.yours())
                .map(|o| Button {
                    path: format!("{base}/tasks/{}/{}", def.key, o.action),
                    label: o.action.to_string(),
                    needs_reason: matches!(
                        o.action,
                        Verb::Reject | Verb::Waive | Verb::Block | Verb::Reopen
                    ),
                })
                .collect();
            let item_boards = items
                .iter()
                .filter(|i| i.task == def.key)
                .map(|i| {
                    let offer = def.item(&i.item).and_then(|item| {
                        moves::item_move(def, item, &actor, row.status.state, i.checked)
                    });
                    ItemBoard {
                        view: i.clone(),
                        toggle: !retired && offer.as_ref().is_some_and(Offer::yours),
                        not_yours: offer.and_then(why_not),
                    }
                })
                .collect();
            tasks.push(TaskBoard {
                view: view.clone(),
                title: def.title.clone(),
                buttons,
                not_yours: reason_of(&offers),
                items: item_boards,
                may_comment: !retired
                    && !def.recurring
                    && rules::authorize(Verb::Comment, def, &actor).is_ok(),
                may_set_due: !retired
                    && !def.recurring
                    && row.status.state != TaskState::SignedOff
                    && rules::authorize(Verb::Due, def, &actor).is_ok(),
            });
        }
        let mut cycles = Vec::new();
        for view in cycles_all {
            let Some(c) = tx.cycle(&inst.id, view.cycle)? else { continue };
            let cycle =
                Cycle { number: c.number, state: c.state, snapshot: c.snapshot, access: c.access };
            let offers =
                if retired { Vec::new() } else { moves::cycle_moves(cycle, &rows, &actor) };
            let buttons = offers
                .iter()
                .filter(|o| o.yours())
                .map(|o| Button {
                    path: format!("{base}/updates/{}/{}", c.number, words::cycle_word(o.action)),
                    label: o.action.name().to_string(),
                    needs_reason: words::cycle_needs_reason(o.action),
                })
                .collect();
            cycles.push(CycleBoard { view, buttons, not_yours: reason_of(&offers) });
        }
        let comment = moves::operation(Operation::Ticket(TicketAction::Comment), &rows, &actor);
        let mut tickets = Vec::new();
        for view in tickets_all {
            let state = view.state.unwrap_or(crate::domain::operations::TicketState::Closed);
            let offers = if retired {
                Vec::new()
            } else {
                moves::ticket_moves(&view.ticket, state, &rows, &actor)
            };
            let buttons = offers
                .iter()
                .filter(|o| o.yours())
                .map(|o| Button {
                    path: format!(
                        "{base}/tickets/{}/{}",
                        view.ticket,
                        words::ticket_word(o.action)
                    ),
                    label: words::ticket_word(o.action).to_string(),
                    needs_reason: o.action == TicketAction::Reopen,
                })
                .collect();
            tickets.push(TicketBoard {
                view,
                buttons,
                not_yours: reason_of(&offers),
                may_comment: !retired && comment.yours(),
            });
        }
        let closed = |why: Option<String>| {
            if retired {
                Some(format!("{} is retired and takes no more changes", inst.id))
            } else {
                why
            }
        };
        let handover_def = matrix.of_kind(crate::domain::matrix::RowKind::Handover);
        let handover = handover_def.and_then(|d| rules::authorize_handover(d, &actor).err());
        let forms = Forms {
            handover: closed(handover.map(|e| e.message)),
            backup: closed(why_not(moves::operation(Operation::Backup, &rows, &actor))),
            cycle: closed(why_not(moves::operation(Operation::CycleStart, &rows, &actor))),
            ticket: closed(why_not(moves::operation(
                Operation::Ticket(TicketAction::Open),
                &rows,
                &actor,
            ))),
        };
        Ok(InstallationBoard {
            status,
            tasks,
            cycles,
            tickets,
            backups,
            handovers,
            log,
            forms,
            party: person.party,
        })
    })
}

/// One row of the installations page: where the installation stands.
#[derive(Debug, Serialize)]
pub struct InstallationRow {
    pub id: String,
    pub subscriber: String,
    /// The first one-shot task not yet done, or `operating`.
    pub stage: String,
    pub next_move: Option<Party>,
    pub retired: bool,
}

/// The installations `ctx`'s person sees whose ID or subscriber contains
/// `search` (ignoring case), at most `limit` of them, and whether there are more.
pub fn installations(
    store: &mut Store,
    ctx: &Context,
    search: &str,
    limit: usize,
) -> Result<(Vec<InstallationRow>, bool)> {
    let needle = search.trim().to_lowercase();
    let mut found = Vec::new();
    let mut more = false;
    super::reads::installations(store, ctx, false, |i| {
        let hit = needle.is_empty()
            || i.id.to_lowercase().contains(&needle)
            || i.subscriber.to_lowercase().contains(&needle);
        if hit {
            if found.len() < limit {
                found.push(i);
            } else {
                more = true;
            }
        }
        Ok(())
    })?;
    let mut rows = Vec::with_capacity(found.len());
    for i in found {
        let status = super::reads::status(store, ctx, &i.id)?;
        let open = status
            .tasks
            .iter()
            .find(|t| t.state.is_some_and(|s| !s.is_done() && s != TaskState::Recurring));
        rows.push(InstallationRow {
            stage: open.map_or_else(|| "operating".to_string(), |t| t.task.clone()),
            next_move: open.and_then(|t| t.next_move),
            id: i.id,
            subscriber: i.subscriber,
            retired: i.retired,
        });
    }
    Ok((rows, more))
}
