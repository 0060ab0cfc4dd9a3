//! The inbox: events on tasks where the acting person's party is Informed
//! (the seed's one-way communication), unread first.

use super::{Context, Recorder, acting};
use crate::domain::Letter;
use crate::domain::ledger::Change;
use crate::error::{Error, Result};
use crate::store::{Event, InboxRow, Person, Store, Tx};
use crate::view::InboxView;

/// Which of the inbox's events to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Only {
    /// Only those the person has not marked read.
    pub unread: bool,
    /// At most this many (unread first, newest first).
    pub limit: Option<u32>,
}

/// The person's inbox, one event at a time.
fn each_row(
    tx: &Tx<'_>,
    person: &Person,
    only: Only,
    f: impl FnMut(InboxRow) -> Result<()>,
) -> Result<()> {
    let matrix = tx.matrix()?;
    let informed: Vec<&str> = matrix
        .tasks
        .iter()
        .filter(|t| t.letters(person.party).has(Letter::I))
        .map(|t| t.key.as_str())
        .collect();
    tx.inbox(&person.handle, &informed, person.subscriber.as_deref(), only.unread, only.limit, f)
}

fn rows(tx: &Tx<'_>, person: &Person, only: Only) -> Result<Vec<InboxRow>> {
    let mut all = Vec::new();
    each_row(tx, person, only, |r| {
        all.push(r);
        Ok(())
    })?;
    Ok(all)
}

/// The acting person's inbox, handed to `f` one event at a time: unread
/// first, newest first.
pub fn inbox(
    store: &mut Store,
    ctx: &Context,
    only: Only,
    mut f: impl FnMut(InboxView) -> Result<()>,
) -> Result<()> {
    store.read(|tx| {
        let (person, _) = acting(tx, ctx)?;
        each_row(tx, &person, only, |r| {
            f(InboxView {
                id: r.event.id,
                at: r.event.at,
                installation: r.event.installation,
                task: r.event.task,
                action: r.event.action,
                actor: r.event.actor,
                note: r.event.note,
                read: r.read,
            })
        })
    })
}

/// Marks the given events (or, with none given, every unread one) as read.
pub fn ack(store: &mut Store, ctx: &Context, ids: &[i64]) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (person, _) = acting(tx, ctx)?;
        let inbox = rows(tx, &person, Only::default())?;
        for id in ids {
            if !inbox.iter().any(|r| r.event.id == *id) {
                return Err(Error::not_found(format!(
                    "event {id} is not in {}'s inbox",
                    person.handle
                ))
                .hint("`raci inbox` lists it"));
            }
        }
        // Only what is not read yet: marking a read event again changes
        // nothing, and the ledger holds only changes.
        let chosen: Vec<i64> = inbox
            .iter()
            .filter(|r| !r.read && (ids.is_empty() || ids.contains(&r.event.id)))
            .map(|r| r.event.id)
            .collect();
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let change = Change::EventsRead { handle: person.handle.clone(), events: chosen.clone() };
        let mut rec = Recorder::new(ctx, Some(&person));
        rec.record(tx, None, "inbox-ack", Some(change), |e| {
            e.note = Some(format!("{} events read", chosen.len()));
        })?;
        rec.finish(tx)
    })
}
