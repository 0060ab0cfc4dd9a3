//! Reads: status, the audit log, checklists, people, installations and the
//! matrix. Each runs in one read transaction and returns views.

use super::{Context, find_def, viewer, visible_installation};
use crate::domain::authority;
use crate::domain::matrix::Matrix;
use crate::domain::operations::TicketState;
use crate::domain::rules;
use crate::domain::{Letter, TaskState};
use crate::error::Result;
use crate::store::{Store, TaskRow};
use crate::view::{
    CycleView, EventView, InstallationView, ItemView, MatrixRowView, PersonView, StatusView,
    TaskView, TicketView,
};

/// Every task of one installation, with whose move it is.
pub fn status(store: &mut Store, ctx: &Context, id: &str) -> Result<StatusView> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), id)?;
        let matrix = tx.matrix()?;
        let rows = tx.tasks(&inst.id)?;
        let cycles = tx
            .cycles(&inst.id)?
            .into_iter()
            .filter(|c| c.state.is_open())
            .map(CycleView::from)
            .collect();
        let tickets = tx
            .tickets(&inst.id)?
            .into_iter()
            .filter(|t| t.state != TicketState::Closed)
            .map(TicketView::from)
            .collect();
        Ok(StatusView {
            tasks: task_views(matrix, &rows, ctx),
            cycles,
            tickets,
            installation: inst.id,
            retired: inst.retired,
            subscriber: inst.subscriber,
            appliance_id: inst.appliance_id,
        })
    })
}

fn task_views(matrix: &Matrix, rows: &[TaskRow], ctx: &Context) -> Vec<TaskView> {
    let state_of = |key: &str| rows.iter().find(|r| r.key == key).map(|r| r.status.state);
    let today = ctx.today().format("%Y-%m-%d").to_string();
    rows.iter()
        .filter_map(|row| {
            let def = matrix.task(&row.key)?;
            let predecessors_done = rules::predecessors_done(def, state_of);
            let open = !row.status.state.is_done() && row.status.state != TaskState::Recurring;
            Some(TaskView {
                task: row.key.clone(),
                state: Some(row.status.state),
                responsible: def.holders(Letter::R),
                accountable: def.holders(Letter::A),
                next_move: rules::next_move(def, row.status, predecessors_done),
                overdue: open && row.due.as_deref().is_some_and(|d| d < today.as_str()),
                due: row.due.clone(),
                since: row.since.clone(),
            })
        })
        .collect()
}

/// One installation's audit trail, oldest first.
pub fn log(store: &mut Store, ctx: &Context, id: &str) -> Result<Vec<EventView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), id)?;
        Ok(tx.events(&inst.id)?.into_iter().map(EventView::from).collect())
    })
}

pub fn checklist(
    store: &mut Store,
    ctx: &Context,
    id: &str,
    task: Option<&str>,
) -> Result<Vec<ItemView>> {
    store.read(|tx| {
        let inst = visible_installation(tx, viewer(tx, ctx)?.as_ref(), id)?;
        let matrix = tx.matrix()?;
        if let Some(task) = task {
            find_def(matrix, task)?;
        }
        let label = |task: &str, item: &str| {
            matrix
                .task(task)
                .and_then(|d| d.item(item))
                .map(|i| i.label.clone())
                .unwrap_or_default()
        };
        Ok(tx
            .items(&inst.id, task)?
            .into_iter()
            .map(|i| ItemView {
                label: label(&i.task, &i.item),
                task: i.task,
                item: i.item,
                owner: Some(i.owner),
                checked: i.checked_by.is_some(),
                checked_by: i.checked_by,
                checked_at: i.checked_at,
                note: i.note,
            })
            .collect())
    })
}

/// Everyone the reader sees: a subscriber's person sees the vendor's people
/// and their own subscriber's.
pub fn persons(store: &mut Store, ctx: &Context) -> Result<Vec<PersonView>> {
    store.read(|tx| {
        let viewer = viewer(tx, ctx)?;
        Ok(tx
            .persons()?
            .into_iter()
            .filter(|p| authority::sees_person(viewer.as_ref(), p))
            .map(PersonView::from)
            .collect())
    })
}

/// The installations the reader sees, by ID, handed to `f` one at a time;
/// retired ones only with `all`.
pub fn installations(
    store: &mut Store,
    ctx: &Context,
    all: bool,
    mut f: impl FnMut(InstallationView) -> Result<()>,
) -> Result<()> {
    store.read(|tx| {
        let viewer = viewer(tx, ctx)?;
        tx.each_installation(|i| {
            if (all || !i.retired) && authority::sees(viewer.as_ref(), &i.subscriber) {
                f(InstallationView::from(i))?;
            }
            Ok(())
        })
    })
}

pub fn matrix(store: &mut Store) -> Result<Matrix> {
    store.read(|tx| tx.matrix().cloned())
}

/// The matrix as the JSON contract has it: the seed's rows, letters as arrays.
pub fn matrix_rows(matrix: &Matrix) -> Vec<MatrixRowView> {
    matrix
        .tasks
        .iter()
        .map(|t| MatrixRowView {
            task: t.key.clone(),
            title: t.title.clone(),
            vendor: t.vendor.list(),
            subscriber: t.subscriber.list(),
            notes: t.notes.clone(),
            vendor_name: matrix.vendor_name.clone(),
            vendor_cell: t.vendor_cell.clone(),
            subscriber_cell: t.subscriber_cell.clone(),
        })
        .collect()
}
