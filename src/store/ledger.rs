//! The tamper-evident ledger: every event's hash covers its own content and
//! the hash of the event before it, so editing, deleting or reordering an
//! event breaks the chain from that event on, and `db check` names it.
//! Typed events (format 2) hash their change too.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::onboarding::{EVENT_COLUMNS, first_release_event_row};
use super::{Event, Tx, event_row};
use crate::domain::Channel;
use crate::domain::ledger::{Baseline, Change, PersonBaseline};
use crate::error::{Error, Result};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The format of the events this raci writes.
pub const FORMAT: i64 = 2;

/// SHA-256 over the previous hash and the event's content, as lowercase hex.
/// Format 1 (the first release) hashed the fields it had; format 2 adds the
/// format and the typed change, verbatim, and the channel and token of an
/// event that did not come from the command line; a signed event adds its
/// statement, signature and carrier.
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
    // An event of the command line hashes as before the server existed;
    // one that came another way hashes its channel and token too.
    let content = match e.format {
        1 => serde_json::to_string(&base),
        _ if e.statement.is_some() || e.signature.is_some() || e.carrier.is_some() => {
            serde_json::to_string(&(
                base,
                e.format,
                &e.data,
                e.channel,
                &e.token_id,
                (&e.statement, &e.signature, &e.carrier),
            ))
        }
        _ if e.channel == Channel::Cli && e.token_id.is_none() => {
            serde_json::to_string(&(base, e.format, &e.data))
        }
        _ => serde_json::to_string(&(base, e.format, &e.data, e.channel, &e.token_id)),
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

/// An event as stored, with the hashes that chain it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub event: Event,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl Stored {
    /// Why the event's content does not match its own hash, if it does not
    /// (whether it follows the event before it is [`Tx::chain_links`]'s).
    pub fn content_problem(&self) -> Result<Option<&'static str>> {
        Ok(match (&self.prev_hash, &self.hash) {
            (_, None) => Some("it has no hash"),
            (prev, Some(hash)) => {
                let prev = prev.as_deref().unwrap_or_default();
                (event_hash(prev, &self.event)? != *hash).then_some(
                    "its content does not match its hash (it was changed after it was written)",
                )
            }
        })
    }
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
                return Err(Error::storage(format!("audit event {id} has no hash"))
                    .hint("run `raci db check`"));
            }
        })
    }

    /// The first event that does not follow the one before it: its
    /// `prev_hash` is not the hash of the event numbered one less (or, for
    /// the first, the genesis), or it claims the first release's format after
    /// a typed event. Checked in SQL, so the events themselves can be read
    /// in any order.
    pub fn chain_links(&self) -> Result<Option<(i64, String)>> {
        let unlinked: Option<i64> = self
            .tx
            .prepare(
                "SELECT e.id FROM event e LEFT JOIN event p ON p.id = e.id - 1
                 WHERE e.prev_hash IS NOT CASE
                     WHEN p.id IS NOT NULL THEN p.hash
                     WHEN e.id = (SELECT min(id) FROM event) THEN ?1
                 END
                 ORDER BY e.id LIMIT 1",
            )?
            .query_row([GENESIS], |r| r.get(0))
            .optional()?;
        let late_legacy: Option<i64> = self.tx.query_row(
            "SELECT min(id) FROM event
             WHERE format = 1 AND id > (SELECT min(id) FROM event WHERE format <> 1)",
            [],
            |r| r.get(0),
        )?;
        let mut found = unlinked.map(|id| {
            (id, "it does not follow the event before it (an event was deleted, inserted or reordered)".to_string())
        });
        if let Some(id) = late_legacy
            && found.as_ref().is_none_or(|(first, _)| id < *first)
        {
            found = Some((
                id,
                "it claims the first release's format after the ledger was upgraded".into(),
            ));
        }
        Ok(found)
    }

    /// How many events there are, and the last one's id and hash.
    pub fn chain_head_summary(&self) -> Result<(u64, Option<(i64, String)>)> {
        let count: i64 = self.tx.query_row("SELECT count(*) FROM event", [], |r| r.get(0))?;
        let head: Option<(i64, Option<String>)> = self
            .tx
            .query_row("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok((
            u64::try_from(count).unwrap_or_default(),
            head.and_then(|(id, hash)| hash.map(|h| (id, h))),
        ))
    }

    /// Every event with the hashes that chain it, handed to `f` one at a
    /// time: those that name no installation (`global`), by id; or every
    /// installation's, grouped by installation and by id within each. A row
    /// raci cannot read (a value it does not know) comes as `Err((id, why))`.
    pub fn each_stored_event(
        &self,
        global: bool,
        mut f: impl FnMut(std::result::Result<Stored, (i64, String)>) -> Result<()>,
    ) -> Result<()> {
        let scope = match global {
            true => "installation_id IS NULL ORDER BY id",
            false => "installation_id IS NOT NULL ORDER BY installation_id, id",
        };
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {EVENT_COLUMNS}, prev_hash, hash FROM event WHERE {scope}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let stored = match event_row(r) {
                Ok(event) => Ok(Stored { event, prev_hash: r.get(20)?, hash: r.get(21)? }),
                Err(err) => {
                    Err((r.get(0)?, format!("it holds a value raci does not know ({err})")))
                }
            };
            f(stored)?;
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
}
