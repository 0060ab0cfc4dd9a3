//! Queries of update cycles, backups and tickets.

use rusqlite::{OptionalExtension, params};

use super::Tx;
use crate::domain::operations::TicketState;
pub use crate::domain::records::{BackupRow, CycleRow, TicketRow};
use crate::error::{Error, Result};

pub(super) const CYCLE_COLUMNS: &str =
    "installation_id, number, version, state, snapshot, access, failures,
    started_by, started_at, since, signed_off_at";

pub(super) fn cycle_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CycleRow> {
    Ok(CycleRow {
        installation: r.get(0)?,
        number: r.get(1)?,
        version: r.get(2)?,
        state: r.get(3)?,
        snapshot: r.get(4)?,
        access: r.get(5)?,
        failures: r.get(6)?,
        started_by: r.get(7)?,
        started_at: r.get(8)?,
        since: r.get(9)?,
        signed_off_at: r.get(10)?,
    })
}

pub(super) const BACKUP_COLUMNS: &str = "installation_id, taken_on, note, recorded_by, recorded_at";

pub(super) fn backup_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BackupRow> {
    Ok(BackupRow {
        installation: r.get(0)?,
        taken_on: r.get(1)?,
        note: r.get(2)?,
        recorded_by: r.get(3)?,
        recorded_at: r.get(4)?,
    })
}

pub(super) const TICKET_COLUMNS: &str =
    "installation_id, ref, severity, environment, summary, state, opened_by, opened_at, since";

pub(super) fn ticket_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketRow> {
    Ok(TicketRow {
        installation: r.get(0)?,
        reference: r.get(1)?,
        severity: r.get(2)?,
        environment: r.get(3)?,
        summary: r.get(4)?,
        state: r.get(5)?,
        opened_by: r.get(6)?,
        opened_at: r.get(7)?,
        since: r.get(8)?,
    })
}

impl Tx<'_> {
    pub fn cycle(&self, installation: &str, number: i64) -> Result<Option<CycleRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {CYCLE_COLUMNS} FROM update_cycle WHERE installation_id = ?1 AND number = ?2"
            ))?
            .query_row(params![installation, number], cycle_row)
            .optional()?)
    }

    /// An installation's cycles, oldest first.
    pub fn cycles(&self, installation: &str) -> Result<Vec<CycleRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CYCLE_COLUMNS} FROM update_cycle WHERE installation_id = ?1 ORDER BY number"
        ))?;
        let rows = stmt.query_map([installation], cycle_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn insert_cycle(&self, c: &CycleRow) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO update_cycle ({CYCLE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?
            .execute(params![
                c.installation,
                c.number,
                c.version,
                c.state,
                c.snapshot,
                c.access,
                c.failures,
                c.started_by,
                c.started_at,
                c.since,
                c.signed_off_at
            ])?;
        Ok(())
    }

    /// Writes back a cycle's progress.
    pub(super) fn update_cycle(&self, c: &CycleRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE update_cycle SET state = ?3, snapshot = ?4, access = ?5, failures = ?6,
                     since = ?7, signed_off_at = ?8
                 WHERE installation_id = ?1 AND number = ?2",
            )?
            .execute(params![
                c.installation,
                c.number,
                c.state,
                c.snapshot,
                c.access,
                c.failures,
                c.since,
                c.signed_off_at
            ])
            .map_err(Error::from)
            .and_then(|n| super::exactly_one(n, format_args!("update cycle {}", c.number)))?;
        Ok(())
    }

    pub(super) fn insert_backup(&self, b: &BackupRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO backup_record (installation_id, taken_on, note, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![b.installation, b.taken_on, b.note, b.recorded_by, b.recorded_at])?;
        Ok(())
    }

    /// An installation's backups, newest first.
    pub fn backups(&self, installation: &str) -> Result<Vec<BackupRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {BACKUP_COLUMNS} FROM backup_record WHERE installation_id = ?1
             ORDER BY taken_on DESC, id DESC"
        ))?;
        let rows = stmt.query_map([installation], backup_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn ticket(&self, installation: &str, reference: &str) -> Result<Option<TicketRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM ticket WHERE installation_id = ?1 AND ref = ?2"
            ))?
            .query_row([installation, reference], ticket_row)
            .optional()?)
    }

    /// The ticket whose reference equals `reference` ignoring case (the
    /// oldest, should an older database hold two).
    pub fn ticket_like(&self, installation: &str, reference: &str) -> Result<Option<TicketRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM ticket
                 WHERE installation_id = ?1 AND ref = ?2 COLLATE NOCASE
                 ORDER BY opened_at, ref LIMIT 1"
            ))?
            .query_row([installation, reference], ticket_row)
            .optional()?)
    }

    /// An installation's tickets, oldest first.
    pub fn tickets(&self, installation: &str) -> Result<Vec<TicketRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM ticket WHERE installation_id = ?1 ORDER BY opened_at, ref"
        ))?;
        let rows = stmt.query_map([installation], ticket_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn insert_ticket(&self, t: &TicketRow) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO ticket ({TICKET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))?
            .execute(params![
                t.installation,
                t.reference,
                t.severity,
                t.environment,
                t.summary,
                t.state,
                t.opened_by,
                t.opened_at,
                t.since
            ])?;
        Ok(())
    }

    pub(super) fn set_ticket_state(
        &self,
        installation: &str,
        reference: &str,
        state: TicketState,
        since: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE ticket SET state = ?3, since = ?4 WHERE installation_id = ?1 AND ref = ?2",
            )?
            .execute(params![installation, reference, state, since])
            .map_err(Error::from)
            .and_then(|n| super::exactly_one(n, format_args!("ticket {reference}")))?;
        Ok(())
    }

    /// Cycles not yet signed off, of every installation or one, with the subscriber.
    pub fn open_cycles(&self, installation: Option<&str>) -> Result<Vec<(CycleRow, String)>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CYCLE_COLUMNS}, i.subscriber
             FROM update_cycle JOIN installation i ON i.id = installation_id
             WHERE state NOT IN ('signed_off', 'cancelled') AND (?1 IS NULL OR installation_id = ?1)"
        ))?;
        let rows = stmt.query_map(params![installation], |r| Ok((cycle_row(r)?, r.get(11)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Tickets not yet closed, of every installation or one, with the subscriber.
    pub fn open_tickets(&self, installation: Option<&str>) -> Result<Vec<(TicketRow, String)>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS}, i.subscriber
             FROM ticket JOIN installation i ON i.id = installation_id
             WHERE state <> 'closed' AND (?1 IS NULL OR installation_id = ?1)"
        ))?;
        let rows = stmt.query_map(params![installation], |r| Ok((ticket_row(r)?, r.get(9)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
