//! Administration: people and installations. These record the acting person
//! when one is given and do not require one.

use super::{Context, Recorder, acting_if_given};
use crate::domain::ledger::Change;
use crate::domain::values::{Id, Text};
use crate::domain::{Party, Role};
use crate::error::{Error, Result};
use crate::store::{Event, Store, Tx};

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub handle: Id,
    pub party: Party,
    pub role: Role,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub subscriber: Option<Text>,
    /// The OS account the person must act from, if bound.
    pub login: Option<Id>,
}

impl NewPerson {
    /// The rules of a person that need no database: a role of their own
    /// party, a subscriber exactly for a subscriber's person, a plausible email.
    fn validate(&self) -> Result<()> {
        if self.role.party() != self.party {
            return Err(Error::bad_input(format!(
                "role {} is a {} role; the {} roles are: {}",
                self.role,
                self.role.party(),
                self.party,
                Role::of(self.party)
            )));
        }
        match (self.party, &self.subscriber) {
            (Party::Subscriber, None) => {
                return Err(Error::bad_input(
                    "a subscriber's person needs --subscriber NAME, the subscriber they belong to",
                ));
            }
            (Party::Vendor, Some(_)) => {
                return Err(Error::bad_input(
                    "--subscriber is only for a subscriber's person; the vendor's people act on every installation",
                ));
            }
            _ => {}
        }
        if let Some(email) = &self.email {
            let ok = email.as_str().split_once('@').is_some_and(|(user, host)| {
                !user.is_empty() && host.contains('.') && !email.as_str().contains(' ')
            });
            if !ok {
                return Err(Error::bad_input(format!(
                    "invalid email {:?}; expected an address like name@example.com",
                    email.as_str()
                )));
            }
        }
        Ok(())
    }
}

pub fn add_person(store: &mut Store, ctx: &Context, new: &NewPerson) -> Result<Vec<Event>> {
    store.write(|tx| add_person_in(tx, ctx, new))
}

/// [`add_person`] inside a transaction the caller holds.
pub fn add_person_in(tx: &Tx<'_>, ctx: &Context, new: &NewPerson) -> Result<Vec<Event>> {
    new.validate()?;
    let actor = acting_if_given(tx, ctx)?;
    if let Some(existing) = tx.person_like(new.handle.as_str())? {
        return Err(Error::conflict(format!(
            "person {existing:?} already exists (handles are unique ignoring case); choose another handle than {:?}",
            new.handle.as_str()
        )));
    }
    let change = Change::PersonAdded {
        handle: new.handle.to_string(),
        party: new.party,
        role: new.role,
        name: new.name.as_ref().map(Text::to_string),
        email: new.email.as_ref().map(Text::to_string),
        subscriber: new.subscriber.as_ref().map(Text::to_string),
        login: new.login.as_ref().map(Id::to_string),
        admin: false,
    };
    let mut rec = Recorder::new(ctx, actor.as_ref());
    rec.record(tx, None, "person-add", Some(change), |e| {
        e.note = Some(format!("{} ({} {})", new.handle, new.party, new.role));
    })?;
    Ok(rec.finish())
}

#[derive(Debug, Clone)]
pub struct NewInstallation {
    pub id: Id,
    pub subscriber: Text,
    pub appliance_id: Option<Text>,
}

pub fn add_installation(
    store: &mut Store,
    ctx: &Context,
    new: &NewInstallation,
) -> Result<Vec<Event>> {
    store.write(|tx| add_installation_in(tx, ctx, new))
}

/// [`add_installation`] inside a transaction the caller holds.
pub fn add_installation_in(
    tx: &Tx<'_>,
    ctx: &Context,
    new: &NewInstallation,
) -> Result<Vec<Event>> {
    let actor = acting_if_given(tx, ctx)?;
    let mut rec = Recorder::new(ctx, actor.as_ref());
    insert_installation(tx, &mut rec, new)?;
    Ok(rec.finish())
}

fn insert_installation(tx: &Tx<'_>, rec: &mut Recorder<'_>, new: &NewInstallation) -> Result<()> {
    if let Some(existing) = tx.installation_like(new.id.as_str())? {
        return Err(Error::conflict(format!(
            "installation {existing:?} already exists (IDs are unique ignoring case); choose another ID than {:?}",
            new.id.as_str()
        )));
    }
    let change = Change::InstallationAdded {
        subscriber: new.subscriber.to_string(),
        appliance_id: new.appliance_id.as_ref().map(Text::to_string),
    };
    rec.record(tx, Some(new.id.as_str()), "installation-add", Some(change), |e| {
        e.note = Some(format!("subscriber {}", new.subscriber));
    })
}

