//! The one replay of the ledger: from events alone, every record raci keeps.
//! `db check` compares what it rebuilds with the state tables, and the party
//! clocks watch it move; nothing else interprets events.
//!
//! The replay is split the way the ledger is: [`Global`] holds people and read
//! marks (events with no installation), [`InstallationState`] one
//! installation, so an installation's events can be replayed on their own.

use std::collections::BTreeMap;

use super::ledger::{Baseline, Change};
use super::matrix::Matrix;
use super::operations::CycleState;
use super::records::{
    BackupRow, CycleRow, Event, HandoverRow, Installation, ItemRow, KeyRow, Person, PolicyRow,
    TaskRow, TicketRow,
};
use super::rules::Status;
use super::{Party, TaskState};

/// People and read marks, from the events that name no installation.
#[derive(Debug, Default)]
pub struct Global {
    pub people: BTreeMap<String, Person>,
    /// (handle, event) → read at.
    pub read_marks: BTreeMap<(String, i64), String>,
    /// The upgrade's record of what the first release's ledger lacked.
    pub baseline: Option<Baseline>,
    /// SSH keys by fingerprint.
    pub keys: BTreeMap<String, KeyRow>,
    /// Signing policies by organisation (empty for the vendor).
    pub policies: BTreeMap<String, PolicyRow>,
}

fn missing_person(handle: &str) -> String {
    format!("it names the person {handle}, whom no earlier event added")
}

impl Global {
    /// Applies the change of an event with no installation.
    pub fn apply(&mut self, e: &Event, change: &Change) -> Result<(), String> {
        let person = |people: &mut BTreeMap<String, Person>, handle: &str| {
            people.get_mut(handle).ok_or_else(|| missing_person(handle)).map(|_| ())
        };
        match change {
            Change::PersonAdded { handle, .. } => {
                if self.people.contains_key(handle) {
                    return Err(format!("it adds the person {handle} a second time"));
                }
                if let Some(Created::Person(p)) = created(e, change) {
                    self.people.insert(handle.clone(), p);
                }
            }
            Change::PersonSet { handle, role, admin, name, email, login } => {
                person(&mut self.people, handle)?;
                if let Some(p) = self.people.get_mut(handle) {
                    p.role = *role;
                    p.admin = *admin;
                    p.name = name.clone();
                    p.email = email.clone();
                    p.login = login.clone();
                }
            }
            Change::PersonDeactivated { handle, .. } | Change::PersonReactivated { handle } => {
                person(&mut self.people, handle)?;
                if let Some(p) = self.people.get_mut(handle) {
                    p.active = matches!(change, Change::PersonReactivated { .. });
                }
            }
            Change::KeyAdded { handle, fingerprint, key_type, public_key, comment } => {
                person(&mut self.people, handle)?;
                if self.keys.contains_key(fingerprint) {
                    return Err(format!("it adds the key {fingerprint} a second time"));
                }
                self.keys.insert(
                    fingerprint.clone(),
                    KeyRow {
                        fingerprint: fingerprint.clone(),
                        handle: handle.clone(),
                        key_type: key_type.clone(),
                        public_key: public_key.clone(),
                        comment: comment.clone(),
                        added_at: e.at.clone(),
                        revoked_at: None,
                    },
                );
            }
            Change::KeyRevoked { handle, fingerprint } => match self.keys.get_mut(fingerprint) {
                Some(k) if k.handle == *handle && k.revoked_at.is_none() => {
                    k.revoked_at = Some(e.at.clone());
                }
                _ => {
                    return Err(format!(
                        "it revokes {fingerprint} of {handle}, not an active key of theirs"
                    ));
                }
            },
            Change::PolicySet { subscriber, require_signatures } => {
                let organisation = subscriber.clone().unwrap_or_default();
                self.policies.insert(
                    organisation.clone(),
                    PolicyRow {
                        organisation,
                        require_signatures: *require_signatures,
                        set_by: e.actor.clone().unwrap_or_default(),
                        set_at: e.at.clone(),
                    },
                );
            }
            Change::EventsRead { handle, events } => {
                person(&mut self.people, handle)?;
                for id in events {
                    self.read_marks.entry((handle.clone(), *id)).or_insert_with(|| e.at.clone());
                }
            }
            Change::Upgraded(baseline) => {
                // A person in the tables whom no event added is not adopted:
                // the comparison names them.
                for b in &baseline.people {
                    if let Some(p) = self.people.get_mut(&b.handle) {
                        p.name = b.name.clone();
                        p.email = b.email.clone();
                        p.subscriber = b.subscriber.clone();
                        p.login = b.login.clone();
                        p.admin = b.admin;
                    }
                }
                for (handle, event, at) in &baseline.read_marks {
                    self.read_marks.insert((handle.clone(), *event), at.clone());
                }
                self.baseline = Some((**baseline).clone());
            }
            other => return Err(format!("its change {} needs an installation", kind(other))),
        }
        Ok(())
    }
}

