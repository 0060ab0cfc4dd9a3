//! Signed steps: what a signature covers and whether it holds. Pure: the
//! statement is derived from the events a command records, and a signature
//! is checked against the actor's keys with the `ssh-key` crate (no
//! hand-written cryptography). The app gathers the events, the keys and the
//! hash the step follows inside its transaction and asks here.
//!
//! A statement is canonical JSON: the same events always give the same
//! bytes, so the verifier derives it again rather than trusting a copy, and
//! `db check` can prove that a stored statement says what its events did.

use serde::{Deserialize, Serialize};
use ssh_key::{Algorithm, HashAlg, PublicKey, SshSig};

use super::authority::Org;
use super::ledger::Change;
use super::records::{Event, KeyRow, PolicyRow};
use crate::error::{Error, Result};

/// The SSH signature namespace of a raci step (`ssh-keygen -Y sign -n`).
pub const NAMESPACE: &str = "raci-step@v1";

/// The smallest RSA key accepted, in bits.
pub const MIN_RSA_BITS: usize = 3072;
/// The largest RSA key the verifier (the `rsa` crate under `ssh-key`) checks.
pub const MAX_RSA_BITS: usize = 8192;

/// What the signer of a step says they did. Field order is the canonical
/// order; `expires_at` and `nonce` are set only on an offline statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub namespace: String,
    pub installation: Option<String>,
    pub task: Option<String>,
    pub cycle: Option<i64>,
    pub ticket: Option<String>,
    /// Checklist items the step checks or unchecks.
    pub items: Vec<String>,
    pub verb: String,
    /// The note, reason or comment of the step, as its event records it.
    pub note: Option<String>,
    pub actor: String,
    /// The hash of the last event of the step's task (cycle, ticket; else
    /// its installation; else the whole ledger) when the statement was made.
    pub follows: Option<String>,
    /// Every event the command records, in order.
    pub changes: Vec<Entry>,
    pub expires_at: Option<String>,
    pub nonce: Option<String>,
}

/// One event of a signed command: what `log` shows of it, and the typed
/// change it makes (null for a comment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub action: String,
    pub task: Option<String>,
    pub cycle: Option<i64>,
    pub ticket: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    pub change: serde_json::Value,
}

