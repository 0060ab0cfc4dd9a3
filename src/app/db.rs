//! `db check` and `db backup`: the tracker's own database, checked and copied.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::domain::ledger::change_of;
use crate::domain::records::ReadMark;
use crate::domain::replay::{Global, InstallationReplay, InstallationState};
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
    /// Whether the template tables hold what the migrations put there.
    pub template_agrees: bool,
    pub problem: Option<String>,
}

/// The first field in which two records differ: (field, table's, ledger's).
fn first_difference<T: Serialize>(table: &T, ledger: &T) -> Option<(String, Value, Value)> {
    let (a, b) = (serde_json::to_value(table).ok()?, serde_json::to_value(ledger).ok()?);
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => a.into_iter().find_map(|(field, va)| {
            let vb = b.get(&field).cloned().unwrap_or(Value::Null);
            (va != vb).then_some((field, va, vb))
        }),
        (a, b) => (a != b).then(|| ("value".to_string(), a, b)),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "empty".into(),
        other => other.to_string(),
    }
}

/// Compares the rows a table holds with the rows the ledger leaves, matched
/// by `key`, naming the first row that is missing, extra or different.
fn compare<T: Serialize>(
    what: &str,
    of: &str,
    key: impl Fn(&T) -> String,
    table: &[T],
    ledger: &[T],
) -> Option<String> {
    fn keyed<'r, T>(rows: &'r [T], key: &impl Fn(&T) -> String) -> Vec<(String, &'r T)> {
        rows.iter().map(|r| (key(r), r)).collect()
    }
    compare_keyed(what, of, keyed(table, &key), keyed(ledger, &key))
}

/// [`compare`] for rows with no key of their own: matched by their place.
fn compare_in_order<T: Serialize>(
    what: &str,
    of: &str,
    table: &[T],
    ledger: &[T],
) -> Option<String> {
    fn numbered<T>(rows: &[T]) -> Vec<(String, &T)> {
        rows.iter().enumerate().map(|(n, r)| (format!("#{}", n + 1), r)).collect()
    }
    compare_keyed(what, of, numbered(table), numbered(ledger))
}

fn compare_keyed<T: Serialize>(
    what: &str,
    of: &str,
    table: Vec<(String, &T)>,
    ledger: Vec<(String, &T)>,
) -> Option<String> {
    let table: BTreeMap<String, &T> = table.into_iter().collect();
    let ledger: BTreeMap<String, &T> = ledger.into_iter().collect();
    for (k, row) in &table {
        let Some(expected) = ledger.get(k) else {
            return Some(format!("{what} {k}{of} is in the table, but no event made it"));
        };
        if let Some((field, is, was)) = first_difference(*row, *expected) {
            return Some(format!(
                "{what} {k}{of}: {field} is {} in the table but {} in the ledger",
                shown(&is),
                shown(&was)
            ));
        }
    }
    ledger
        .keys()
        .find(|k| !table.contains_key(*k))
        .map(|k| format!("{what} {k}{of} is in the ledger but missing from the table"))
}

