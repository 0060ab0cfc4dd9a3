//! Authority: who administers whom, and who sees which installations. Pure
//! functions of the people involved; the app gathers the facts (the acting
//! person, the target, whether the target's organisation has an active
//! administrator) inside its transaction and asks here.
//!
//! Organisations are the vendor and each subscriber, by name as
//! [`same_subscriber`] compares them. The vendor's administrators manage the
//! vendor's people and the installations, and onboard a subscriber that has
//! no active administrator yet; from then on only the subscriber's own
//! administrators manage its people.

use super::records::Person;
use super::rules::same_subscriber;
use super::{Party, Role};
use crate::error::{Error, Result};

/// An organisation: the vendor, or one subscriber by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Org<'a> {
    Vendor,
    Subscriber(&'a str),
}

impl<'a> Org<'a> {
    pub fn new(party: Party, subscriber: Option<&'a str>) -> Self {
        match party {
            Party::Vendor => Org::Vendor,
            Party::Subscriber => Org::Subscriber(subscriber.unwrap_or("")),
        }
    }

    pub fn of(person: &'a Person) -> Self {
        Org::new(person.party, person.subscriber.as_deref())
    }

    /// The same organisation, subscriber names compared as the rules do.
    pub fn is(self, other: Org<'_>) -> bool {
        match (self, other) {
            (Org::Vendor, Org::Vendor) => true,
            (Org::Subscriber(a), Org::Subscriber(b)) => same_subscriber(a, b),
            _ => false,
        }
    }

    /// In words: `the vendor`, or `subscriber "NAME"`.
    pub fn describe(self) -> String {
        match self {
            Org::Vendor => "the vendor".into(),
            Org::Subscriber(name) => format!("subscriber {name:?}"),
        }
    }
}

/// What authority says about one administrative step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Not permitted (exit 3), saying why.
    Refused(String),
    /// The target is hidden from the actor: answer as if it did not exist (exit 4).
    Hidden,
}

impl Decision {
    /// As a result: `hidden` is the error the caller gives for a target that
    /// does not exist, so the two cannot be told apart.
    pub fn into_result(self, hidden: impl FnOnce() -> Error) -> Result<()> {
        match self {
            Decision::Allowed => Ok(()),
            Decision::Refused(why) => Err(Error::not_permitted(why)),
            Decision::Hidden => Err(hidden()),
        }
    }
}

/// A person who has been deactivated can no longer act.
pub fn may_act(person: &Person) -> Result<()> {
    if !person.active {
        return Err(Error::not_permitted(format!(
            "{} has been deactivated and can no longer act",
            person.handle
        )));
    }
    Ok(())
}

/// An active administrator, whatever they administer.
pub fn administrator(actor: &Person) -> Decision {
    if !actor.active {
        Decision::Refused(format!("{} has been deactivated and can no longer act", actor.handle))
    } else if !actor.admin {
        Decision::Refused(format!(
            "administration is for administrators; {} is not an administrator of {}",
            actor.handle,
            Org::of(actor).describe()
        ))
    } else {
        Decision::Allowed
    }
}

/// Adding, importing, retiring and unretiring installations: the vendor's
/// administrators.
pub fn may_manage_installations(actor: &Person) -> Decision {
    match administrator(actor) {
        Decision::Allowed if actor.party == Party::Vendor => Decision::Allowed,
        Decision::Allowed => Decision::Refused(format!(
            "installations are added, retired and unretired by the vendor's administrators; {} administers {}",
            actor.handle,
            Org::of(actor).describe()
        )),
        other => other,
    }
}

/// The person administered: their organisation, whether they exist yet, and
/// whether their organisation has an active administrator.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub handle: &'a str,
    pub org: Org<'a>,
    /// False when the person is being added.
    pub exists: bool,
    /// Whether the target's organisation has an active administrator.
    pub org_has_admin: bool,
}

