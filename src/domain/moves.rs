//! What a person may do now. For a task, a checklist item, an update cycle
//! or a ticket: the moves its state allows, each either open to this actor
//! or refused with the rules' own message (who may take it). Pages show the
//! open ones as buttons and the others' reasons; every POST is judged again
//! by the use case, through the same functions, so a button decides nothing.

use super::TaskState;
use super::matrix::{ItemDef, TaskDef};
use super::operations::{
    Cycle, CycleAction, Operation, OperationRows, Step, TicketAction, TicketState,
    authorize_operation, cycle_transition, ticket_transition,
};
use super::rules::{self, Actor, Facts, Status, Verb};

/// A move the state allows, and whether it is this actor's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer<A> {
    pub action: A,
    /// `None`: the actor may take it now. Otherwise the rules' refusal,
    /// which names who may.
    pub not_yours: Option<String>,
}

impl<A> Offer<A> {
    pub fn yours(&self) -> bool {
        self.not_yours.is_none()
    }
}

/// The verbs a task's page can offer; comments and due dates are forms of
/// their own.
pub const TASK_VERBS: [Verb; 8] = [
    Verb::Start,
    Verb::Submit,
    Verb::Signoff,
    Verb::Reject,
    Verb::Waive,
    Verb::Block,
    Verb::Unblock,
    Verb::Reopen,
];

/// The task verbs its state allows now, each open to `actor` or not.
pub fn task_moves(def: &TaskDef, status: Status, facts: &Facts, actor: &Actor) -> Vec<Offer<Verb>> {
    if def.recurring {
        return Vec::new();
    }
    TASK_VERBS
        .into_iter()
        .filter(|verb| rules::transition(*verb, def, status, facts).is_ok())
        .map(|verb| Offer {
            action: verb,
            not_yours: rules::authorize(verb, def, actor).err().map(|e| e.message),
        })
        .collect()
}

/// Whether `actor` may check (or, when checked, uncheck) an item now: `None`
/// when the task's state allows no change to its items.
pub fn item_move(
    def: &TaskDef,
    item: &ItemDef,
    actor: &Actor,
    state: TaskState,
    checked: bool,
) -> Option<Offer<bool>> {
    if state != TaskState::InProgress {
        return None;
    }
    let check = !checked;
    Some(Offer {
        action: check,
        not_yours: rules::authorize_item(def, item, actor, check, state, checked)
            .err()
            .map(|e| e.message),
    })
}

/// The steps an update cycle's state allows now.
pub fn cycle_moves(
    cycle: Cycle,
    rows: &OperationRows<'_>,
    actor: &Actor,
) -> Vec<Offer<CycleAction>> {
    const ACTIONS: [CycleAction; 8] = [
        CycleAction::Step(Step::Snapshot),
        CycleAction::Step(Step::Access),
        CycleAction::Step(Step::DevUpdated),
        CycleAction::Step(Step::DevTested),
        CycleAction::Step(Step::ProdUpdated),
        CycleAction::Signoff,
        CycleAction::Fail,
        CycleAction::Cancel,
    ];
    ACTIONS
        .into_iter()
        .filter(|a| cycle_transition(*a, cycle).is_ok())
        .map(|a| Offer {
            action: a,
            not_yours: authorize_operation(Operation::Cycle(a), rows, actor)
                .err()
                .map(|e| e.message),
        })
        .collect()
}

/// The moves a ticket's state allows now (comments are a form of their own).
pub fn ticket_moves(
    reference: &str,
    state: TicketState,
    rows: &OperationRows<'_>,
    actor: &Actor,
) -> Vec<Offer<TicketAction>> {
    [TicketAction::Resolve, TicketAction::Close, TicketAction::Reopen]
        .into_iter()
        .filter(|a| ticket_transition(*a, reference, state).is_ok())
        .map(|a| Offer {
            action: a,
            not_yours: authorize_operation(Operation::Ticket(a), rows, actor)
                .err()
                .map(|e| e.message),
        })
        .collect()
}

/// Whether `actor` may take an operation that needs no state of its own
/// (record a backup, start a cycle, open or comment on a ticket).
pub fn operation(op: Operation, rows: &OperationRows<'_>, actor: &Actor) -> Offer<Operation> {
    Offer { action: op, not_yours: authorize_operation(op, rows, actor).err().map(|e| e.message) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matrix::Matrix;
    use crate::domain::{Party, Role};

    fn actor(party: Party, role: Role) -> Actor {
        Actor {
            handle: "x".into(),
            party,
            role,
            subscriber: (party == Party::Subscriber).then(|| "Acme".to_string()),
        }
    }

    /// The default template, as the migrations load it.
    fn matrix() -> Matrix {
        let mut store = crate::store::Store::open_in_memory().expect("store");
        store.read(|tx| tx.matrix().cloned()).expect("matrix")
    }

    fn facts(matrix: &Matrix) -> Facts {
        Facts { waivable: rules::waivable(matrix), ..Facts::default() }
    }

    /// Each offer is exactly what the rules would do with that step: open
    /// offers pass both the party check and the state check, closed ones fail
    /// the party check only, and no verb the state refuses is offered.
    #[test]
    fn offers_agree_with_the_rules_for_every_task_state_and_role() {
        let m = matrix();
        let f = facts(&m);
        let states = [
            TaskState::Pending,
            TaskState::InProgress,
            TaskState::Submitted,
            TaskState::SignedOff,
            TaskState::Waived,
        ];
        for def in m.tasks.iter().filter(|d| !d.recurring) {
            for state in states {
                let status = Status::new(state);
                for role in Role::ALL {
                    let a = actor(role.party(), *role);
                    let offers = task_moves(def, status, &f, &a);
                    for verb in TASK_VERBS {
                        let allowed_state = rules::transition(verb, def, status, &f).is_ok();
                        let allowed_party = rules::authorize(verb, def, &a).is_ok();
                        match offers.iter().find(|o| o.action == verb) {
                            Some(o) => {
                                assert!(allowed_state, "{verb} offered on {} {state}", def.key);
                                assert_eq!(o.yours(), allowed_party, "{verb} {} {role}", def.key);
                            }
                            None => {
                                assert!(!allowed_state, "{verb} missing on {} {state}", def.key)
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_infrastructure_engineer_may_start_infrastructure_and_the_vendor_is_told_why_not() {
        let m = matrix();
        let def = m.task("infrastructure").expect("row");
        let f = facts(&m);
        let status = Status::new(TaskState::Pending);
        let ian = actor(Party::Subscriber, Role::InfrastructureEngineer);
        let start = task_moves(def, status, &f, &ian);
        assert!(start.iter().any(|o| o.action == Verb::Start && o.yours()), "{start:?}");
        let carol = actor(Party::Vendor, Role::CustomerSuccessEngineer);
        let theirs = task_moves(def, status, &f, &carol);
        let why = theirs
            .iter()
            .find(|o| o.action == Verb::Start)
            .and_then(|o| o.not_yours.clone())
            .expect("a reason");
        assert!(why.contains("subscriber"), "{why}");
    }
}
