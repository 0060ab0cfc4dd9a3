//! Signed steps on the command line: keys, the policy, offline statements,
//! exports, and the signer behind `--sign-with`, which asks `ssh-keygen` for
//! each signature so raci never reads a private key.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::args::{ExportCommand, KeyCommand, OfflineCommand, PolicyCommand};
use super::{Backend, Io, seg};
use crate::api::{KeyBody, OfflineApplyBody, OfflineRequestBody, PolicyBody, StatementView};
use crate::app::Context;
use crate::app::signing::{self, OfflineRequest};
use crate::domain::signing::NAMESPACE;
use crate::error::{Error, Result};
use crate::output;
use crate::view::{EventView, KeyView};

/// The key `--sign-with` names, and the way to it: `ssh-keygen -Y sign`.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    key: PathBuf,
}

impl Signer {
    pub(super) fn new(key: PathBuf) -> Signer {
        Signer { key }
    }

    /// `ssh-keygen -Y sign -n raci-step@v1 -f KEY` over `text`: the armored
    /// signature. A passphrase prompt goes to the terminal, as ssh's do.
    pub(super) fn signature(&self, text: &str) -> Result<String> {
        if !self.key.is_file() {
            return Err(Error::bad_input(format!(
                "--sign-with {}: no such key file; expected a private key, or a public key whose private half is in ssh-agent",
                self.key.display()
            )));
        }
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("statement.json");
        std::fs::write(&file, text)?;
        let out = Command::new(ssh_keygen())
            .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
            .arg(&self.key)
            .arg(&file)
            .stdin(Stdio::inherit())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| {
                Error::bad_input(format!(
                    "cannot run ssh-keygen to sign ({e}); install OpenSSH 8 or later (openssh-client), or set RACI_SSH_KEYGEN"
                ))
            })?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            let said = said.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no reason given");
            return Err(Error::bad_input(format!(
                "ssh-keygen could not sign with {}: {}",
                self.key.display(),
                said.trim()
            )));
        }
        std::fs::read_to_string(dir.path().join("statement.json.sig")).map_err(|e| {
            Error::bad_input(format!(
                "ssh-keygen signed with {} but its signature cannot be read ({e}); expected the armored file `ssh-keygen -Y sign` writes",
                self.key.display()
            ))
        })
    }
}

/// The `ssh-keygen` to run: `RACI_SSH_KEYGEN`, else the one on the PATH.
fn ssh_keygen() -> PathBuf {
    std::env::var_os("RACI_SSH_KEYGEN")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("ssh-keygen"), PathBuf::from)
}

pub(super) fn key(
    command: &KeyCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        KeyCommand::Add { handle, key } => {
            let path = format!("people/{}/keys", seg(handle));
            let body = KeyBody { key: key.clone() };
            io.recorded(be.write(ctx, &path, &body, |s, c| signing::add_key(s, c, handle, key))?)
        }
        KeyCommand::List { handle } => {
            let path = match handle {
                Some(h) => format!("people/{}/keys", seg(h)),
                None => "keys".to_string(),
            };
            let rows: Vec<KeyView> = be.read(&path, |s| signing::keys(s, ctx, handle.as_ref()))?;
            output::rows_giving_up(io.format, &rows, &["public_key", "revoked_at"], io.out)
        }
        KeyCommand::Revoke { handle, fingerprint } => {
            let path = format!("people/{}/keys/{}", seg(handle), seg(fingerprint));
            let events = match be {
                Backend::Remote(r) => r.delete(&path)?,
                _ => be.write(ctx, &path, &(), |s, c| {
                    signing::revoke_key(s, c, handle, fingerprint)
                })?,
            };
            io.recorded(events)
        }
    }
}

pub(super) fn allowed_signers(
    all: bool,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let text = match be {
        Backend::Remote(r) => {
            r.get_text(if all { "allowed-signers?all=true" } else { "allowed-signers" })?
        }
        Backend::Local(store, _) => signing::allowed_signers(store, ctx, all)?,
    };
    if io.format == output::Format::Table {
        // The file itself, for `> allowed_signers`.
        return io.lines(&text);
    }
    let rows: Vec<SignerRow> = text.lines().filter_map(SignerRow::parse).collect();
    io.rows(&rows)
}

