//! The tamper-evident ledger: every event's hash covers its own content and
//! the hash of the event before it, so editing, deleting or reordering an
//! event breaks the chain from that event on, and `db check` names it.
//! Typed events (format 2) hash their change too.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::onboarding::{EVENT_COLUMNS, first_release_event_row};
use super::{Event, Tx, event_row};
use crate::domain::ledger::{Baseline, Change, PersonBaseline};
use crate::error::{Error, Result};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The format of the events this raci writes.
pub const FORMAT: i64 = 2;

/// SHA-256 over the previous hash and the event's content, as lowercase hex.
/// Format 1 (the first release) hashed the fields it had; format 2 adds the
/// format and the typed change, verbatim.
pub fn event_hash(prev: &str, e: &Event) -> Result<String> {
    let base = (
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
    );
    let content = match e.format {
        1 => serde_json::to_string(&base),
        _ => serde_json::to_string(&(base, e.format, &e.data)),
    }
    .map_err(|err| Error::storage(format!("cannot encode event {}: {err}", e.id)))?;
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

const LEGACY_COLUMNS: &str = "id, installation_id, at, actor, party, role, action, task, from_state, to_state, note, cycle, ticket";

/// Chains events written before the ledger existed: run by migration 05 in
/// its own transaction, so no database is ever left half-chained.
pub(super) fn chain_unhashed(conn: &Connection) -> Result<()> {
    let mut prev = GENESIS.to_string();
    let mut stmt =
        conn.prepare(&format!("SELECT {LEGACY_COLUMNS}, hash FROM event ORDER BY id"))?;
    let rows =
        stmt.query_map([], |r| Ok((first_release_event_row(r)?, r.get::<_, Option<String>>(13)?)))?;
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

/// Run by migration 09 in its transaction: records what the first release's
/// ledger lacked (people's names, subscribers and logins, appliance IDs,
/// cycle versions, read marks) in one typed event, and makes the earliest
/// vendor person an administrator so someone can administer the upgraded
/// database. A database with no events needs neither.
pub(super) fn upgrade_to_typed(conn: &Connection) -> Result<()> {
    let head: Option<(i64, String, String)> = conn
        .query_row("SELECT id, hash, at FROM event ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((head_id, head_hash, last_at)) = head else {
        return Ok(());
    };
    let first_vendor: Option<String> = conn
        .query_row(
            "SELECT handle FROM person WHERE party = 'vendor' ORDER BY created_at, handle LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(handle) = &first_vendor {
        conn.execute("UPDATE person SET admin = 1 WHERE handle = ?1", [handle])?;
    }
    let mut baseline =
        Baseline { previous_head: Some((head_id, head_hash.clone())), ..Baseline::default() };
    let mut stmt = conn.prepare(
        "SELECT handle, name, email, subscriber, login, admin FROM person ORDER BY handle",
    )?;
    baseline.people = stmt
        .query_map([], |r| {
            Ok(PersonBaseline {
                handle: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                subscriber: r.get(3)?,
                login: r.get(4)?,
                admin: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, appliance_id FROM installation WHERE appliance_id IS NOT NULL ORDER BY id",
    )?;
    baseline.appliance_ids =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT installation_id, number, version FROM update_cycle ORDER BY installation_id, number",
    )?;
    baseline.cycle_versions = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt =
        conn.prepare("SELECT handle, event_id, read_at FROM inbox_read ORDER BY handle, event_id")?;
    baseline.read_marks = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let event = Event {
        id: head_id + 1,
        at: last_at,
        action: "ledger-upgrade".into(),
        note: Some(match &first_vendor {
            Some(h) => {
                format!("typed ledger from here on; {h} is the vendor's first administrator")
            }
            None => "typed ledger from here on".into(),
        }),
        format: FORMAT,
        data: Some(Change::Upgraded(Box::new(baseline)).to_json()),
        ..Event::default()
    };
    let hash = event_hash(&head_hash, &event)?;
    conn.execute(
        "INSERT INTO event (id, at, action, note, format, data, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            event.id,
            event.at,
            event.action,
            event.note,
            event.format,
            event.data,
            head_hash,
            hash
        ],
    )?;
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
        let mut typed_seen = false;
        let mut stmt = self
            .tx
            .prepare(&format!("SELECT {EVENT_COLUMNS}, prev_hash, hash FROM event ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let event = match event_row(r) {
                Ok(event) => event,
                Err(err) => {
                    let id: i64 = r.get(0)?;
                    report.broken =
                        Some((id, format!("it holds a value raci does not know ({err})")));
                    return Ok(report);
                }
            };
            let stored_prev: Option<String> = r.get(15)?;
            let stored: Option<String> = r.get(16)?;
            let problem = if stored_prev.as_deref() != Some(prev.as_str()) {
                Some(
                    "it does not follow the event before it (an event was deleted, inserted or reordered)",
                )
            } else if typed_seen && event.format == 1 {
                Some("it claims the first release's format after the ledger was upgraded")
            } else if stored.as_deref() != Some(event_hash(&prev, &event)?.as_str()) {
                Some("its content does not match its hash (it was changed after it was written)")
            } else {
                None
            };
            if let Some(why) = problem {
                report.broken = Some((event.id, why.to_string()));
                return Ok(report);
            }
            typed_seen |= event.format != 1;
            report.events += 1;
            prev = stored.unwrap_or_default();
            report.head = Some((event.id, prev.clone()));
        }
        Ok(report)
    }

    /// Every event that names no installation (people, read marks, the
    /// upgrade), oldest first, handed to `f` one at a time.
    pub fn each_global_event(&self, mut f: impl FnMut(Event) -> Result<()>) -> Result<()> {
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM event WHERE installation_id IS NULL ORDER BY id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(event_row(r)?)?;
        }
        Ok(())
    }

    /// Every read mark: (handle, event) and when it was read.
    pub fn read_marks(&self) -> Result<Vec<crate::domain::records::ReadMark>> {
        let mut stmt = self.tx.prepare(
            "SELECT handle, event_id, read_at FROM inbox_read ORDER BY handle, event_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::domain::records::ReadMark {
                handle: r.get(0)?,
                event: r.get(1)?,
                read_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An installation's handovers, in the order recorded.
    pub fn handovers(&self, installation: &str) -> Result<Vec<super::HandoverRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT installation_id, held_on, minutes, attendees, topics, recorded_by, recorded_at
             FROM handover WHERE installation_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([installation], |r| {
            Ok(super::HandoverRow {
                installation: r.get(0)?,
                held_on: r.get(1)?,
                minutes: r.get(2)?,
                attendees: r.get(3)?,
                topics: r.get(4)?,
                recorded_by: r.get(5)?,
                recorded_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
