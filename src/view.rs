//! Views for output: the rows raci prints, built for the JSON contract of
//! PRODUCT.md (field names are stable; more may be added, none renamed).
//! They are separate from domain and store types so the contract holds while
//! the internals change. `Default` gives the column names of an empty list.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::operations::{CycleState, Environment, Severity, TicketState};
use crate::domain::{Channel, Letter, Party, Role, TaskState};
use crate::store::{BackupRow, CycleRow, Event, Installation, Person, TicketRow};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    pub installation: String,
    /// Retired: no more changes, and out of every report.
    pub retired: bool,
    pub subscriber: String,
    pub appliance_id: Option<String>,
    pub tasks: Vec<TaskView>,
    /// Update cycles not yet signed off.
    pub cycles: Vec<CycleView>,
    /// Tickets not yet closed.
    pub tickets: Vec<TicketView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct TaskView {
    pub task: String,
    pub state: Option<TaskState>,
    pub responsible: Vec<Party>,
    pub accountable: Vec<Party>,
    pub next_move: Option<Party>,
    pub due: Option<String>,
    pub overdue: bool,
    pub since: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct InstallationView {
    pub id: String,
    pub subscriber: String,
    pub appliance_id: Option<String>,
    pub created_at: String,
    pub retired: bool,
}

impl From<Installation> for InstallationView {
    fn from(i: Installation) -> Self {
        InstallationView {
            id: i.id,
            subscriber: i.subscriber,
            appliance_id: i.appliance_id,
            created_at: i.created_at,
            retired: i.retired,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub handle: String,
    pub name: Option<String>,
    pub party: Option<Party>,
    pub role: Option<Role>,
    pub subscriber: Option<String>,
    pub email: Option<String>,
    /// Administers their organisation.
    pub admin: bool,
    /// Deactivated people keep their history but can no longer act.
    pub active: bool,
    pub login: Option<String>,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        PersonView {
            handle: p.handle,
            name: p.name,
            party: Some(p.party),
            role: Some(p.role),
            subscriber: p.subscriber,
            email: p.email,
            admin: p.admin,
            active: p.active,
            login: p.login,
        }
    }
}

/// One row of the matrix as JSON: the seed's row with letters as arrays.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MatrixRowView {
    pub task: String,
    pub title: String,
    pub vendor: Vec<Letter>,
    pub subscriber: Vec<Letter>,
    pub notes: String,
    /// The vendor's name, as the seed's table heads its column.
    pub vendor_name: String,
    /// The seed's cells, verbatim.
    pub vendor_cell: String,
    pub subscriber_cell: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ItemView {
    pub task: String,
    pub item: String,
    /// What the item asks for, from the template.
    pub label: String,
    pub owner: Option<Party>,
    pub checked: bool,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub installation: Option<String>,
    pub actor: Option<String>,
    pub party: Option<Party>,
    pub role: Option<Role>,
    pub action: String,
    pub task: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    pub cycle: Option<i64>,
    pub ticket: Option<String>,
    /// `cli`, `api` or `web`: how the event came.
    pub channel: Channel,
    /// The token that carried an API event (a session's, for the pages).
    pub token_id: Option<String>,
    /// A signed step's canonical statement (`raci-step@v1`), byte for byte.
    pub statement: Option<String>,
    /// The armored SSH signature over `statement`.
    pub signature: Option<String>,
    /// Who carried an offline statement to raci, when not its signer.
    pub carried_by: Option<String>,
}

/// One SSH key of a person, as `person key list` shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    pub handle: String,
    /// As `ssh-keygen -l` prints it: `SHA256:…`.
    pub fingerprint: String,
    #[serde(rename = "type")]
    pub key_type: String,
    pub comment: String,
    pub added_at: String,
    pub active: bool,
    /// `TYPE BASE64`, as in an allowed_signers or authorized_keys line.
    pub public_key: String,
    pub revoked_at: Option<String>,
}

impl From<crate::domain::records::KeyRow> for KeyView {
    fn from(k: crate::domain::records::KeyRow) -> Self {
        KeyView {
            handle: k.handle,
            fingerprint: k.fingerprint,
            key_type: k.key_type,
            comment: k.comment,
            added_at: k.added_at,
            active: k.revoked_at.is_none(),
            public_key: k.public_key,
            revoked_at: k.revoked_at,
        }
    }
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            id: e.id,
            at: e.at,
            installation: e.installation,
            actor: e.actor,
            party: e.party,
            role: e.role,
            action: e.action,
            task: e.task,
            from: e.from,
            to: e.to,
            note: e.note,
            cycle: e.cycle,
            ticket: e.ticket,
            channel: e.channel,
            token_id: e.token_id,
            statement: e.statement,
            signature: e.signature,
            carried_by: e.carrier,
        }
    }
}

