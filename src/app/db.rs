//! `db check` and `db backup`: the tracker's own database, checked and copied.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Store;

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
    pub problem: Option<String>,
}

/// Runs every check; the view says whether the database is sound, and if
/// not, what the first problem is.
pub fn check(store: &mut Store) -> Result<CheckView> {
    let sqlite = store.sqlite_checks()?;
    let chain = store.read(|tx| tx.verify_chain())?;
    let problem = if sqlite.integrity != "ok" {
        Some(format!(
            "SQLite's integrity check failed: {}",
            sqlite.integrity
        ))
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
    };
    Ok(CheckView {
        sound: problem.is_none(),
        integrity: sqlite.integrity,
        foreign_key_violations: sqlite.foreign_key_violations,
        events: chain.events,
        head_event: chain.head.as_ref().map(|(id, _)| *id),
        head_hash: chain.head.map(|(_, hash)| hash),
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

/// Copies the database to `dest` (replacing a file there) and checks the copy.
pub fn backup(store: &mut Store, db: &Path, dest: &Path) -> Result<CheckView> {
    if dest.as_os_str().is_empty() {
        return Err(Error::bad_input(
            "the backup file is empty; expected a file path",
        ));
    }
    if let (Ok(a), Ok(b)) = (db.canonicalize(), dest.canonicalize())
        && a == b
    {
        return Err(Error::bad_input(format!(
            "{} is the database itself; back up to another file",
            dest.display()
        )));
    }
    store.backup_to(dest)?;
    let mut copy = Store::open(dest)?;
    let view = check(&mut copy)?;
    if !view.sound {
        return Err(unsound(&view));
    }
    Ok(view)
}
