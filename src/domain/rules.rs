//! The rules: which party (and, where the matrix names one, which role) may
//! take each step on a task, and which state each step moves a task to.
//! Pure functions of the matrix row, the acting person and the task's state;
//! the app layer gathers those facts inside its transaction and asks here.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::matrix::{ItemDef, Matrix, RowKind, TaskDef};
use super::{Letter, Party, Role, TaskState, names};
use crate::error::{Error, Result};

names!(
    /// The steps `raci task` takes on a one-shot task.
    Verb, "verb" {
        Start => "start",
        Submit => "submit",
        Signoff => "signoff",
        Reject => "reject",
        Waive => "waive",
        Block => "block",
        Unblock => "unblock",
        Reopen => "reopen",
        Comment => "comment",
        Due => "due",
    }
);

names!(
    /// What an operations handover must cover.
    Topic, "topic" {
        Monitoring => "monitoring",
        Backup => "backup",
        Updates => "updates",
    }
);

/// The task whose sign-off lets backups be recorded.
pub const DEPLOYMENT: &str = "deployment";
/// The task whose sign-off (or waiver) lets the handover be recorded.
pub const CONFIGURATION: &str = "configuration";
/// The shortest operations handover the seed allows, in minutes.
pub const HANDOVER_MINUTES: i64 = 90;

/// The person acting, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub handle: String,
    pub party: Party,
    pub role: Role,
    /// The subscriber a subscriber's person belongs to; `None` for the vendor.
    pub subscriber: Option<String>,
}

/// A task's state, with the state a blocked task returns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub state: TaskState,
    pub blocked_from: Option<TaskState>,
}

impl Status {
    pub fn new(state: TaskState) -> Self {
        Status { state, blocked_from: None }
    }
}

/// What the app layer found out about a task before asking for a step.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Predecessors neither signed off nor waived.
    pub open_predecessors: Vec<String>,
    /// Checklist items not yet checked.
    pub unchecked_items: Vec<String>,
    /// What has started that needed the task done (see [`reopen_blockers`]).
    pub reopen_blockers: Vec<String>,
    /// The template's waivable tasks, for the message refusing a waiver.
    pub waivable: Vec<String>,
}

fn list(parties: &[Party]) -> String {
    match parties {
        [] => "nobody".to_string(),
        [one] => one.to_string(),
        many => many.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" or "),
    }
}

/// The parties a verb is for on a task, and the letter that makes them so.
pub fn parties_for(verb: Verb, def: &TaskDef) -> (Vec<Party>, &'static str) {
    let r_or_a = || {
        let mut parties = def.holders(Letter::R);
        for p in def.holders(Letter::A) {
            if !parties.contains(&p) {
                parties.push(p);
            }
        }
        parties.sort();
        parties
    };
    match verb {
        Verb::Start | Verb::Submit => (def.holders(Letter::R), "Responsible"),
        Verb::Signoff | Verb::Reject | Verb::Waive | Verb::Reopen => {
            if def.holders(Letter::A).is_empty() {
                (def.approvers(), "Responsible, as the task has no Accountable")
            } else {
                (def.approvers(), "Accountable")
            }
        }
        Verb::Block | Verb::Unblock | Verb::Due => (r_or_a(), "Responsible or Accountable"),
        Verb::Comment => (
            Party::ALL.iter().copied().filter(|p| !def.letters(*p).is_empty()).collect(),
            "holding a letter on the task",
        ),
    }
}

/// Refuses an actor whose party is not among `parties`.
fn require_party(
    action: &str,
    parties: &[Party],
    why: &str,
    def: &TaskDef,
    actor: &Actor,
) -> Result<()> {
    if !parties.contains(&actor.party) {
        return Err(Error::not_permitted(format!(
            "{action} on {task} is for the {who} ({why}); {handle} is {party} {role}",
            task = def.key,
            who = list(parties),
            handle = actor.handle,
            party = actor.party,
            role = actor.role,
        )));
    }
    Ok(())
}

/// [`require_party`], and for the party the matrix names a role for, that role.
pub(super) fn require(
    action: &str,
    parties: &[Party],
    why: &str,
    def: &TaskDef,
    actor: &Actor,
) -> Result<()> {
    require_party(action, parties, why, def, actor)?;
    require_role(action, def, actor)
}

