//! The one place that speaks SQL: opening and migrating the database,
//! transactions, and the queries the commands need. Every write runs in one
//! IMMEDIATE transaction that also appends its audit event (under a server's
//! writer, in a savepoint of a group's IMMEDIATE transaction: see
//! [`Store::begin_group`]).

mod apply;
pub mod identity;
pub mod ledger;
mod onboarding;
mod operations;
mod reports;
mod signing;
mod sql_types;
pub mod state;

pub(crate) use onboarding::event_row;
pub use onboarding::{Event, HandoverRow, Installation, ItemRow, Person, TaskRow};
pub use operations::{BackupRow, CycleRow, TicketRow};
pub use reports::{InboxRow, OperatingRow};

use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use include_dir::{Dir, include_dir};
use rusqlite::{Connection, ErrorCode, MAIN_DB, OpenFlags, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{HookError, M, Migrations};

use crate::domain::matrix::{ItemDef, Letters, Matrix, TaskDef};
use crate::domain::{Letter, Party, Role};
use crate::error::{Error, Result};

static MIGRATIONS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// The migration that adds the hash chain; it chains older events in the
/// same transaction.
const LEDGER_MIGRATION: &str = "05-ledger";
/// The migration that types the ledger; it records what older events lack.
const TYPED_LEDGER_MIGRATION: &str = "09-authority-ledger";

/// `PRAGMA application_id` of a raci database: "raci" in ASCII (migration 07).
const APPLICATION_ID: i64 = 0x7261_6369;

/// The collation that compares subscriber names as the rules do.
pub const FOLD_COLLATION: &str = "raci_fold";

/// How long a command waits for another raci's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded migrations, in order of their directories' names.
pub fn migrations() -> Result<Migrations<'static>> {
    let mut dirs: Vec<&Dir<'static>> = MIGRATIONS_DIR.dirs().collect();
    dirs.sort_by_key(|d| d.path());
    dirs.into_iter()
        .map(|dir| {
            let name = dir.path().file_name().and_then(|n| n.to_str()).unwrap_or("");
            let up = dir
                .get_file(dir.path().join("up.sql"))
                .and_then(|f| f.contents_utf8())
                .ok_or_else(|| Error::storage(format!("migration {name} has no up.sql")))?;
            Ok(match name {
                LEDGER_MIGRATION => M::up_with_hook(up, |tx: &rusqlite::Transaction<'_>| {
                    ledger::chain_unhashed(tx).map_err(|e| HookError::Hook(e.message))
                }),
                TYPED_LEDGER_MIGRATION => M::up_with_hook(up, |tx: &rusqlite::Transaction<'_>| {
                    ledger::upgrade_to_typed(tx).map_err(|e| HookError::Hook(e.message))
                }),
                _ => M::up(up),
            })
        })
        .collect()
}

/// The schema version this build of raci writes.
pub fn latest_version() -> usize {
    MIGRATIONS_DIR.dirs().count()
}

/// What opening does when there is no database at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    /// Create it, and its directory.
    Create,
    /// Refuse, creating nothing (no file, no directory).
    Refuse,
}

/// Whether there is a database to open at `path`: a file with something in
/// it. An empty file or a device (`/dev/null`) is no database, and a command
/// that may not create one must not turn it into one.
pub fn database_at(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) => meta.is_file() && meta.len() > 0,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// A change applies to exactly one row; anything else means the change and
/// the tables disagree, and the command must not commit.
fn exactly_one(rows: usize, what: impl std::fmt::Display) -> Result<()> {
    match rows {
        1 => Ok(()),
        n => Err(Error::storage(format!(
            "{what} should change one row but changed {n}; nothing was recorded, check the database with db check"
        ))),
    }
}

/// An open, migrated database.
pub struct Store {
    conn: Connection,
    /// Whether this user can only read it (no write permission on the file,
    /// or on the directory that holds its write-ahead log).
    read_only: bool,
    /// Between [`Store::begin_group`] and [`Store::end_group`]: one
    /// IMMEDIATE transaction is open, and each read or write is a savepoint
    /// in it.
    grouped: bool,
    /// The template's matrix as the last transaction read it, with the
    /// schema version it was read at: only a migration changes the
    /// template, so a long-lived connection (a server's) reads it once.
    matrix: Option<(usize, Arc<Matrix>)>,
}