fn kind(change: &Change) -> String {
    serde_json::to_value(change)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_else(|| "upgraded".into())
}

/// A record that a change brings into being.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    Person(Person),
    Handover(HandoverRow),
    Backup(BackupRow),
    Cycle(CycleRow),
    Ticket(TicketRow),
}

/// The record a change creates, as event `e` records it (who, when, where):
/// the one definition, used by the replay and by the store.
pub fn created(e: &Event, change: &Change) -> Option<Created> {
    let installation = || e.installation.clone().unwrap_or_default();
    let actor = || e.actor.clone().unwrap_or_default();
    let at = || e.at.clone();
    Some(match change {
        Change::PersonAdded { handle, party, role, name, email, subscriber, login, admin } => {
            Created::Person(Person {
                handle: handle.clone(),
                name: name.clone(),
                email: email.clone(),
                party: *party,
                role: *role,
                subscriber: subscriber.clone(),
                login: login.clone(),
                created_at: at(),
                admin: *admin,
                active: true,
            })
        }
        Change::HandoverRecorded { held_on, minutes, attendees, topics } => {
            Created::Handover(HandoverRow {
                installation: installation(),
                held_on: held_on.clone(),
                minutes: *minutes,
                attendees: attendees.join("+"),
                topics: topics.join("+"),
                recorded_by: actor(),
                recorded_at: at(),
            })
        }
        Change::BackupRecorded { taken_on, note } => Created::Backup(BackupRow {
            installation: installation(),
            taken_on: taken_on.clone(),
            note: note.clone(),
            recorded_by: actor(),
            recorded_at: at(),
        }),
        Change::CycleStarted { number, version } => Created::Cycle(CycleRow {
            installation: installation(),
            number: *number,
            version: version.clone(),
            state: CycleState::Preparing,
            snapshot: false,
            access: false,
            failures: 0,
            started_by: actor(),
            started_at: at(),
            since: at(),
            signed_off_at: None,
        }),
        Change::TicketOpened { reference, severity, environment, summary } => {
            Created::Ticket(TicketRow {
                installation: installation(),
                reference: reference.clone(),
                severity: *severity,
                environment: *environment,
                summary: summary.clone(),
                state: super::operations::TicketState::Open,
                opened_by: actor(),
                opened_at: at(),
                since: at(),
            })
        }
        _ => return None,
    })
}

/// What a cycle step does to the cycle's record: the one definition, used by
/// the replay and by the store when it applies a new event.
pub fn move_cycle(c: &mut CycleRow, action: &str, state: CycleState, at: &str) {
    match action {
        "snapshot" => c.snapshot = true,
        "access" => c.access = true,
        "update-fail" => c.failures = c.failures.saturating_add(1),
        _ => {}
    }
    if c.state != state {
        c.since = at.to_string();
    }
    if state == CycleState::SignedOff {
        c.signed_off_at = Some(at.to_string());
    }
    c.state = state;
}

