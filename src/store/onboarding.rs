//! The records of onboarding as stored, and their queries: people,
//! installations with their tasks and checklist items, handovers and the
//! audit events.

use rusqlite::{OptionalExtension, params};

use super::{Tx, ledger};
pub use crate::domain::records::{Event, HandoverRow, Installation, ItemRow, Person, TaskRow};
use crate::domain::rules::Status;
use crate::domain::{Channel, TaskState};
use crate::error::{Error, Result};

const PERSON_COLUMNS: &str =
    "handle, name, email, party, role, subscriber, login, created_at, admin, active";
pub(super) const INSTALLATION_COLUMNS: &str = "id, subscriber, appliance_id, created_at, retired";
pub(crate) const EVENT_COLUMNS: &str = "id, installation_id, at, actor, party, role, action, task, from_state, to_state, note, cycle, ticket, format, data, channel, token_id, statement, signature, carrier";

impl Tx<'_> {
    pub fn person(&self, handle: &str) -> Result<Option<Person>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {PERSON_COLUMNS} FROM person WHERE handle = ?1"))?
            .query_row([handle], person_row)
            .optional()?)
    }

    /// The handle of a person whose handle equals `handle` ignoring case.
    pub fn person_like(&self, handle: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT handle FROM person WHERE handle = ?1 COLLATE NOCASE")?
            .query_row([handle], |r| r.get(0))
            .optional()?)
    }

    /// The ID of an installation whose ID equals `id` ignoring case.
    pub fn installation_like(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM installation WHERE id = ?1 COLLATE NOCASE")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    pub fn persons(&self) -> Result<Vec<Person>> {
        let mut stmt = self
            .tx
            .prepare_cached(&format!("SELECT {PERSON_COLUMNS} FROM person ORDER BY handle"))?;
        let rows = stmt.query_map([], person_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The active administrators of every organisation.
    pub fn active_admins(&self) -> Result<Vec<Person>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {PERSON_COLUMNS} FROM person WHERE admin = 1 AND active = 1 ORDER BY handle"
        ))?;
        let rows = stmt.query_map([], person_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn insert_person(&self, p: &Person) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO person (handle, name, email, party, role, subscriber, login, created_at, admin, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                p.handle,
                p.name,
                p.email,
                p.party,
                p.role,
                p.subscriber,
                p.login,
                p.created_at,
                p.admin,
                p.active
            ])?;
        Ok(())
    }

    pub fn installation(&self, id: &str) -> Result<Option<Installation>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {INSTALLATION_COLUMNS} FROM installation WHERE id = ?1"
            ))?
            .query_row([id], installation_row)
            .optional()?)
    }

    pub fn installations(&self) -> Result<Vec<Installation>> {
        let mut all = Vec::new();
        self.each_installation(|i| {
            all.push(i);
            Ok(())
        })?;
        Ok(all)
    }

    /// Every installation, by ID, handed to `f` one at a time.
    pub fn each_installation(&self, mut f: impl FnMut(Installation) -> Result<()>) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM installation ORDER BY id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(installation_row(r)?)?;
        }
        Ok(())
    }

    /// Adds an installation with its tasks and checklist items, instantiated
    /// from the template.
    pub(super) fn insert_installation(&self, i: &Installation) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO installation (id, subscriber, appliance_id, created_at, retired)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![i.id, i.subscriber, i.appliance_id, i.created_at, i.retired])?;
        self.tx
            .prepare_cached(
                "INSERT INTO task (installation_id, task_key, state, since)
                 SELECT ?1, key, CASE recurring WHEN 1 THEN 'recurring' ELSE 'pending' END, ?2
                 FROM template_task",
            )?
            .execute(params![i.id, i.created_at])?;
        self.tx
            .prepare_cached(
                "INSERT INTO checklist_item (installation_id, task_key, item, position, owner)
                 SELECT ?1, task, item, position, owner FROM template_item",
            )?
            .execute([&i.id])?;
        Ok(())
    }

    pub fn task(&self, installation: &str, key: &str) -> Result<Option<TaskRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT task_key, state, blocked_from, due, since FROM task
                 WHERE installation_id = ?1 AND task_key = ?2",
            )?
            .query_row([installation, key], task_row)
            .optional()?)
    }

    /// An installation's tasks, in the template's order: sorted by the
    /// matrix, which the connection keeps, rather than by joining the
    /// template in SQL (a lookup per row, then a temporary B-tree to sort).
    pub fn tasks(&self, installation: &str) -> Result<Vec<TaskRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT task_key, state, blocked_from, due, since FROM task WHERE installation_id = ?1",
        )?;
        let mut rows =
            stmt.query_map([installation], task_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let matrix = self.matrix()?;
        rows.sort_by_key(|r| matrix.tasks.iter().position(|t| t.key == r.key));
        Ok(rows)
    }

    pub(super) fn set_task_status(
        &self,
        installation: &str,
        key: &str,
        status: Status,
        since: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE task SET state = ?3, blocked_from = ?4, since = ?5
                 WHERE installation_id = ?1 AND task_key = ?2",
            )?
            .execute(params![installation, key, status.state, status.blocked_from, since])
            .map_err(Error::from)
            .and_then(|n| super::exactly_one(n, format_args!("task {key} of {installation}")))?;
        Ok(())
    }

    pub(super) fn set_task_due(&self, installation: &str, key: &str, due: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE task SET due = ?3 WHERE installation_id = ?1 AND task_key = ?2",
            )?
            .execute(params![installation, key, due])
            .map_err(Error::from)
            .and_then(|n| super::exactly_one(n, format_args!("task {key} of {installation}")))?;
        Ok(())
    }

    /// An installation's handovers, in the order recorded.
    pub fn handovers(&self, installation: &str) -> Result<Vec<HandoverRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {HANDOVER_COLUMNS} FROM handover WHERE installation_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([installation], handover_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An installation's checklist items, optionally of one task, in order.
    pub fn items(&self, installation: &str, task: Option<&str>) -> Result<Vec<ItemRow>> {
        // Two statements: `?2 IS NULL OR task_key = ?2` would hide the task
        // from the planner, reading every item of the installation to check one.
        let mut stmt = self.tx.prepare_cached(match task {
            Some(_) => {
                "SELECT c.task_key, c.item, c.position, c.owner, c.checked_by, c.checked_at, c.note
                 FROM checklist_item c
                 WHERE c.installation_id = ?1 AND c.task_key = ?2
                 ORDER BY c.position"
            }
            None => {
                "SELECT c.task_key, c.item, c.position, c.owner, c.checked_by, c.checked_at, c.note
                 FROM checklist_item c JOIN template_task d ON d.key = c.task_key
                 WHERE c.installation_id = ?1 AND ?2 IS NULL
                 ORDER BY d.position, c.position"
            }
        })?;
        let rows = stmt.query_map(params![installation, task], item_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Checks (with who, when and a note) or unchecks an item.
    pub(super) fn set_item(
        &self,
        installation: &str,
        task: &str,
        item: &str,
        checked: Option<(&str, &str, Option<&str>)>,
    ) -> Result<()> {
        let (by, at, note) = match checked {
            Some((by, at, note)) => (Some(by), Some(at), note),
            None => (None, None, None),
        };
        self.tx
            .prepare_cached(
                "UPDATE checklist_item SET checked_by = ?4, checked_at = ?5, note = ?6
                 WHERE installation_id = ?1 AND task_key = ?2 AND item = ?3",
            )?
            .execute(params![installation, task, item, by, at, note])
            .map_err(Error::from)
            .and_then(|n| super::exactly_one(n, format_args!("item {item} of {installation}")))?;
        Ok(())
    }

    pub(super) fn insert_handover(&self, h: &HandoverRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO handover (installation_id, held_on, minutes, attendees, topics, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                h.installation,
                h.held_on,
                h.minutes,
                h.attendees,
                h.topics,
                h.recorded_by,
                h.recorded_at
            ])?;
        Ok(())
    }

    /// Appends one audit event, chained onto the last, and returns its id.
    pub(super) fn append_event(&self, e: &Event) -> Result<i64> {
        let (last, prev) = self.chain_head()?;
        let mut e = e.clone();
        e.id = last + 1;
        let hash = ledger::event_hash(&prev, &e)?;
        self.tx
            .prepare_cached(
                "INSERT INTO event (installation_id, at, actor, party, role, action, task, from_state, to_state, note, cycle, ticket, id, prev_hash, hash, format, data, channel, token_id, statement, signature, carrier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?
            .execute(params![
                e.installation,
                e.at,
                e.actor,
                e.party,
                e.role,
                e.action,
                e.task,
                e.from,
                e.to,
                e.note,
                e.cycle,
                e.ticket,
                e.id,
                prev,
                hash,
                e.format,
                e.data,
                e.channel,
                e.token_id,
                e.statement,
                e.signature,
                e.carrier
            ])?;
        Ok(e.id)
    }

    /// The keys of a task's checked items.
    pub fn checked_items(&self, installation: &str, task: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT item FROM checklist_item
             WHERE installation_id = ?1 AND task_key = ?2 AND checked_by IS NOT NULL",
        )?;
        let rows = stmt.query_map([installation, task], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What every write to an installation checks first: whether it is
    /// retired, and when its last event was recorded.
    pub fn installation_write_facts(
        &self,
        installation: &str,
    ) -> Result<Option<(bool, Option<String>)>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT i.retired,
                        (SELECT at FROM event WHERE installation_id = i.id ORDER BY id DESC LIMIT 1)
                 FROM installation i WHERE i.id = ?1",
            )?
            .query_row([installation], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// One installation's audit trail, oldest first.
    pub fn events(&self, installation: &str) -> Result<Vec<Event>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM event WHERE installation_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([installation], event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    Ok(Person {
        handle: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        party: r.get(3)?,
        role: r.get(4)?,
        subscriber: r.get(5)?,
        login: r.get(6)?,
        created_at: r.get(7)?,
        admin: r.get(8)?,
        active: r.get(9)?,
    })
}

pub(super) fn installation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Installation> {
    Ok(Installation {
        id: r.get(0)?,
        subscriber: r.get(1)?,
        appliance_id: r.get(2)?,
        created_at: r.get(3)?,
        retired: r.get(4)?,
    })
}

pub(super) const HANDOVER_COLUMNS: &str =
    "installation_id, held_on, minutes, attendees, topics, recorded_by, recorded_at";

pub(super) fn handover_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HandoverRow> {
    Ok(HandoverRow {
        installation: r.get(0)?,
        held_on: r.get(1)?,
        minutes: r.get(2)?,
        attendees: r.get(3)?,
        topics: r.get(4)?,
        recorded_by: r.get(5)?,
        recorded_at: r.get(6)?,
    })
}

pub(super) fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        task: r.get(0)?,
        item: r.get(1)?,
        position: r.get(2)?,
        owner: r.get(3)?,
        checked_by: r.get(4)?,
        checked_at: r.get(5)?,
        note: r.get(6)?,
    })
}

pub(super) fn task_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        key: r.get(0)?,
        status: Status { state: r.get::<_, TaskState>(1)?, blocked_from: r.get(2)? },
        due: r.get(3)?,
        since: r.get(4)?,
    })
}

pub(crate) fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        format: r.get(13)?,
        data: r.get(14)?,
        channel: r.get(15)?,
        token_id: r.get(16)?,
        statement: r.get(17)?,
        signature: r.get(18)?,
        carrier: r.get(19)?,
        ..first_release_event_row(r)?
    })
}

/// The columns the first release wrote (`LEGACY_COLUMNS` in the ledger).
pub(crate) fn first_release_event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        installation: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        party: r.get(4)?,
        role: r.get(5)?,
        action: r.get(6)?,
        task: r.get(7)?,
        from: r.get(8)?,
        to: r.get(9)?,
        note: r.get(10)?,
        cycle: r.get(11)?,
        ticket: r.get(12)?,
        format: 1,
        data: None,
        channel: Channel::Cli,
        token_id: None,
        statement: None,
        signature: None,
        carrier: None,
    })
}