impl Entry {
    fn of(e: &Event) -> Entry {
        Entry {
            action: e.action.clone(),
            task: e.task.clone(),
            cycle: e.cycle,
            ticket: e.ticket.clone(),
            from: e.from.clone(),
            to: e.to.clone(),
            note: e.note.clone(),
            change: e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Whether `events` read as one command's: one installation, actor, time
/// and channel, and only the first carrying a signature. `db check` asks
/// this of the events a signed statement covers, so none of them can be
/// re-pointed or re-attributed without its signature failing.
pub fn one_command(events: &[Event]) -> Result<(), String> {
    let Some(first) = events.first() else { return Ok(()) };
    for e in &events[1..] {
        let same = e.installation == first.installation
            && e.actor == first.actor
            && e.party == first.party
            && e.role == first.role
            && e.at == first.at
            && e.channel == first.channel
            && e.token_id == first.token_id;
        if !same {
            return Err(format!(
                "event {} is covered by the signature of event {} but is not of the same command (its installation, actor, time or channel differ)",
                e.id, first.id
            ));
        }
        if e.statement.is_some() || e.signature.is_some() || e.carrier.is_some() {
            return Err(format!(
                "event {} carries a signature inside the signed command of event {}",
                e.id, first.id
            ));
        }
    }
    Ok(())
}

/// What a step is about, for finding the event it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Task(String, String),
    Cycle(String, i64),
    Ticket(String, String),
    Installation(String),
    Ledger,
}

impl Subject {
    pub fn of(e: &Event) -> Subject {
        // A cycle's or a ticket's events also name the matrix row they fall
        // under (`updates`, `support-tickets`): the cycle or ticket is the
        // narrower subject.
        match (&e.installation, e.cycle, &e.ticket, &e.task) {
            (Some(i), Some(n), _, _) => Subject::Cycle(i.clone(), n),
            (Some(i), None, Some(r), _) => Subject::Ticket(i.clone(), r.clone()),
            (Some(i), None, None, Some(t)) => Subject::Task(i.clone(), t.clone()),
            (Some(i), None, None, None) => Subject::Installation(i.clone()),
            (None, ..) => Subject::Ledger,
        }
    }

    /// This subject, then its installation, then the whole ledger: where a
    /// step with no event of its own subject yet follows from.
    pub fn and_wider(self) -> Vec<Subject> {
        match self {
            Subject::Ledger => vec![Subject::Ledger],
            Subject::Installation(i) => vec![Subject::Installation(i), Subject::Ledger],
            Subject::Task(ref i, _) | Subject::Cycle(ref i, _) | Subject::Ticket(ref i, _) => {
                let installation = Subject::Installation(i.clone());
                vec![self, installation, Subject::Ledger]
            }
        }
    }
}

impl Statement {
    /// The statement of a command that records `events` (at least one), the
    /// first following the event whose hash is `follows`.
    pub fn of(events: &[Event], follows: Option<String>) -> Option<Statement> {
        let first = events.first()?;
        let items = events
            .iter()
            .filter_map(|e| match e.data.as_deref().map(serde_json::from_str::<Change>) {
                Some(Ok(Change::ItemSet { item, .. })) => Some(item),
                _ => None,
            })
            .collect();
        Some(Statement {
            namespace: NAMESPACE.to_string(),
            installation: first.installation.clone(),
            task: first.task.clone(),
            cycle: first.cycle,
            ticket: first.ticket.clone(),
            items,
            verb: first.action.clone(),
            note: first.note.clone(),
            actor: first.actor.clone().unwrap_or_default(),
            follows,
            changes: events.iter().map(Entry::of).collect(),
            expires_at: None,
            nonce: None,
        })
    }

    /// The canonical text: what is signed, byte for byte.
    pub fn text(&self) -> String {
        // Plain data: it always encodes.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a statement, which must be in its canonical form (so that one
    /// step has one signed text).
    pub fn parse(text: &str) -> Result<Statement> {
        let statement: Statement = serde_json::from_str(text).map_err(|e| {
            Error::bad_input(format!("the statement is not a raci statement ({e})"))
        })?;
        if statement.namespace != NAMESPACE {
            return Err(Error::not_permitted(format!(
                "the statement is for namespace {:?}; raci signs only {NAMESPACE:?}",
                statement.namespace
            )));
        }
        if statement.text() != text {
            return Err(Error::not_permitted(
                "the statement was changed after raci wrote it (it is not in raci's canonical form)",
            ));
        }
        Ok(statement)
    }

    /// The same statement without what only an offline one carries.
    pub fn online(&self) -> Statement {
        Statement { expires_at: None, nonce: None, ..self.clone() }
    }
}

/// Whether an event is a step (the work the policy can require signed):
/// anything on an installation but adding, retiring and unretiring it.
pub fn is_step(e: &Event) -> bool {
    e.installation.is_some()
        && !matches!(
            e.action.as_str(),
            "installation-add" | "installation-retire" | "installation-unretire"
        )
}

/// An OpenSSH public key raci accepts, as `ssh-keygen -l` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The algorithm, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// The key without its comment: `TYPE BASE64`.
    pub public_key: String,
    pub comment: String,
}

impl Key {
    /// Reads an OpenSSH public key line; refuses the kinds raci cannot
    /// verify or does not trust (DSA, RSA under 3072 bits).
    pub fn parse(line: &str) -> Result<Key> {
        let line = line.trim();
        if line.contains("PRIVATE KEY") {
            return Err(Error::bad_input(
                "that is a private key; give raci the public key (the .pub file), never the private one",
            ));
        }
        let key = PublicKey::from_openssh(line).map_err(|e| {
            Error::bad_input(format!(
                "not an OpenSSH public key ({e}); expected one line such as \"ssh-ed25519 AAAA… comment\", as in a .pub file"
            ))
        })?;
        match key.algorithm() {
            Algorithm::Ed25519 | Algorithm::SkEd25519 | Algorithm::SkEcdsaSha2NistP256 => {}
            Algorithm::Ecdsa { .. } => {}
            Algorithm::Rsa { .. } => {
                let bits = key.key_data().rsa().map_or(0, |r| r.key_size() as usize);
                if bits < MIN_RSA_BITS {
                    return Err(Error::bad_input(format!(
                        "an RSA key of {bits} bits is too short; raci accepts RSA keys of at least {MIN_RSA_BITS} bits, ed25519 or ECDSA (ssh-keygen -t ed25519)"
                    )));
                }
                if bits > MAX_RSA_BITS {
                    return Err(Error::bad_input(format!(
                        "an RSA key of {bits} bits cannot be verified by raci (at most {MAX_RSA_BITS} bits); use ed25519, ECDSA, or RSA of {MIN_RSA_BITS} to {MAX_RSA_BITS} bits"
                    )));
                }
            }
            other => {
                return Err(Error::bad_input(format!(
                    "{} keys are not accepted; use ed25519, ECDSA, RSA of at least {MIN_RSA_BITS} bits, or their sk- hardware variants",
                    other.as_str()
                )));
            }
        }
        let comment = key.comment().as_str().map_err(|_| {
            Error::bad_input(
                "the key's comment is not UTF-8; a comment is one line of visible text",
            )
        })?;
        if comment.chars().any(|c| c.is_control() || super::values::is_forbidden(c)) {
            return Err(Error::bad_input(
                "the key's comment holds a control or format character; a comment is one line of visible text",
            ));
        }
        let comment = comment.to_string();
        let mut bare = key.clone();
        bare.set_comment("");
        let public_key = bare
            .to_openssh()
            .map_err(|e| Error::bad_input(format!("the key cannot be encoded ({e})")))?
            .trim()
            .to_string();
        Ok(Key {
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            key_type: key.algorithm().as_str().to_string(),
            public_key,
            comment,
        })
    }
}

/// Whether an organisation's policy requires its people's steps signed;
/// `policies` as they stand (a policy's `organisation` is empty for the
/// vendor, else the subscriber's name).
pub fn required<'p>(policies: impl IntoIterator<Item = &'p PolicyRow>, org: Org<'_>) -> bool {
    policies.into_iter().any(|p| {
        let of = match p.organisation.as_str() {
            "" => Org::Vendor,
            name => Org::Subscriber(name),
        };
        p.require_signatures && of.is(org)
    })
}

/// Checks that `signature` is an SSH signature in raci's namespace over
/// `text` by one of `actor`'s keys, active (not revoked) as `keys` stand.
/// `keys` are every key raci holds, so a signature by another person's key
/// is named as such. Returns the fingerprint of the key that signed.
pub fn verify<'k>(
    signature: &str,
    text: &str,
    actor: &str,
    keys: impl IntoIterator<Item = &'k KeyRow>,
) -> Result<String> {
    let refused = |why: String| Error::not_permitted(why);
    let armored = signature.trim();
    if !armored.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(refused(format!(
            "the signature is not an SSH signature ({}); expected the armored output of `ssh-keygen -Y sign -n {NAMESPACE}`, beginning -----BEGIN SSH SIGNATURE-----",
            if armored.is_empty() { "it is empty" } else { "it does not begin as one" }
        )));
    }
    let sig = SshSig::from_pem(armored).map_err(|e| {
        refused(format!(
            "the signature is not an SSH signature ({e}); expected the armored output of `ssh-keygen -Y sign -n {NAMESPACE}`"
        ))
    })?;
    if sig.namespace() != NAMESPACE {
        return Err(refused(format!(
            "the signature is in namespace {:?}; a raci step is signed in {NAMESPACE:?} (ssh-keygen -Y sign -n {NAMESPACE})",
            sig.namespace()
        )));
    }
    let fingerprint = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
    let key = keys.into_iter().find(|k| k.fingerprint == fingerprint);
    let key = match key {
        Some(k) if k.handle == actor => k,
        Some(k) => {
            return Err(refused(format!(
                "the signature is by {fingerprint}, a key of {}, not of {actor}, whose step it is",
                k.handle
            )));
        }
        None => {
            return Err(refused(format!(
                "the signature is by {fingerprint}, which is not one of {actor}'s keys; `raci person key list` shows them"
            )));
        }
    };
    if key.revoked_at.is_some() {
        return Err(refused(format!(
            "the signature is by {fingerprint}, a key of {actor} that was revoked; sign with an active key (`raci person key list`)"
        )));
    }
    let public = PublicKey::from_openssh(&key.public_key).map_err(|e| {
        Error::storage(format!("the stored key {fingerprint} cannot be read ({e})"))
    })?;
    public.verify(NAMESPACE, text.as_bytes(), &sig).map_err(|_| {
        refused(format!(
            "the signature by {fingerprint} does not verify over this step's statement (the statement was changed, or the step is not the one signed)"
        ))
    })?;
    Ok(fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINinmyJ/BdZ4zmzpOfDsW+t9pCpbaephC/3w3Deh2Xbc alice@laptop";

    #[test]
    fn a_key_is_named_as_ssh_keygen_names_it() {
        let key = Key::parse(ED25519).expect("an ed25519 key");
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(key.comment, "alice@laptop");
        assert_eq!(key.fingerprint, "SHA256:ZM8uLjVHeSMLZ7Y6nuZEzRuiUEsP9bWNXxSgOoWnnWY");
        assert!(!key.public_key.contains("alice"), "{}", key.public_key);
    }

    #[test]
    fn a_statement_reads_back_only_in_its_canonical_form() {
        let e = Event {
            installation: Some("acme".into()),
            actor: Some("alice".into()),
            action: "signoff".into(),
            task: Some("deployment".into()),
            data: Some(r#"{"kind":"task-moved","task":"deployment","state":"signed_off","blocked_from":null}"#.into()),
            ..Event::default()
        };
        let s = Statement::of(&[e], Some("ab".into())).expect("a statement");
        assert_eq!(Statement::parse(&s.text()).expect("reads back"), s);
        let edited = s.text().replace("\"signoff\"", "\"signoff\" ");
        assert!(
            Statement::parse(&edited).is_err_and(|e| e.kind == crate::error::Kind::NotPermitted)
        );
        assert!(!is_step(&Event { action: "installation-add".into(), ..Event::default() }));
    }
}
