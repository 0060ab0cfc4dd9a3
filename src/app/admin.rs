//! Administration: people and installations, by active administrators
//! (see `domain::authority` for who administers whom). The vendor's first
//! administrator is added without one: the bootstrap.

use super::{
    Context, Recorder, acting, acting_if_given, find_person, no_person, visible_installation,
};
use crate::domain::authority::{self, Org, Target};
use crate::domain::ledger::Change;
use crate::domain::values::{Id, Text};
use crate::domain::{Party, Role};
use crate::error::{Error, Result};
use crate::store::{Event, Person, Store, Tx};

/// `person add`, and the API's `POST /people`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub handle: Id,
    pub party: Party,
    pub role: Role,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub subscriber: Option<Text>,
    /// The OS account the person must act from, if bound.
    pub login: Option<Id>,
    /// An administrator of their organisation (always so in the bootstrap).
    #[serde(default)]
    pub admin: bool,
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
            check_email(email)?;
        }
        Ok(())
    }
}

/// A plausible email address.
fn check_email(email: &Text) -> Result<()> {
    let ok = email.as_str().split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && host.contains('.') && !email.as_str().contains(' ')
    });
    if !ok {
        return Err(Error::bad_input(format!(
            "invalid email {:?}; expected an address like name@example.com",
            email.as_str()
        )));
    }
    Ok(())
}

pub fn add_person(store: &mut Store, ctx: &Context, new: &NewPerson) -> Result<Vec<Event>> {
    store.write(|tx| add_person_in(tx, ctx, new))
}

/// [`add_person`] inside a transaction the caller holds.
pub fn add_person_in(tx: &Tx<'_>, ctx: &Context, new: &NewPerson) -> Result<Vec<Event>> {
    new.validate()?;
    let admins = tx.active_admins()?;
    let (actor, admin) = if authority::bootstrapping(&admins) {
        let actor = acting_if_given(tx, ctx)?;
        authority::bootstrap_party(new.party)?;
        (actor, true)
    } else {
        let (actor, _) = acting(tx, ctx)?;
        let org = Org::new(new.party, new.subscriber.as_ref().map(Text::as_str));
        let target = Target {
            handle: new.handle.as_str(),
            org,
            exists: false,
            org_has_admin: authority::has_admin(&admins, org, None),
        };
        authority::may_manage_person(&actor, &target)
            .into_result(|| no_person(new.handle.as_str()))?;
        (Some(actor), new.admin)
    };
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
        admin,
    };
    let mut rec = Recorder::new(ctx, actor.as_ref());
    rec.record(tx, None, "person-add", Some(change), |e| {
        let admin = if admin { ", administrator" } else { "" };
        e.note = Some(format!("{} ({} {}){admin}", new.handle, new.party, new.role));
    })?;
    rec.finish(tx)
}

/// The administrator who may manage the existing person `handle`, and that
/// person. In the bootstrap (no active vendor administrator), the vendor's
/// people are managed without one, as the first one could be added.
fn manage_existing(tx: &Tx<'_>, ctx: &Context, handle: &str) -> Result<(Option<Person>, Person)> {
    let admins = tx.active_admins()?;
    if authority::bootstrapping(&admins) && ctx.acting.is_none() {
        let target = find_person(tx, handle)?;
        authority::bootstrap_party(target.party)?;
        return Ok((None, target));
    }
    let (actor, _) = acting(tx, ctx)?;
    // Someone who administers nothing learns nothing about who exists.
    authority::administrator(&actor).into_result(|| no_person(handle))?;
    let target = find_person(tx, handle)?;
    authority::may_manage_existing(&actor, &target, &admins).into_result(|| no_person(handle))?;
    Ok((Some(actor), target))
}

/// One `raci person set`: the fields given change, the others stay.
#[derive(Debug, Clone)]
pub struct PersonChange {
    pub handle: Id,
    pub role: Option<Role>,
    pub admin: Option<bool>,
    pub name: Option<Text>,
    pub email: Option<Text>,
    /// `Some(None)` removes the login binding.
    pub login: Option<Option<Id>>,
}