impl Store {
    /// Opens and migrates the database at `path`. A database from a newer
    /// raci is refused untouched; one this user cannot write is opened
    /// read-only, so it can be read and checked, and every write is refused.
    pub fn open(path: &Path, missing: IfMissing) -> Result<Store> {
        Self::open_with_timeout(path, missing, BUSY_TIMEOUT)
    }

    /// [`Store::open`], waiting at most `timeout` for another writer.
    pub fn open_with_timeout(path: &Path, missing: IfMissing, timeout: Duration) -> Result<Store> {
        let located = |e: Error| Error::storage(format!("{}: {}", path.display(), e.message));
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match missing {
            IfMissing::Create => {
                flags |= OpenFlags::SQLITE_OPEN_CREATE;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Error::storage(format!(
                            "cannot create the directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
            IfMissing::Refuse if !database_at(path) => {
                return Err(Error::storage(format!("there is no database at {}", path.display())));
            }
            IfMissing::Refuse => {}
        }
        // Without write permission on the file, SQLite opens it read-only.
        let conn = Connection::open_with_flags(path, flags).map_err(|e| located(e.into()))?;
        let probe = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0));
        let conn = match probe {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
                ) && conn.is_readonly(MAIN_DB).unwrap_or(false) =>
            {
                drop(conn);
                immutable(path).map_err(located)?
            }
            _ => conn,
        };
        conn.busy_timeout(timeout).map_err(|e| located(e.into()))?;
        Self::prepare(conn).map_err(located)
    }

