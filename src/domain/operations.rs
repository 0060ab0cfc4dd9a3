//! Operations after the handover: update cycles and support tickets, with
//! who owns each step and the order the steps come in. Pure, like `rules`.

use super::matrix::{Matrix, RowKind, TaskDef};
use super::rules::Actor;
use super::{Letter, Party, names};
use crate::error::{Error, Result};

names!(
    /// Where an update cycle stands; each state names the step it waits for.
    CycleState, "cycle state" {
        Preparing => "preparing",
        UpdatingDev => "updating_dev",
        TestingDev => "testing_dev",
        UpdatingProd => "updating_prod",
        Accepting => "accepting",
        SignedOff => "signed_off",
        Cancelled => "cancelled",
    }
);

names!(
    /// The recorded steps of an update cycle (`raci update step`).
    Step, "step" {
        Snapshot => "snapshot",
        Access => "access",
        DevUpdated => "dev-updated",
        DevTested => "dev-tested",
        ProdUpdated => "prod-updated",
    }
);

/// Anything done to an open cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleAction {
    Step(Step),
    /// The subscriber's test found a problem (on development, or on
    /// production while accepting).
    Fail,
    /// The subscriber accepts the cycle (Accountable).
    Signoff,
    /// The vendor abandons the cycle.
    Cancel,
}

impl CycleAction {
    pub fn name(self) -> &'static str {
        match self {
            CycleAction::Step(step) => step.as_str(),
            CycleAction::Fail => "update-fail",
            CycleAction::Signoff => "update-signoff",
            CycleAction::Cancel => "update-cancel",
        }
    }
}

/// A cycle as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub number: i64,
    pub state: CycleState,
    pub snapshot: bool,
    pub access: bool,
}

impl CycleState {
    /// Whose move it is, and what that move is.
    pub fn next(self) -> Option<(Party, &'static str)> {
        match self {
            CycleState::Preparing => Some((Party::Subscriber, "snapshot and access")),
            CycleState::UpdatingDev => Some((Party::Vendor, "dev-updated")),
            CycleState::TestingDev => Some((Party::Subscriber, "dev-tested or fail")),
            CycleState::UpdatingProd => Some((Party::Vendor, "prod-updated")),
            CycleState::Accepting => Some((Party::Subscriber, "signoff or fail")),
            CycleState::SignedOff | CycleState::Cancelled => None,
        }
    }

    /// Not yet signed off or cancelled.
    pub fn is_open(self) -> bool {
        self.next().is_some()
    }

    /// The matrix row the awaited step belongs to.
    pub fn task(self) -> &'static str {
        match self {
            CycleState::TestingDev => "update-testing",
            _ => "updates",
        }
    }
}

/// The cycle after an action, or why its state refuses it.
pub fn cycle_transition(action: CycleAction, c: Cycle) -> Result<Cycle> {
    let refuse = || {
        let expected = match c.state.next() {
            Some((party, step)) => format!("it waits for {step} by the {party}"),
            None => format!("it is {} and closed", c.state),
        };
        Error::conflict(format!(
            "cannot record {} on cycle {}: {expected}",
            action.name(),
            c.number
        ))
    };
    let mut next = c;
    match (action, c.state) {
        (CycleAction::Step(step @ (Step::Snapshot | Step::Access)), CycleState::Preparing) => {
            let done = if step == Step::Snapshot { &mut next.snapshot } else { &mut next.access };
            if *done {
                return Err(Error::conflict(format!(
                    "{step} is already recorded on cycle {}; it waits for the other preparation step",
                    c.number
                )));
            }
            *done = true;
            if next.snapshot && next.access {
                next.state = CycleState::UpdatingDev;
            }
        }
        (CycleAction::Step(Step::DevUpdated), CycleState::UpdatingDev) => {
            next.state = CycleState::TestingDev
        }
        (CycleAction::Step(Step::DevTested), CycleState::TestingDev) => {
            next.state = CycleState::UpdatingProd
        }
        (CycleAction::Fail, CycleState::TestingDev) => next.state = CycleState::UpdatingDev,
        (CycleAction::Fail, CycleState::Accepting) => next.state = CycleState::UpdatingProd,
        (CycleAction::Cancel, state) if state.is_open() => next.state = CycleState::Cancelled,
        (CycleAction::Step(Step::ProdUpdated), CycleState::UpdatingProd) => {
            next.state = CycleState::Accepting
        }
        (CycleAction::Signoff, CycleState::Accepting) => next.state = CycleState::SignedOff,
        _ => return Err(refuse()),
    }
    Ok(next)
}