/// May `actor` add or change `target`? The vendor's administrators manage the
/// vendor's people, and a subscriber's until it has an active administrator;
/// a subscriber's administrators manage their own subscriber's people. An
/// existing person of another subscriber is hidden from a subscriber's
/// administrator.
pub fn may_manage_person(actor: &Person, target: &Target<'_>) -> Decision {
    if let refused @ (Decision::Refused(_) | Decision::Hidden) = administrator(actor) {
        return refused;
    }
    let own = Org::of(actor);
    if own.is(target.org) {
        return Decision::Allowed;
    }
    match (own, target.org) {
        (Org::Vendor, Org::Subscriber(_)) if !target.org_has_admin => Decision::Allowed,
        (Org::Vendor, Org::Subscriber(name)) => Decision::Refused(format!(
            "subscriber {name:?} has its own administrators, and only they manage its people; {} is the vendor's",
            actor.handle
        )),
        (Org::Subscriber(_), Org::Subscriber(_)) if target.exists => Decision::Hidden,
        (Org::Subscriber(_), other) => Decision::Refused(format!(
            "{} administers {} and manages only its people; {} {} of {}",
            actor.handle,
            own.describe(),
            target.handle,
            if target.exists { "is" } else { "would be" },
            other.describe()
        )),
        (Org::Vendor, Org::Vendor) => Decision::Allowed,
    }
}

/// May `actor` manage `target`, an existing person, given the active
/// administrators (whose presence decides who manages a subscriber)?
pub fn may_manage_existing(actor: &Person, target: &Person, active_admins: &[Person]) -> Decision {
    let org = Org::of(target);
    let facts = Target {
        handle: &target.handle,
        org,
        exists: true,
        org_has_admin: has_admin(active_admins, org, None),
    };
    may_manage_person(actor, &facts)
}

/// Whether the bootstrap applies: no active administrator of the vendor
/// exists (a new database, or one upgraded from before administrators).
pub fn bootstrapping(active_admins: &[Person]) -> bool {
    !active_admins.iter().any(|p| p.party == Party::Vendor && p.active && p.admin)
}

/// The bootstrap adds the vendor's first administrator, and only that.
pub fn bootstrap_party(party: Party) -> Result<()> {
    if party != Party::Vendor {
        return Err(Error::conflict(
            "the vendor has no administrator yet, so the first person must be the vendor's (who becomes its administrator); add the subscriber's people after that",
        ));
    }
    Ok(())
}

/// Whether `org` has an active administrator among `active_admins`, not
/// counting `except`.
pub fn has_admin(active_admins: &[Person], org: Org<'_>, except: Option<&str>) -> bool {
    active_admins
        .iter()
        .any(|p| p.active && p.admin && Org::of(p).is(org) && Some(p.handle.as_str()) != except)
}

/// The last active administrator of an organisation keeps the role: they
/// cannot be deactivated or lose `admin` while nobody else holds it.
pub fn may_step_down(target: &Person, active_admins: &[Person], what: &str) -> Result<()> {
    let org = Org::of(target);
    if target.active && target.admin && !has_admin(active_admins, org, Some(&target.handle)) {
        return Err(Error::conflict(format!(
            "{} is the last active administrator of {}, so they cannot {what}; make someone else an administrator first",
            target.handle,
            org.describe()
        )));
    }
    Ok(())
}

/// A role of the person's own party (party and subscriber never change).
pub fn check_role(person: &Person, role: Role) -> Result<()> {
    if role.party() != person.party {
        return Err(Error::bad_input(format!(
            "role {role} is a {} role and {} is the {}'s; the {} roles are: {}",
            role.party(),
            person.handle,
            person.party,
            person.party,
            Role::of(person.party)
        )));
    }
    Ok(())
}

/// Whether `viewer` (none: whoever runs raci locally) sees an installation of
/// `subscriber`: the vendor's people and no one in particular see all; a
/// subscriber's person only their subscriber's.
pub fn sees(viewer: Option<&Person>, subscriber: &str) -> bool {
    match viewer {
        None => true,
        Some(p) => match Org::of(p) {
            Org::Vendor => true,
            Org::Subscriber(own) => same_subscriber(own, subscriber),
        },
    }
}