/// Adds every installation of a CSV file (columns `id`, `subscriber`,
/// `appliance_id`) in one transaction: all of them, or none when any line is
/// malformed (exit 2) or a duplicate (exit 5), naming that line.
pub fn import_installations(
    store: &mut Store,
    ctx: &Context,
    path: &std::path::Path,
) -> Result<usize> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::bad_input(format!("cannot read {}: {e}; expected a CSV file", path.display()))
    })?;
    let rows = parse_import(file, path)?;
    store.write(|tx| {
        let actor = acting_if_given(tx, ctx)?;
        let mut rec = Recorder::new(ctx, actor.as_ref());
        for (line, new) in &rows {
            insert_installation(tx, &mut rec, new).map_err(|e| {
                Error::new(
                    e.kind,
                    format!("{} line {line}: {}; nothing was imported", path.display(), e.message),
                )
            })?;
        }
        Ok(rows.len())
    })
}

/// Reads and validates the whole file before anything is written.
fn parse_import(
    input: impl std::io::Read,
    path: &std::path::Path,
) -> Result<Vec<(u64, NewInstallation)>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let bad = |line: u64, what: String| {
        Error::bad_input(format!("{} line {line}: {what}", path.display()))
    };
    let headers = reader
        .headers()
        .map_err(|e| bad(1, format!("{e}")))?
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let column = |name: &str| headers.iter().position(|h| h == name);
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(bad(
                1,
                format!(
                    "the column {h:?} appears twice; expected each of id, subscriber, appliance_id once"
                ),
            ));
        }
        if !["id", "subscriber", "appliance_id"].contains(&h.as_str()) {
            return Err(bad(
                1,
                format!("unknown column {h:?}; expected the columns id, subscriber, appliance_id"),
            ));
        }
    }
    let (Some(id_col), Some(sub_col)) = (column("id"), column("subscriber")) else {
        return Err(bad(
            1,
            "the header needs the columns id and subscriber (appliance_id is optional)".into(),
        ));
    };
    let app_col = column("appliance_id");
    let mut rows: Vec<(u64, NewInstallation)> = Vec::new();
    // Keyed ignoring ASCII case, as installation IDs are unique.
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            bad(line, format!("{e}"))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |i: usize| record.get(i).unwrap_or("");
        let new = NewInstallation {
            id: field(id_col).parse().map_err(|e: Error| bad(line, e.message))?,
            subscriber: field(sub_col).parse().map_err(|e: Error| bad(line, e.message))?,
            appliance_id: match app_col.map(field) {
                None | Some("") => None,
                Some(text) => Some(text.parse().map_err(|e: Error| bad(line, e.message))?),
            },
        };
        if let Some(first) = seen.insert(new.id.as_str().to_ascii_lowercase(), line) {
            return Err(Error::conflict(format!(
                "{} line {line}: installation {:?} repeats line {first}; nothing was imported",
                path.display(),
                new.id.as_str()
            )));
        }
        rows.push((line, new));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    /// The checks live with the use case, so a batch calling the `_in`
    /// function inside its own transaction cannot skip them.
    #[test]
    fn add_person_in_validates_its_request() {
        let mut store = Store::open_in_memory().expect("store");
        let ctx = Context { now: chrono::Utc::now(), acting: None, os_user: None };
        let vendor_with_subscriber = NewPerson {
            handle: "v".parse().expect("id"),
            party: Party::Vendor,
            role: Role::SupportEngineer,
            name: None,
            email: None,
            subscriber: Some("Acme".parse().expect("text")),
            login: None,
        };
        let err = store
            .write(|tx| add_person_in(tx, &ctx, &vendor_with_subscriber))
            .expect_err("refused");
        assert_eq!(err.kind, Kind::BadInput);
        let wrong_role =
            NewPerson { subscriber: None, role: Role::Administrator, ..vendor_with_subscriber };
        let err = store.write(|tx| add_person_in(tx, &ctx, &wrong_role)).expect_err("refused");
        assert_eq!(err.kind, Kind::BadInput);
        assert!(store.read(|tx| tx.persons()).expect("persons").is_empty());
    }
}