names!(
    /// The vendor's support severities.
    Severity, "severity" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

names!(
    Environment, "environment" {
        Development => "development",
        Production => "production",
    }
);

names!(
    TicketState, "ticket state" {
        Open => "open",
        Resolved => "resolved",
        Closed => "closed",
    }
);

names!(
    /// What is done to a ticket.
    TicketAction, "ticket action" {
        Open => "ticket-open",
        Resolve => "ticket-resolve",
        Close => "ticket-close",
        Reopen => "ticket-reopen",
        Comment => "ticket-comment",
    }
);

impl TicketState {
    pub fn next_move(self) -> Option<Party> {
        self.next().map(|(party, _, _)| party)
    }

    /// Whose move it is, on which matrix row, and what the move is.
    pub fn next(self) -> Option<(Party, &'static str, &'static str)> {
        match self {
            TicketState::Open => Some((Party::Vendor, "issue-resolution", "resolve")),
            TicketState::Resolved => Some((Party::Subscriber, "support-tickets", "close")),
            TicketState::Closed => None,
        }
    }
}

/// Urgent means production is offline, so a development ticket cannot be urgent.
pub fn check_new_ticket(severity: Severity, environment: Environment) -> Result<()> {
    if severity == Severity::Urgent && environment != Environment::Production {
        return Err(Error::bad_input(
            "an urgent ticket means the production application is offline, so it must be on --environment production; use high or lower for development",
        ));
    }
    Ok(())
}

pub fn ticket_transition(
    action: TicketAction,
    reference: &str,
    state: TicketState,
) -> Result<TicketState> {
    match (action, state) {
        (TicketAction::Resolve, TicketState::Open) => Ok(TicketState::Resolved),
        (TicketAction::Close, TicketState::Resolved) => Ok(TicketState::Closed),
        (TicketAction::Reopen, TicketState::Resolved) => Ok(TicketState::Open),
        (TicketAction::Comment, s) => Ok(s),
        (TicketAction::Close, TicketState::Open) => Err(Error::conflict(format!(
            "cannot close ticket {reference}: it is open; the vendor resolves it first, then the subscriber closes it"
        ))),
        (_, s) => Err(Error::conflict(format!(
            "cannot {} ticket {reference}: it is {s}",
            action.as_str().trim_start_matches("ticket-")
        ))),
    }
}

/// The rows of the template whose letters say who runs the work after the
/// handover, found by their kind.
#[derive(Debug, Clone, Copy)]
pub struct OperationRows<'m> {
    pub backups: &'m TaskDef,
    pub updates: &'m TaskDef,
    pub testing: &'m TaskDef,
    pub tickets: &'m TaskDef,
    pub resolution: &'m TaskDef,
}

impl<'m> OperationRows<'m> {
    pub fn of(matrix: &'m Matrix) -> Result<Self> {
        let row = |kind: RowKind| {
            matrix.of_kind(kind).ok_or_else(|| {
                Error::storage(format!("the template has no row of kind {kind}; it cannot be used"))
            })
        };
        Ok(OperationRows {
            backups: row(RowKind::Backups)?,
            updates: row(RowKind::Updates)?,
            testing: row(RowKind::UpdateTesting)?,
            tickets: row(RowKind::Tickets)?,
            resolution: row(RowKind::Resolution)?,
        })
    }
}