fn require_role(action: &str, def: &TaskDef, actor: &Actor) -> Result<()> {
    match def.role_rule {
        Some((party, role)) if party == actor.party && role != actor.role => {
            Err(Error::not_permitted(format!(
                "{action} on {task} is for the {party}'s {role} (the matrix names the role); {handle} is {actual}",
                task = def.key,
                handle = actor.handle,
                actual = actor.role,
            )))
        }
        _ => Ok(()),
    }
}

/// Subscriber names are compared with Unicode's full case folding, after
/// canonical normalisation: "ACME" is "Acme", "STRASSE" is "Straße", and
/// "Cafe\u{301}" is "Café". The store's `raci_fold` collation folds the
/// same way, so SQL and Rust agree on who belongs to a subscriber.
pub fn same_subscriber(a: &str, b: &str) -> bool {
    compare_subscribers(a, b).is_eq()
}

/// The order of subscriber names under full case folding (the collation
/// behind [`same_subscriber`]).
pub fn compare_subscribers(a: &str, b: &str) -> std::cmp::Ordering {
    use unicode_normalization::UnicodeNormalization;
    // Most names are ASCII, where full folding is lowercasing.
    if a.is_ascii() && b.is_ascii() {
        let fold = |s: &str| s.bytes().map(|c| c.to_ascii_lowercase()).collect::<Vec<u8>>();
        return fold(a).cmp(&fold(b));
    }
    // Canonically equivalent spellings (a precomposed "é" and "e" with a
    // combining accent) are one name; then case is folded.
    let (a, b): (String, String) = (a.nfc().collect(), b.nfc().collect());
    unicase::UniCase::unicode(a.as_str()).cmp(&unicase::UniCase::unicode(b.as_str()))
}

/// The recurring rows take no task verbs: their work is cycles and tickets.
pub fn refuse_recurring(def: &TaskDef, verb: &str) -> Result<()> {
    if def.recurring {
        let (work, command) = def.recurring_work();
        return Err(Error::conflict(format!(
            "{task} is recurring and has no one-shot state, so {verb} does not apply to it; its work is done in {work}",
            task = def.key,
        ))
        .hint(format!("use `{command}`")));
    }
    Ok(())
}

/// May this actor take this verb on this task, whatever its state?
pub fn authorize(verb: Verb, def: &TaskDef, actor: &Actor) -> Result<()> {
    let (parties, why) = parties_for(verb, def);
    match verb {
        // Comments are open to anyone with a letter, whatever their role.
        Verb::Comment => require_party(verb.as_str(), &parties, why, def, actor),
        _ => require(verb.as_str(), &parties, why, def, actor),
    }
}

fn conflict_state(verb: Verb, def: &TaskDef, state: TaskState, needs: &str) -> Error {
    let detail = match (verb, state) {
        (Verb::Signoff, TaskState::SignedOff) => " (already signed off)".to_string(),
        _ => String::new(),
    };
    let doing = match verb {
        Verb::Due => "set the due date of".to_string(),
        other => other.to_string(),
    };
    Error::conflict(format!(
        "cannot {doing} {task}: it is {state}{detail}; {verb} needs a task that is {needs}",
        task = def.key,
    ))
}

