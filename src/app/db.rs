//! `db check` and `db backup`: the tracker's own database, checked and copied.

use std::path::Path;

use serde::Serialize;

use std::collections::HashMap;

use crate::domain::TaskState;
use crate::error::{Error, Result};
use crate::store::{Store, Tx};

/// What `db check` found.
#[derive(Debug, Default, Serialize)]
pub struct CheckView {
    pub sound: bool,
    pub integrity: String,
    pub foreign_key_violations: u64,
    /// Events whose hash verified.
    pub events: u64,
    pub head_event: Option<i64>,
    pub head_hash: Option<String>,
    /// The first event that does not verify.
    pub broken_event: Option<i64>,
    /// Whether the tasks, cycles, tickets, checklist items and people are
    /// where the audit log leaves them (checked once the chain verifies).
    pub state_agrees: bool,
    pub problem: Option<String>,
}

/// Replays the ledger and compares where it leaves every task, cycle,
/// ticket, checklist item and person with what the state tables claim, so a
/// state forged with plain SQL (a task marked signed off with no sign-off
/// event) is found like a forged event. Returns the first disagreement.
fn state_disagreement(tx: &Tx<'_>) -> Result<Option<String>> {
    let matrix = tx.matrix()?;
    let mut tasks: HashMap<(String, String), String> = HashMap::new();
    let mut cycles: HashMap<(String, i64), String> = HashMap::new();
    let mut tickets: HashMap<(String, String), String> = HashMap::new();
    let mut items: HashMap<(String, String, String), bool> = HashMap::new();
    let mut people: HashMap<String, (String, String)> = HashMap::new();
    tx.each_ledger_event(|e| {
        let installation = e.installation.clone().unwrap_or_default();
        match (e.action.as_str(), &e.task, e.cycle, &e.ticket, &e.to) {
            ("person-add", ..) => {
                // The note reads "handle (party role)".
                if let Some((handle, rest)) = e.note.as_deref().and_then(|n| n.split_once(" (")) {
                    let rest = rest.trim_end_matches(')');
                    if let Some((party, role)) = rest.split_once(' ') {
                        people.insert(handle.to_string(), (party.to_string(), role.to_string()));
                    }
                }
            }
            ("installation-add", ..) => {
                for def in &matrix.tasks {
                    let state =
                        if def.recurring { TaskState::Recurring } else { TaskState::Pending };
                    tasks.insert((installation.clone(), def.key.clone()), state.to_string());
                }
            }
            ("check" | "uncheck", Some(task), None, None, _) => {
                let item = e.note.as_deref().unwrap_or("").split(':').next().unwrap_or("");
                items.insert((installation, task.clone(), item.to_string()), e.action == "check");
            }
            (_, _, Some(n), _, Some(to)) => {
                cycles.insert((installation, n), to.clone());
            }
            (_, _, None, Some(reference), Some(to)) => {
                tickets.insert((installation, reference.clone()), to.clone());
            }
            (_, Some(task), None, None, Some(to)) => {
                tasks.insert((installation, task.clone()), to.clone());
            }
            _ => {}
        }
        Ok(())
    })?;
    let claimed = tx.claimed_state()?;
    for ((installation, task), state) in &claimed.tasks {
        let logged = tasks.get(&(installation.clone(), task.clone()));
        if logged != Some(state) {
            return Ok(Some(format!(
                "task {task} of {installation} is {state} but its audit log leaves it {}",
                logged.map_or("without a record", String::as_str)
            )));
        }
    }
    for ((installation, n), state) in &claimed.cycles {
        let logged = cycles.get(&(installation.clone(), *n));
        if logged != Some(state) {
            return Ok(Some(format!(
                "update cycle {n} of {installation} is {state} but its audit log leaves it {}",
                logged.map_or("without a record", String::as_str)
            )));
        }
    }
    for ((installation, reference), state) in &claimed.tickets {
        let logged = tickets.get(&(installation.clone(), reference.clone()));
        if logged != Some(state) {
            return Ok(Some(format!(
                "ticket {reference} of {installation} is {state} but its audit log leaves it {}",
                logged.map_or("without a record", String::as_str)
            )));
        }
    }
    let mut expected_items = 0;
    for ((installation, task, item), checked) in &claimed.items {
        let logged = items
            .get(&(installation.clone(), task.clone(), item.clone()))
            .copied()
            .unwrap_or(false);
        if logged != *checked {
            return Ok(Some(format!(
                "item {item} of {task} on {installation} is {} but its audit log leaves it {}",
                if *checked { "checked" } else { "unchecked" },
                if logged { "checked" } else { "unchecked" }
            )));
        }
        expected_items += 1;
    }
    let instantiated: usize =
        tasks.keys().map(|(i, _)| i).collect::<std::collections::HashSet<_>>().len()
            * matrix.tasks.iter().map(|t| t.items.len()).sum::<usize>();
    if expected_items != instantiated {
        return Ok(Some(format!(
            "the checklists hold {expected_items} items but the installations in the audit log need {instantiated}; an item was added or deleted outside raci"
        )));
    }
    if claimed.tasks.len() != tasks.len() {
        return Ok(Some(format!(
            "the task table holds {} tasks but the audit log accounts for {}; a task was added or deleted outside raci",
            claimed.tasks.len(),
            tasks.len()
        )));
    }
    for (handle, (party, role)) in &claimed.people {
        if let Some((logged_party, logged_role)) = people.get(handle)
            && (logged_party != party || logged_role != role)
        {
            return Ok(Some(format!(
                "person {handle} is {party} {role} but was added as {logged_party} {logged_role}"
            )));
        }
    }
    Ok(None)
}

