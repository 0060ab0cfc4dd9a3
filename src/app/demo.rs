//! `raci demo`: a deterministic sample that shows every stage of the life of
//! an installation. It is made by the same use cases and rules as real work,
//! each step at its own moment of a simulated history. It commits in batches
//! of [`BATCH`] installations, one IMMEDIATE transaction each, so that a
//! large sample neither holds one huge transaction nor loses its work when
//! interrupted: running it again skips what exists and goes on.

use chrono::{DateTime, Duration, Utc};

use super::Context;
use super::admin::{
    NewInstallation, NewPerson, PersonChange, add_installation_in, add_person_in, set_person_in,
};
use super::operations::{
    NewTicket, cycle_action_in, open_ticket_in, record_backup_in, start_cycle_in,
};
use super::tasks::{HandoverRecord, ItemStep, TaskStep, record_handover_in, set_item_in, step_in};
use crate::domain::operations::{CycleAction, Environment, Severity, Step, TicketAction};
use crate::domain::rules::{self, Topic, Verb};
use crate::domain::values::{Day, Id, Text};
use crate::domain::{Party, Role};
use crate::error::{Error, Result};
use crate::store::{Store, Tx};

/// The subscribers of the sample, with the slug their IDs and handles use.
const SUBSCRIBERS: [(&str, &str); 8] = [
    ("Acme Corporation", "acme"),
    ("Globex", "globex"),
    ("Initech", "initech"),
    ("Umbrella Health", "umbrella"),
    ("Hooli", "hooli"),
    ("Stark Industries", "stark"),
    ("Wayne Enterprises", "wayne"),
    ("Wonka Foods", "wonka"),
];

/// The vendor's people in the sample.
const CSE: &str = "ada.cse";
const SUPPORT: &str = "linus.support";

/// How far an installation of the sample has come.
const STAGES: u64 = 10;

/// Installations per transaction: large enough that the commit's fsync is a
/// small share of the time, small enough that a batch's write-ahead log and
/// page cache stay a few megabytes.
pub const BATCH: usize = 500;

fn id(text: &str) -> Result<Id> {
    text.parse()
}

fn text(t: &str) -> Result<Text> {
    t.parse()
}

/// One installation's simulated history: a clock that moves forward by a
/// deterministic pseudo-random gap before each step.
struct History<'t, 'c> {
    tx: &'t Tx<'c>,
    installation: Id,
    now: DateTime<Utc>,
    seed: u64,
}

impl History<'_, '_> {
    fn tick(&mut self) {
        // A 64-bit LCG (Knuth's MMIX constants): deterministic, no crate needed.
        self.seed = self.seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let hours = 2 + (self.seed >> 33) % 47;
        self.now += Duration::hours(hours as i64);
    }

    fn ctx(&self, who: &str) -> Result<Context> {
        Ok(Context { now: self.now, acting: Some(id(who)?), os_user: None, ..Context::default() })
    }

    fn task(&mut self, who: &str, task: &str, verb: Verb, note: Option<&str>) -> Result<()> {
        self.tick();
        let step = TaskStep {
            installation: self.installation.clone(),
            task: task.into(),
            verb,
            text: note.map(text).transpose()?,
            due: None,
        };
        step_in(self.tx, &self.ctx(who)?, &step).map(drop)
    }

    fn due(&mut self, who: &str, task: &str, due: DateTime<Utc>) -> Result<()> {
        let step = TaskStep {
            installation: self.installation.clone(),
            task: task.into(),
            verb: Verb::Due,
            text: None,
            due: Some(Day(due.date_naive())),
        };
        step_in(self.tx, &self.ctx(who)?, &step).map(drop)
    }

    /// The checklist of a task, from the template.
    fn items(&self, task: &str) -> Result<Vec<String>> {
        let matrix = self.tx.matrix()?;
        let def = matrix.task(task).ok_or_else(|| {
            Error::storage(format!("the demo needs the task {task}, which the template lacks"))
        })?;
        Ok(def.items.iter().map(|i| i.key.clone()).collect())
    }

    /// Checks the first `count` items of a task's checklist (all with `None`).
    fn check(&mut self, who: &str, task: &str, count: Option<usize>) -> Result<()> {
        let items = self.items(task)?;
        let count = count.unwrap_or(items.len()).min(items.len());
        for item in &items[..count] {
            self.tick();
            let step = ItemStep {
                installation: self.installation.clone(),
                task: task.into(),
                items: vec![item.clone()],
                all: false,
                check: true,
                note: None,
            };
            set_item_in(self.tx, &self.ctx(who)?, &step)?;
        }
        Ok(())
    }

