//! The records raci keeps, as plain data: what the state tables hold and what
//! the ledger's replay rebuilds. The store reads and writes them; the replay
//! produces them from events alone, and `db check` compares the two.

use serde::Serialize;

use super::operations::{CycleState, Environment, Severity, TicketState};
use super::rules::Status;
use super::{Channel, Party, Role};

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub handle: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub party: Party,
    pub role: Role,
    pub subscriber: Option<String>,
    pub login: Option<String>,
    pub created_at: String,
    /// Administers their organisation's people (and, for the vendor,
    /// installations).
    pub admin: bool,
    /// Deactivated people keep their history but can no longer act.
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    pub id: String,
    pub subscriber: String,
    pub appliance_id: Option<String>,
    pub created_at: String,
    pub retired: bool,
}

/// One installation's task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRow {
    pub key: String,
    #[serde(flatten)]
    pub status: Status,
    pub due: Option<String>,
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    pub task: String,
    pub item: String,
    pub position: i64,
    pub owner: Party,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
    pub note: Option<String>,
}

/// A handover meeting as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoverRow {
    pub installation: String,
    pub held_on: String,
    pub minutes: i64,
    /// Handles joined with `+`, in the order given.
    pub attendees: String,
    /// Topic names joined with `+`.
    pub topics: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleRow {
    pub installation: String,
    pub number: i64,
    pub version: String,
    pub state: CycleState,
    pub snapshot: bool,
    pub access: bool,
    pub failures: i64,
    pub started_by: String,
    pub started_at: String,
    pub since: String,
    pub signed_off_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupRow {
    pub installation: String,
    pub taken_on: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketRow {
    pub installation: String,
    pub reference: String,
    pub severity: Severity,
    pub environment: Environment,
    pub summary: String,
    pub state: TicketState,
    pub opened_by: String,
    pub opened_at: String,
    pub since: String,
}

/// A person's SSH key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRow {
    pub fingerprint: String,
    pub handle: String,
    pub key_type: String,
    /// `TYPE BASE64`, without the comment.
    pub public_key: String,
    pub comment: String,
    pub added_at: String,
    pub revoked_at: Option<String>,
}

/// An organisation's signing policy: `organisation` is empty for the
/// vendor, else the subscriber's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRow {
    pub organisation: String,
    pub require_signatures: bool,
    pub set_by: String,
    pub set_at: String,
}

/// That a person read an event of their inbox, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadMark {
    pub handle: String,
    pub event: i64,
    pub read_at: String,
}

/// One audit event. `from`/`to` are states of a task, a cycle or a ticket,
/// for people reading the log; `data` is the typed change the event made
/// (see `domain::ledger`), which the replay applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub installation: Option<String>,
    pub at: String,
    pub actor: Option<String>,
    pub party: Option<Party>,
    pub role: Option<Role>,
    pub action: String,
    pub task: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    /// The update cycle the event is about.
    pub cycle: Option<i64>,
    /// The ticket the event is about.
    pub ticket: Option<String>,
    /// 1: written by the first release (no `data`); 2: typed.
    pub format: i64,
    /// The change as stored: JSON of a `ledger::Change`, hashed verbatim.
    pub data: Option<String>,
    /// How the event came.
    pub channel: Channel,
    /// The token or session that carried an API or web event.
    pub token_id: Option<String>,
    /// A signed command's canonical statement, on its first event.
    pub statement: Option<String>,
    /// The armored SSH signature over `statement`.
    pub signature: Option<String>,
    /// Who carried an offline statement to raci, when not its signer.
    pub carrier: Option<String>,
}