/// One installation and everything in it, as its events leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationState {
    pub installation: Installation,
    /// In the template's order.
    pub tasks: Vec<TaskRow>,
    /// In the template's order of tasks, then items.
    pub items: Vec<ItemRow>,
    /// In the order recorded.
    pub handovers: Vec<HandoverRow>,
    /// In the order recorded.
    pub backups: Vec<BackupRow>,
    /// By number.
    pub cycles: Vec<CycleRow>,
    /// In the order opened.
    pub tickets: Vec<TicketRow>,
}

impl InstallationState {
    /// A new installation, with its tasks and items from the template.
    pub fn new(
        matrix: &Matrix,
        id: &str,
        subscriber: &str,
        appliance_id: Option<&str>,
        at: &str,
    ) -> Self {
        let tasks = matrix
            .tasks
            .iter()
            .map(|t| TaskRow {
                key: t.key.clone(),
                status: Status::new(if t.recurring {
                    TaskState::Recurring
                } else {
                    TaskState::Pending
                }),
                due: None,
                since: at.to_string(),
            })
            .collect();
        let items = matrix
            .tasks
            .iter()
            .flat_map(|t| {
                t.items.iter().zip(1..).map(|(i, position)| ItemRow {
                    task: t.key.clone(),
                    item: i.key.clone(),
                    position,
                    owner: i.owner,
                    checked_by: None,
                    checked_at: None,
                    note: None,
                })
            })
            .collect();
        InstallationState {
            installation: Installation {
                id: id.to_string(),
                subscriber: subscriber.to_string(),
                appliance_id: appliance_id.map(str::to_string),
                created_at: at.to_string(),
                retired: false,
            },
            tasks,
            items,
            handovers: Vec::new(),
            backups: Vec::new(),
            cycles: Vec::new(),
            tickets: Vec::new(),
        }
    }

    pub fn task(&self, key: &str) -> Option<&TaskRow> {
        self.tasks.iter().find(|t| t.key == key)
    }

    fn task_mut(&mut self, key: &str) -> Result<&mut TaskRow, String> {
        self.tasks
            .iter_mut()
            .find(|t| t.key == key)
            .ok_or_else(|| format!("it names no task of the template ({key})"))
    }

    fn cycle_mut(&mut self, number: i64) -> Result<&mut CycleRow, String> {
        self.cycles.iter_mut().find(|c| c.number == number).ok_or_else(|| {
            format!("it names update cycle {number}, which no earlier event started")
        })
    }

    /// Applies one event of this installation.
    pub fn apply(&mut self, e: &Event, change: &Change) -> Result<(), String> {
        let actor = || e.actor.clone().unwrap_or_default();
        let _id = self.installation.id.clone();
        match change {
            Change::InstallationAdded { .. } => {
                return Err("it adds an installation that already exists".into());
            }
            Change::InstallationRetired { .. } => self.installation.retired = true,
            Change::InstallationUnretired => self.installation.retired = false,
            Change::TaskMoved { task, state, blocked_from } => {
                let row = self.task_mut(task)?;
                row.status = Status { state: *state, blocked_from: *blocked_from };
                row.since = e.at.clone();
            }
            Change::TaskDue { task, due } => self.task_mut(task)?.due = Some(due.clone()),
            Change::ItemSet { task, item, checked, note } => {
                let row = self
                    .items
                    .iter_mut()
                    .find(|i| i.task == *task && i.item == *item)
                    .ok_or_else(|| format!("it names no checklist item {item} of {task}"))?;
                if *checked {
                    row.checked_by = Some(actor());
                    row.checked_at = Some(e.at.clone());
                    row.note = note.clone();
                } else {
                    row.checked_by = None;
                    row.checked_at = None;
                    row.note = None;
                }
            }
            Change::HandoverRecorded { .. } | Change::BackupRecorded { .. } => {
                match created(e, change) {
                    Some(Created::Handover(h)) => self.handovers.push(h),
                    Some(Created::Backup(b)) => self.backups.push(b),
                    _ => {}
                }
            }
            Change::CycleStarted { number, .. } => {
                if self.cycles.iter().any(|c| c.number == *number) {
                    return Err(format!("it starts update cycle {number} a second time"));
                }
                if let Some(Created::Cycle(c)) = created(e, change) {
                    self.cycles.push(c);
                }
                self.cycles.sort_by_key(|c| c.number);
            }
            Change::CycleMoved { number, action, state } => {
                move_cycle(self.cycle_mut(*number)?, action, *state, &e.at)
            }
            Change::TicketOpened { reference, .. } => {
                if self.tickets.iter().any(|t| t.reference == *reference) {
                    return Err(format!("it opens ticket {reference} a second time"));
                }
                if let Some(Created::Ticket(t)) = created(e, change) {
                    self.tickets.push(t);
                }
            }
            Change::TicketMoved { reference, state } => {
                let t = self.tickets.iter_mut().find(|t| t.reference == *reference).ok_or_else(
                    || format!("it names ticket {reference}, which no earlier event opened"),
                )?;
                t.state = *state;
                t.since = e.at.clone();
            }
            Change::PersonAdded { .. }
            | Change::PersonSet { .. }
            | Change::PersonDeactivated { .. }
            | Change::PersonReactivated { .. }
            | Change::EventsRead { .. }
            | Change::KeyAdded { .. }
            | Change::KeyRevoked { .. }
            | Change::PolicySet { .. }
            | Change::Upgraded(_) => {
                return Err(format!("its change {} belongs to no installation", kind(change)));
            }
        }
        Ok(())
    }