/// An update cycle, with whose move it is and what that move is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CycleView {
    pub installation: String,
    pub cycle: i64,
    pub version: String,
    pub state: Option<CycleState>,
    pub next_move: Option<Party>,
    pub next_step: Option<String>,
    pub failures: i64,
    pub started_at: String,
    pub since: String,
    pub signed_off_at: Option<String>,
}

impl From<CycleRow> for CycleView {
    fn from(c: CycleRow) -> Self {
        let next = c.state.next();
        CycleView {
            installation: c.installation,
            cycle: c.number,
            version: c.version,
            state: Some(c.state),
            next_move: next.map(|(party, _)| party),
            next_step: next.map(|(_, step)| step.to_string()),
            failures: c.failures,
            started_at: c.started_at,
            since: c.since,
            signed_off_at: c.signed_off_at,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub installation: String,
    pub ticket: String,
    pub severity: Option<Severity>,
    pub environment: Option<Environment>,
    pub state: Option<TicketState>,
    pub next_move: Option<Party>,
    pub summary: String,
    pub opened_by: String,
    pub opened_at: String,
    pub since: String,
}

impl From<TicketRow> for TicketView {
    fn from(t: TicketRow) -> Self {
        TicketView {
            installation: t.installation,
            ticket: t.reference,
            severity: Some(t.severity),
            environment: Some(t.environment),
            state: Some(t.state),
            next_move: t.state.next_move(),
            summary: t.summary,
            opened_by: t.opened_by,
            opened_at: t.opened_at,
            since: t.since,
        }
    }
}

/// One handover meeting as recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct HandoverView {
    pub held_on: String,
    pub minutes: i64,
    pub attendees: Vec<AttendeeView>,
    pub topics: Vec<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AttendeeView {
    pub handle: String,
    /// `None` for a handle no longer known.
    pub party: Option<Party>,
}

/// A handover meeting for a table or CSV: each attendee as `handle (party)`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct HandoverRowView {
    pub held_on: String,
    pub minutes: i64,
    pub attendees: Vec<String>,
    pub topics: Vec<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<HandoverView> for HandoverRowView {
    fn from(h: HandoverView) -> Self {
        HandoverRowView {
            held_on: h.held_on,
            minutes: h.minutes,
            attendees: h
                .attendees
                .into_iter()
                .map(|a| match a.party {
                    Some(party) => format!("{} ({party})", a.handle),
                    None => a.handle,
                })
                .collect(),
            topics: h.topics,
            recorded_by: h.recorded_by,
            recorded_at: h.recorded_at,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BackupView {
    pub installation: String,
    pub taken_on: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<BackupRow> for BackupView {
    fn from(b: BackupRow) -> Self {
        BackupView {
            installation: b.installation,
            taken_on: b.taken_on,
            note: b.note,
            recorded_by: b.recorded_by,
            recorded_at: b.recorded_at,
        }
    }
}

/// One row of `report outstanding`: a move some party owes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OutstandingView {
    pub installation: String,
    pub subscriber: String,
    pub task: String,
    /// The state of the task, update cycle or ticket.
    pub state: String,
    /// The party whose move it is.
    pub party: Option<Party>,
    /// What that move is: start, submit, signoff, a cycle step, resolve, close.
    pub next_move: String,
    /// Since when the move has been theirs.
    pub since: String,
    pub overdue: bool,
    pub due: Option<String>,
    pub cycle: Option<i64>,
    pub ticket: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OverdueView {
    pub installation: String,
    pub task: String,
    pub due: String,
    /// `past_due` (a task's due date has passed) or `update_overdue` (no
    /// signed-off update cycle for more than 90 days).
    pub reason: String,
    pub days_overdue: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct StaleBackupView {
    pub installation: String,
    pub subscriber: String,
    pub last_backup: Option<String>,
    /// Days since the last backup, or since the handover when there is none.
    pub days: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    pub installation: String,
    pub task: String,
    pub vendor_seconds: i64,
    pub subscriber_seconds: i64,
    pub blocked_seconds: i64,
}

/// Party clocks of one installation: each moment counted once per party
/// (the union of the intervals in which at least one move lay with it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ClockInstallationView {
    pub installation: String,
    pub vendor_seconds: i64,
    pub subscriber_seconds: i64,
    pub blocked_seconds: i64,
    /// The vendor's share of the time a move lay with either party, 0 to 1.
    pub vendor_share: f64,
}

/// Party clocks of one installation, for people (the table view).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ClockTotalView {
    pub installation: String,
    pub vendor: String,
    pub subscriber: String,
    pub blocked: String,
    pub vendor_share: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct InboxView {
    pub id: i64,
    pub at: String,
    pub installation: Option<String>,
    pub task: Option<String>,
    pub action: String,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub read: bool,
}