/// Something done after the handover: a backup, an update cycle's move, a
/// ticket's move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Backup,
    CycleStart,
    Cycle(CycleAction),
    Ticket(TicketAction),
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Backup => "backup-record",
            Operation::CycleStart => "update-start",
            Operation::Cycle(action) => action.name(),
            Operation::Ticket(action) => action.as_str(),
        }
    }

    /// The row the operation belongs to, the parties who may take it, and
    /// which letters make them so; all read from the template.
    pub fn owners<'m>(self, rows: &OperationRows<'m>) -> (&'m TaskDef, Vec<Party>, &'static str) {
        let holders = |def: &'m TaskDef, letter| (def, def.holders(letter));
        let (row, parties, why) = match self {
            Operation::Backup => {
                let (row, parties) = holders(rows.backups, Letter::R);
                (row, parties, "Responsible")
            }
            // The party that runs the update: Responsible, not Accountable.
            Operation::CycleStart
            | Operation::Cycle(
                CycleAction::Cancel | CycleAction::Step(Step::DevUpdated | Step::ProdUpdated),
            ) => {
                let row = rows.updates;
                let parties = row
                    .holders(Letter::R)
                    .into_iter()
                    .filter(|p| !row.letters(*p).has(Letter::A))
                    .collect();
                (row, parties, "Responsible but not Accountable")
            }
            Operation::Cycle(
                CycleAction::Step(Step::Snapshot | Step::Access) | CycleAction::Signoff,
            ) => {
                let (row, parties) = holders(rows.updates, Letter::A);
                (row, parties, "Accountable")
            }
            Operation::Cycle(CycleAction::Step(Step::DevTested) | CycleAction::Fail) => {
                let (row, parties) = holders(rows.testing, Letter::R);
                (row, parties, "Responsible")
            }
            Operation::Ticket(TicketAction::Open) => {
                let (row, parties) = holders(rows.tickets, Letter::R);
                (row, parties, "Responsible")
            }
            Operation::Ticket(TicketAction::Close | TicketAction::Reopen) => {
                (rows.tickets, rows.tickets.approvers(), "Accountable")
            }
            Operation::Ticket(TicketAction::Resolve) => {
                let (row, parties) = holders(rows.resolution, Letter::R);
                (row, parties, "Responsible")
            }
            Operation::Ticket(TicketAction::Comment) => {
                let parties = Party::ALL
                    .iter()
                    .copied()
                    .filter(|p| {
                        !rows.tickets.letters(*p).is_empty()
                            || !rows.resolution.letters(*p).is_empty()
                    })
                    .collect();
                (rows.tickets, parties, "holding a letter on the tickets")
            }
        };
        (row, parties, why)
    }
}