    /// A read-only connection to a database another connection migrated:
    /// a server's reads.
    pub fn open_reader(path: &Path) -> Result<Store> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        Self::prepare(conn)
    }

    /// Whether every write will be refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// This connection's journal mode and `synchronous` setting, as SQLite
    /// reports them (raci sets WAL and leaves synchronous at its default).
    pub fn durability(&self) -> Result<(String, &'static str)> {
        let journal: String = self.conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let synchronous: i64 = self.conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        let synchronous = match synchronous {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "unknown",
        };
        Ok((journal, synchronous))
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Self::prepare(conn)
    }

    fn prepare(mut conn: Connection) -> Result<Store> {
        // Subscriber names compare under Unicode case folding in SQL as in
        // the rules (`COLLATE raci_fold`); NOCASE folds ASCII only.
        conn.create_collation(FOLD_COLLATION, crate::domain::rules::compare_subscribers)?;
        // Read the version before anything could write to the file.
        let version = user_version(&conn)?;
        let latest = latest_version();
        let application_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let foreign = (application_id != 0 && application_id != APPLICATION_ID)
            || (version == 0
                && conn
                    .query_row("SELECT 1 FROM sqlite_schema LIMIT 1", [], |_| Ok(()))
                    .optional()?
                    .is_some());
        if foreign {
            return Err(Error::storage(
                "this SQLite file belongs to another program (it has tables but is not a raci database); it was left untouched, point --db at a raci database or a new path",
            ));
        }
        if version > latest {
            return Err(Error::storage(format!(
                "the database was written by a newer raci (schema version {version}; this raci knows up to {latest}); it was left untouched, use a newer raci"
            )));
        }
        let read_only = conn.is_readonly(MAIN_DB)?;
        if read_only && version < latest {
            return Err(Error::storage(format!(
                "the database is at schema version {version} and needs migrating to {latest}, but it is read-only for this user, so it cannot be migrated; ask someone who can write it to run this raci on it once"
            )));
        }
        conn.pragma_update(None, "foreign_keys", true)?;
        if version < latest {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
            conn.set_transaction_behavior(TransactionBehavior::Immediate);
            let migrated = migrations()?.to_latest(&mut conn);
            conn.set_transaction_behavior(TransactionBehavior::Deferred);
            // Another raci may have migrated the same new file at the same
            // moment; its work is as good as ours.
            if let Err(e) = migrated
                && user_version(&conn)? != latest
            {
                // The library's message can carry a whole migration's SQL: keep the cause.
                let cause = match &e {
                    rusqlite_migration::Error::RusqliteError { err, .. } => err.to_string(),
                    other => other.to_string(),
                };
                return Err(Error::storage(format!(
                    "cannot migrate the database to schema version {latest}: {cause}"
                )));
            }
        }
        Ok(Store { conn, read_only, grouped: false, matrix: None })
    }

    /// Runs `f` in one IMMEDIATE transaction: it commits only if `f`
    /// succeeds, so a refused command changes nothing. Inside a group, `f`
    /// runs in a savepoint instead, released only if `f` succeeds.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(read_only());
        }
        if self.grouped {
            return self.savepoint(f);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = run_in(&tx, &mut self.matrix, f)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one read transaction, so it sees one consistent snapshot
    /// (inside a group: the group's changes so far).
    pub fn read<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        if self.grouped {
            return self.savepoint(f);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = run_in(&tx, &mut self.matrix, f)?;
        tx.finish()?;
        Ok(out)
    }

    /// One command inside a group: dropped on an error, the savepoint rolls
    /// back what `f` did, and the group goes on without it.
    fn savepoint<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        // Outside a transaction a savepoint would begin (and its release
        // commit) one of its own: the group's was lost, so refuse.
        if self.conn.is_autocommit() {
            return Err(group_lost());
        }
        let mut sp = self.conn.savepoint()?;
        let out = run_in(&sp, &mut self.matrix, f);
        // Undo a refused command (ROLLBACK TO, then RELEASE) and check that
        // it was undone; keep a done one (RELEASE). If either fails, the
        // savepoint may still hold the command's rows: the whole group is
        // rolled back, so nothing it did can reach the group's commit.
        let settled = match &out {
            Ok(_) => sp.commit(),
            Err(_) => sp.rollback().and_then(|()| sp.commit()),
        };
        if let Err(e) = settled {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        out
    }

    /// Begins a group: one IMMEDIATE transaction in which each later
    /// [`Store::write`] (and read) is a savepoint, so several commands share
    /// one commit, and one sync of the log, while each stays all or nothing.
    /// Whoever begins a group must not report any of its commands done
    /// before [`Store::end_group`] committed it.
    pub fn begin_group(&mut self) -> Result<()> {
        if self.read_only {
            return Err(read_only());
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.grouped = true;
        Ok(())
    }

    /// Whether the group's transaction is still open: on some errors (a full
    /// disk, an I/O error) SQLite rolls back the whole transaction, and with
    /// it every command of the group so far.
    pub fn group_intact(&self) -> bool {
        self.grouped && !self.conn.is_autocommit()
    }

    /// Ends the group by committing it. An error means none of its commands
    /// was recorded.
    pub fn end_group(&mut self) -> Result<()> {
        self.grouped = false;
        if self.conn.is_autocommit() {
            return Err(group_lost());
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }
}

/// Runs `f` on a transaction (or savepoint) just begun, offering it the
/// matrix `kept` from an earlier one, and keeping the matrix `f` used.
fn run_in<T>(
    conn: &Connection,
    kept: &mut Option<(usize, Arc<Matrix>)>,
    f: impl FnOnce(&Tx<'_>) -> Result<T>,
) -> Result<T> {
    let tx = Tx { tx: conn, kept: kept.take(), matrix: OnceCell::new() };
    let out = f(&tx);
    *kept = tx.matrix.into_inner().or(tx.kept);
    out
}

fn read_only() -> Error {
    Error::storage(
        "the database is read-only for this user (no write permission on its file or its directory); it can be read and checked, not changed",
    )
}

fn group_lost() -> Error {
    Error::storage(
        "SQLite rolled back the transaction this change shared with others after an error; nothing was recorded, try again",
    )
}

/// Opens a read-only WAL database whose `-shm` index does not exist and cannot
/// be created (its directory is not writable by this user). SQLite can read
/// such a database only when the `-shm` and `-wal` exist, when it may create
/// them, or with `immutable=1` (<https://sqlite.org/wal.html#readonly>).
/// `readonly_shm` needs an existing `-shm`, so it does not help here.
/// Immutable is correct only when the main file holds every committed
/// change, that is when there is no `-wal` with frames in it: a clean close
/// checkpoints the log and removes both files. With a non-empty `-wal` and no
/// `-shm`, reading the file alone would silently miss committed changes, so
/// that case is refused. Immutable also takes no locks: a writer that starts
/// while a read is under way could checkpoint under it, a window as short as
/// one command, accepted because the alternative is not reading at all.
fn immutable(path: &Path) -> Result<Connection> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(Error::storage(
            "the database is read-only for this user and its write-ahead log holds changes that only a user who can write its directory can recover",
        ));
    }
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    user_version(&conn)?;
    Ok(conn)
}

/// A path as the path of a `file:` URI: every byte but unreserved ones and
/// `/` percent-encoded (RFC 3986), so `?`, `#` and `%` in a name stay literal.
fn uri_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn user_version(conn: &Connection) -> Result<usize> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    usize::try_from(v).map_err(|_| Error::storage(format!("invalid schema version {v}")))
}

