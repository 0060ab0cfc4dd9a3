//! Applying a recorded change to the state tables. Every write of raci goes
//! through here, right after its event is appended, so the tables hold
//! exactly what the ledger says; `db check` proves it by replaying.

use rusqlite::params;

use super::{Event, Tx};
use crate::domain::ledger::Change;
use crate::domain::records::Installation;
use crate::domain::replay::{Created, created, move_cycle};
use crate::domain::rules::Status;
use crate::error::{Error, Result};

impl Tx<'_> {
    /// Records one event: applies its change (if any) to the state tables,
    /// then appends the event to the chain, and returns its id. The only way
    /// raci writes state: nothing changes a table without its event.
    pub fn record(&self, e: &Event, change: Option<&Change>) -> Result<i64> {
        // The change first: the event refers to what it creates.
        if let Some(change) = change {
            self.apply_change(e, change)?;
        }
        self.append_event(e)
    }

    /// Writes what `change`, recorded as `e`, changes.
    pub(super) fn apply_change(&self, e: &Event, change: &Change) -> Result<()> {
        let inst = || {
            e.installation.clone().ok_or_else(|| {
                Error::storage(format!("event {} changes an installation but names none", e.id))
            })
        };
        let actor = || e.actor.clone().unwrap_or_default();
        let at = e.at.as_str();
        match change {
            Change::PersonAdded { .. }
            | Change::HandoverRecorded { .. }
            | Change::BackupRecorded { .. }
            | Change::CycleStarted { .. }
            | Change::TicketOpened { .. } => match created(e, change) {
                Some(Created::Person(p)) => self.insert_person(&p)?,
                Some(Created::Handover(h)) => self.insert_handover(&h)?,
                Some(Created::Backup(b)) => self.insert_backup(&b)?,
                Some(Created::Cycle(c)) => self.insert_cycle(&c)?,
                Some(Created::Ticket(t)) => self.insert_ticket(&t)?,
                None => {}
            },
            Change::PersonSet { handle, role, admin, name, email, login } => {
                self.tx
                    .prepare_cached(
                        "UPDATE person SET role = ?2, admin = ?3, name = ?4, email = ?5, login = ?6
                         WHERE handle = ?1",
                    )?
                    .execute(params![handle, role, admin, name, email, login])
                    .map_err(Error::from)
                    .and_then(|n| super::exactly_one(n, format_args!("person {handle}")))?;
            }
            Change::PersonDeactivated { handle, .. } | Change::PersonReactivated { handle } => {
                let active = matches!(change, Change::PersonReactivated { .. });
                self.tx
                    .prepare_cached("UPDATE person SET active = ?2 WHERE handle = ?1")?
                    .execute(params![handle, active])
                    .map_err(Error::from)
                    .and_then(|n| super::exactly_one(n, format_args!("person {handle}")))?;
            }
            Change::InstallationAdded { subscriber, appliance_id } => {
                self.insert_installation(&Installation {
                    id: inst()?,
                    subscriber: subscriber.clone(),
                    appliance_id: appliance_id.clone(),
                    created_at: at.to_string(),
                    retired: false,
                })?
            }
            Change::InstallationRetired { .. } | Change::InstallationUnretired => {
                let retired = matches!(change, Change::InstallationRetired { .. });
                self.tx
                    .prepare_cached("UPDATE installation SET retired = ?2 WHERE id = ?1")?
                    .execute(params![inst()?, retired])
                    .map_err(Error::from)
                    .and_then(|n| super::exactly_one(n, "the installation"))?;
            }
            Change::TaskMoved { task, state, blocked_from } => self.set_task_status(
                &inst()?,
                task,
                Status { state: *state, blocked_from: *blocked_from },
                at,
            )?,
            Change::TaskDue { task, due } => self.set_task_due(&inst()?, task, due)?,
            Change::ItemSet { task, item, checked, note } => {
                let actor = actor();
                self.set_item(
                    &inst()?,
                    task,
                    item,
                    checked.then_some((actor.as_str(), at, note.as_deref())),
                )?
            }
            Change::CycleMoved { number, action, state } => {
                let id = inst()?;
                let mut cycle = self.cycle(&id, *number)?.ok_or_else(|| {
                    Error::storage(format!("update cycle {number} of {id} is missing"))
                })?;
                move_cycle(&mut cycle, action, *state, at);
                self.update_cycle(&cycle)?
            }
            Change::TicketMoved { reference, state } => {
                self.set_ticket_state(&inst()?, reference, *state, at)?
            }
            Change::KeyAdded { handle, fingerprint, key_type, public_key, comment } => self
                .insert_key(&crate::domain::records::KeyRow {
                    fingerprint: fingerprint.clone(),
                    handle: handle.clone(),
                    key_type: key_type.clone(),
                    public_key: public_key.clone(),
                    comment: comment.clone(),
                    added_at: at.to_string(),
                    revoked_at: None,
                })?,
            Change::KeyRevoked { handle, fingerprint } => {
                self.revoke_key(handle, fingerprint, at)?
            }
            Change::PolicySet { subscriber, require_signatures } => {
                self.set_policy(&crate::domain::records::PolicyRow {
                    organisation: subscriber.clone().unwrap_or_default(),
                    require_signatures: *require_signatures,
                    set_by: actor(),
                    set_at: at.to_string(),
                })?
            }
            Change::EventsRead { handle, events } => {
                for id in events {
                    self.mark_read(handle, *id, at)?;
                }
            }
            Change::Upgraded(_) => {
                return Err(Error::storage("only the upgrade records the ledger's baseline"));
            }
        }
        Ok(())
    }
}