/// May this actor take this operation? The party (and, where the row names
/// one, the role) comes from the template's letters.
pub fn authorize_operation(op: Operation, rows: &OperationRows<'_>, actor: &Actor) -> Result<()> {
    let (row, parties, why) = op.owners(rows);
    super::rules::require(op.name(), &parties, why, row, actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;
    use crate::domain::matrix::Letters;

    fn actor(party: Party) -> Actor {
        Actor {
            handle: "x".into(),
            party,
            role: if party == Party::Vendor {
                Role::CustomerSuccessEngineer
            } else {
                Role::InfrastructureEngineer
            },
            subscriber: None,
        }
    }

    fn letters(text: &str) -> Letters {
        text.chars().filter_map(|c| c.to_string().parse::<Letter>().ok()).collect()
    }

    fn row(key: &str, kind: RowKind, vendor: &str, subscriber: &str) -> TaskDef {
        TaskDef {
            key: key.into(),
            title: key.into(),
            vendor: letters(vendor),
            subscriber: letters(subscriber),
            vendor_cell: vendor.into(),
            subscriber_cell: subscriber.into(),
            notes: String::new(),
            role_rule: None,
            recurring: kind != RowKind::Backups,
            kind,
            waivable: false,
            predecessors: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The seed's rows for the operations (vendor letters, subscriber letters).
    fn seed() -> Vec<TaskDef> {
        vec![
            row("backup", RowKind::Backups, "I", "RA"),
            row("updates", RowKind::Updates, "R", "RA"),
            row("update-testing", RowKind::UpdateTesting, "CI", "RA"),
            row("support-tickets", RowKind::Tickets, "C", "RA"),
            row("issue-resolution", RowKind::Resolution, "R", "C"),
        ]
    }

    fn rows(defs: &[TaskDef]) -> OperationRows<'_> {
        let kind = |k| defs.iter().find(|d| d.kind == k).expect("row");
        OperationRows {
            backups: kind(RowKind::Backups),
            updates: kind(RowKind::Updates),
            testing: kind(RowKind::UpdateTesting),
            tickets: kind(RowKind::Tickets),
            resolution: kind(RowKind::Resolution),
        }
    }

    use Party::{Subscriber as S, Vendor as V};

    /// Every operation, who may take it on the seed's matrix, and the row
    /// it is recorded on.
    const TABLE: [(Operation, &[Party], &str); 15] = [
        (Operation::Backup, &[S], "backup"),
        (Operation::CycleStart, &[V], "updates"),
        (Operation::Cycle(CycleAction::Cancel), &[V], "updates"),
        (Operation::Cycle(CycleAction::Step(Step::Snapshot)), &[S], "updates"),
        (Operation::Cycle(CycleAction::Step(Step::Access)), &[S], "updates"),
        (Operation::Cycle(CycleAction::Step(Step::DevUpdated)), &[V], "updates"),
        (Operation::Cycle(CycleAction::Step(Step::DevTested)), &[S], "update-testing"),
        (Operation::Cycle(CycleAction::Fail), &[S], "update-testing"),
        (Operation::Cycle(CycleAction::Step(Step::ProdUpdated)), &[V], "updates"),
        (Operation::Cycle(CycleAction::Signoff), &[S], "updates"),
        (Operation::Ticket(TicketAction::Open), &[S], "support-tickets"),
        (Operation::Ticket(TicketAction::Resolve), &[V], "issue-resolution"),
        (Operation::Ticket(TicketAction::Close), &[S], "support-tickets"),
        (Operation::Ticket(TicketAction::Reopen), &[S], "support-tickets"),
        (Operation::Ticket(TicketAction::Comment), &[V, S], "support-tickets"),
    ];

    #[test]
    fn the_seeds_letters_assign_every_operation() {
        let defs = seed();
        let rows = rows(&defs);
        for (op, parties, task) in TABLE {
            let (row, owners, _) = op.owners(&rows);
            assert_eq!(owners, parties, "{}", op.name());
            assert_eq!(row.key, task, "{}", op.name());
            for party in Party::ALL {
                let got = authorize_operation(op, &rows, &actor(*party));
                assert_eq!(got.is_ok(), parties.contains(party), "{} by {party}", op.name());
                if let Err(e) = got {
                    assert_eq!(e.kind, crate::error::Kind::NotPermitted);
                }
            }
        }
    }

    /// Edit the template and the rules follow: the vendor made Responsible
    /// for backups and for testing, the subscriber made to resolve.
    #[test]
    fn an_edited_template_changes_who_may_act() {
        let mut defs = seed();
        defs[0] = row("backup", RowKind::Backups, "R", "A");
        defs[2] = row("update-testing", RowKind::UpdateTesting, "R", "A");
        defs[4] = row("issue-resolution", RowKind::Resolution, "C", "R");
        let rows = rows(&defs);
        let owners = |op: Operation| op.owners(&rows).1;
        assert_eq!(owners(Operation::Backup), [V]);
        assert_eq!(owners(Operation::Cycle(CycleAction::Step(Step::DevTested))), [V]);
        assert_eq!(owners(Operation::Cycle(CycleAction::Fail)), [V]);
        assert_eq!(owners(Operation::Ticket(TicketAction::Resolve)), [S]);
        // Nobody is R without A on updates: nobody may start a cycle.
        defs[1] = row("updates", RowKind::Updates, "RA", "RA");
        let rows = super::tests::rows(&defs);
        assert!(Operation::CycleStart.owners(&rows).1.is_empty());
        let e = authorize_operation(Operation::CycleStart, &rows, &actor(V)).expect_err("nobody");
        assert!(e.message.contains("nobody"), "{}", e.message);
    }

    fn fresh() -> Cycle {
        Cycle { number: 1, state: CycleState::Preparing, snapshot: false, access: false }
    }

    #[test]
    fn a_cycle_runs_in_order_with_a_failed_test_in_the_middle() {
        use CycleAction::*;
        let path = [
            Step(super::Step::Access),
            Step(super::Step::Snapshot),
            Step(super::Step::DevUpdated),
            Fail,
            Step(super::Step::DevUpdated),
            Step(super::Step::DevTested),
            Step(super::Step::ProdUpdated),
            Fail,
            Step(super::Step::ProdUpdated),
            Signoff,
        ];
        let mut c = fresh();
        for action in path {
            c = cycle_transition(action, c).expect("in order");
        }
        assert_eq!(c.state, CycleState::SignedOff);
    }

    #[test]
    fn every_step_out_of_order_is_a_conflict() {
        let all = [
            CycleAction::Step(Step::Snapshot),
            CycleAction::Step(Step::Access),
            CycleAction::Step(Step::DevUpdated),
            CycleAction::Step(Step::DevTested),
            CycleAction::Step(Step::ProdUpdated),
            CycleAction::Fail,
            CycleAction::Signoff,
            CycleAction::Cancel,
        ];
        for &state in CycleState::ALL {
            let c = Cycle { state, ..fresh() };
            for action in all {
                let expected = match (action, state) {
                    (CycleAction::Step(Step::Snapshot | Step::Access), CycleState::Preparing) => {
                        Some(CycleState::Preparing)
                    }
                    (CycleAction::Step(Step::DevUpdated), CycleState::UpdatingDev) => {
                        Some(CycleState::TestingDev)
                    }
                    (CycleAction::Step(Step::DevTested), CycleState::TestingDev) => {
                        Some(CycleState::UpdatingProd)
                    }
                    (CycleAction::Fail, CycleState::TestingDev) => Some(CycleState::UpdatingDev),
                    (CycleAction::Fail, CycleState::Accepting) => Some(CycleState::UpdatingProd),
                    (CycleAction::Step(Step::ProdUpdated), CycleState::UpdatingProd) => {
                        Some(CycleState::Accepting)
                    }
                    (CycleAction::Signoff, CycleState::Accepting) => Some(CycleState::SignedOff),
                    (CycleAction::Cancel, s) if s.is_open() => Some(CycleState::Cancelled),
                    _ => None,
                };
                let got = cycle_transition(action, c);
                assert_eq!(got.map(|c| c.state).ok(), expected, "{} in {state}", action.name());
            }
        }
        let c = Cycle { snapshot: true, ..fresh() };
        assert!(cycle_transition(CycleAction::Step(Step::Snapshot), c).is_err());
    }

    #[test]
    fn tickets_open_resolve_close_and_reopen_in_order() {
        assert!(check_new_ticket(Severity::Urgent, Environment::Development).is_err());
        assert!(check_new_ticket(Severity::Urgent, Environment::Production).is_ok());
        assert!(check_new_ticket(Severity::High, Environment::Development).is_ok());
        use TicketState::*;
        for &action in TicketAction::ALL {
            for &from in TicketState::ALL {
                let expected = match (action, from) {
                    (TicketAction::Resolve, Open) => Some(Resolved),
                    (TicketAction::Close, Resolved) => Some(Closed),
                    (TicketAction::Reopen, Resolved) => Some(Open),
                    (TicketAction::Comment, s) => Some(s),
                    _ => None,
                };
                let got = ticket_transition(action, "T1", from);
                assert_eq!(got.as_ref().ok(), expected.as_ref(), "{action} from {from}");
                if let Err(e) = got {
                    assert_eq!(e.kind, crate::error::Kind::Conflict);
                }
            }
        }
    }
}