/// The state a verb moves a task to, or why the task's state refuses it.
pub fn transition(verb: Verb, def: &TaskDef, current: Status, facts: &Facts) -> Result<Status> {
    refuse_recurring(def, verb.as_str())?;
    let waivable = || match facts.waivable.as_slice() {
        [] => "no task".to_string(),
        some => some.join(", "),
    };
    if def.kind == RowKind::Handover && matches!(verb, Verb::Submit | Verb::Signoff | Verb::Waive) {
        return Err(Error::conflict(format!(
            "the handover is submitted and signed off only by recording the meeting; it cannot be {}",
            match verb {
                Verb::Waive => format!("waived (only {} can be)", waivable()),
                Verb::Submit => "submitted on its own".to_string(),
                _ => "signed off on its own".to_string(),
            }
        )));
    }
    if verb == Verb::Waive && !def.waivable {
        return Err(Error::conflict(format!(
            "cannot waive {}: it is not waivable; only {} can be waived",
            def.key,
            waivable()
        )));
    }
    let state = current.state;
    let to = |state| Ok(Status::new(state));
    match verb {
        Verb::Start => {
            if state != TaskState::Pending {
                return Err(conflict_state(verb, def, state, "pending"));
            }
            if !facts.open_predecessors.is_empty() {
                return Err(Error::conflict(format!(
                    "cannot start {task}: its predecessor {preds} is not yet signed off or waived",
                    task = def.key,
                    preds = facts.open_predecessors.join(", "),
                )));
            }
            to(TaskState::InProgress)
        }
        Verb::Submit => {
            if state != TaskState::InProgress {
                return Err(conflict_state(verb, def, state, "in_progress"));
            }
            if !facts.unchecked_items.is_empty() {
                return Err(Error::conflict(format!(
                    "cannot submit {task}: checklist items not checked: {items}",
                    task = def.key,
                    items = facts.unchecked_items.join(", "),
                ))
                .hint("check them with `raci checklist check`"));
            }
            to(TaskState::Submitted)
        }
        Verb::Signoff => match state {
            TaskState::Submitted => to(TaskState::SignedOff),
            _ => Err(conflict_state(verb, def, state, "submitted")),
        },
        Verb::Reject => match state {
            TaskState::Submitted => to(TaskState::InProgress),
            _ => Err(conflict_state(verb, def, state, "submitted")),
        },
        Verb::Waive => match state {
            TaskState::Pending | TaskState::InProgress => to(TaskState::Waived),
            _ => Err(conflict_state(verb, def, state, "pending or in_progress")),
        },
        Verb::Block => {
            if state.is_open() {
                Ok(Status { state: TaskState::Blocked, blocked_from: Some(state) })
            } else {
                Err(conflict_state(verb, def, state, "pending, in_progress or submitted"))
            }
        }
        Verb::Unblock => match (state, current.blocked_from) {
            (TaskState::Blocked, Some(from)) => to(from),
            _ => Err(conflict_state(verb, def, state, "blocked")),
        },
        Verb::Reopen => match state {
            TaskState::SignedOff | TaskState::Waived if !facts.reopen_blockers.is_empty() => {
                Err(Error::conflict(format!(
                    "cannot reopen {task}: work that needed it done has started ({blockers})",
                    task = def.key,
                    blockers = facts.reopen_blockers.join("; "),
                )))
            }
            TaskState::SignedOff | TaskState::Waived => to(TaskState::InProgress),
            _ => Err(conflict_state(verb, def, state, "signed_off or waived")),
        },
        Verb::Comment => Ok(current),
        Verb::Due => {
            if state.is_done() {
                Err(conflict_state(verb, def, state, "not yet signed off or waived"))
            } else {
                Ok(current)
            }
        }
    }
}

/// Whether every predecessor of `def` is done, given the state of each task
/// of the installation.
pub fn predecessors_done(def: &TaskDef, state_of: impl Fn(&str) -> Option<TaskState>) -> bool {
    def.predecessors.iter().all(|p| state_of(p).is_some_and(TaskState::is_done))
}

/// The template's waivable tasks.
pub fn waivable(matrix: &Matrix) -> Vec<String> {
    matrix.tasks.iter().filter(|t| t.waivable).map(|t| t.key.clone()).collect()
}

/// Whether a task has started: left `pending` (a task blocked while
/// pending has not).
fn started(status: Status) -> bool {
    match status.state {
        TaskState::Pending | TaskState::Recurring => false,
        TaskState::Blocked => status.blocked_from != Some(TaskState::Pending),
        _ => true,
    }
}

/// What stands in the way of reopening `def`: every task that has it as a
/// predecessor and has started, and, for a task the recurring rows follow,
/// the update cycles (rows of the updates kinds) or tickets (rows of the
/// ticket kinds) that exist.
pub fn reopen_blockers(
    def: &TaskDef,
    matrix: &Matrix,
    status_of: impl Fn(&str) -> Option<Status>,
    cycles: &[i64],
    tickets: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |what: String| {
        if !out.contains(&what) {
            out.push(what);
        }
    };
    for next in matrix.tasks.iter().filter(|t| t.predecessors.contains(&def.key)) {
        match next.kind {
            RowKind::Updates | RowKind::UpdateTesting if !cycles.is_empty() => add(format!(
                "update cycle {}",
                cycles.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )),
            RowKind::Tickets | RowKind::Resolution if !tickets.is_empty() => {
                add(format!("ticket {}", tickets.join(", ")))
            }
            _ if next.recurring => {}
            _ => {
                if let Some(status) = status_of(&next.key).filter(|s| started(*s)) {
                    add(format!("{} is {}", next.key, status.state));
                }
            }
        }
    }
    out
}