/// One line of the allowed_signers file, as JSON or CSV rows.
#[derive(Debug, Default, serde::Serialize)]
struct SignerRow {
    handle: String,
    namespaces: String,
    valid_before: Option<String>,
    public_key: String,
    comment: String,
}

impl SignerRow {
    /// Reads back a line raci wrote: `HANDLE OPTIONS TYPE BASE64 [COMMENT]`.
    fn parse(line: &str) -> Option<SignerRow> {
        let mut parts = line.splitn(5, ' ');
        let handle = parts.next()?.to_string();
        let options = parts.next()?;
        let public_key = format!("{} {}", parts.next()?, parts.next()?);
        let option = |name: &str| {
            options.split(',').find_map(|o| {
                o.strip_prefix(name)?.strip_prefix("=\"")?.strip_suffix('"').map(str::to_string)
            })
        };
        Some(SignerRow {
            handle,
            namespaces: option("namespaces")?,
            valid_before: option("valid-before"),
            public_key,
            comment: parts.next().unwrap_or_default().to_string(),
        })
    }
}

/// What `export signatures` wrote, for `--format json|csv`.
#[derive(Debug, Default, serde::Serialize)]
struct ExportView {
    installation: String,
    directory: String,
    signed_steps: usize,
}

pub(super) fn policy(
    command: &PolicyCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let PolicyCommand::RequireSignatures { state } = command;
    let on = state == "on";
    let body = PolicyBody { require_signatures: on };
    io.recorded(be.write(ctx, "policy", &body, |s, c| signing::set_policy(s, c, on))?)
}

pub(super) fn offline(
    command: &OfflineCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    match command {
        OfflineCommand::Request { id, task, verb, signer, note, reason, expires_days } => {
            let body = OfflineRequestBody {
                installation: id.clone(),
                task: task.parse()?,
                verb: *verb,
                signer: signer.clone(),
                note: note.clone(),
                reason: reason.clone(),
                expires_days: *expires_days,
            };
            let text = match be {
                Backend::Remote(r) => r.post::<StatementView>("offline/request", &body)?.statement,
                Backend::Local(store, _) => {
                    signing::offline_request(store, ctx, &OfflineRequest::from(&body))?
                }
            };
            io.lines(&text)
        }
        OfflineCommand::Apply { statement, signature } => {
            let body = OfflineApplyBody {
                statement: read_file(statement, "statement")?,
                signature: read_file(signature, "signature")?,
            };
            let events = match be {
                Backend::Remote(r) => r.post("offline/apply", &body)?,
                Backend::Local(store, _) => {
                    signing::offline_apply(store, ctx, &body.statement, &body.signature)?
                        .into_iter()
                        .map(EventView::from)
                        .collect()
                }
            };
            io.recorded(events)
        }
    }
}

/// The largest statement or signature file read: both are a few KB.
const FILE_LIMIT: u64 = 1 << 20;

/// A statement or signature file, whole, up to [`FILE_LIMIT`]. A signature
/// that is not text is read as it is, to be refused as no signature.
fn read_file(path: &Path, what: &str) -> Result<String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        Error::bad_input(format!("cannot read the {what} {}: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(Error::bad_input(format!(
            "the {what} {} is over {FILE_LIMIT} bytes; expected the file `offline request` or `ssh-keygen -Y sign` wrote",
            path.display()
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(super) fn export(
    command: &ExportCommand,
    ctx: &Context,
    be: &mut Backend<'_>,
    io: Io<'_>,
) -> Result<()> {
    let ExportCommand::Signatures { id, dir } = command;
    let log: Vec<EventView> = be.read(&format!("installations/{}/log", seg(id)), |s| {
        crate::app::reads::log(s, ctx, id.as_str())
    })?;
    let written = signing::export_signatures(&log, dir).map_err(|e| {
        Error::bad_input(format!("cannot write to {}: {}", dir.display(), e.message))
    })?;
    if io.format != output::Format::Table {
        let view = ExportView {
            installation: id.to_string(),
            directory: dir.display().to_string(),
            signed_steps: written,
        };
        return io.rows(&[view]);
    }
    io.lines(&format!(
        "wrote {} signed steps of {id} to {} (N.json and N.json.sig; verify each with `ssh-keygen -Y verify -f allowed_signers -I HANDLE -n {NAMESPACE} -s N.json.sig < N.json`)\n",
        written,
        dir.display()
    ))
}