/// Whether `viewer` sees the installations of every subscriber.
pub fn sees_every_subscriber(viewer: Option<&Person>) -> bool {
    viewer.is_none_or(|p| matches!(Org::of(p), Org::Vendor))
}

/// Whether `viewer` sees a person: a subscriber's person sees the vendor's
/// people and their own subscriber's.
pub fn sees_person(viewer: Option<&Person>, person: &Person) -> bool {
    match Org::of(person) {
        Org::Vendor => true,
        Org::Subscriber(name) => sees(viewer, name),
    }
}

/// The answer for an installation that does not exist or is hidden from the
/// viewer: the same in both cases.
pub fn no_installation(id: &str) -> Error {
    Error::not_found(format!("no installation {id:?}"))
}

/// A retired installation takes no writes but its unretirement.
pub fn may_write_to(id: &str, retired: bool) -> Result<()> {
    if retired {
        return Err(Error::conflict(format!(
            "installation {id} is retired and takes no more changes; a vendor administrator can unretire it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn person(handle: &str, party: Party, subscriber: Option<&str>, admin: bool) -> Person {
        Person {
            handle: handle.into(),
            name: None,
            email: None,
            party,
            role: match party {
                Party::Vendor => Role::CustomerSuccessEngineer,
                Party::Subscriber => Role::InfrastructureEngineer,
            },
            subscriber: subscriber.map(str::to_string),
            login: None,
            created_at: String::new(),
            admin,
            active: true,
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum D {
        Allowed,
        Refused,
        Hidden,
    }

    fn short(d: Decision) -> D {
        match d {
            Decision::Allowed => D::Allowed,
            Decision::Refused(_) => D::Refused,
            Decision::Hidden => D::Hidden,
        }
    }

    #[test]
    fn who_manages_whom() {
        let vendor_admin = person("va", Party::Vendor, None, true);
        let vendor_cse = person("cse", Party::Vendor, None, false);
        let acme_admin = person("aa", Party::Subscriber, Some("Acme"), true);
        let acme_dev = person("ad", Party::Subscriber, Some("Acme"), false);
        let mut gone = vendor_admin.clone();
        gone.active = false;
        use D::*;
        // (actor, target org, target exists, target org has an admin, decision)
        let cases: &[(&Person, Org<'_>, bool, bool, D)] = &[
            (&vendor_admin, Org::Vendor, false, true, Allowed),
            (&vendor_admin, Org::Vendor, true, true, Allowed),
            (&vendor_admin, Org::Subscriber("Acme"), false, false, Allowed),
            (&vendor_admin, Org::Subscriber("Acme"), true, false, Allowed),
            (&vendor_admin, Org::Subscriber("Acme"), false, true, Refused),
            (&vendor_admin, Org::Subscriber("Acme"), true, true, Refused),
            (&acme_admin, Org::Subscriber("Acme"), false, true, Allowed),
            (&acme_admin, Org::Subscriber("ACME"), true, true, Allowed),
            (&acme_admin, Org::Subscriber("Globex"), false, false, Refused),
            (&acme_admin, Org::Subscriber("Globex"), true, false, Hidden),
            (&acme_admin, Org::Subscriber("Globex"), true, true, Hidden),
            (&acme_admin, Org::Vendor, false, true, Refused),
            (&acme_admin, Org::Vendor, true, true, Refused),
            (&vendor_cse, Org::Vendor, false, true, Refused),
            (&acme_dev, Org::Subscriber("Acme"), false, true, Refused),
            (&gone, Org::Vendor, true, true, Refused),
        ];
        for (actor, org, exists, org_has_admin, want) in cases {
            let target =
                Target { handle: "t", org: *org, exists: *exists, org_has_admin: *org_has_admin };
            assert_eq!(
                short(may_manage_person(actor, &target)),
                *want,
                "{} on {org:?} exists={exists} has_admin={org_has_admin}",
                actor.handle
            );
        }
    }

    #[test]
    fn only_the_vendors_administrators_manage_installations() {
        let mut vendor_admin = person("va", Party::Vendor, None, true);
        assert_eq!(short(may_manage_installations(&vendor_admin)), D::Allowed);
        let acme_admin = person("aa", Party::Subscriber, Some("Acme"), true);
        assert_eq!(short(may_manage_installations(&acme_admin)), D::Refused);
        let cse = person("cse", Party::Vendor, None, false);
        assert_eq!(short(may_manage_installations(&cse)), D::Refused);
        vendor_admin.active = false;
        assert_eq!(short(may_manage_installations(&vendor_admin)), D::Refused);
    }

    #[test]
    fn the_bootstrap_is_for_the_vendor_while_it_has_no_active_administrator() {
        assert!(bootstrapping(&[]));
        let acme_admin = person("aa", Party::Subscriber, Some("Acme"), true);
        assert!(bootstrapping(std::slice::from_ref(&acme_admin)));
        let vendor_admin = person("va", Party::Vendor, None, true);
        assert!(!bootstrapping(&[acme_admin, vendor_admin]));
        assert!(bootstrap_party(Party::Vendor).is_ok());
        assert_eq!(bootstrap_party(Party::Subscriber).map_err(|e| e.kind), Err(Kind::Conflict));
    }

    #[test]
    fn the_last_active_administrator_stays() {
        let va = person("va", Party::Vendor, None, true);
        let vb = person("vb", Party::Vendor, None, true);
        let aa = person("aa", Party::Subscriber, Some("Acme"), true);
        let ab = person("ab", Party::Subscriber, Some("ACME"), true);
        let ga = person("ga", Party::Subscriber, Some("Globex"), true);
        let dev = person("dev", Party::Subscriber, Some("Acme"), false);
        let refused = |target: &Person, admins: &[Person]| {
            may_step_down(target, admins, "be deactivated").map_err(|e| e.kind)
        };
        // (target, the active administrators, refused?)
        let cases: &[(&Person, Vec<Person>, bool)] = &[
            (&va, vec![va.clone()], true),
            (&va, vec![va.clone(), aa.clone()], true),
            (&va, vec![va.clone(), vb.clone()], false),
            (&aa, vec![va.clone(), aa.clone(), ga.clone()], true),
            (&aa, vec![va.clone(), aa.clone(), ab.clone()], false),
            (&dev, vec![va.clone(), aa.clone()], false),
        ];
        for (target, admins, want) in cases {
            assert_eq!(
                refused(target, admins).is_err(),
                *want,
                "{} among {:?}",
                target.handle,
                admins.iter().map(|p| p.handle.as_str()).collect::<Vec<_>>()
            );
        }
        assert_eq!(refused(&va, std::slice::from_ref(&va)), Err(Kind::Conflict));
    }

    #[test]
    fn a_subscribers_person_sees_only_their_subscriber() {
        let acme = person("aa", Party::Subscriber, Some("Acme"), false);
        let vendor = person("v", Party::Vendor, None, false);
        let globex = person("g", Party::Subscriber, Some("Globex"), false);
        for (viewer, subscriber, want) in [
            (None, "Globex", true),
            (Some(&vendor), "Globex", true),
            (Some(&acme), "acme", true),
            (Some(&acme), "Globex", false),
        ] {
            assert_eq!(sees(viewer, subscriber), want, "{viewer:?} {subscriber}");
        }
        assert!(sees_person(Some(&acme), &vendor));
        assert!(!sees_person(Some(&acme), &globex));
        assert!(sees_person(None, &globex));
    }

    #[test]
    fn roles_stay_within_the_party() {
        let cse = person("cse", Party::Vendor, None, false);
        assert!(check_role(&cse, Role::SupportEngineer).is_ok());
        assert_eq!(check_role(&cse, Role::Administrator).map_err(|e| e.kind), Err(Kind::BadInput));
    }
}