/// A transaction (or a savepoint in a group), with the queries raci runs
/// inside one.
pub struct Tx<'c> {
    tx: &'c Connection,
    /// The matrix an earlier transaction of this connection read, with the
    /// schema version it was read at.
    kept: Option<(usize, Arc<Matrix>)>,
    /// The template and the schema version, read at most once per
    /// transaction (the matrix taken from `kept` if the version matches).
    matrix: OnceCell<(usize, Arc<Matrix>)>,
}

fn letters(text: &str) -> Result<Letters> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<Letter>())
        .collect::<Result<Letters>>()
        .map_err(|e| Error::storage(format!("the template's letters are invalid: {e}")))
}

impl Tx<'_> {
    /// The template's matrix, rows in the seed's order.
    pub fn matrix(&self) -> Result<&Matrix> {
        if let Some((_, m)) = self.matrix.get() {
            return Ok(m);
        }
        let version: i64 =
            self.tx.prepare_cached("PRAGMA user_version")?.query_row([], |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        let matrix = match &self.kept {
            Some((v, m)) if *v == version => Arc::clone(m),
            _ => Arc::new(self.load_matrix()?),
        };
        Ok(&self.matrix.get_or_init(|| (version, matrix)).1)
    }

    fn load_matrix(&self) -> Result<Matrix> {
        let vendor_name: String = self
            .tx
            .prepare_cached("SELECT value FROM setting WHERE key = 'vendor_name'")?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| "vendor".to_string());
        let mut tasks = Vec::new();
        let mut stmt = self.tx.prepare_cached(
            "SELECT key, title, vendor_letters, subscriber_letters, vendor_cell, subscriber_cell,
                    notes, role_party, role, recurring, kind, waivable
             FROM template_task ORDER BY position",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let role_party: Option<Party> = r.get(7)?;
            let role: Option<Role> = r.get(8)?;
            tasks.push(TaskDef {
                key: r.get(0)?,
                title: r.get(1)?,
                vendor: letters(&r.get::<_, String>(2)?)?,
                subscriber: letters(&r.get::<_, String>(3)?)?,
                vendor_cell: r.get(4)?,
                subscriber_cell: r.get(5)?,
                notes: r.get(6)?,
                role_rule: role_party.zip(role),
                recurring: r.get(9)?,
                kind: r.get(10)?,
                waivable: r.get(11)?,
                predecessors: Vec::new(),
                items: Vec::new(),
            });
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT task, predecessor FROM template_predecessor ORDER BY task, predecessor",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let task: String = r.get(0)?;
            if let Some(def) = tasks.iter_mut().find(|t| t.key == task) {
                def.predecessors.push(r.get(1)?);
            }
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT task, item, owner, label FROM template_item ORDER BY task, position",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let task: String = r.get(0)?;
            if let Some(def) = tasks.iter_mut().find(|t| t.key == task) {
                def.items.push(ItemDef { key: r.get(1)?, owner: r.get(2)?, label: r.get(3)? });
            }
        }
        Ok(Matrix { vendor_name, tasks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        migrations()
            .and_then(|m| m.validate().map_err(Error::storage))
            .expect("the embedded migrations validate");
    }

    #[test]
    fn the_default_template_loads_twelve_rows() {
        let mut store = Store::open_in_memory().expect("open");
        let matrix = store.read(|tx| tx.matrix().cloned()).expect("matrix");
        assert_eq!(matrix.vendor_name, "Auth0");
        assert_eq!(matrix.tasks.len(), 12);
        let infra = matrix.task("infrastructure").expect("infrastructure row");
        assert_eq!(infra.items.len(), 9);
        assert_eq!(infra.role_rule, Some((Party::Subscriber, Role::InfrastructureEngineer)));
        assert_eq!(
            matrix.task("handover").map(|t| t.predecessors.clone()),
            Some(vec!["configuration".to_string()])
        );
    }

    /// A long-lived connection reads the template once, and again only
    /// after a migration (a new schema version) could have changed it.
    #[test]
    fn a_connection_keeps_the_matrix_until_the_schema_version_changes() {
        let mut store = Store::open_in_memory().expect("open");
        store.read(|tx| tx.matrix().map(|_| ())).expect("read");
        let kept = store.matrix.as_ref().map(|(_, m)| Arc::clone(m)).expect("kept");
        store.write(|tx| tx.matrix().map(|m| assert!(std::ptr::eq(m, &*kept)))).expect("write");
        let next = i64::try_from(latest_version() + 1).expect("version");
        store.conn.pragma_update(None, "user_version", next).expect("bump");
        store.read(|tx| tx.matrix().map(|m| assert!(!std::ptr::eq(m, &*kept)))).expect("reread");
    }
}

/// The tables the migrations fill with the template and that nothing else
/// writes, with the columns that key their rows.
const TEMPLATE_TABLES: [(&str, &str); 4] = [
    ("setting", "key"),
    ("template_task", "key"),
    ("template_predecessor", "task, predecessor"),
    ("template_item", "task, item"),
];

type Rows = Vec<(String, Vec<(String, rusqlite::types::Value)>)>;

/// Every row of a table as (key, [(column, value)]), in key order.
fn keyed_rows(conn: &Connection, table: &str, key: &str) -> Result<Rows> {
    // Both names are constants of this module, never input.
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
    let names: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let keys = key.split(", ").count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            values.push((name.clone(), r.get::<_, rusqlite::types::Value>(i)?));
        }
        let key = values
            .iter()
            .take(keys)
            .map(|(_, v)| match v {
                rusqlite::types::Value::Text(t) => t.clone(),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("/");
        out.push((key, values));
    }
    Ok(out)
}

impl Store {
    /// Compares the template tables with what the migrations put there (run
    /// afresh in memory), naming the first row that differs: the matrix is
    /// the rules, so an edit with the sqlite3 shell must not go unnoticed.
    pub fn template_disagreement(&self) -> Result<Option<String>> {
        let pinned = Store::open_in_memory()?;
        for (table, key) in TEMPLATE_TABLES {
            let ours = keyed_rows(&self.conn, table, key)?;
            let theirs = keyed_rows(&pinned.conn, table, key)?;
            for (k, row) in &ours {
                match theirs.iter().find(|(tk, _)| tk == k) {
                    None => {
                        return Ok(Some(format!(
                            "{table} row {k} is not in the template the migrations pinned"
                        )));
                    }
                    Some((_, expected)) => {
                        if let Some(((column, _), _)) =
                            row.iter().zip(expected).find(|((_, a), (_, b))| a != b)
                        {
                            return Ok(Some(format!(
                                "{table} row {k}: {column} differs from the template the migrations pinned"
                            )));
                        }
                    }
                }
            }
            if let Some((k, _)) = theirs.iter().find(|(tk, _)| !ours.iter().any(|(k, _)| k == tk)) {
                return Ok(Some(format!("{table} row {k} of the pinned template is missing")));
            }
        }
        Ok(None)
    }
}

/// What SQLite's own checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteChecks {
    /// `ok`, or the first problem `PRAGMA integrity_check` reports.
    pub integrity: String,
    /// Rows that `PRAGMA foreign_key_check` reports.
    pub foreign_key_violations: u64,
}

