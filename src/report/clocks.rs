//! Party clocks: watching the ledger's replay of one installation to say,
//! for each task, how long its next move lay with the vendor, with the
//! subscriber, and how long it was blocked; and, for the installation as a
//! whole, the union of those intervals (a moment counts once per party however
//! many tasks waited on it). The states come from `domain::replay`, the one
//! reading of events; this module only keeps time.

use chrono::{DateTime, Utc};

use crate::domain::Party;
use crate::domain::ledger::change_of;
use crate::domain::matrix::Matrix;
use crate::domain::replay::InstallationReplay;
use crate::store::Event;

/// Seconds a task's next move lay with each party, and blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pub vendor: i64,
    pub subscriber: i64,
    pub blocked: i64,
}

impl Clock {
    fn add(&mut self, holder: Option<Party>, seconds: i64) {
        match holder {
            Some(Party::Vendor) => self.vendor += seconds,
            Some(Party::Subscriber) => self.subscriber += seconds,
            None => self.blocked += seconds,
        }
    }

    pub fn total(&self) -> i64 {
        self.vendor + self.subscriber + self.blocked
    }

    /// The vendor's share of the time either party held a move, 0 to 1.
    pub fn vendor_share(&self) -> f64 {
        match self.vendor + self.subscriber {
            0 => 0.0,
            both => self.vendor as f64 / both as f64,
        }
    }
}

impl Clock {
    /// An installation's clock as the report prints it.
    pub fn view(self, installation: String) -> crate::view::ClockInstallationView {
        crate::view::ClockInstallationView {
            installation,
            vendor_seconds: self.vendor,
            subscriber_seconds: self.subscriber,
            blocked_seconds: self.blocked,
            vendor_share: self.vendor_share(),
        }
    }
}

/// The clocks of one installation, kept while its events replay.
pub struct Replay<'m> {
    matrix: &'m Matrix,
    replay: InstallationReplay<'m>,
    clocks: Vec<Clock>,
    /// Each moment once per party: the installation's own clock.
    union: Clock,
    last: Option<DateTime<Utc>>,
}

fn parse_time(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

impl<'m> Replay<'m> {
    pub fn new(matrix: &'m Matrix) -> Self {
        Replay {
            matrix,
            replay: InstallationReplay::new(matrix),
            clocks: vec![Clock::default(); matrix.tasks.len()],
            union: Clock::default(),
            last: None,
        }
    }

    /// Credits the time since the last event to whoever held each move.
    fn advance(&mut self, to: DateTime<Utc>) {
        if let (Some(last), Some(state)) = (self.last, &self.replay.state) {
            let seconds = (to - last).num_seconds().max(0);
            if seconds > 0 {
                let holders = state.holders(self.matrix);
                for (i, holder) in &holders {
                    self.clocks[*i].add(*holder, seconds);
                }
                for holder in [Some(Party::Vendor), Some(Party::Subscriber), None] {
                    if holders.iter().any(|(_, h)| *h == holder) {
                        self.union.add(holder, seconds);
                    }
                }
            }
        }
        if self.last.is_none_or(|last| to > last) {
            self.last = Some(to);
        }
    }

    /// Applies one event, in the log's order. An event the replay cannot
    /// apply changes no state here; `db check` is where it is named.
    pub fn apply(&mut self, e: &Event) {
        let Some(at) = parse_time(&e.at) else { return };
        self.advance(at);
        if let Ok(change) = change_of(e) {
            let _ = self.replay.apply(e, change.as_ref());
        }
    }

    /// The clocks up to `now`: one per task in template order, and the
    /// installation's union.
    pub fn finish(mut self, now: DateTime<Utc>) -> (Vec<(String, Clock)>, Clock) {
        self.advance(now);
        let tasks = self.matrix.tasks.iter().map(|t| t.key.clone()).zip(self.clocks).collect();
        (tasks, self.union)
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

    /// A first-release event: the replay reads its change from `from`/`to`.
    fn event(at: &str, task: &str, from: Option<&str>, to: Option<&str>) -> Event {
        Event {
            installation: Some("acme".into()),
            at: at.into(),
            action: "step".into(),
            task: Some(task.into()),
            from: from.map(Into::into),
            to: to.map(Into::into),
            format: 1,
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
        created.action = "installation-add".into();
        created.note = Some("subscriber Acme".into());
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
        let (clocks, union) = replay.finish(parse_time("2026-11-06T00:00:00Z").expect("time"));
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
        // Infrastructure, then deployment: the union is their sum here, as
        // they never overlap.
        assert_eq!(
            union,
            Clock { vendor: 2 * 86_400, subscriber: 2 * 86_400 + 43_200, blocked: 43_200 }
        );
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human(0), "0m");
        assert_eq!(human(45 * 60), "45m");
        assert_eq!(human(3 * 3600 + 20 * 60), "3h 20m");
        assert_eq!(human(8 * 86_400 + 3 * 3600 + 59), "8d 3h");
    }
}
