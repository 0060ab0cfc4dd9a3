//! Party clocks: replaying an installation's audit log to say, for each task,
//! how long its next move lay with the vendor, with the subscriber, and how
//! long it was blocked. Pure: events in, durations out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::matrix::Matrix;
use crate::domain::operations::{CycleState, TicketState};
use crate::domain::rules::{self, Status};
use crate::domain::{Party, TaskState};
use crate::store::Event;

/// Seconds a task's next move lay with each party, and blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pub vendor: i64,
    pub subscriber: i64,
    pub blocked: i64,
}

impl Clock {
    fn add(&mut self, holder: Holder, seconds: i64) {
        match holder {
            Holder::Party(Party::Vendor) => self.vendor += seconds,
            Holder::Party(Party::Subscriber) => self.subscriber += seconds,
            Holder::Blocked => self.blocked += seconds,
        }
    }

    pub fn total(&self) -> i64 {
        self.vendor + self.subscriber + self.blocked
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Party(Party),
    Blocked,
}

/// The replay of one installation's events.
pub struct Replay<'m> {
    matrix: &'m Matrix,
    states: Vec<Status>,
    cycles: BTreeMap<i64, CycleState>,
    tickets: BTreeMap<String, TicketState>,
    clocks: Vec<Clock>,
    last: Option<DateTime<Utc>>,
}

fn parse_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

impl<'m> Replay<'m> {
    pub fn new(matrix: &'m Matrix) -> Self {
        Replay {
            matrix,
            states: matrix
                .tasks
                .iter()
                .map(|t| {
                    Status::new(if t.recurring { TaskState::Recurring } else { TaskState::Pending })
                })
                .collect(),
            cycles: BTreeMap::new(),
            tickets: BTreeMap::new(),
            clocks: vec![Clock::default(); matrix.tasks.len()],
            last: None,
        }
    }

    fn index(&self, task: &str) -> Option<usize> {
        self.matrix.tasks.iter().position(|t| t.key == task)
    }

    fn state_of(&self, task: &str) -> Option<TaskState> {
        self.index(task).map(|i| self.states[i].state)
    }

    /// Who holds each task's next move now; recurring rows hold one share
    /// per open cycle or ticket.
    fn holders(&self) -> Vec<(usize, Holder)> {
        let mut out = Vec::new();
        for (i, def) in self.matrix.tasks.iter().enumerate() {
            let status = self.states[i];
            if status.state == TaskState::Blocked {
                out.push((i, Holder::Blocked));
                continue;
            }
            let predecessors_done = rules::predecessors_done(def, |p| self.state_of(p));
            if let Some(party) = rules::next_move(def, status, predecessors_done) {
                out.push((i, Holder::Party(party)));
            }
        }
        for state in self.cycles.values() {
            if let Some((party, _)) = state.next() {
                out.extend(self.index(state.task()).map(|i| (i, Holder::Party(party))));
            }
        }
        for state in self.tickets.values() {
            if let Some((party, task, _)) = state.next() {
                out.extend(self.index(task).map(|i| (i, Holder::Party(party))));
            }
        }
        out
    }

    /// Credits the time since the last event to whoever held each move.
    fn advance(&mut self, to: DateTime<Utc>) {
        if let Some(last) = self.last {
            let seconds = (to - last).num_seconds().max(0);
            if seconds > 0 {
                for (i, holder) in self.holders() {
                    self.clocks[i].add(holder, seconds);
                }
            }
        }
        if self.last.is_none_or(|last| to > last) {
            self.last = Some(to);
        }
    }

    /// Applies one event, in the log's order.
    pub fn apply(&mut self, e: &Event) {
        let Some(at) = parse_time(&e.at) else { return };
        self.advance(at);
        let Some(to) = e.to.as_deref() else { return };
        if let Some(n) = e.cycle {
            if let Ok(state) = to.parse() {
                self.cycles.insert(n, state);
            }
        } else if let Some(reference) = &e.ticket {
            if let Ok(state) = to.parse() {
                self.tickets.insert(reference.clone(), state);
            }
        } else if let Some(i) = e.task.as_deref().and_then(|t| self.index(t))
            && let Ok(state) = to.parse::<TaskState>()
        {
            let blocked_from = (state == TaskState::Blocked)
                .then(|| e.from.as_deref().and_then(|f| f.parse().ok()))
                .flatten();
            self.states[i] = Status { state, blocked_from };
        }
    }

    /// The clocks up to `now`, one per task in template order.
    pub fn finish(mut self, now: DateTime<Utc>) -> Vec<(String, Clock)> {
        self.advance(now);
        self.matrix.tasks.iter().map(|t| t.key.clone()).zip(self.clocks).collect()
    }
}

/// "8d 3h", "3h 20m", "45m", "0m".
pub fn human(seconds: i64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn event(at: &str, task: &str, from: Option<&str>, to: Option<&str>) -> Event {
        Event {
            at: at.into(),
            task: Some(task.into()),
            from: from.map(Into::into),
            to: to.map(Into::into),
            ..Event::default()
        }
    }

    fn clock_of(clocks: &[(String, Clock)], task: &str) -> Clock {
        clocks.iter().find(|(t, _)| t == task).map(|(_, c)| *c).expect("task")
    }

    #[test]
    fn time_is_credited_to_whoever_holds_the_next_move() {
        let mut store = Store::open_in_memory().expect("store");
        let matrix = store.read(|tx| tx.matrix().cloned()).expect("matrix");
        let mut replay = Replay::new(&matrix);
        let mut created = event("2026-11-01T00:00:00Z", "x", None, None);
        created.task = None;
        replay.apply(&created);
        // The subscriber takes a day to start and two more to submit and sign off.
        replay.apply(&event(
            "2026-11-02T00:00:00Z",
            "infrastructure",
            Some("pending"),
            Some("in_progress"),
        ));
        replay.apply(&event(
            "2026-11-03T00:00:00Z",
            "infrastructure",
            Some("in_progress"),
            Some("blocked"),
        ));
        replay.apply(&event(
            "2026-11-03T12:00:00Z",
            "infrastructure",
            Some("blocked"),
            Some("in_progress"),
        ));
        replay.apply(&event(
            "2026-11-04T00:00:00Z",
            "infrastructure",
            Some("in_progress"),
            Some("submitted"),
        ));
        replay.apply(&event(
            "2026-11-04T00:00:00Z",
            "infrastructure",
            Some("submitted"),
            Some("signed_off"),
        ));
        // Deployment lies with the vendor from then on.
        let clocks = replay.finish(parse_time("2026-11-06T00:00:00Z").expect("time"));
        let infra = clock_of(&clocks, "infrastructure");
        assert_eq!(infra, Clock { vendor: 0, subscriber: 2 * 86_400 + 43_200, blocked: 43_200 });
        assert_eq!(
            infra.total(),
            3 * 86_400,
            "actionable at creation, signed off three days later"
        );
        assert_eq!(
            clock_of(&clocks, "deployment"),
            Clock { vendor: 2 * 86_400, subscriber: 0, blocked: 0 }
        );
        assert_eq!(clock_of(&clocks, "configuration"), Clock::default());
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human(0), "0m");
        assert_eq!(human(45 * 60), "45m");
        assert_eq!(human(3 * 3600 + 20 * 60), "3h 20m");
        assert_eq!(human(8 * 86_400 + 3 * 3600 + 59), "8d 3h");
    }
}