impl Store {
    /// SQLite's integrity and foreign-key checks.
    pub fn sqlite_checks(&self) -> Result<SqliteChecks> {
        let integrity: String =
            self.conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        let mut foreign_key_violations = 0;
        while rows.next()?.is_some() {
            foreign_key_violations += 1;
        }
        Ok(SqliteChecks { integrity, foreign_key_violations })
    }

    /// Copies the database through SQLite's online backup API, in one step
    /// under one read snapshot (writers elsewhere are not stopped and the
    /// copy is consistent), into a temporary file beside `dest`, switched
    /// out of WAL so that it is one self-contained file. Refuses (conflict)
    /// a `dest` that exists and is neither empty nor a raci database, reading
    /// only its header. [`BackupFile::replace`] then renames it into place.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupFile> {
        let located = |e: Error| {
            Error::storage(format!("cannot back up to {}: {}", dest.display(), e.message))
        };
        refuse_foreign_destination(dest)?;
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| located(e.into()))?
            .into_temp_path();
        let mut target = Connection::open(&temp).map_err(|e| located(e.into()))?;
        target.busy_timeout(BUSY_TIMEOUT).map_err(|e| located(e.into()))?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut target)
                .map_err(|e| located(e.into()))?;
            match backup.step(-1).map_err(|e| located(e.into()))? {
                rusqlite::backup::StepResult::Done => {}
                other => {
                    return Err(Error::storage(format!(
                        "the backup to {} did not finish ({other:?}); try again",
                        dest.display()
                    )));
                }
            }
        }
        // The copy carries the source's WAL flag in its header: a backup
        // is one file, readable without a -wal or -shm beside it.
        target
            .pragma_update_and_check(None, "journal_mode", "DELETE", |_| Ok(()))
            .map_err(|e| located(e.into()))?;
        target.close().map_err(|(_, e)| located(e.into()))?;
        Ok(BackupFile { temp, dest: dest.to_path_buf() })
    }
}