pub fn set_person(store: &mut Store, ctx: &Context, req: &PersonChange) -> Result<Vec<Event>> {
    store.write(|tx| set_person_in(tx, ctx, req))
}

/// [`set_person`] inside a transaction the caller holds.
pub fn set_person_in(tx: &Tx<'_>, ctx: &Context, req: &PersonChange) -> Result<Vec<Event>> {
    if req.role.is_none()
        && req.admin.is_none()
        && req.name.is_none()
        && req.email.is_none()
        && req.login.is_none()
    {
        return Err(Error::bad_input(
            "nothing to change; give a role, the admin flag, a name, an email or a login",
        ));
    }
    if let Some(email) = &req.email {
        check_email(email)?;
    }
    let (actor, target) = manage_existing(tx, ctx, req.handle.as_str())?;
    let role = req.role.unwrap_or(target.role);
    authority::check_role(&target, role)?;
    let admin = req.admin.unwrap_or(target.admin);
    if !admin {
        authority::may_step_down(&target, &tx.active_admins()?, "lose admin")?;
    }
    let name = req.name.as_ref().map(Text::to_string).or(target.name.clone());
    let email = req.email.as_ref().map(Text::to_string).or(target.email.clone());
    let login = match &req.login {
        Some(login) => login.as_ref().map(Id::to_string),
        None => target.login.clone(),
    };
    let mut said = Vec::new();
    if role != target.role {
        said.push(format!("role {} (was {})", role, target.role));
    }
    if admin != target.admin {
        said.push(if admin { "administrator".into() } else { "no longer administrator".into() });
    }
    if name != target.name {
        said.push(format!("name {}", name.as_deref().unwrap_or("-")));
    }
    if email != target.email {
        said.push(format!("email {}", email.as_deref().unwrap_or("-")));
    }
    if login != target.login {
        said.push(match &login {
            Some(login) => format!("login {login}"),
            None => "no login".into(),
        });
    }
    // Asking for what already is changes nothing, and the ledger holds
    // only changes.
    if said.is_empty() {
        return Ok(Vec::new());
    }
    let change =
        Change::PersonSet { handle: target.handle.clone(), role, admin, name, email, login };
    let mut rec = Recorder::new(ctx, actor.as_ref());
    rec.record(tx, None, "person-set", Some(change), |e| {
        e.note = Some(format!("{}: {}", target.handle, said.join(", ")));
    })?;
    rec.finish(tx)
}

pub fn deactivate_person(
    store: &mut Store,
    ctx: &Context,
    handle: &Id,
    reason: &Text,
) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (actor, target) = need_admin(manage_existing(tx, ctx, handle.as_str())?)?;
        if !target.active {
            return Err(Error::conflict(format!("{} is already deactivated", target.handle)));
        }
        authority::may_step_down(&target, &tx.active_admins()?, "be deactivated")?;
        let change =
            Change::PersonDeactivated { handle: target.handle.clone(), reason: reason.to_string() };
        let mut rec = Recorder::new(ctx, Some(&actor));
        rec.record(tx, None, "person-deactivate", Some(change), |e| {
            e.note = Some(format!("{}: {reason}", target.handle));
        })?;
        rec.finish(tx)
    })
}

pub fn reactivate_person(store: &mut Store, ctx: &Context, handle: &Id) -> Result<Vec<Event>> {
    store.write(|tx| {
        let (actor, target) = need_admin(manage_existing(tx, ctx, handle.as_str())?)?;
        if target.active {
            return Err(Error::conflict(format!(
                "{} is active; nothing to reactivate",
                target.handle
            )));
        }
        let change = Change::PersonReactivated { handle: target.handle.clone() };
        let mut rec = Recorder::new(ctx, Some(&actor));
        rec.record(tx, None, "person-reactivate", Some(change), |e| {
            e.note = Some(target.handle.clone());
        })?;
        rec.finish(tx)
    })
}

