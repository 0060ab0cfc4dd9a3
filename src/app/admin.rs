//! Administration: people and installations. These record the acting person
//! when one is given and do not require one.

use super::{Context, Recorder, acting_if_given};
use crate::domain::values::{Id, Text};
use crate::domain::{Party, Role};
use crate::error::{Error, Result};
use crate::store::{Event, Installation, Person, Store, Tx};

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub handle: Id,
    pub party: Party,
    pub role: Role,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub subscriber: Option<Text>,
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
    new.validate()?;
    store.write(|tx| add_person_in(tx, ctx, new))
}

/// [`add_person`] inside a transaction the caller holds.
pub fn add_person_in(tx: &Tx<'_>, ctx: &Context, new: &NewPerson) -> Result<Vec<Event>> {
    let actor = acting_if_given(tx, ctx)?;
    if tx.person(new.handle.as_str())?.is_some() {
        return Err(Error::conflict(format!(
            "person {:?} already exists; choose another handle",
            new.handle.as_str()
        )));
    }
    tx.insert_person(&Person {
        handle: new.handle.to_string(),
        name: new.name.as_ref().map(Text::to_string),
        email: new.email.as_ref().map(Text::to_string),
        party: new.party,
        role: new.role,
        subscriber: new.subscriber.as_ref().map(Text::to_string),
        login: None,
        created_at: ctx.stamp(),
    })?;
    let mut rec = Recorder::new(ctx, actor.as_ref());
    rec.record(tx, None, "person-add", |e| {
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

fn insert_installation(
    tx: &Tx<'_>,
    rec: &mut Recorder<'_>,
    new: &NewInstallation,
) -> Result<()> {
    if tx.installation(new.id.as_str())?.is_some() {
        return Err(Error::conflict(format!(
            "installation {:?} already exists; choose another ID",
            new.id.as_str()
        )));
    }
    tx.insert_installation(&Installation {
        id: new.id.to_string(),
        subscriber: new.subscriber.to_string(),
        appliance_id: new.appliance_id.as_ref().map(Text::to_string),
        created_at: rec.ctx.stamp(),
    })?;
    rec.record(tx, Some(new.id.as_str()), "installation-add", |e| {
        e.note = Some(format!("subscriber {}", new.subscriber));
    })
}
