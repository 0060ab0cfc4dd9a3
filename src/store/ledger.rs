//! The tamper-evident ledger: every event's hash covers its own content and
//! the hash of the event before it, so editing, deleting or reordering an
//! event breaks the chain from that event on, and `db check` names it.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Event, Tx, event_row};
use crate::error::{Error, Result};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and the event's content, as lowercase hex.
pub fn event_hash(prev: &str, e: &Event) -> Result<String> {
    let content = serde_json::to_string(&(
        e.id,
        &e.installation,
        &e.at,
        &e.actor,
        e.party.map(|p| p.as_str()),
        e.role.map(|r| r.as_str()),
        &e.action,
        &e.task,
        &e.from,
        &e.to,
        &e.note,
        e.cycle,
        &e.ticket,
    ))
    .map_err(|err| Error::storage(format!("cannot encode event {}: {err}", e.id)))?;
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.as_bytes());
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Chains events written before the ledger existed: run by migration 05 in
/// its own transaction, so no database is ever left half-chained.
pub(super) fn chain_unhashed(conn: &Connection) -> Result<()> {
    let mut prev = GENESIS.to_string();
    let mut stmt = conn.prepare(&format!("SELECT {EVENT_COLUMNS}, hash FROM event ORDER BY id"))?;
    let rows = stmt.query_map([], |r| Ok((event_row(r)?, r.get::<_, Option<String>>(13)?)))?;
    let mut update = conn.prepare("UPDATE event SET prev_hash = ?2, hash = ?3 WHERE id = ?1")?;
    for row in rows {
        let (event, hash) = row?;
        let hash = match hash {
            Some(h) => h,
            None => {
                let h = event_hash(&prev, &event)?;
                update.execute(params![event.id, prev, h])?;
                h
            }
        };
        prev = hash;
    }
    Ok(())
}

/// What `db check` found in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    /// The last event's id and hash: record it elsewhere to detect a
    /// truncated tail, which no chain can see from inside.
    pub head: Option<(i64, String)>,
    /// The first event that does not verify, and why.
    pub broken: Option<(i64, String)>,
}

const EVENT_COLUMNS: &str = "id, installation_id, at, actor, party, role, action, task, from_state, to_state, note, cycle, ticket";

impl Tx<'_> {
    /// The id and hash the next event chains onto.
    pub(super) fn chain_head(&self) -> Result<(i64, String)> {
        let last: Option<(i64, Option<String>)> = self
            .tx
            .prepare_cached("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match last {
            None => (0, GENESIS.to_string()),
            Some((id, Some(hash))) => (id, hash),
            Some((id, None)) => {
                return Err(Error::storage(format!(
                    "audit event {id} has no hash; run `raci db check`"
                )));
            }
        })
    }

    /// Walks the whole chain, oldest first, stopping at the first event
    /// that does not verify.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        let mut report = ChainReport { events: 0, head: None, broken: None };
        let mut prev = GENESIS.to_string();
        let mut stmt = self
            .tx
            .prepare(&format!("SELECT {EVENT_COLUMNS}, prev_hash, hash FROM event ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let event = event_row(r)?;
            let stored_prev: Option<String> = r.get(13)?;
            let stored: Option<String> = r.get(14)?;
            let problem = if stored_prev.as_deref() != Some(prev.as_str()) {
                Some(
                    "it does not follow the event before it (an event was deleted, inserted or reordered)",
                )
            } else if stored.as_deref() != Some(event_hash(&prev, &event)?.as_str()) {
                Some("its content does not match its hash (it was changed after it was written)")
            } else {
                None
            };
            if let Some(why) = problem {
                report.broken = Some((event.id, why.to_string()));
                return Ok(report);
            }
            report.events += 1;
            prev = stored.unwrap_or_default();
            report.head = Some((event.id, prev.clone()));
        }
        Ok(report)
    }
}

/// The current state the state tables claim, for `db check` to compare with
/// what the ledger leaves.
#[derive(Debug, Default)]
pub struct ClaimedState {
    /// (installation, task) → state.
    pub tasks: Vec<((String, String), String)>,
    /// (installation, cycle) → state.
    pub cycles: Vec<((String, i64), String)>,
    /// (installation, ticket) → state.
    pub tickets: Vec<((String, String), String)>,
    /// (installation, task, item) → checked.
    pub items: Vec<((String, String, String), bool)>,
    /// handle → (party, role).
    pub people: Vec<(String, (String, String))>,
}

impl Tx<'_> {
    /// Every event, oldest first, handed to `f` one at a time.
    pub fn each_ledger_event(&self, mut f: impl FnMut(Event) -> Result<()>) -> Result<()> {
        let mut stmt =
            self.tx.prepare(&format!("SELECT {EVENT_COLUMNS} FROM event ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(event_row(r)?)?;
        }
        Ok(())
    }

    /// What the state tables say now.
    pub fn claimed_state(&self) -> Result<ClaimedState> {
        fn all<T>(
            tx: &Tx<'_>,
            sql: &str,
            row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        ) -> Result<Vec<T>> {
            let mut stmt = tx.tx.prepare(sql)?;
            let rows = stmt.query_map([], row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        }
        Ok(ClaimedState {
            tasks: all(self, "SELECT installation_id, task_key, state FROM task", |r| {
                Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
            })?,
            cycles: all(self, "SELECT installation_id, number, state FROM update_cycle", |r| {
                Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
            })?,
            tickets: all(self, "SELECT installation_id, ref, state FROM ticket", |r| {
                Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
            })?,
            items: all(
                self,
                "SELECT installation_id, task_key, item, checked_by IS NOT NULL FROM checklist_item",
                |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)),
            )?,
            people: all(self, "SELECT handle, party, role FROM person", |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
            })?,
        })
    }
}
