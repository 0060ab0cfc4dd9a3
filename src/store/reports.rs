//! The queries behind the reports: one query per report, never one per row.

use rusqlite::params;

use super::onboarding::EVENT_COLUMNS;
use super::{Event, TaskRow, Tx, event_row};
use crate::domain::rules::Status;
use crate::error::Result;

/// What the update and backup rules need about a handed-over installation.
#[derive(Debug, Clone)]
pub struct OperatingRow {
    pub installation: String,
    pub subscriber: String,
    /// The day of the latest recorded handover meeting.
    pub handed_over: Option<String>,
    /// The day the latest update cycle was signed off.
    pub last_cycle: Option<String>,
    pub last_backup: Option<String>,
}

impl Tx<'_> {
    /// Every installation's tasks (or one installation's), handed to `f` one
    /// installation at a time: one scan, in the table's own order.
    pub fn each_installation_tasks(
        &self,
        installation: Option<&str>,
        mut f: impl FnMut(&str, &str, &[TaskRow]) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT i.id, i.subscriber, t.task_key, t.state, t.blocked_from, t.due, t.since
             FROM installation i JOIN task t ON t.installation_id = i.id
             WHERE (?1 IS NULL OR i.id = ?1)
             ORDER BY i.id",
        )?;
        let mut rows = stmt.query(params![installation])?;
        let mut current: Option<(String, String)> = None;
        let mut group: Vec<TaskRow> = Vec::with_capacity(16);
        while let Some(r) = rows.next()? {
            let id = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            if current.as_ref().is_some_and(|(cur, _)| cur != id) {
                if let Some((cur, subscriber)) = current.take() {
                    f(&cur, &subscriber, &group)?;
                }
                group.clear();
            }
            if current.is_none() {
                current = Some((id.to_string(), r.get(1)?));
            }
            group.push(TaskRow {
                key: r.get(2)?,
                status: Status { state: r.get(3)?, blocked_from: r.get(4)? },
                due: r.get(5)?,
                since: r.get(6)?,
            });
        }
        if let Some((cur, subscriber)) = current {
            f(&cur, &subscriber, &group)?;
        }
        Ok(())
    }

    /// Open tasks whose due date is before `today`.
    pub fn past_due(&self, today: &str) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT installation_id, task_key, due FROM task
             WHERE due IS NOT NULL AND due < ?1
               AND state IN ('pending', 'in_progress', 'submitted', 'blocked')
             ORDER BY due, installation_id, task_key",
        )?;
        let rows = stmt.query_map([today], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Installations whose handover meeting has been recorded, whatever the
    /// handover task's state is now: what the 90-day update rule and the
    /// backup report look at. `handed_over` is the day the last meeting
    /// recorded was held; a cancelled cycle never counts. By ID, handed to
    /// `f` one at a time.
    pub fn each_handed_over(&self, mut f: impl FnMut(OperatingRow) -> Result<()>) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT i.id, i.subscriber,
                    (SELECT held_on FROM handover h WHERE h.installation_id = i.id
                      ORDER BY h.id DESC LIMIT 1),
                    (SELECT max(substr(signed_off_at, 1, 10)) FROM update_cycle c
                      WHERE c.installation_id = i.id AND c.state = 'signed_off'),
                    (SELECT max(taken_on) FROM backup_record b WHERE b.installation_id = i.id)
             FROM installation i
             WHERE EXISTS (SELECT 1 FROM handover h WHERE h.installation_id = i.id)
             ORDER BY i.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(OperatingRow {
                installation: r.get(0)?,
                subscriber: r.get(1)?,
                handed_over: r.get(2)?,
                last_cycle: r.get(3)?,
                last_backup: r.get(4)?,
            })?;
        }
        Ok(())
    }

    /// Every event of every installation (or of one), grouped by
    /// installation and oldest first within each, handed to `f` one at a time.
    pub fn each_event(
        &self,
        installation: Option<&str>,
        mut f: impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM event
             WHERE installation_id IS NOT NULL AND (?1 IS NULL OR installation_id = ?1)
             ORDER BY installation_id, id"
        ))?;
        let mut rows = stmt.query(params![installation])?;
        while let Some(r) = rows.next()? {
            f(event_row(r)?)?;
        }
        Ok(())
    }
}

/// One event of a person's inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub event: Event,
    pub read: bool,
}

impl Tx<'_> {
    /// Events on `tasks` (their keys), of one subscriber's installations or
    /// of all, with whether `handle` has read each: unread first, newest
    /// first (by when the event happened; a history recorded after the fact
    /// has older times than its ids suggest).
    pub fn inbox(
        &self,
        handle: &str,
        tasks: &[&str],
        subscriber: Option<&str>,
        unread_only: bool,
        limit: Option<u32>,
        mut f: impl FnMut(InboxRow) -> Result<()>,
    ) -> Result<()> {
        let keys = serde_json::to_string(tasks)
            .map_err(|e| crate::error::Error::storage(format!("cannot encode task keys: {e}")))?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT e.id, e.installation_id, e.at, e.actor, e.party, e.role, e.action, e.task,
                    e.from_state, e.to_state, e.note, e.cycle, e.ticket, e.format, e.data,
                    e.channel, e.token_id, e.statement, e.signature, e.carrier,
                    r.event_id IS NOT NULL AS read
             FROM event e
             JOIN installation i ON i.id = e.installation_id
             LEFT JOIN inbox_read r ON r.handle = ?1 AND r.event_id = e.id
             WHERE e.task IN (SELECT value FROM json_each(?2)) AND i.retired = 0
               AND (?3 IS NULL OR i.subscriber = ?3 COLLATE raci_fold)
               AND (NOT ?4 OR r.event_id IS NULL)
             ORDER BY read, e.at DESC, e.id DESC
             LIMIT ?5",
        )?;
        let limit = limit.map_or(-1, i64::from);
        let mut rows = stmt.query(params![handle, keys, subscriber, unread_only, limit])?;
        while let Some(r) = rows.next()? {
            f(InboxRow { event: event_row(r)?, read: r.get(20)? })?;
        }
        Ok(())
    }

    pub(super) fn mark_read(&self, handle: &str, event_id: i64, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO inbox_read (handle, event_id, read_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![handle, event_id, at])?;
        Ok(())
    }
}
