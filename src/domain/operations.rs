//! Operations after the handover: update cycles and support tickets, with
//! who owns each step and the order the steps come in. Pure, like `rules`.

use super::rules::Actor;
use super::{Party, names};
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
    /// The subscriber's test of the development node found a problem.
    Fail,
    /// The subscriber accepts the cycle (Accountable).
    Signoff,
}

impl CycleAction {
    pub fn name(self) -> &'static str {
        match self {
            CycleAction::Step(step) => step.as_str(),
            CycleAction::Fail => "update-fail",
            CycleAction::Signoff => "update-signoff",
        }
    }

    /// The party whose step this is, from the Updates and Testing Updates rows.
    pub fn owner(self) -> Party {
        match self {
            CycleAction::Step(Step::DevUpdated | Step::ProdUpdated) => Party::Vendor,
            _ => Party::Subscriber,
        }
    }

    /// The matrix row the step belongs to.
    pub fn task(self) -> &'static str {
        match self {
            CycleAction::Step(Step::DevTested) | CycleAction::Fail => "update-testing",
            _ => "updates",
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
            CycleState::Accepting => Some((Party::Subscriber, "signoff")),
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

/// Only the vendor starts an update cycle (it is R on Updates and runs them).
pub fn authorize_cycle_start(actor: &Actor) -> Result<()> {
    if actor.party != Party::Vendor {
        return Err(Error::not_permitted(format!(
            "update start is for the vendor, who runs the update; {} is {} {}",
            actor.handle, actor.party, actor.role
        )));
    }
    Ok(())
}

pub fn authorize_cycle(action: CycleAction, actor: &Actor) -> Result<()> {
    let owner = action.owner();
    if actor.party != owner {
        return Err(Error::not_permitted(format!(
            "{} is the {owner}'s step in an update cycle; {} is {} {}",
            action.name(),
            actor.handle,
            actor.party,
            actor.role
        )));
    }
    Ok(())
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

impl TicketAction {
    /// The matrix row the action belongs to.
    pub fn task(self) -> &'static str {
        match self {
            TicketAction::Resolve => "issue-resolution",
            _ => "support-tickets",
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

/// The subscriber opens and closes (R, A on Support Ticket Submission), the
/// vendor resolves (R on Issue Resolution); either party comments.
pub fn authorize_ticket(action: TicketAction, actor: &Actor) -> Result<()> {
    let (owner, why) = match action {
        TicketAction::Open => (Party::Subscriber, "the subscriber submits issues"),
        TicketAction::Resolve => (Party::Vendor, "the vendor resolves issues"),
        TicketAction::Close => {
            (Party::Subscriber, "a ticket closes only once the subscriber confirms the fix")
        }
        TicketAction::Comment => return Ok(()),
    };
    if actor.party != owner {
        return Err(Error::not_permitted(format!(
            "{} is for the {owner} ({why}); {} is {} {}",
            action.as_str().trim_start_matches("ticket-"),
            actor.handle,
            actor.party,
            actor.role
        )));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

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
            Signoff,
        ];
        let mut c = fresh();
        for action in path {
            assert!(authorize_cycle(action, &actor(action.owner())).is_ok());
            assert!(authorize_cycle(action, &actor(action.owner().other())).is_err());
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
        ];
        for &state in CycleState::ALL {
            let c = Cycle { state, ..fresh() };
            for action in all {
                let allowed = matches!(
                    (action, state),
                    (CycleAction::Step(Step::Snapshot | Step::Access), CycleState::Preparing)
                        | (CycleAction::Step(Step::DevUpdated), CycleState::UpdatingDev)
                        | (
                            CycleAction::Step(Step::DevTested) | CycleAction::Fail,
                            CycleState::TestingDev
                        )
                        | (CycleAction::Step(Step::ProdUpdated), CycleState::UpdatingProd)
                        | (CycleAction::Signoff, CycleState::Accepting)
                );
                let got = cycle_transition(action, c);
                assert_eq!(got.is_ok(), allowed, "{} in {state}", action.name());
            }
        }
        let c = Cycle { snapshot: true, ..fresh() };
        assert!(cycle_transition(CycleAction::Step(Step::Snapshot), c).is_err());
    }

    #[test]
    fn tickets_are_opened_and_closed_by_the_subscriber_and_resolved_by_the_vendor() {
        assert!(check_new_ticket(Severity::Urgent, Environment::Development).is_err());
        assert!(check_new_ticket(Severity::Urgent, Environment::Production).is_ok());
        assert!(check_new_ticket(Severity::High, Environment::Development).is_ok());
        assert!(authorize_ticket(TicketAction::Open, &actor(Party::Vendor)).is_err());
        assert!(authorize_ticket(TicketAction::Resolve, &actor(Party::Subscriber)).is_err());
        assert!(authorize_ticket(TicketAction::Close, &actor(Party::Vendor)).is_err());
        assert!(authorize_ticket(TicketAction::Comment, &actor(Party::Vendor)).is_ok());
        assert!(ticket_transition(TicketAction::Close, "T1", TicketState::Open).is_err());
        assert_eq!(
            ticket_transition(TicketAction::Resolve, "T1", TicketState::Open).ok(),
            Some(TicketState::Resolved)
        );
        assert_eq!(
            ticket_transition(TicketAction::Close, "T1", TicketState::Resolved).ok(),
            Some(TicketState::Closed)
        );
        assert!(ticket_transition(TicketAction::Resolve, "T1", TicketState::Closed).is_err());
    }
}
