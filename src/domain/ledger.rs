//! The ledger's meaning, in types: every event that changes state carries one
//! `Change` with structured fields, stored as JSON and hashed into the chain.
//! The replay (`domain::replay`) applies these and nothing else, so the state
//! tables are a cache of the ledger that `db check` can prove.
//!
//! Events of the first release carry no change; [`legacy_change`] reads theirs
//! from the fields that release wrote, in this one place. Their hash covers
//! those fields, so the reading is as tamper-evident as the event.

use serde::{Deserialize, Serialize};

use super::operations::{CycleState, Environment, Severity, TicketState};
use super::records::Event;
use super::{Party, Role, TaskState};

/// What one event changed. The installation, the actor and the time are the
/// event's own columns; a change says only what is not already there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Change {
    PersonAdded {
        handle: String,
        party: Party,
        role: Role,
        name: Option<String>,
        email: Option<String>,
        subscriber: Option<String>,
        login: Option<String>,
        admin: bool,
    },
    /// A person's changeable fields, as they are after the change.
    PersonSet {
        handle: String,
        role: Role,
        admin: bool,
        name: Option<String>,
        email: Option<String>,
        login: Option<String>,
    },
    PersonDeactivated {
        handle: String,
        reason: String,
    },
    PersonReactivated {
        handle: String,
    },
    /// The installation (the event's) with its tasks and items from the template.
    InstallationAdded {
        subscriber: String,
        appliance_id: Option<String>,
    },
    InstallationRetired {
        reason: String,
    },
    InstallationUnretired,
    /// A task's new state (and, when blocked, the state it returns to).
    TaskMoved {
        task: String,
        state: TaskState,
        blocked_from: Option<TaskState>,
    },
    TaskDue {
        task: String,
        due: String,
    },
    ItemSet {
        task: String,
        item: String,
        checked: bool,
        note: Option<String>,
    },
    HandoverRecorded {
        held_on: String,
        minutes: i64,
        attendees: Vec<String>,
        topics: Vec<String>,
    },
    BackupRecorded {
        taken_on: String,
        note: Option<String>,
    },
    CycleStarted {
        number: i64,
        version: String,
    },
    /// An update cycle's step (`snapshot`, `dev-updated`, `update-fail`, …)
    /// and the state it left the cycle in.
    CycleMoved {
        number: i64,
        action: String,
        state: CycleState,
    },
    TicketOpened {
        reference: String,
        severity: Severity,
        environment: Environment,
        summary: String,
    },
    TicketMoved {
        reference: String,
        state: TicketState,
    },
    /// A person's OpenSSH public key (`TYPE BASE64`, without its comment).
    KeyAdded {
        handle: String,
        fingerprint: String,
        key_type: String,
        public_key: String,
        comment: String,
    },
    KeyRevoked {
        handle: String,
        fingerprint: String,
    },
    /// Whether an organisation (the vendor, or the subscriber named)
    /// requires its people's steps to be signed.
    PolicySet {
        subscriber: Option<String>,
        require_signatures: bool,
    },
    /// Inbox events a person marked read (the event's time is `read_at`).
    EventsRead {
        handle: String,
        events: Vec<i64>,
    },
    /// Written once by the upgrade from the first release: what that
    /// release's ledger did not record, as the tables held it then.
    Upgraded(Box<Baseline>),
}