    /// What the upgrade's baseline adds that the first release's events lack.
    pub fn patch(&mut self, baseline: &Baseline) {
        let id = self.installation.id.as_str();
        for (inst, appliance) in &baseline.appliance_ids {
            if inst == id {
                self.installation.appliance_id = Some(appliance.clone());
            }
        }
        for (inst, number, version) in &baseline.cycle_versions {
            if inst == id
                && let Some(c) = self.cycles.iter_mut().find(|c| c.number == *number)
            {
                c.version = version.clone();
            }
        }
    }

    /// Whose move each open task, cycle step and ticket is now: (task row,
    /// party), or `None` for a blocked task. Recurring rows hold one share
    /// per open cycle or ticket.
    pub fn holders(&self, matrix: &Matrix) -> Vec<(usize, Option<Party>)> {
        let index = |key: &str| matrix.tasks.iter().position(|t| t.key == key);
        let state_of = |key: &str| self.task(key).map(|t| t.status.state);
        let mut out = Vec::new();
        for (i, def) in matrix.tasks.iter().enumerate() {
            let Some(row) = self.task(&def.key) else { continue };
            if row.status.state == TaskState::Blocked {
                out.push((i, None));
                continue;
            }
            let done = super::rules::predecessors_done(def, state_of);
            if let Some(party) = super::rules::next_move(def, row.status, done) {
                out.push((i, Some(party)));
            }
        }
        for c in &self.cycles {
            if let Some((party, _)) = c.state.next() {
                out.extend(index(c.state.task()).map(|i| (i, Some(party))));
            }
        }
        for t in &self.tickets {
            if let Some((party, task, _)) = t.state.next() {
                out.extend(index(task).map(|i| (i, Some(party))));
            }
        }
        out
    }
}

/// Replays one installation's events (oldest first) from its creation.
/// `Err` names the first event that cannot be applied, and why.
pub struct InstallationReplay<'m> {
    matrix: &'m Matrix,
    pub state: Option<InstallationState>,
}

impl<'m> InstallationReplay<'m> {
    pub fn new(matrix: &'m Matrix) -> Self {
        InstallationReplay { matrix, state: None }
    }

    pub fn apply(&mut self, e: &Event, change: Option<&Change>) -> Result<(), String> {
        match (&mut self.state, change) {
            (None, Some(Change::InstallationAdded { subscriber, appliance_id })) => {
                let id = e.installation.as_deref().unwrap_or_default();
                self.state = Some(InstallationState::new(
                    self.matrix,
                    id,
                    subscriber,
                    appliance_id.as_deref(),
                    &e.at,
                ));
                Ok(())
            }
            (None, _) => Err("it comes before the event that added its installation".into()),
            (Some(_), None) => Ok(()),
            (Some(state), Some(change)) => state.apply(e, change),
        }
    }
}
