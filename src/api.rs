//! The API's request bodies and paths, shared by the server (which reads
//! them) and the remote CLI (which sends them), so the two cannot drift.
//! Every value is checked on the way in as on the command line: handles and
//! IDs as `Id`, free text as `Text`, dates as `Day`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::operations::{Environment, Severity};
use crate::domain::rules::{Topic, Verb};
use crate::domain::values::{Day, Id, Text};
use crate::domain::{Party, Role};
use crate::error::Kind;

/// The version of the API, the prefix of every route.
pub const PREFIX: &str = "/api/v1";

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `POST /login`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub handle: String,
    pub password: String,
    pub token_name: Option<Text>,
}

/// `POST /invitations/{code}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub password: String,
}

/// `POST /people/{handle}/set`: the fields given change. `login: null`
/// unbinds; an absent `login` leaves it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonSetBody {
    pub role: Option<Role>,
    pub admin: Option<bool>,
    pub name: Option<Text>,
    pub email: Option<Text>,
    /// The OS account the person must act from; `null` unbinds.
    #[serde(default, with = "double_option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Id>)]
    pub login: Option<Option<Id>>,
}

/// A present `null` as `Some(None)`, an absent field as `None`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A reason (`person deactivate`, `installation retire`, `update fail` …).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: Text,
}

impl StepBody {
    /// The body of a task verb: its text under the name the verb takes.
    pub fn of(verb: Verb, text: Option<Text>, due: Option<Day>) -> StepBody {
        match verb {
            Verb::Reject | Verb::Waive | Verb::Block | Verb::Reopen => {
                StepBody { reason: text, due, ..StepBody::default() }
            }
            Verb::Comment => StepBody { text, due, ..StepBody::default() },
            _ => StepBody { note: text, due, ..StepBody::default() },
        }
    }
}

/// An optional note.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub note: Option<Text>,
}

/// `POST /installations/{id}/tasks/{task}/{verb}`: the note, reason, text
/// or date the verb takes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Day>,
}

/// `POST /installations/{id}/checklist/{task}/check|uncheck`, several items
/// at once (`items`, or `all`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemsBody {
    #[serde(default)]
    pub items: Vec<Id>,
    #[serde(default)]
    pub all: bool,
    pub note: Option<Text>,
}

/// `POST /installations/{id}/handover`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverBody {
    pub held_on: Day,
    pub minutes: u32,
    pub attendees: Vec<Id>,
    pub topics: Vec<Topic>,
}

/// `POST /installations/{id}/updates`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    pub version: Text,
    pub note: Option<Text>,
}

/// `POST /installations/{id}/backups`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupBody {
    pub taken_on: Day,
    pub note: Option<Text>,
}

/// `POST /installations/{id}/tickets`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketBody {
    #[serde(rename = "ref")]
    pub reference: Id,
    pub severity: Severity,
    pub environment: Environment,
    pub summary: Text,
}

/// `POST /installations/{id}/tickets/{ref}/{action}`: a note, reason or text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketStepBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

/// `POST /inbox/ack`: these events, or with none, every unread one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    #[serde(default)]
    pub ids: Vec<i64>,
}

/// `POST /people/{handle}/keys`: an OpenSSH public key line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// e.g. `ssh-ed25519 AAAA… comment`, as in a `.pub` file.
    pub key: String,
}

/// `POST /policy`: whether the administrator's organisation requires signed steps.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    pub require_signatures: bool,
}

/// `POST /offline/request`: a task step for `for` to sign offline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineRequestBody {
    pub installation: Id,
    pub task: Id,
    pub verb: Verb,
    /// The signer's handle.
    #[serde(rename = "for")]
    pub signer: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_days: Option<u32>,
}

/// `POST /offline/apply`: a statement and its signature, byte for byte as
/// `offline request` and `ssh-keygen -Y sign` wrote them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineApplyBody {
    pub statement: String,
    pub signature: String,
}

/// `POST /statements`: the write to be signed, as it would be sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    /// `POST` (the default).
    #[serde(default)]
    pub method: Option<String>,
    /// The write's route, e.g. `/api/v1/installations/acme/tasks/deployment/signoff`.
    pub path: String,
    /// The write's body.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub body: Option<serde_json::Value>,
}