/// What the first release's ledger did not carry, taken from its tables at
/// the upgrade (see the README's trust model for what this does and does not
/// prove about the time before it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The chain's head before the upgrade: (event id, hash).
    pub previous_head: Option<(i64, String)>,
    pub people: Vec<PersonBaseline>,
    /// (installation, appliance id).
    pub appliance_ids: Vec<(String, String)>,
    /// (installation, cycle number, version).
    pub cycle_versions: Vec<(String, i64, String)>,
    /// (handle, event id, read at).
    pub read_marks: Vec<(String, i64, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonBaseline {
    pub handle: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub subscriber: Option<String>,
    pub login: Option<String>,
    pub admin: bool,
}

impl Change {
    pub fn to_json(&self) -> String {
        // A Change is plain data (strings, numbers, enums): it always encodes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The change an event made, or `None` for one that changes nothing (a
/// comment). `Err` names why an event's change cannot be read.
pub fn change_of(e: &Event) -> Result<Option<Change>, String> {
    match (e.format, &e.data) {
        (2, Some(data)) => serde_json::from_str(data)
            .map(Some)
            .map_err(|err| format!("its change cannot be read ({err})")),
        (2, None) => Ok(None),
        (1, None) => match legacy_change(e) {
            Some(change) => Ok(Some(change)),
            None if CHANGED_NOTHING.contains(&e.action.as_str()) => Ok(None),
            None => {
                Err(format!("its {} note cannot be read as the first release wrote it", e.action))
            }
        },
        (1, Some(_)) => Err("a first-release event carries typed data".into()),
        (n, _) => Err(format!("unknown event format {n}")),
    }
}

/// Whether an event's columns for people (`task`, `to`, `cycle`, `ticket`,
/// `action`) say what its typed change says: `log` shows the columns, the
/// replay applies the change, and the two must not tell different stories.
pub fn display_agrees(e: &Event, change: &Change) -> Result<(), String> {
    let expect = |column: &str, shown: Option<&str>, said: &str| {
        if shown == Some(said) {
            Ok(())
        } else {
            Err(format!(
                "its {column} column says {} but its change says {said}",
                shown.unwrap_or("nothing")
            ))
        }
    };
    let number = |n: &i64| n.to_string();
    let cycle = e.cycle.map(|n| n.to_string());
    match change {
        Change::TaskMoved { task, state, .. } => {
            expect("task", e.task.as_deref(), task)?;
            expect("to", e.to.as_deref(), state.as_str())
        }
        Change::TaskDue { task, .. } | Change::ItemSet { task, .. } => {
            expect("task", e.task.as_deref(), task)
        }
        Change::CycleStarted { number: n, .. } => expect("cycle", cycle.as_deref(), &number(n)),
        Change::CycleMoved { number: n, action, state } => {
            expect("cycle", cycle.as_deref(), &number(n))?;
            expect("action", Some(e.action.as_str()), action)?;
            expect("to", e.to.as_deref(), state.as_str())
        }
        Change::TicketOpened { reference, .. } => expect("ticket", e.ticket.as_deref(), reference),
        Change::TicketMoved { reference, state } => {
            expect("ticket", e.ticket.as_deref(), reference)?;
            expect("to", e.to.as_deref(), state.as_str())
        }
        _ => Ok(()),
    }
}

/// The first release's actions that changed no state.
const CHANGED_NOTHING: [&str; 3] = ["comment", "ticket-comment", "inbox-ack"];

fn split_note(note: Option<&str>) -> (Option<&str>, Option<String>) {
    match note {
        None => (None, None),
        Some(n) => match n.split_once(": ") {
            Some((head, rest)) => (Some(head), Some(rest.to_string())),
            None => (Some(n), None),
        },
    }
}

/// The change of an event written by the first release, read from the
/// fields it wrote (its action, task, states and note).
pub fn legacy_change(e: &Event) -> Option<Change> {
    let note = e.note.as_deref();
    let task = || e.task.clone();
    match e.action.as_str() {
        "person-add" => {
            // "handle (party role)"
            let (handle, rest) = note?.split_once(" (")?;
            let (party, role) = rest.trim_end_matches(')').split_once(' ')?;
            Some(Change::PersonAdded {
                handle: handle.to_string(),
                party: party.parse().ok()?,
                role: role.parse().ok()?,
                name: None,
                email: None,
                subscriber: None,
                login: None,
                admin: false,
            })
        }
        "installation-add" => Some(Change::InstallationAdded {
            subscriber: note?.strip_prefix("subscriber ")?.to_string(),
            appliance_id: None,
        }),
        "check" | "uncheck" => {
            // The item key, then ": note" when there was one.
            let (item, rest) = split_note(note);
            Some(Change::ItemSet {
                task: task()?,
                item: item?.to_string(),
                checked: e.action == "check",
                note: if e.action == "check" { rest } else { None },
            })
        }
        "due" => {
            // "due YYYY-MM-DD" or "due YYYY-MM-DD (was …)"
            let due = note?.strip_prefix("due ")?.get(..10)?;
            Some(Change::TaskDue { task: task()?, due: due.to_string() })
        }
        "handover" => {
            // "held D for N minutes; attendees a+b; topics x+y+z"
            let mut parts = note?.split("; ");
            let held = parts.next()?.strip_prefix("held ")?;
            let (held_on, minutes) = held.split_once(" for ")?;
            let minutes = minutes.strip_suffix(" minutes")?.parse().ok()?;
            let list = |s: Option<&str>, prefix: &str| -> Option<Vec<String>> {
                Some(s?.strip_prefix(prefix)?.split('+').map(str::to_string).collect())
            };
            Some(Change::HandoverRecorded {
                held_on: held_on.to_string(),
                minutes,
                attendees: list(parts.next(), "attendees ")?,
                topics: list(parts.next(), "topics ")?,
            })
        }
        "backup-record" => {
            // "taken on D" or "taken on D: note"
            let rest = note?.strip_prefix("taken on ")?;
            let taken_on = rest.get(..10)?.to_string();
            let note = rest.get(10..).and_then(|r| r.strip_prefix(": ")).map(str::to_string);
            Some(Change::BackupRecorded { taken_on, note })
        }
        "update-start" => Some(Change::CycleStarted {
            number: e.cycle?,
            // The version may itself hold ": "; the upgrade's baseline
            // carries every cycle's version as stored.
            version: split_note(note).0?.strip_prefix("version ")?.to_string(),
        }),
        "ticket-open" => {
            // "severity on environment: summary"
            let (head, summary) = note?.split_once(": ")?;
            let (severity, environment) = head.split_once(" on ")?;
            Some(Change::TicketOpened {
                reference: e.ticket.clone()?,
                severity: severity.parse().ok()?,
                environment: environment.parse().ok()?,
                summary: summary.to_string(),
            })
        }
        _ => {
            let to = e.to.as_deref()?;
            if let Some(number) = e.cycle {
                Some(Change::CycleMoved {
                    number,
                    action: e.action.clone(),
                    state: to.parse().ok()?,
                })
            } else if let Some(reference) = &e.ticket {
                Some(Change::TicketMoved { reference: reference.clone(), state: to.parse().ok()? })
            } else {
                let state: TaskState = to.parse().ok()?;
                let blocked_from = match state {
                    TaskState::Blocked => Some(e.from.as_deref()?.parse().ok()?),
                    _ => None,
                };
                Some(Change::TaskMoved { task: task()?, state, blocked_from })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(task: &str, to: &str) -> Event {
        Event {
            installation: Some("acme".into()),
            action: "start".into(),
            task: Some(task.into()),
            to: Some(to.into()),
            format: 2,
            ..Event::default()
        }
    }

    #[test]
    fn an_events_columns_must_say_what_its_change_says() {
        let change = Change::TaskMoved {
            task: "deployment".into(),
            state: TaskState::InProgress,
            blocked_from: None,
        };
        assert!(display_agrees(&moved("deployment", "in_progress"), &change).is_ok());
        let shown_elsewhere = display_agrees(&moved("infrastructure", "in_progress"), &change);
        assert!(shown_elsewhere.is_err_and(|why| why.contains("task column")));
        let other_state = display_agrees(&moved("deployment", "signed_off"), &change);
        assert!(other_state.is_err_and(|why| why.contains("to column says signed_off")));
        let cycle = Change::CycleMoved {
            number: 2,
            action: "dev-updated".into(),
            state: CycleState::TestingDev,
        };
        let e = Event {
            action: "dev-updated".into(),
            cycle: Some(1),
            to: Some("testing_dev".into()),
            ..Event::default()
        };
        assert!(display_agrees(&e, &cycle).is_err_and(|why| why.contains("cycle column says 1")));
        assert!(display_agrees(&Event { cycle: Some(2), ..e }, &cycle).is_ok());
    }

    /// Every event the first release wrote reads back as a change its
    /// columns agree with, by construction.
    #[test]
    fn a_first_release_event_agrees_with_the_change_read_from_it() {
        let mut e = moved("deployment", "blocked");
        e.format = 1;
        e.from = Some("in_progress".into());
        let change = legacy_change(&e).expect("a change");
        assert_eq!(
            change,
            Change::TaskMoved {
                task: "deployment".into(),
                state: TaskState::Blocked,
                blocked_from: Some(TaskState::InProgress)
            }
        );
        assert!(display_agrees(&e, &change).is_ok());
    }
}
