//! `db check` and `db backup`: the tracker's own database, checked and copied.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::domain::ledger::{change_of, display_agrees};
use crate::domain::records::ReadMark;
use crate::domain::replay::{Global, InstallationReplay, InstallationState};
use crate::error::{Error, Result};
use crate::store::ledger::{ChainReport, Stored};
use crate::store::state::Held;
use crate::store::{Event, Store, Tx};

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
fn compare_installation(replayed: &InstallationState, held: &Held) -> Option<String> {
    use crate::store::{CycleRow, Installation, ItemRow, TaskRow, TicketRow};
    let id = replayed.installation.id.as_str();
    let Some(inst) = &held.installation else {
        return Some(format!("installation {id} is in the ledger but missing from the table"));
    };
    let of = format!(" of {id}");
    let of = of.as_str();
    let r = replayed;
    let one = std::slice::from_ref;
    compare("installation", "", |i: &Installation| i.id.clone(), one(inst), one(&r.installation))
        .or_else(|| compare("task", of, |t: &TaskRow| t.key.clone(), &held.tasks, &r.tasks))
        .or_else(|| {
            let key = |i: &ItemRow| format!("{}/{}", i.task, i.item);
            compare("checklist item", of, key, &held.items, &r.items)
        })
        .or_else(|| compare_in_order("handover", of, &held.handovers, &r.handovers))
        .or_else(|| compare_in_order("backup", of, &held.backups, &r.backups))
        .or_else(|| {
            let key = |c: &CycleRow| c.number.to_string();
            compare("update cycle", of, key, &held.cycles, &r.cycles)
        })
        .or_else(|| {
            let key = |t: &TicketRow| t.reference.clone();
            compare("ticket", of, key, &held.tickets, &r.tickets)
        })
}

/// The first event found that does not verify, by id.
fn note_broken(broken: &mut Option<(i64, String)>, id: i64, why: String) {
    if broken.as_ref().is_none_or(|(first, _)| id < *first) {
        *broken = Some((id, why));
    }
}

/// One pass over the ledger that both verifies every event's hash and
/// replays it: people and read marks first (the events that name no
/// installation), then each installation in turn, compared with every
/// column of the state tables as it ends, so a state forged with plain SQL
/// is found like a forged event. That each event follows the one before it
/// is checked in SQL. Returns what the chain shows, and the first
/// disagreement of the state (which counts only where the chain verifies).
fn ledger_and_state(tx: &Tx<'_>) -> Result<(ChainReport, Option<String>)> {
    let matrix = tx.matrix()?;
    let mut broken = tx.chain_links()?;
    let mut problem: Option<String> = None;
    let mut global = Global::default();
    let read = |stored: std::result::Result<Stored, (i64, String)>,
                broken: &mut Option<(i64, String)>|
     -> Result<Option<Event>> {
        match stored {
            Err((id, why)) => {
                note_broken(broken, id, why);
                Ok(None)
            }
            Ok(stored) => {
                if let Some(why) = stored.content_problem()? {
                    note_broken(broken, stored.event.id, why.to_string());
                }
                Ok(Some(stored.event))
            }
        }
    };
    tx.each_stored_event(true, |stored| {
        let Some(e) = read(stored, &mut broken)? else { return Ok(()) };
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
    if problem.is_none() {
        let people: Vec<_> = global.people.values().cloned().collect();
        let key = |p: &crate::store::Person| p.handle.clone();
        problem = compare("person", "", key, &tx.persons()?, &people);
    }
    if problem.is_none() {
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
        problem = compare("read mark", "", key, &tx.read_marks()?, &marks);
    }
    if problem.is_none() {
        let keys: Vec<_> = global.keys.values().cloned().collect();
        let key = |k: &crate::domain::records::KeyRow| k.fingerprint.clone();
        let held = tx.keys(None)?;
        problem = compare("key", "", key, &held, &keys);
    }
    if problem.is_none() {
        let policies: Vec<_> = global.policies.values().cloned().collect();
        let key = |p: &crate::domain::records::PolicyRow| p.organisation.clone();
        problem = compare("policy", "", key, &tx.policies()?, &policies);
    }
    let no_events =
        |id: String| format!("installation {id} is in the tables, but no event added it");
    let baseline = global.baseline.take();
    tx.with_state_tables(|tables| {
        let mut current: Option<(String, InstallationReplay<'_>)> = None;
        let mut finish =
            |done: Option<(String, InstallationReplay<'_>)>| -> Result<Option<String>> {
                let Some((id, replay)) = done else { return Ok(None) };
                let (held, skipped) = tables.take(&id)?;
                if let Some(skipped) = skipped {
                    return Ok(Some(no_events(skipped)));
                }
                Ok(match replay.state {
                    None => Some(format!("installation {id} has events but none that added it")),
                    Some(mut state) => {
                        if let Some(baseline) = &baseline {
                            state.patch(baseline);
                        }
                        compare_installation(&state, &held)
                    }
                })
            };
        tx.each_stored_event(false, |stored| {
            let Some(e) = read(stored, &mut broken)? else { return Ok(()) };
            if problem.is_some() {
                return Ok(());
            }
            let id = e.installation.as_deref().unwrap_or_default();
            if current.as_ref().is_none_or(|(cur, _)| cur != id) {
                problem = finish(current.take())?;
                current = Some((id.to_string(), InstallationReplay::new(matrix)));
            }
            if let Some((_, replay)) = current.as_mut() {
                let applied = change_of(&e).and_then(|c| {
                    if let Some(change) = &c {
                        display_agrees(&e, change)?;
                    }
                    replay.apply(&e, c.as_ref())
                });
                if let Err(why) = applied {
                    problem = Some(format!("audit event {} cannot be replayed: {why}", e.id));
                }
            }
            Ok(())
        })?;
        if problem.is_none() {
            problem = finish(current.take())?;
        }
        if problem.is_none() {
            problem = tables.rest()?.map(no_events);
        }
        Ok(())
    })?;
    let (events, head) = tx.chain_head_summary()?;
    let chain = match broken {
        None => ChainReport { events, head, broken: None },
        Some((id, why)) => ChainReport {
            events: u64::try_from(id - 1).unwrap_or_default(),
            head: None,
            broken: Some((id, why)),
        },
    };
    Ok((chain, problem))
}

/// Runs every check; the view says whether the database is sound, and if
/// not, what the first problem is.
pub fn check(store: &mut Store) -> Result<CheckView> {
    let sqlite = store.sqlite_checks()?;
    let template = store.template_disagreement()?;
    let (chain, state) = store.read(ledger_and_state)?;
    // Signatures are re-verified only over a chain that verifies.
    let signatures = match chain.broken {
        None => store.read(super::signing::signature_problem)?,
        Some(_) => None,
    };
    // The state is compared only with a ledger that verifies and a template
    // as pinned: otherwise the replay itself proves nothing.
    let state = state.filter(|_| chain.broken.is_none() && template.is_none());
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
            .or(signatures)
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