/// A statement to sign (`ssh-keygen -Y sign -n raci-step@v1`), byte for byte.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementView {
    pub statement: String,
}

/// A refusal, with the status of its kind: `{"error": {"kind", "message"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub kind: Kind,
    /// What was refused and what would be accepted, without the CLI's hints.
    pub message: String,
}

/// What `installation import` answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// `GET /installations`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Retired installations too.
    #[serde(default)]
    pub all: bool,
}

/// `GET /installations/{id}/checklist`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChecklistQuery {
    /// Only this task's items.
    pub task: Option<Id>,
}

/// `GET /inbox`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only those the person has not marked read.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (unread first, newest first).
    pub limit: Option<u32>,
}

/// `GET /reports/…`: the report's filters, each where it applies.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `outstanding`: only the moves of this party.
    pub party: Option<Party>,
    /// `outstanding` and `html`: only this subscriber's installations.
    pub subscriber: Option<Text>,
    /// `outstanding` and `clocks`: only this installation.
    pub installation: Option<Id>,
    /// `stale-backups`: older than this many days (7 when absent).
    pub older_than: Option<i64>,
    /// `clocks`: `task` (the default) or `installation`.
    #[param(pattern = "^(task|installation)$")]
    pub by: Option<String>,
}

/// Percent-encodes one path segment (IDs are already safe; task keys and
/// item keys too, but a segment is never trusted to be).
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The words of the routes (and the pages' forms) for the moves of update
/// cycles, tickets and checklist items: one reading for both front ends.
pub mod words {
    use crate::domain::operations::{CycleAction, TicketAction};
    use crate::domain::values::Text;
    use crate::error::{Error, Result};

    /// An update cycle's number in a path.
    pub fn cycle_number(n: &str) -> Result<i64> {
        n.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            Error::bad_input(format!("update cycle {n:?} is not a cycle number; expected 1, 2, …"))
        })
    }

    /// `fail`, `cancel` or `signoff` (the steps are under `steps/`).
    pub fn cycle_action(word: &str) -> Result<CycleAction> {
        match word {
            "fail" => Ok(CycleAction::Fail),
            "cancel" => Ok(CycleAction::Cancel),
            "signoff" => Ok(CycleAction::Signoff),
            other => Err(Error::not_found(format!(
                "no update action {other:?}; expected fail, signoff or cancel (steps are under steps/)"
            ))),
        }
    }

    pub fn cycle_word(action: CycleAction) -> String {
        match action {
            CycleAction::Fail => "fail".into(),
            CycleAction::Cancel => "cancel".into(),
            CycleAction::Signoff => "signoff".into(),
            CycleAction::Step(step) => format!("steps/{step}"),
        }
    }

    /// `resolve`, `close`, `reopen` or `comment`.
    pub fn ticket_action(word: &str) -> Result<TicketAction> {
        match word {
            "resolve" => Ok(TicketAction::Resolve),
            "close" => Ok(TicketAction::Close),
            "reopen" => Ok(TicketAction::Reopen),
            "comment" => Ok(TicketAction::Comment),
            other => Err(Error::not_found(format!(
                "no ticket action {other:?}; expected resolve, close, reopen or comment"
            ))),
        }
    }

    pub fn ticket_word(action: TicketAction) -> &'static str {
        action.as_str().trim_start_matches("ticket-")
    }

    /// `check` or `uncheck`: whether it checks.
    pub fn item_action(word: &str) -> Result<bool> {
        match word {
            "check" => Ok(true),
            "uncheck" => Ok(false),
            other => Err(Error::not_found(format!(
                "no checklist action {other:?}; expected check or uncheck"
            ))),
        }
    }

    /// The words a step carries, under the name its move takes: a reason
    /// to fail, cancel or reopen, a text to comment, else a note.
    pub fn words_for(
        reason_needed: bool,
        comment: bool,
        note: Option<Text>,
        reason: Option<Text>,
        text: Option<Text>,
    ) -> Option<Text> {
        match (reason_needed, comment) {
            (true, _) => reason,
            (_, true) => text,
            _ => note,
        }
    }

    /// Whether a cycle's move takes a reason.
    pub fn cycle_needs_reason(action: CycleAction) -> bool {
        matches!(action, CycleAction::Fail | CycleAction::Cancel)
    }
}