/// The party whose move it is on a task, if anyone's.
pub fn next_move(def: &TaskDef, status: Status, predecessors_done: bool) -> Option<Party> {
    match status.state {
        TaskState::Pending if predecessors_done => def.holders(Letter::R).first().copied(),
        TaskState::InProgress => def.holders(Letter::R).first().copied(),
        TaskState::Submitted => def.approvers().first().copied(),
        _ => None,
    }
}

/// What the next move on a task is, named as the command that makes it.
pub fn next_step(def: &TaskDef, state: TaskState) -> &'static str {
    match state {
        TaskState::Pending | TaskState::InProgress if def.kind == RowKind::Handover => {
            "handover record"
        }
        TaskState::Pending => "start",
        TaskState::InProgress => "submit",
        TaskState::Submitted => "signoff",
        TaskState::Blocked => "unblock",
        TaskState::SignedOff | TaskState::Waived | TaskState::Recurring => "-",
    }
}

/// May this actor check (or uncheck) this item of this task now?
pub fn authorize_item(
    def: &TaskDef,
    item: &ItemDef,
    actor: &Actor,
    check: bool,
    state: TaskState,
    checked: bool,
) -> Result<()> {
    let action = if check { "check" } else { "uncheck" };
    if actor.party != item.owner {
        return Err(Error::not_permitted(format!(
            "item {item} of {task} is the {owner}'s to {action}; {handle} is {party} {role}",
            item = item.key,
            task = def.key,
            owner = item.owner,
            handle = actor.handle,
            party = actor.party,
            role = actor.role,
        )));
    }
    require_role(action, def, actor)?;
    if state != TaskState::InProgress {
        return Err(Error::conflict(format!(
            "cannot {action} {item}: checklist items change only while {task} is in_progress, and it is {state}",
            item = item.key,
            task = def.key,
        )));
    }
    match (check, checked) {
        (true, true) => Err(Error::conflict(format!(
            "item {item} of {task} is already checked; uncheck it first to check it again",
            item = item.key,
            task = def.key,
        ))),
        (false, false) => Err(Error::conflict(format!(
            "item {item} of {task} is not checked, so there is nothing to uncheck",
            item = item.key,
            task = def.key,
        ))),
        _ => Ok(()),
    }
}

/// A handover meeting as recorded, for the rules to judge.
#[derive(Debug, Clone)]
pub struct Handover {
    pub held_on: NaiveDate,
    pub minutes: i64,
    /// The attendees: handle, and the party they attend for, or `None` for
    /// someone who may not attend (see [`attends_for`]).
    pub attendees: Vec<(String, Option<Party>)>,
    pub topics: BTreeSet<Topic>,
    pub configuration: TaskState,
    pub handover: TaskState,
    /// The day the installation was created.
    pub created_on: Option<NaiveDate>,
    /// The day configuration was signed off (or waived).
    pub configured_on: Option<NaiveDate>,
}

/// The party a person attends a handover for: active vendor people, and
/// active people of the installation's own subscriber; nobody else.
pub fn attends_for(
    party: Party,
    subscriber: Option<&str>,
    active: bool,
    installation_subscriber: &str,
) -> Option<Party> {
    match party {
        _ if !active => None,
        Party::Vendor => Some(Party::Vendor),
        Party::Subscriber => subscriber
            .is_some_and(|s| same_subscriber(s, installation_subscriber))
            .then_some(Party::Subscriber),
    }
}

/// Who may record a handover: the handover's Responsible party.
pub fn authorize_handover(def: &TaskDef, actor: &Actor) -> Result<()> {
    require("recording the handover", &def.holders(Letter::R), "Responsible", def, actor)
}

