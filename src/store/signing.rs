//! Keys, signing policies, and what a signed step is checked against: the
//! event it follows and whether its statement was used before.

use rusqlite::{OptionalExtension, params};

use super::onboarding::EVENT_COLUMNS;
use super::{Event, Tx, event_row};
use crate::domain::records::{KeyRow, PolicyRow};
use crate::domain::signing::Subject;
use crate::error::Result;

const KEY_COLUMNS: &str =
    "fingerprint, handle, key_type, public_key, comment, added_at, revoked_at";

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        fingerprint: r.get(0)?,
        handle: r.get(1)?,
        key_type: r.get(2)?,
        public_key: r.get(3)?,
        comment: r.get(4)?,
        added_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

impl Tx<'_> {
    /// Every key raci holds (of one person, when `handle` is given), active
    /// or revoked, in the order they were added.
    pub fn keys(&self, handle: Option<&str>) -> Result<Vec<KeyRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM ssh_key WHERE ?1 IS NULL OR handle = ?1
             ORDER BY added_at, fingerprint"
        ))?;
        let rows = stmt.query_map([handle], key_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn key(&self, fingerprint: &str) -> Result<Option<KeyRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM ssh_key WHERE fingerprint = ?1"))?
            .query_row([fingerprint], key_row)
            .optional()?)
    }

    pub(super) fn insert_key(&self, k: &KeyRow) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO ssh_key ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                k.fingerprint,
                k.handle,
                k.key_type,
                k.public_key,
                k.comment,
                k.added_at,
                k.revoked_at
            ])?;
        Ok(())
    }

    pub(super) fn revoke_key(&self, handle: &str, fingerprint: &str, at: &str) -> Result<()> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE ssh_key SET revoked_at = ?3
                 WHERE fingerprint = ?1 AND handle = ?2 AND revoked_at IS NULL",
            )?
            .execute(params![fingerprint, handle, at])?;
        super::exactly_one(n, format_args!("key {fingerprint} of {handle}"))
    }

    /// Every organisation's signing policy.
    pub fn policies(&self) -> Result<Vec<PolicyRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT organisation, require_signatures, set_by, set_at FROM policy ORDER BY organisation",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PolicyRow {
                organisation: r.get(0)?,
                require_signatures: r.get(1)?,
                set_by: r.get(2)?,
                set_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn set_policy(&self, p: &PolicyRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO policy (organisation, require_signatures, set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (organisation) DO UPDATE SET
                   require_signatures = excluded.require_signatures,
                   set_by = excluded.set_by, set_at = excluded.set_at",
            )?
            .execute(params![p.organisation, p.require_signatures, p.set_by, p.set_at])?;
        Ok(())
    }

    /// The hash of the last event about `subject` before event `before`
    /// (or before any event not yet written, when `None`).
    pub fn last_hash_of(&self, subject: &Subject, before: Option<i64>) -> Result<Option<String>> {
        let before = before.unwrap_or(i64::MAX);
        let row = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<Option<String>> {
            Ok(self.tx.prepare_cached(sql)?.query_row(args, |r| r.get(0)).optional()?)
        };
        match subject {
            Subject::Task(i, t) => row(
                "SELECT hash FROM event WHERE task = ?2 AND installation_id = ?1 AND id < ?3
                 ORDER BY id DESC LIMIT 1",
                &[i, t, &before],
            ),
            Subject::Cycle(i, n) => row(
                "SELECT hash FROM event WHERE installation_id = ?1 AND cycle = ?2 AND id < ?3
                 ORDER BY id DESC LIMIT 1",
                &[i, n, &before],
            ),
            Subject::Ticket(i, r) => row(
                "SELECT hash FROM event WHERE installation_id = ?1 AND ticket = ?2 AND id < ?3
                 ORDER BY id DESC LIMIT 1",
                &[i, r, &before],
            ),
            Subject::Installation(i) => row(
                "SELECT hash FROM event WHERE installation_id = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT 1",
                &[i, &before],
            ),
            Subject::Ledger => {
                row("SELECT hash FROM event WHERE id < ?1 ORDER BY id DESC LIMIT 1", &[&before])
            }
        }
    }

    /// Every event in the order it was written (rows raci cannot read are
    /// the chain check's to name, and skipped here).
    pub fn each_event_in_order(&self, mut f: impl FnMut(Event) -> Result<()>) -> Result<()> {
        let mut stmt =
            self.tx.prepare(&format!("SELECT {EVENT_COLUMNS} FROM event ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Ok(e) = event_row(r) {
                f(e)?;
            }
        }
        Ok(())
    }

    /// Whether the ledger holds any signed step or any policy: without
    /// either, there is no signature to verify and no step to require one.
    pub fn has_signatures_or_policy(&self) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM event WHERE statement IS NOT NULL OR signature IS NOT NULL OR action = 'policy')",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// The event that carries `statement`, if one does.
    pub fn event_with_statement(&self, statement: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id FROM event WHERE statement = ?1")?
            .query_row([statement], |r| r.get(0))
            .optional()?)
    }
}
