//! The state tables read in installation order, beside the ledger: `db check`
//! walks the events of one installation after another and takes each
//! installation's rows from one ordered scan per table, rather than running
//! seven queries per installation.

use rusqlite::{Row, Rows};

use super::Tx;
use super::onboarding::{
    HANDOVER_COLUMNS, INSTALLATION_COLUMNS, handover_row, installation_row, item_row, task_row,
};
use super::operations::{
    BACKUP_COLUMNS, CYCLE_COLUMNS, TICKET_COLUMNS, backup_row, cycle_row, ticket_row,
};
use crate::domain::records::{
    BackupRow, CycleRow, HandoverRow, Installation, ItemRow, TaskRow, TicketRow,
};
use crate::error::Result;

type Mapper<T> = fn(&Row<'_>) -> rusqlite::Result<(String, T)>;

/// One table's rows, grouped by installation, in installation order.
struct Grouped<'s, T> {
    rows: Rows<'s>,
    map: Mapper<T>,
    next: Option<(String, T)>,
    done: bool,
}

impl<'s, T> Grouped<'s, T> {
    fn new(rows: Rows<'s>, map: Mapper<T>) -> Self {
        Grouped { rows, map, next: None, done: false }
    }

    fn fill(&mut self) -> Result<()> {
        if self.next.is_none() && !self.done {
            match self.rows.next()? {
                Some(r) => self.next = Some((self.map)(r)?),
                None => self.done = true,
            }
        }
        Ok(())
    }

    /// The rows of `installation`; and the first installation before it
    /// whose rows were passed over (one the ledger never named).
    fn take(&mut self, installation: &str) -> Result<(Vec<T>, Option<String>)> {
        let mut rows = Vec::new();
        let mut skipped = None;
        loop {
            self.fill()?;
            match &self.next {
                Some((k, _)) if k.as_str() < installation => {
                    if skipped.is_none() {
                        skipped = Some(k.clone());
                    }
                    self.next = None;
                }
                Some((k, _)) if k == installation => {
                    if let Some((_, row)) = self.next.take() {
                        rows.push(row);
                    }
                }
                _ => return Ok((rows, skipped)),
            }
        }
    }
}

/// What the tables hold for one installation.
#[derive(Debug, Default)]
pub struct Held {
    pub installation: Option<Installation>,
    pub tasks: Vec<TaskRow>,
    pub items: Vec<ItemRow>,
    /// In the order recorded.
    pub handovers: Vec<HandoverRow>,
    /// In the order recorded.
    pub backups: Vec<BackupRow>,
    pub cycles: Vec<CycleRow>,
    pub tickets: Vec<TicketRow>,
}

/// Every state table of installations, read alongside the ledger.
pub struct StateTables<'s> {
    installations: Grouped<'s, Installation>,
    tasks: Grouped<'s, TaskRow>,
    items: Grouped<'s, ItemRow>,
    handovers: Grouped<'s, HandoverRow>,
    backups: Grouped<'s, BackupRow>,
    cycles: Grouped<'s, CycleRow>,
    tickets: Grouped<'s, TicketRow>,
}

fn first(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl StateTables<'_> {
    /// The rows of `installation` (called in installation order); and the
    /// first installation before it that has rows but no events.
    pub fn take(&mut self, installation: &str) -> Result<(Held, Option<String>)> {
        let (mut found, mut skipped) = self.installations.take(installation)?;
        let mut held = Held { installation: found.pop(), ..Held::default() };
        let mut also = |s: Option<String>| skipped = first(skipped.take(), s);
        (held.tasks, _) = self.tasks.take(installation).map(|(r, s)| (r, also(s)))?;
        (held.items, _) = self.items.take(installation).map(|(r, s)| (r, also(s)))?;
        (held.handovers, _) = self.handovers.take(installation).map(|(r, s)| (r, also(s)))?;
        (held.backups, _) = self.backups.take(installation).map(|(r, s)| (r, also(s)))?;
        (held.cycles, _) = self.cycles.take(installation).map(|(r, s)| (r, also(s)))?;
        (held.tickets, _) = self.tickets.take(installation).map(|(r, s)| (r, also(s)))?;
        Ok((held, skipped))
    }

    /// The first installation, after every one the ledger named, that has
    /// rows in a table.
    pub fn rest(&mut self) -> Result<Option<String>> {
        // U+10FFFF sorts after every installation ID (they are ASCII).
        self.take("\u{10FFFF}").map(|(_, skipped)| skipped)
    }
}

impl Tx<'_> {
    /// Runs `f` over the state tables read in installation order.
    pub fn with_state_tables<R>(
        &self,
        f: impl FnOnce(&mut StateTables<'_>) -> Result<R>,
    ) -> Result<R> {
        let mut installations = self
            .tx
            .prepare(&format!("SELECT {INSTALLATION_COLUMNS} FROM installation ORDER BY id"))?;
        let mut tasks = self.tx.prepare(
            "SELECT task_key, state, blocked_from, due, since, installation_id FROM task
             ORDER BY installation_id",
        )?;
        let mut items = self.tx.prepare(
            "SELECT task_key, item, position, owner, checked_by, checked_at, note, installation_id
             FROM checklist_item ORDER BY installation_id",
        )?;
        let mut handovers = self.tx.prepare(&format!(
            "SELECT {HANDOVER_COLUMNS} FROM handover ORDER BY installation_id, id"
        ))?;
        let mut backups = self.tx.prepare(&format!(
            "SELECT {BACKUP_COLUMNS} FROM backup_record ORDER BY installation_id, id"
        ))?;
        let mut cycles = self.tx.prepare(&format!(
            "SELECT {CYCLE_COLUMNS} FROM update_cycle ORDER BY installation_id, number"
        ))?;
        let mut tickets = self.tx.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM ticket ORDER BY installation_id, ref"
        ))?;
        let mut tables = StateTables {
            installations: Grouped::new(installations.query([])?, |r| {
                installation_row(r).map(|i| (i.id.clone(), i))
            }),
            tasks: Grouped::new(tasks.query([])?, |r| Ok((r.get(5)?, task_row(r)?))),
            items: Grouped::new(items.query([])?, |r| Ok((r.get(7)?, item_row(r)?))),
            handovers: Grouped::new(handovers.query([])?, |r| {
                handover_row(r).map(|h| (h.installation.clone(), h))
            }),
            backups: Grouped::new(backups.query([])?, |r| {
                backup_row(r).map(|b| (b.installation.clone(), b))
            }),
            cycles: Grouped::new(cycles.query([])?, |r| {
                cycle_row(r).map(|c| (c.installation.clone(), c))
            }),
            tickets: Grouped::new(tickets.query([])?, |r| {
                ticket_row(r).map(|t| (t.installation.clone(), t))
            }),
        };
        f(&mut tables)
    }
}