/// A finished backup in its temporary file beside its destination; dropped
/// without [`BackupFile::replace`], the temporary file is removed.
pub struct BackupFile {
    temp: tempfile::TempPath,
    dest: std::path::PathBuf,
}

impl BackupFile {
    /// The temporary copy, to check before it replaces anything.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Renames the copy over the destination (a hard link to the old file
    /// keeps the old file), removing the destination's stale `-wal`, `-shm`
    /// and `-journal` first and after, so that SQLite cannot replay them
    /// into the copy.
    pub fn replace(self) -> Result<()> {
        let dest = self.dest;
        let located = |e: std::io::Error| {
            Error::storage(format!("cannot back up to {}: {e}", dest.display()))
        };
        remove_side_files(&dest).map_err(located)?;
        self.temp.persist(&dest).map_err(|e| located(e.error))?;
        remove_side_files(&dest).map_err(located)?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename durable; a directory that cannot be synced is no error.
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

/// Removes a database's `-wal`, `-shm` and `-journal`, where they exist.
fn remove_side_files(db: &Path) -> std::io::Result<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a backup destination that exists and is not empty and not a raci
/// database: the SQLite header and, at offset 68, raci's application_id. Only
/// reads its first 100 bytes, so the file is left exactly as it was.
fn refuse_foreign_destination(dest: &Path) -> Result<()> {
    use std::io::Read;
    let mut header = Vec::with_capacity(100);
    match std::fs::File::open(dest) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::storage(format!("cannot back up to {}: {e}", dest.display())));
        }
        Ok(file) => {
            if file.metadata()?.is_dir() {
                return Err(Error::bad_input(format!(
                    "{} is a directory; expected a file path for the backup",
                    dest.display()
                )));
            }
            file.take(100).read_to_end(&mut header)?;
        }
    }
    let raci = header.len() == 100
        && header.starts_with(b"SQLite format 3\0")
        && header[68..72] == APPLICATION_ID.to_be_bytes()[4..];
    if header.is_empty() || raci {
        return Ok(());
    }
    Err(Error::conflict(format!(
        "{} exists and is not a raci database; it was left untouched, back up to a new file, an empty one or an older backup",
        dest.display()
    )))
}
