//! `raci db check` and `raci db backup`.

use std::path::Path;

use super::Io;
use crate::app::db::{self, CheckView};
use crate::error::Result;
use crate::output::Format;
use crate::store::Store;

use super::args::DbCommand;

pub(super) fn run(command: &DbCommand, path: &Path, store: &mut Store, io: Io<'_>) -> Result<()> {
    let (view, text) = match command {
        DbCommand::Check => {
            let view = db::check(store)?;
            let head = match (&view.head_event, &view.head_hash) {
                (Some(id), Some(hash)) => format!("; head event {id}, hash {hash}"),
                _ => String::new(),
            };
            let text = format!(
                "integrity: {}\nforeign keys: {} violations\naudit chain: {} events verified{head}\ntemplate: {}\nstate: {}\n",
                view.integrity,
                view.foreign_key_violations,
                view.events,
                if view.template_agrees { "as the migrations pinned it" } else { "changed" },
                agreement(&view)
            );
            (view, text)
        }
        DbCommand::Backup { file } => {
            let view = db::backup(store, path, file)?;
            let text = format!(
                "backed up to {}; the copy is sound ({} events verified)\n",
                file.display(),
                view.events
            );
            (view, text)
        }
    };
    let sound = view.sound;
    let failure = (!sound).then(|| db::unsound(&view));
    match io.format {
        Format::Table => io.lines(&text)?,
        _ => io.rows(std::slice::from_ref(&view))?,
    }
    failure.map_or(Ok(()), Err)
}

fn agreement(view: &CheckView) -> &'static str {
    match (view.state_agrees, view.broken_event, view.template_agrees) {
        (true, ..) => "agrees with the audit log",
        (false, Some(_), _) => "not compared: the audit chain does not verify",
        (false, None, false) => "not compared: the template was changed",
        (false, None, true) => "disagrees with the audit log",
    }
}