    /// Start, check every item, submit and sign off.
    fn complete(&mut self, who: &str, task: &str) -> Result<()> {
        self.task(who, task, Verb::Start, None)?;
        self.check(who, task, None)?;
        self.task(who, task, Verb::Submit, None)?;
        self.task(who, task, Verb::Signoff, None)
    }

    fn cycle(&mut self, who: &str, n: i64, action: CycleAction, note: Option<&str>) -> Result<()> {
        self.tick();
        cycle_action_in(
            self.tx,
            &self.ctx(who)?,
            &self.installation,
            n,
            action,
            note.map(text).transpose()?.as_ref(),
        )
        .map(drop)
    }
}

/// Fills the database with `count` sample installations (skipping any that
/// exist), calling `progress` after each. Returns how many were added.
///
/// On a database with no people, or only the demo's own, it needs no acting
/// person: `ada.cse` becomes the vendor's administrator through the
/// bootstrap. Otherwise the acting person (a vendor administrator) adds it.
/// The people come with the first batch; each batch commits on its own.
pub fn demo(
    store: &mut Store,
    ctx: &Context,
    count: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize> {
    in_batches(store, ctx, count, BATCH, progress)
}

fn in_batches(
    store: &mut Store,
    ctx: &Context,
    count: usize,
    batch: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize> {
    let now = ctx.now;
    let mut added = 0;
    let mut first = 0;
    loop {
        let end = (first + batch.max(1)).min(count);
        added += store.write(|tx| {
            if first == 0 {
                people(tx, ctx)?;
            }
            let mut added = 0;
            for i in first..end {
                let (name, slug) = SUBSCRIBERS[i % SUBSCRIBERS.len()];
                let installation = id(&format!("{slug}-{:05}", i + 1))?;
                if tx.installation(installation.as_str())?.is_none() {
                    installation_history(tx, now, i as u64, name, slug, installation)?;
                    added += 1;
                }
                progress(i + 1, count);
            }
            Ok(added)
        })?;
        if end >= count {
            return Ok(added);
        }
        first = end;
    }
}

/// One of the demo's people: handle, party, role, name, subscriber, admin.
type Sample = (String, Party, Role, String, Option<&'static str>, bool);

fn sample_people() -> Vec<Sample> {
    let mut people = vec![
        (
            CSE.into(),
            Party::Vendor,
            Role::CustomerSuccessEngineer,
            "Ada Lovelace".into(),
            None,
            true,
        ),
        (SUPPORT.into(), Party::Vendor, Role::SupportEngineer, "Linus Support".into(), None, false),
    ];
    for (name, slug) in SUBSCRIBERS {
        people.push((
            format!("{slug}.infra"),
            Party::Subscriber,
            Role::InfrastructureEngineer,
            format!("{name} infrastructure"),
            Some(name),
            true,
        ));
        people.push((
            format!("{slug}.dev"),
            Party::Subscriber,
            Role::ApplicationDeveloper,
            format!("{name} developer"),
            Some(name),
            false,
        ));
    }
    people
}

/// The demo's people, each added (or made an administrator) by whoever
/// administers them: `ada.cse` the vendor's, each subscriber's
/// infrastructure engineer their subscriber's.
fn people(tx: &Tx<'_>, ctx: &Context) -> Result<()> {
    // Whoever is named acts as themselves: the demo adds people and
    // installations, which is for a vendor administrator.
    if ctx.acting.is_some() {
        let (person, _) = super::acting(tx, ctx)?;
        if !(person.party == Party::Vendor && person.admin) {
            return Err(Error::not_permitted(format!(
                "the demo adds people and installations, which is for a vendor administrator; {} is {} {}{}",
                person.handle,
                person.party,
                person.role,
                if person.admin { " (an administrator of their subscriber)" } else { "" }
            )));
        }
    }
    let sample = sample_people();
    for (handle, party, role, _, subscriber, _) in &sample {
        let Some(p) = tx.person(handle)? else { continue };
        let same_org = match (&p.subscriber, subscriber) {
            (Some(a), Some(b)) => rules::same_subscriber(a, b),
            (None, None) => true,
            _ => false,
        };
        if p.party != *party || p.role != *role || !same_org {
            return Err(Error::conflict(format!(
                "the demo needs {handle} as {party} {role}{}, but that handle is taken by someone else; use another --db for the demo",
                subscriber.map(|s| format!(" of {s}")).unwrap_or_default()
            )));
        }
        if !p.active {
            return Err(Error::conflict(format!(
                "the demo needs {handle}, who has been deactivated; reactivate them or use another --db for the demo"
            )));
        }
    }
    if ctx.acting.is_none()
        && let Some(other) =
            tx.persons()?.into_iter().find(|p| !sample.iter().any(|s| s.0 == p.handle))
    {
        return Err(Error::bad_input(format!(
            "the database has people of its own (such as {}), so the demo needs to know which vendor administrator adds its people",
            other.handle
        ))
        .hint("pass --as HANDLE"));
    }
    let as_person = |who: &str| -> Result<Context> {
        Ok(Context { now: ctx.now, acting: Some(id(who)?), os_user: None, ..Context::default() })
    };
    for (handle, party, role, name, subscriber, admin) in sample {
        // The vendor's administrator of the demo comes first, through the
        // bootstrap or from the acting person; then it adds the others.
        let by = match (party, subscriber) {
            _ if handle == CSE => ctx.clone(),
            (Party::Subscriber, Some(_)) if !admin => as_person(&handle.replace(".dev", ".infra"))?,
            _ => as_person(CSE)?,
        };
        match tx.person(&handle)? {
            None => {
                let new = NewPerson {
                    handle: id(&handle)?,
                    party,
                    role,
                    name: Some(text(&name)?),
                    email: Some(text(&format!("{handle}@example.com"))?),
                    subscriber: subscriber.map(text).transpose()?,
                    login: None,
                    admin,
                };
                add_person_in(tx, &by, &new)?;
            }
            // From a database of before administrators: make them one.
            Some(p) if admin && !p.admin => {
                let change = PersonChange {
                    handle: id(&handle)?,
                    role: None,
                    admin: Some(true),
                    name: None,
                    email: None,
                    login: None,
                };
                set_person_in(tx, &by, &change)?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// One installation, taken as far as its stage: `i % 10` from new (0) to
/// operating with a signed-off update and a resolved ticket (9).
fn installation_history(
    tx: &Tx<'_>,
    now: DateTime<Utc>,
    i: u64,
    name: &str,
    slug: &str,
    installation: Id,
) -> Result<()> {
    let stage = i % STAGES;
    // Older installations have come further; every history ends before `now`.
    let age_days = 20 + stage * 14 + (i * 7) % 30;
    let start = now - Duration::days(age_days as i64);
    let mut h = History {
        tx,
        installation: installation.clone(),
        now: start,
        seed: i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03,
    };
    let infra = format!("{slug}.infra");
    let dev = format!("{slug}.dev");
    let new = NewInstallation {
        id: installation,
        subscriber: text(name)?,
        appliance_id: Some(text(&format!("appliance{}", 100 + i))?),
    };
    add_installation_in(
        tx,
        &Context { now: start, acting: Some(id(CSE)?), os_user: None, ..Context::default() },
        &new,
    )?;
    if stage == 0 {
        return Ok(());
    }

    h.task(&infra, "infrastructure", Verb::Start, None)?;
    h.due(&infra, "infrastructure", start + Duration::days(10))?;
    if stage == 1 {
        // Part of the checklist done; the due date has passed.
        return h.check(&infra, "infrastructure", Some(4 + (i as usize % 4)));
    }
    h.check(&infra, "infrastructure", None)?;
    h.task(&infra, "infrastructure", Verb::Submit, None)?;
    if stage == 2 {
        return Ok(());
    }
    h.task(&infra, "infrastructure", Verb::Signoff, None)?;
    if stage == 3 {
        // Waiting on the vendor's deployment.
        return Ok(());
    }

    h.task(CSE, "deployment", Verb::Start, None)?;
    h.due(CSE, "deployment", h.now + Duration::days(3))?;
    if stage == 4 {
        h.check(CSE, "deployment", Some(1))?;
        if i % 20 == 4 {
            h.task(
                CSE,
                "deployment",
                Verb::Block,
                Some("waiting for the subscriber's firewall change"),
            )?;
        }
        return Ok(());
    }
    h.check(CSE, "deployment", None)?;
    h.task(CSE, "deployment", Verb::Submit, None)?;
    h.task(CSE, "deployment", Verb::Signoff, None)?;

    h.task(&infra, "configuration", Verb::Start, None)?;
    if stage == 5 {
        h.check(&infra, "configuration", Some(1))?;
        if i % 20 == 5 {
            h.task(
                &infra,
                "configuration",
                Verb::Block,
                Some("SMTP credentials pending from IT security"),
            )?;
        }
        return Ok(());
    }
    h.check(&infra, "configuration", None)?;
    h.task(&infra, "configuration", Verb::Submit, None)?;
    h.task(&infra, "configuration", Verb::Signoff, None)?;
    h.complete(&dev, "integration")?;
    if stage == 6 {
        // Ready for the handover: the vendor's move.
        return Ok(());
    }

    h.tick();
    let handover = HandoverRecord {
        installation: h.installation.clone(),
        held_on: Day(h.now.date_naive()),
        minutes: 90 + (i % 4) as i64 * 10,
        attendees: vec![id(CSE)?, id(&infra)?],
        topics: Topic::ALL.to_vec(),
    };
    record_handover_in(tx, &h.ctx(CSE)?, &handover)?;
    h.task(&dev, "user-migration", Verb::Waive, Some("no existing user store to migrate"))?;
    h.task(&infra, "monitoring", Verb::Start, None)?;
    h.task(&infra, "backup", Verb::Start, None)?;
    h.tick();
    let backup_day = Day(h.now.date_naive());
    record_backup_in(tx, &h.ctx(&infra)?, &h.installation, backup_day, None)?;
    if stage == 7 {
        return Ok(());
    }

    for task in ["monitoring", "backup"] {
        h.task(&infra, task, Verb::Submit, None)?;
        h.task(&infra, task, Verb::Signoff, None)?;
    }
    h.tick();
    let version = text(&format!("3.{}", i % 5))?;
    start_cycle_in(tx, &h.ctx(CSE)?, &h.installation, &version, None)?;
    h.cycle(&infra, 1, CycleAction::Step(Step::Snapshot), Some("VM snapshots taken"))?;
    h.cycle(&infra, 1, CycleAction::Step(Step::Access), None)?;
    h.cycle(CSE, 1, CycleAction::Step(Step::DevUpdated), None)?;
    h.tick();
    let ticket = NewTicket {
        installation: h.installation.clone(),
        reference: id(&format!("SUP-{}", 1000 + i))?,
        severity: if i.is_multiple_of(3) { Severity::High } else { Severity::Normal },
        environment: Environment::Development,
        summary: text("login page slow after the update")?,
    };
    open_ticket_in(tx, &h.ctx(&dev)?, &ticket)?;
    if stage == 8 {
        // Testing on the development node; the ticket is the vendor's.
        return Ok(());
    }
    h.cycle(&infra, 1, CycleAction::Fail, Some("login page returns 500 on development"))?;
    h.cycle(CSE, 1, CycleAction::Step(Step::DevUpdated), Some("hotfix applied"))?;
    h.cycle(&infra, 1, CycleAction::Step(Step::DevTested), None)?;
    h.cycle(CSE, 1, CycleAction::Step(Step::ProdUpdated), None)?;
    h.cycle(&infra, 1, CycleAction::Signoff, None)?;
    h.tick();
    super::operations::ticket_action_in(
        tx,
        &h.ctx(SUPPORT)?,
        &h.installation,
        &ticket.reference,
        TicketAction::Resolve,
        None,
    )?;
    if h.now > now {
        return Err(Error::storage("the demo's history ran past now; this is a bug in the demo"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(store: &mut Store) -> usize {
        store.read(|tx| Ok(tx.installations()?.len())).expect("reads")
    }

    fn events(store: &mut Store) -> Vec<crate::store::Event> {
        store
            .read(|tx| {
                let mut all = Vec::new();
                for i in tx.installations()? {
                    all.extend(tx.events(&i.id)?);
                }
                Ok(all)
            })
            .expect("reads")
    }

    /// A run stopped in its second batch keeps the first; running it again
    /// adds the rest, and the ledger is the one an uninterrupted run writes.
    #[test]
    fn an_interrupted_demo_keeps_its_committed_batches_and_a_second_run_completes_it() {
        let ctx = Context {
            now: "2026-11-20T09:00:00Z".parse().expect("a time"),
            acting: None,
            os_user: None,
            ..Context::default()
        };
        let mut store = Store::open_in_memory().expect("store");
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_batches(&mut store, &ctx, 7, 3, &mut |done, _| {
                assert!(done < 5, "interrupted in the second batch");
            })
        }));
        assert!(stopped.is_err());
        assert_eq!(count(&mut store), 3, "the first batch committed, the second did not");
        assert_eq!(in_batches(&mut store, &ctx, 7, 3, &mut |_, _| {}).expect("demo"), 4);
        assert_eq!(in_batches(&mut store, &ctx, 7, 3, &mut |_, _| {}).expect("demo"), 0);
        let mut whole = Store::open_in_memory().expect("store");
        assert_eq!(demo(&mut whole, &ctx, 7, &mut |_, _| {}).expect("demo"), 7);
        assert_eq!(events(&mut store), events(&mut whole));
    }
}