/// Compares one installation as replayed with what the tables hold for it.
fn compare_installation(tx: &Tx<'_>, replayed: &InstallationState) -> Result<Option<String>> {
    use crate::store::{CycleRow, Installation, ItemRow, TaskRow, TicketRow};
    let id = replayed.installation.id.as_str();
    let Some(inst) = tx.installation(id)? else {
        return Ok(Some(format!("installation {id} is in the ledger but missing from the table")));
    };
    let of = format!(" of {id}");
    let of = of.as_str();
    let r = replayed;
    let checks: [&dyn Fn() -> Result<Option<String>>; 7] = [
        &|| {
            let one = std::slice::from_ref(&r.installation);
            Ok(compare(
                "installation",
                "",
                |i: &Installation| i.id.clone(),
                std::slice::from_ref(&inst),
                one,
            ))
        },
        &|| Ok(compare("task", of, |t: &TaskRow| t.key.clone(), &tx.tasks(id)?, &r.tasks)),
        &|| {
            let key = |i: &ItemRow| format!("{}/{}", i.task, i.item);
            Ok(compare("checklist item", of, key, &tx.items(id, None)?, &r.items))
        },
        &|| Ok(compare_in_order("handover", of, &tx.handovers(id)?, &r.handovers)),
        &|| Ok(compare_in_order("backup", of, &tx.backups_recorded(id)?, &r.backups)),
        &|| {
            let key = |c: &CycleRow| c.number.to_string();
            Ok(compare("update cycle", of, key, &tx.cycles(id)?, &r.cycles))
        },
        &|| {
            let key = |t: &TicketRow| t.reference.clone();
            Ok(compare("ticket", of, key, &tx.tickets(id)?, &r.tickets))
        },
    ];
    // The first disagreement, and no query after it.
    for check in checks {
        if let Some(found) = check()? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Replays the whole ledger (people and read marks first, then each
/// installation in turn) and compares every record it leaves with every
/// column of the state tables, so a state forged with plain SQL is found
/// like a forged event. Returns the first disagreement.
fn state_disagreement(tx: &Tx<'_>) -> Result<Option<String>> {
    let matrix = tx.matrix()?;
    let mut problem: Option<String> = None;
    let mut global = Global::default();
    tx.each_global_event(|e| {
        if problem.is_none() {
            let applied = change_of(&e).and_then(|c| match c {
                Some(change) => global.apply(&e, &change),
                None => Ok(()),
            });
            if let Err(why) = applied {
                problem = Some(format!("audit event {} cannot be replayed: {why}", e.id));
            }
        }
        Ok(())
    })?;
    if problem.is_some() {
        return Ok(problem);
    }
    let people: Vec<_> = global.people.values().cloned().collect();
    if let Some(p) =
        compare("person", "", |p: &crate::store::Person| p.handle.clone(), &tx.persons()?, &people)
    {
        return Ok(Some(p));
    }
    let marks: Vec<ReadMark> = global
        .read_marks
        .iter()
        .map(|((handle, event), at)| ReadMark {
            handle: handle.clone(),
            event: *event,
            read_at: at.clone(),
        })
        .collect();
    let key = |m: &ReadMark| format!("{}/{}", m.handle, m.event);
    if let Some(p) = compare("read mark", "", key, &tx.read_marks()?, &marks) {
        return Ok(Some(p));
    }
    let mut unseen: BTreeSet<String> = tx.installations()?.into_iter().map(|i| i.id).collect();
    let mut current: Option<(String, InstallationReplay<'_>)> = None;
    let finish = |done: Option<(String, InstallationReplay<'_>)>,
                  unseen: &mut BTreeSet<String>|
     -> Result<Option<String>> {
        let Some((id, replay)) = done else { return Ok(None) };
        unseen.remove(&id);
        match replay.state {
            None => Ok(Some(format!("installation {id} has events but none that added it"))),
            Some(mut state) => {
                if let Some(baseline) = &global.baseline {
                    state.patch(baseline);
                }
                compare_installation(tx, &state)
            }
        }
    };
    tx.each_event(None, |e| {
        if problem.is_some() {
            return Ok(());
        }
        let id = e.installation.clone().unwrap_or_default();
        if current.as_ref().is_none_or(|(cur, _)| *cur != id) {
            problem = finish(current.take(), &mut unseen)?;
            current = Some((id, InstallationReplay::new(matrix)));
        }
        if let Some((_, replay)) = current.as_mut() {
            let applied = change_of(&e).and_then(|c| replay.apply(&e, c.as_ref()));
            if let Err(why) = applied {
                problem = Some(format!("audit event {} cannot be replayed: {why}", e.id));
            }
        }
        Ok(())
    })?;
    if problem.is_none() {
        problem = finish(current.take(), &mut unseen)?;
    }
    if problem.is_none()
        && let Some(id) = unseen.first()
    {
        problem = Some(format!("installation {id} is in the table, but no event added it"));
    }
    Ok(problem)
}

/// Runs every check; the view says whether the database is sound, and if
/// not, what the first problem is.
pub fn check(store: &mut Store) -> Result<CheckView> {
    let sqlite = store.sqlite_checks()?;
    let chain = store.read(|tx| tx.verify_chain())?;
    let template = store.template_disagreement()?;
    let state = if chain.broken.is_none() && template.is_none() {
        store.read(state_disagreement)?
    } else {
        None
    };
    let state_agrees = chain.broken.is_none() && template.is_none() && state.is_none();
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
            .or(template.clone().map(|t| format!("the template was changed: {t}")))
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
        template_agrees: template.is_none(),
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
    if same_file(db, dest) || side_file_of(db, dest) {
        return Err(Error::bad_input(format!(
            "{} is the database itself or one of its files; back up to another file",
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

/// Whether `dest` is one of the files SQLite keeps beside the database
/// (`-wal`, `-shm`, `-journal`), which SQLite would overwrite or delete.
fn side_file_of(db: &Path, dest: &Path) -> bool {
    let dir = |p: &Path| {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        parent.canonicalize().ok()
    };
    let (Some(db_name), Some(dest_name)) = (db.file_name(), dest.file_name()) else {
        return false;
    };
    let db_name = db_name.to_string_lossy();
    dir(db).is_some()
        && dir(db) == dir(dest)
        && ["-wal", "-shm", "-journal"]
            .iter()
            .any(|suffix| dest_name.to_string_lossy() == format!("{db_name}{suffix}"))
}

/// Whether two paths name one file: the same path, or a hard link to it.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}
