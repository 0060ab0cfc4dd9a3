//! Views for output: the rows raci prints, built for the JSON contract of
//! PRODUCT.md (field names are stable; more may be added, none renamed).
//! They are separate from domain and store types so the contract holds while
//! the internals change. `Default` gives the column names of an empty list.

use serde::Serialize;

use crate::domain::{Letter, Party, Role, TaskState};
use crate::store::{Event, Installation, Person};

#[derive(Debug, Default, Serialize)]
pub struct StatusView {
    pub installation: String,
    pub subscriber: String,
    pub appliance_id: Option<String>,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Default, Serialize)]
pub struct TaskView {
    pub task: String,
    pub state: Option<TaskState>,
    pub responsible: Vec<Party>,
    pub accountable: Vec<Party>,
    pub next_move: Option<Party>,
    pub due: Option<String>,
    pub overdue: bool,
    pub since: String,
}

#[derive(Debug, Default, Serialize)]
pub struct InstallationView {
    pub id: String,
    pub subscriber: String,
    pub appliance_id: Option<String>,
    pub created_at: String,
}

impl From<Installation> for InstallationView {
    fn from(i: Installation) -> Self {
        InstallationView {
            id: i.id,
            subscriber: i.subscriber,
            appliance_id: i.appliance_id,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct PersonView {
    pub handle: String,
    pub name: Option<String>,
    pub party: Option<Party>,
    pub role: Option<Role>,
    pub subscriber: Option<String>,
    pub email: Option<String>,
    pub login: Option<String>,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        PersonView {
            handle: p.handle,
            name: p.name,
            party: Some(p.party),
            role: Some(p.role),
            subscriber: p.subscriber,
            email: p.email,
            login: p.login,
        }
    }
}

/// One row of the matrix as JSON: the seed's row with letters as arrays.
#[derive(Debug, Default, Serialize)]
pub struct MatrixRowView {
    pub task: String,
    pub title: String,
    pub vendor: Vec<Letter>,
    pub subscriber: Vec<Letter>,
    pub notes: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ItemView {
    pub task: String,
    pub item: String,
    pub owner: Option<Party>,
    pub checked: bool,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub installation: Option<String>,
    pub actor: Option<String>,
    pub party: Option<Party>,
    pub role: Option<Role>,
    pub action: String,
    pub task: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            id: e.id,
            at: e.at,
            installation: e.installation,
            actor: e.actor,
            party: e.party,
            role: e.role,
            action: e.action,
            task: e.task,
            from: e.from,
            to: e.to,
            note: e.note,
        }
    }
}
