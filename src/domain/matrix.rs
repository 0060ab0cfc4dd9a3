//! The RACI matrix of a template: its tasks, who holds which letter, the role
//! a party must act in, predecessors and checklist items. Loaded from the
//! database (the seed's table is migration 02); this module only reads it.

use super::{Letter, Party, Role, names};

names!(
    /// What a row of the template is for. Rows of a special kind are found by
    /// their kind, never by their key, and who may act on their work is read
    /// from their letters.
    RowKind, "row kind" {
        Task => "task",
        Handover => "handover",
        Backups => "backups",
        Updates => "updates",
        UpdateTesting => "update-testing",
        Tickets => "tickets",
        Resolution => "resolution",
    }
);

/// The letters one party holds on one task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Letters {
    bits: u8,
}

impl Letters {
    fn bit(letter: Letter) -> u8 {
        match letter {
            Letter::R => 1,
            Letter::A => 2,
            Letter::C => 4,
            Letter::I => 8,
        }
    }

    pub fn has(self, letter: Letter) -> bool {
        self.bits & Self::bit(letter) != 0
    }

    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    pub fn list(self) -> Vec<Letter> {
        Letter::ALL.iter().copied().filter(|l| self.has(*l)).collect()
    }
}

impl FromIterator<Letter> for Letters {
    fn from_iter<I: IntoIterator<Item = Letter>>(iter: I) -> Self {
        Letters { bits: iter.into_iter().fold(0, |bits, l| bits | Letters::bit(l)) }
    }
}

/// A checklist item inside a task, owned by one party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDef {
    pub key: String,
    pub owner: Party,
    pub label: String,
}

/// One row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDef {
    pub key: String,
    pub title: String,
    pub vendor: Letters,
    pub subscriber: Letters,
    /// The seed's cells, verbatim (letters with their qualifiers).
    pub vendor_cell: String,
    pub subscriber_cell: String,
    pub notes: String,
    /// Where the matrix names a role: the party it applies to and the role.
    pub role_rule: Option<(Party, Role)>,
    pub recurring: bool,
    pub kind: RowKind,
    /// Whether `task waive` may skip it.
    pub waivable: bool,
    pub predecessors: Vec<String>,
    pub items: Vec<ItemDef>,
}

impl TaskDef {
    pub fn letters(&self, party: Party) -> Letters {
        match party {
            Party::Vendor => self.vendor,
            Party::Subscriber => self.subscriber,
        }
    }

    /// The parties holding a letter, vendor first.
    pub fn holders(&self, letter: Letter) -> Vec<Party> {
        Party::ALL.iter().copied().filter(|p| self.letters(*p).has(letter)).collect()
    }

    /// Who signs off: the A parties, or the R parties where the task has no A.
    pub fn approvers(&self) -> Vec<Party> {
        let accountable = self.holders(Letter::A);
        if accountable.is_empty() { self.holders(Letter::R) } else { accountable }
    }

    /// Where a recurring row's work is done instead of `raci task`.
    /// Where a recurring row's work is done, and the command for it.
    pub fn recurring_work(&self) -> (&'static str, &'static str) {
        match self.kind {
            RowKind::Tickets | RowKind::Resolution => ("support tickets", "raci ticket"),
            _ => ("update cycles", "raci update"),
        }
    }

    pub fn item(&self, key: &str) -> Option<&ItemDef> {
        self.items.iter().find(|i| i.key == key)
    }
}

/// The whole template: the vendor's display name and the rows in seed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub vendor_name: String,
    pub tasks: Vec<TaskDef>,
}

impl Matrix {
    pub fn task(&self, key: &str) -> Option<&TaskDef> {
        self.tasks.iter().find(|t| t.key == key)
    }

    /// The row of a special kind (the first, should a template have two).
    pub fn of_kind(&self, kind: RowKind) -> Option<&TaskDef> {
        self.tasks.iter().find(|t| t.kind == kind)
    }

    /// The accepted task keys, for error messages.
    pub fn task_keys(&self) -> String {
        self.tasks.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(", ")
    }
}