/// The seed's handover rules; each refusal names the rule it misses.
pub fn check_handover(h: &Handover) -> Result<()> {
    if !h.configuration.is_done() {
        return Err(Error::conflict(format!(
            "cannot record the handover: configuration is {}; it must be signed off or waived first",
            h.configuration
        )));
    }
    if !matches!(h.handover, TaskState::Pending | TaskState::InProgress) {
        return Err(Error::conflict(format!(
            "cannot record the handover: the handover task is {}; only a pending or in_progress handover can be recorded (reopen it to record again)",
            h.handover
        )));
    }
    let outsiders: Vec<&str> =
        h.attendees.iter().filter(|(_, p)| p.is_none()).map(|(a, _)| a.as_str()).collect();
    if !outsiders.is_empty() {
        return Err(Error::conflict(format!(
            "cannot record the handover: {} may not attend it; attendees are active people of the vendor or of the installation's subscriber",
            outsiders.join(", ")
        )));
    }
    for (day, what) in [
        (h.created_on, "the installation was created"),
        (h.configured_on, "configuration was signed off"),
    ] {
        if let Some(day) = day
            && h.held_on < day
        {
            return Err(Error::conflict(format!(
                "cannot record the handover held on {}: {what} on {day}, and the meeting cannot precede it",
                h.held_on
            )));
        }
    }
    if h.minutes < HANDOVER_MINUTES {
        return Err(Error::conflict(format!(
            "cannot record the handover: it lasted {} minutes; the operations handover takes at least {HANDOVER_MINUTES} minutes",
            h.minutes
        )));
    }
    for party in Party::ALL {
        if !h.attendees.iter().any(|(_, p)| *p == Some(*party)) {
            return Err(Error::conflict(format!(
                "cannot record the handover: no attendee from the {party}; at least one attendee from each party is required"
            )));
        }
    }
    let missing: Vec<&str> =
        Topic::ALL.iter().filter(|t| !h.topics.contains(t)).map(|t| t.as_str()).collect();
    if !missing.is_empty() {
        return Err(Error::conflict(format!(
            "cannot record the handover: topic {} not covered; the handover must cover monitoring, backup and updates",
            missing.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matrix::Matrix;
    use crate::store::Store;

    #[test]
    fn subscriber_names_compare_with_full_case_folding() {
        for (a, b) in [
            ("Acme", "ACME"),
            ("STRASSE", "straße"),
            ("ΣΊΣΥΦΟΣ", "σίσυφος"),
            ("Ǆemal", "ǆEMAL"),
            ("ﬁne", "FINE"),
            ("Cafe\u{301}", "CAFÉ"),
        ] {
            assert!(same_subscriber(a, b), "{a} = {b}");
        }
        for (a, b) in [("Acme", "Acme Corp"), ("Strase", "straße"), ("Globex", "Gl0bex")] {
            assert!(!same_subscriber(a, b), "{a} != {b}");
        }
    }

    /// PRODUCT.md's table, written out independently of the migration:
    /// key, vendor letters, subscriber letters, role rule, recurring.
    type Row = (&'static str, &'static str, &'static str, Option<(Party, Role)>, bool);
    const EXPECTED: [Row; 12] = [
        (
            "infrastructure",
            "C",
            "RA",
            Some((Party::Subscriber, Role::InfrastructureEngineer)),
            false,
        ),
        ("deployment", "RA", "I", Some((Party::Vendor, Role::CustomerSuccessEngineer)), false),
        ("configuration", "C", "R", None, false),
        ("handover", "R", "C", None, false),
        ("monitoring", "I", "RA", None, false),
        ("backup", "I", "RA", None, false),
        ("integration", "CI", "RA", None, false),
        ("user-migration", "CI", "RA", None, false),
        ("updates", "R", "RA", None, true),
        ("update-testing", "CI", "RA", None, true),
        ("support-tickets", "C", "RA", None, true),
        ("issue-resolution", "R", "C", None, true),
    ];

    fn matrix() -> Matrix {
        let mut store = Store::open_in_memory().expect("in-memory store");
        store.read(|tx| tx.matrix().cloned()).expect("matrix")
    }

    fn actor(party: Party, role: Role) -> Actor {
        Actor {
            handle: "someone".into(),
            party,
            role,
            subscriber: (party == Party::Subscriber).then(|| "Acme".to_string()),
        }
    }

    /// Who the verb table of PRODUCT.md lets act, from the letters alone.
    fn expected_parties(verb: Verb, vendor: &str, subscriber: &str) -> Vec<Party> {
        let any_a = vendor.contains('A') || subscriber.contains('A');
        let allowed = |letters: &str| match verb {
            Verb::Start | Verb::Submit => letters.contains('R'),
            Verb::Signoff | Verb::Reject | Verb::Waive | Verb::Reopen => {
                if any_a {
                    letters.contains('A')
                } else {
                    letters.contains('R')
                }
            }
            Verb::Block | Verb::Unblock | Verb::Due => {
                letters.contains('R') || letters.contains('A')
            }
            Verb::Comment => !letters.is_empty(),
        };
        let mut parties = Vec::new();
        if allowed(vendor) {
            parties.push(Party::Vendor);
        }
        if allowed(subscriber) {
            parties.push(Party::Subscriber);
        }
        parties
    }

    #[test]
    fn the_template_matches_the_products_table() {
        let matrix = matrix();
        assert_eq!(matrix.tasks.len(), EXPECTED.len());
        for (def, (key, vendor, subscriber, role_rule, recurring)) in
            matrix.tasks.iter().zip(EXPECTED)
        {
            let letters = |l: crate::domain::matrix::Letters| {
                l.list().iter().map(|l| l.as_str()).collect::<String>()
            };
            assert_eq!(def.key, key);
            assert_eq!(letters(def.vendor), vendor, "{key} vendor");
            assert_eq!(letters(def.subscriber), subscriber, "{key} subscriber");
            assert_eq!(def.role_rule, role_rule, "{key} role rule");
            assert_eq!(def.recurring, recurring, "{key} recurring");
        }
    }

    /// Every row × both parties × every role × every verb: the rules permit
    /// exactly what the letters, the role rule and the verb table allow.
    #[test]
    fn authorize_follows_the_letters_and_the_role_rule() {
        let matrix = matrix();
        let mut checked = 0;
        for (key, vendor, subscriber, role_rule, _) in EXPECTED {
            let def = matrix.task(key).expect("row");
            for &verb in Verb::ALL {
                let parties = expected_parties(verb, vendor, subscriber);
                for &role in Role::ALL {
                    let party = role.party();
                    let a = actor(party, role);
                    let role_ok = verb == Verb::Comment
                        || role_rule.is_none_or(|(p, r)| p != party || r == role);
                    let expected = parties.contains(&party) && role_ok;
                    let got = authorize(verb, def, &a);
                    assert_eq!(got.is_ok(), expected, "{verb} on {key} by {party} {role}: {got:?}");
                    if let Err(e) = got {
                        assert_eq!(e.kind, crate::error::Kind::NotPermitted);
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 12 * Verb::ALL.len() * Role::ALL.len());
    }

    /// Where a task has no A, the R party signs off.
    #[test]
    fn without_an_accountable_the_responsible_signs_off() {
        let matrix = matrix();
        let configuration = matrix.task("configuration").expect("row");
        assert_eq!(configuration.approvers(), vec![Party::Subscriber]);
        assert!(
            authorize(Verb::Signoff, configuration, &actor(Party::Subscriber, Role::Administrator))
                .is_ok()
        );
        assert!(
            authorize(
                Verb::Signoff,
                configuration,
                &actor(Party::Vendor, Role::CustomerSuccessEngineer)
            )
            .is_err()
        );
        let handover = matrix.task("handover").expect("row");
        assert_eq!(handover.approvers(), vec![Party::Vendor]);
    }

    /// Every verb from every state, on a one-shot task: the state it leads
    /// to, or a conflict.
    #[test]
    fn transitions_follow_the_state_table() {
        use TaskState::*;
        let matrix = matrix();
        let def = matrix.task("integration").expect("row");
        let facts = Facts::default();
        let expected = |verb: Verb, from: TaskState| -> Option<TaskState> {
            match (verb, from) {
                (Verb::Start, Pending) => Some(InProgress),
                (Verb::Submit, InProgress) => Some(Submitted),
                (Verb::Signoff, Submitted) => Some(SignedOff),
                (Verb::Reject, Submitted) => Some(InProgress),
                (Verb::Waive, Pending | InProgress) => Some(Waived),
                (Verb::Block, Pending | InProgress | Submitted) => Some(Blocked),
                (Verb::Unblock, Blocked) => Some(InProgress),
                (Verb::Reopen, SignedOff | Waived) => Some(InProgress),
                (Verb::Comment, s) => Some(s),
                (Verb::Due, s) if !s.is_done() => Some(s),
                _ => None,
            }
        };
        for &verb in Verb::ALL {
            for &from in &[Pending, InProgress, Submitted, SignedOff, Waived, Blocked] {
                let status =
                    Status { state: from, blocked_from: (from == Blocked).then_some(InProgress) };
                let got = transition(verb, def, status, &facts);
                match expected(verb, from) {
                    Some(to) => {
                        assert_eq!(got.map(|s| s.state).ok(), Some(to), "{verb} from {from}")
                    }
                    None => {
                        let e = got.expect_err("refused");
                        assert_eq!(e.kind, crate::error::Kind::Conflict, "{verb} from {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn block_remembers_and_unblock_restores_the_state() {
        let matrix = matrix();
        let def = matrix.task("integration").expect("row");
        let facts = Facts::default();
        let blocked =
            transition(Verb::Block, def, Status::new(TaskState::Submitted), &facts).expect("block");
        assert_eq!(blocked.blocked_from, Some(TaskState::Submitted));
        let back = transition(Verb::Unblock, def, blocked, &facts).expect("unblock");
        assert_eq!(back, Status::new(TaskState::Submitted));
    }

    #[test]
    fn start_waits_for_predecessors_and_submit_for_the_checklist() {
        let matrix = matrix();
        let def = matrix.task("deployment").expect("row");
        let waiting =
            Facts { open_predecessors: vec!["infrastructure".into()], ..Facts::default() };
        assert!(transition(Verb::Start, def, Status::new(TaskState::Pending), &waiting).is_err());
        let unchecked = Facts { unchecked_items: vec!["production".into()], ..Facts::default() };
        let e = transition(Verb::Submit, def, Status::new(TaskState::InProgress), &unchecked)
            .expect_err("refused");
        assert!(e.message.contains("production"));
    }

    #[test]
    fn only_waivable_tasks_are_waived_and_never_the_handover() {
        let matrix = matrix();
        let facts = Facts { waivable: waivable(&matrix), ..Facts::default() };
        assert_eq!(facts.waivable, ["integration", "user-migration"]);
        for def in matrix.tasks.iter().filter(|t| !t.recurring) {
            let got = transition(Verb::Waive, def, Status::new(TaskState::Pending), &facts);
            assert_eq!(got.is_ok(), def.waivable, "waive {}", def.key);
            if let Err(e) = got {
                assert_eq!(e.kind, crate::error::Kind::Conflict);
                let names = if def.kind == RowKind::Handover { "recording" } else { "integration" };
                assert!(e.message.contains(names), "{}", e.message);
            }
        }
    }

    /// (task, successor states, cycles, tickets, what stands in the way).
    #[test]
    fn reopen_is_refused_while_what_needed_the_task_has_started() {
        let matrix = matrix();
        type Case = (
            &'static str,
            &'static [(&'static str, Status)],
            usize,
            usize,
            &'static [&'static str],
        );
        const fn st(state: TaskState) -> Status {
            Status { state, blocked_from: None }
        }
        const PENDING: Status = st(TaskState::Pending);
        const STARTED: Status = st(TaskState::InProgress);
        const SIGNED_OFF: Status = st(TaskState::SignedOff);
        const BLOCKED_PENDING: Status =
            Status { state: TaskState::Blocked, blocked_from: Some(TaskState::Pending) };
        let pending = PENDING;
        let cases: [Case; 7] = [
            ("infrastructure", &[("deployment", PENDING)], 0, 0, &[]),
            ("infrastructure", &[("deployment", STARTED)], 0, 0, &["deployment is in_progress"]),
            ("deployment", &[("configuration", BLOCKED_PENDING)], 0, 0, &[]),
            ("deployment", &[], 0, 1, &["ticket SUP-1"]),
            ("handover", &[("monitoring", PENDING)], 0, 0, &[]),
            ("handover", &[], 2, 0, &["update cycle 1, 2"]),
            (
                "handover",
                &[("backup", SIGNED_OFF)],
                1,
                1,
                &["backup is signed_off", "update cycle 1"],
            ),
        ];
        for (task, states, cycles, tickets, expected) in cases {
            let def = matrix.task(task).expect("row");
            let status_of = |k: &str| {
                states.iter().find(|(key, _)| *key == k).map(|(_, s)| *s).or(Some(pending))
            };
            let cycles: Vec<i64> = (1..=cycles as i64).collect();
            let tickets: Vec<String> = (1..=tickets).map(|n| format!("SUP-{n}")).collect();
            let got = reopen_blockers(def, &matrix, status_of, &cycles, &tickets);
            assert_eq!(got, expected, "reopen {task}");
            let facts = Facts { reopen_blockers: got, ..Facts::default() };
            let result = transition(Verb::Reopen, def, Status::new(TaskState::SignedOff), &facts);
            assert_eq!(result.is_ok(), expected.is_empty(), "reopen {task}");
        }
    }

    #[test]
    fn attendees_are_active_vendor_people_or_the_installations_subscribers() {
        use Party::*;
        assert_eq!(attends_for(Vendor, None, true, "Acme"), Some(Vendor));
        assert_eq!(attends_for(Vendor, None, false, "Acme"), None);
        assert_eq!(attends_for(Subscriber, Some("ACME"), true, "Acme"), Some(Subscriber));
        assert_eq!(attends_for(Subscriber, Some("Globex"), true, "Acme"), None);
        assert_eq!(attends_for(Subscriber, Some("Acme"), false, "Acme"), None);
    }

    #[test]
    fn recurring_rows_refuse_every_verb() {
        let matrix = matrix();
        for key in ["updates", "update-testing", "support-tickets", "issue-resolution"] {
            let def = matrix.task(key).expect("row");
            for &verb in Verb::ALL {
                let e = transition(verb, def, Status::new(TaskState::Recurring), &Facts::default())
                    .expect_err("refused");
                assert_eq!(e.kind, crate::error::Kind::Conflict);
            }
        }
    }

    #[test]
    fn the_handover_rules_each_name_what_is_missing() {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("day");
        let good = Handover {
            held_on: day("2026-11-02"),
            minutes: 95,
            attendees: vec![
                ("carol".into(), Some(Party::Vendor)),
                ("ian".into(), Some(Party::Subscriber)),
            ],
            topics: Topic::ALL.iter().copied().collect(),
            configuration: TaskState::SignedOff,
            handover: TaskState::Pending,
            created_on: Some(day("2026-10-01")),
            configured_on: Some(day("2026-11-02")),
        };
        assert!(check_handover(&good).is_ok());
        assert!(check_handover(&Handover { minutes: 90, ..good.clone() }).is_ok());
        let cases = [
            (Handover { minutes: 89, ..good.clone() }, "90 minutes"),
            (Handover { attendees: good.attendees[..1].to_vec(), ..good.clone() }, "subscriber"),
            (Handover { attendees: good.attendees[1..].to_vec(), ..good.clone() }, "vendor"),
            (
                Handover {
                    attendees: [good.attendees.clone(), vec![("gina".into(), None)]].concat(),
                    ..good.clone()
                },
                "gina may not attend",
            ),
            (Handover { held_on: day("2026-11-01"), ..good.clone() }, "configuration was"),
            (
                Handover { created_on: Some(day("2026-11-03")), ..good.clone() },
                "installation was created",
            ),
            (
                Handover { topics: [Topic::Monitoring, Topic::Updates].into(), ..good.clone() },
                "backup",
            ),
            (Handover { configuration: TaskState::InProgress, ..good.clone() }, "configuration"),
            (Handover { handover: TaskState::SignedOff, ..good.clone() }, "signed_off"),
        ];
        for (h, needle) in cases {
            let e = check_handover(&h).expect_err("refused");
            assert_eq!(e.kind, crate::error::Kind::Conflict);
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
        }
    }
}
