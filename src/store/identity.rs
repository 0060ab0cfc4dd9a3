//! Credentials, kept beside the ledger: passwords (argon2id PHC strings),
//! invitation codes and tokens (SHA-256 of their secrets). No secret is ever
//! stored as given, and none enters an event; the use cases record each
//! credential's lifecycle as an event in the same transaction.

use rusqlite::{OptionalExtension, params};

use super::Tx;
use crate::error::Result;

/// A personal token or a browser session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub handle: String,
    /// `personal` or `session`.
    pub kind: String,
    pub name: String,
    pub read_only: bool,
    /// A session's CSRF token.
    pub csrf: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// An invitation, found by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub handle: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub voided_at: Option<String>,
}

const TOKEN_COLUMNS: &str =
    "id, handle, kind, name, read_only, csrf, created_at, expires_at, revoked_at, last_used_at";

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        handle: r.get(1)?,
        kind: r.get(2)?,
        name: r.get(3)?,
        read_only: r.get(4)?,
        csrf: r.get(5)?,
        created_at: r.get(6)?,
        expires_at: r.get(7)?,
        revoked_at: r.get(8)?,
        last_used_at: r.get(9)?,
    })
}

impl Tx<'_> {
    pub fn password_hash(&self, handle: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT hash FROM password WHERE handle = ?1")?
            .query_row([handle], |r| r.get(0))
            .optional()?)
    }

    pub fn set_password(&self, handle: &str, hash: &str, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO password (handle, hash, set_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (handle) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
            )?
            .execute(params![handle, hash, at])?;
        Ok(())
    }

    /// A new invitation for `handle`, voiding any older one still open.
    pub fn insert_invitation(
        &self,
        code_hash: &str,
        handle: &str,
        at: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE invitation SET voided_at = ?2
                 WHERE handle = ?1 AND used_at IS NULL AND voided_at IS NULL",
            )?
            .execute(params![handle, at])?;
        self.tx
            .prepare_cached(
                "INSERT INTO invitation (code_hash, handle, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![code_hash, handle, at, expires_at])?;
        Ok(())
    }

    pub fn invitation(&self, code_hash: &str) -> Result<Option<InvitationRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT handle, expires_at, used_at, voided_at FROM invitation WHERE code_hash = ?1",
            )?
            .query_row([code_hash], |r| {
                Ok(InvitationRow {
                    handle: r.get(0)?,
                    expires_at: r.get(1)?,
                    used_at: r.get(2)?,
                    voided_at: r.get(3)?,
                })
            })
            .optional()?)
    }

    pub fn use_invitation(&self, code_hash: &str, at: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE invitation SET used_at = ?2 WHERE code_hash = ?1")?
            .execute(params![code_hash, at])?;
        Ok(())
    }

    pub fn insert_token(&self, t: &TokenRow, secret_hash: &str) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "INSERT INTO token ({TOKEN_COLUMNS}, secret_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?
            .execute(params![
                t.id,
                t.handle,
                t.kind,
                t.name,
                t.read_only,
                t.csrf,
                t.created_at,
                t.expires_at,
                t.revoked_at,
                t.last_used_at,
                secret_hash
            ])?;
        Ok(())
    }

    /// The token whose secret hashes to `secret_hash`, whatever its state.
    pub fn token_by_secret(&self, secret_hash: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM token WHERE secret_hash = ?1"))?
            .query_row([secret_hash], token_row)
            .optional()?)
    }

    pub fn token(&self, id: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM token WHERE id = ?1"))?
            .query_row([id], token_row)
            .optional()?)
    }

    /// A person's tokens of one kind, oldest first.
    pub fn tokens_of(&self, handle: &str, kind: &str) -> Result<Vec<TokenRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM token WHERE handle = ?1 AND kind = ?2 ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map(params![handle, kind], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_token(&self, id: &str, at: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id, at])?;
        Ok(())
    }

    /// When a token was last used (and, for a session, when it now expires).
    pub fn touch_token(&self, id: &str, at: &str, expires_at: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE token SET last_used_at = ?2, expires_at = coalesce(?3, expires_at) WHERE id = ?1",
            )?
            .execute(params![id, at, expires_at])?;
        Ok(())
    }
}