/// Runs every check; the view says whether the database is sound, and if
/// not, what the first problem is.
pub fn check(store: &mut Store) -> Result<CheckView> {
    let sqlite = store.sqlite_checks()?;
    let chain = store.read(|tx| tx.verify_chain())?;
    let state = if chain.broken.is_none() { store.read(state_disagreement)? } else { None };
    let state_agrees = chain.broken.is_none() && state.is_none();
    let problem = if sqlite.integrity != "ok" {
        Some(format!("SQLite's integrity check failed: {}", sqlite.integrity))
    } else if sqlite.foreign_key_violations > 0 {
        Some(format!(
            "{} rows break a foreign key (a row points at one that does not exist)",
            sqlite.foreign_key_violations
        ))
    } else {
        chain
            .broken
            .as_ref()
            .map(|(id, why)| format!("audit event {id} does not verify: {why}"))
            .or(state.map(|s| format!("the state disagrees with the audit log: {s}")))
    };
    Ok(CheckView {
        sound: problem.is_none(),
        integrity: sqlite.integrity,
        foreign_key_violations: sqlite.foreign_key_violations,
        events: chain.events,
        head_event: chain.head.as_ref().map(|(id, _)| *id),
        head_hash: chain.head.map(|(_, hash)| hash),
        state_agrees,
        broken_event: chain.broken.map(|(id, _)| id),
        problem,
    })
}

/// The error a failed check exits with.
pub fn unsound(view: &CheckView) -> Error {
    Error::storage(format!(
        "the database is not sound: {}",
        view.problem.as_deref().unwrap_or("unknown problem")
    ))
}

/// Copies the database to a temporary file beside `dest`, checks the copy,
/// and only then renames it over `dest`.
pub fn backup(store: &mut Store, db: &Path, dest: &Path) -> Result<CheckView> {
    if dest.as_os_str().is_empty() {
        return Err(Error::bad_input("the backup file is empty; expected a file path"));
    }
    if same_file(db, dest) {
        return Err(Error::bad_input(format!(
            "{} is the database itself; back up to another file",
            dest.display()
        )));
    }
    let copy = store.backup_to(dest)?;
    let view = check(&mut Store::open(copy.path(), crate::store::IfMissing::Refuse)?)?;
    if !view.sound {
        return Err(unsound(&view));
    }
    copy.replace()?;
    Ok(view)
}

/// Whether two paths name one file: the same path, or a hard link to it.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}
