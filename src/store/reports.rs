//! The queries behind the reports: one query per report, never one per row.

use rusqlite::params;

use super::{Event, Tx, event_row};
use crate::domain::TaskState;
use crate::domain::rules::Status;
use crate::error::Result;

/// An open task (pending, in progress or submitted) with what the
/// outstanding report needs to know about its predecessors.
#[derive(Debug, Clone)]
pub struct OpenTaskRow {
    pub installation: String,
    pub subscriber: String,
    pub task: String,
    pub status: Status,
    pub since: String,
    pub due: Option<String>,
    /// How many predecessors are neither signed off nor waived.
    pub open_predecessors: i64,
    /// When the last predecessor got where it is.
    pub predecessors_since: Option<String>,
}

/// What the update and backup rules need about a handed-over installation.
#[derive(Debug, Clone)]
pub struct OperatingRow {
    pub installation: String,
    pub subscriber: String,
    /// The day of the latest recorded handover meeting.
    pub handed_over: Option<String>,
    /// Whether the handover task is signed off.
    pub handover_signed_off: bool,
    /// The day the latest update cycle was signed off.
    pub last_cycle: Option<String>,
    pub last_backup: Option<String>,
}

/// One cell of the installations × tasks grid.
#[derive(Debug, Clone)]
pub struct GridCell {
    pub installation: String,
    pub subscriber: String,
    pub task: String,
    pub state: TaskState,
}

impl Tx<'_> {
    /// Open tasks of every installation, or of one.
    pub fn open_tasks(&self, installation: Option<&str>) -> Result<Vec<OpenTaskRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT t.installation_id, i.subscriber, t.task_key, t.state, t.blocked_from, t.since, t.due,
                    (SELECT count(*) FROM template_predecessor tp
                       JOIN task p ON p.installation_id = t.installation_id AND p.task_key = tp.predecessor
                      WHERE tp.task = t.task_key AND p.state NOT IN ('signed_off', 'waived')),
                    (SELECT max(p.since) FROM template_predecessor tp
                       JOIN task p ON p.installation_id = t.installation_id AND p.task_key = tp.predecessor
                      WHERE tp.task = t.task_key)
             FROM task t JOIN installation i ON i.id = t.installation_id
             WHERE t.state IN ('pending', 'in_progress', 'submitted', 'blocked')
               AND (?1 IS NULL OR t.installation_id = ?1)",
        )?;
        let rows = stmt.query_map(params![installation], |r| {
            Ok(OpenTaskRow {
                installation: r.get(0)?,
                subscriber: r.get(1)?,
                task: r.get(2)?,
                status: Status {
                    state: r.get(3)?,
                    blocked_from: r.get(4)?,
                },
                since: r.get(5)?,
                due: r.get(6)?,
                open_predecessors: r.get(7)?,
                predecessors_since: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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

    /// Installations with a handover signed off or a backup recorded: what
    /// the 90-day update rule and the backup report look at.
    pub fn operating(&self) -> Result<Vec<OperatingRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT i.id, i.subscriber,
                    (SELECT max(held_on) FROM handover h WHERE h.installation_id = i.id),
                    t.state = 'signed_off',
                    (SELECT max(substr(signed_off_at, 1, 10)) FROM update_cycle c
                      WHERE c.installation_id = i.id AND c.state = 'signed_off'),
                    (SELECT max(taken_on) FROM backup_record b WHERE b.installation_id = i.id) AS last_backup
             FROM installation i JOIN task t ON t.installation_id = i.id AND t.task_key = 'handover'
             WHERE t.state = 'signed_off' OR last_backup IS NOT NULL
             ORDER BY i.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OperatingRow {
                installation: r.get(0)?,
                subscriber: r.get(1)?,
                handed_over: r.get(2)?,
                handover_signed_off: r.get(3)?,
                last_cycle: r.get(4)?,
                last_backup: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every event of every installation (or of one), grouped by
    /// installation and oldest first within each, handed to `f` one at a time.
    pub fn each_event(
        &self,
        installation: Option<&str>,
        mut f: impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, installation_id, at, actor, party, role, action, task, from_state, to_state, note, cycle, ticket
             FROM event
             WHERE installation_id IS NOT NULL AND (?1 IS NULL OR installation_id = ?1)
             ORDER BY installation_id, id",
        )?;
        let mut rows = stmt.query(params![installation])?;
        while let Some(r) = rows.next()? {
            f(event_row(r)?)?;
        }
        Ok(())
    }

    /// The state of every task of every installation, in template order.
    pub fn grid(&self) -> Result<Vec<GridCell>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT t.installation_id, i.subscriber, t.task_key, t.state
             FROM task t JOIN installation i ON i.id = t.installation_id
             JOIN template_task d ON d.key = t.task_key
             ORDER BY t.installation_id, d.position",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(GridCell {
                installation: r.get(0)?,
                subscriber: r.get(1)?,
                task: r.get(2)?,
                state: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    /// of all, with whether `handle` has read each: unread first, newest first.
    pub fn inbox(
        &self,
        handle: &str,
        tasks: &[&str],
        subscriber: Option<&str>,
    ) -> Result<Vec<InboxRow>> {
        let keys = serde_json::to_string(tasks)
            .map_err(|e| crate::error::Error::storage(format!("cannot encode task keys: {e}")))?;
        let mut stmt = self.tx.prepare_cached(
            "SELECT e.id, e.installation_id, e.at, e.actor, e.party, e.role, e.action, e.task,
                    e.from_state, e.to_state, e.note, e.cycle, e.ticket, r.event_id IS NOT NULL AS read
             FROM event e
             JOIN installation i ON i.id = e.installation_id
             LEFT JOIN inbox_read r ON r.handle = ?1 AND r.event_id = e.id
             WHERE e.task IN (SELECT value FROM json_each(?2))
               AND (?3 IS NULL OR i.subscriber = ?3)
             ORDER BY read, e.id DESC",
        )?;
        let rows = stmt.query_map(params![handle, keys, subscriber], |r| {
            Ok(InboxRow {
                event: event_row(r)?,
                read: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mark_read(&self, handle: &str, event_id: i64, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO inbox_read (handle, event_id, read_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![handle, event_id, at])?;
        Ok(())
    }
}