/// Deactivating and reactivating always name an administrator, bootstrap or not.
/// The acting administrator and the existing person they may manage.
pub(super) fn manage_existing_admin(
    tx: &Tx<'_>,
    ctx: &Context,
    handle: &str,
) -> Result<(Person, Person)> {
    need_admin(manage_existing(tx, ctx, handle)?)
}

fn need_admin((actor, target): (Option<Person>, Person)) -> Result<(Person, Person)> {
    match actor {
        Some(actor) => Ok((actor, target)),
        None => Err(super::nobody_acting()),
    }
}

/// The acting vendor administrator, for installations.
fn installation_admin(tx: &Tx<'_>, ctx: &Context) -> Result<Person> {
    let (actor, _) = acting(tx, ctx)?;
    authority::may_manage_installations(&actor).into_result(|| no_person(&actor.handle))?;
    Ok(actor)
}

/// `installation add`, and the API's `POST /installations`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    let actor = installation_admin(tx, ctx)?;
    let mut rec = Recorder::new(ctx, Some(&actor));
    insert_installation(tx, &mut rec, new)?;
    rec.finish(tx)
}

/// Retires an installation (`reason` given) or unretires it (`None`).
pub fn retire_installation(
    store: &mut Store,
    ctx: &Context,
    id: &Id,
    reason: Option<&Text>,
) -> Result<Vec<Event>> {
    store.write(|tx| retire_installation_in(tx, ctx, id, reason))
}

/// [`retire_installation`] inside a transaction the caller holds.
pub fn retire_installation_in(
    tx: &Tx<'_>,
    ctx: &Context,
    id: &Id,
    reason: Option<&Text>,
) -> Result<Vec<Event>> {
    let (actor, _) = acting(tx, ctx)?;
    let inst = visible_installation(tx, Some(&actor), id.as_str())?;
    authority::may_manage_installations(&actor).into_result(|| no_person(&actor.handle))?;
    let retire = reason.is_some();
    if inst.retired == retire {
        return Err(Error::conflict(format!(
            "installation {} is {}",
            inst.id,
            if retire { "already retired" } else { "not retired; nothing to unretire" }
        )));
    }
    let (action, change) = match reason {
        Some(reason) => {
            ("installation-retire", Change::InstallationRetired { reason: reason.to_string() })
        }
        None => ("installation-unretire", Change::InstallationUnretired),
    };
    let mut rec = Recorder::new(ctx, Some(&actor));
    rec.record(tx, Some(&inst.id), action, Some(change), |e| {
        e.note = reason.map(Text::to_string);
    })?;
    rec.finish(tx)
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
    import_from(store, ctx, file, path)
}

/// [`import_installations`] from any reader, `path` naming it in messages.
pub fn import_from(
    store: &mut Store,
    ctx: &Context,
    input: impl std::io::Read,
    path: &std::path::Path,
) -> Result<usize> {
    let rows = parse_import(input, path)?;
    store.write(|tx| {
        let actor = installation_admin(tx, ctx)?;
        let mut rec = Recorder::new(ctx, Some(&actor));
        for (line, new) in &rows {
            insert_installation(tx, &mut rec, new).map_err(|e| {
                Error::new(
                    e.kind,
                    format!("{} line {line}: {}; nothing was imported", path.display(), e.message),
                )
            })?;
        }
        rec.finish(tx)?;
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
        let ctx =
            Context { now: chrono::Utc::now(), acting: None, os_user: None, ..Context::default() };
        let vendor_with_subscriber = NewPerson {
            handle: "v".parse().expect("id"),
            party: Party::Vendor,
            role: Role::SupportEngineer,
            name: None,
            email: None,
            subscriber: Some("Acme".parse().expect("text")),
            login: None,
            admin: false,
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
