//! Renderers: every list is printed as a table for people, or as JSON or CSV
//! for scripts, from the same view rows, so the formats agree row for row.

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The output format of reads (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::storage(format!("cannot render output: {e}")))
}

/// The column names of a view type, from its default value, so an empty list
/// still prints its header.
fn columns<T: Serialize + Default>() -> Result<Vec<String>> {
    match to_value(&T::default())? {
        Value::Object(map) => Ok(map.keys().cloned().collect()),
        _ => Ok(Vec::new()),
    }
}

/// A cell as text: arrays joined with `+` (as `R+A`), null as `empty`.
fn cell(value: Option<&Value>, empty: &str) -> String {
    match value {
        None | Some(Value::Null) => empty.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            items.iter().map(|v| cell(Some(v), "")).collect::<Vec<_>>().join("+")
        }
        Some(other) => other.to_string(),
    }
}

/// A CSV cell that a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@`, or a tab or carriage return before one) gets a leading `'`, so it
/// shows as the text it is (OWASP's advice against CSV injection).
fn spreadsheet_safe(text: String) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text,
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`raci log x | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::storage(format!("cannot write output: {e}"))),
    }
}

/// Prints rows in the chosen format.
pub fn rows<T: Serialize + Default>(format: Format, rows: &[T], out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json => json(rows, out),
        Format::Table => {
            let header = columns::<T>()?;
            let values = rows.iter().map(to_value).collect::<Result<Vec<_>>>()?;
            let mut table = new_table(&header);
            for v in &values {
                table.add_row(header.iter().map(|h| {
                    let text = match v.get(h) {
                        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                        Some(Value::Array(a)) if a.is_empty() => "-".to_string(),
                        other => cell(other, "-"),
                    };
                    let colour = match (h.as_str(), text.as_str()) {
                        ("state", s) => state_colour(s),
                        ("overdue", "yes") => Some(Color::Red),
                        _ => None,
                    };
                    match colour {
                        Some(c) => Cell::new(text).fg(c),
                        None => Cell::new(text),
                    }
                }));
            }
            write_out(out, &format!("{table}\n"))
        }
        Format::Csv => {
            let header = columns::<T>()?;
            let mut w = csv::Writer::from_writer(out);
            let result = (|| {
                w.write_record(&header)?;
                for row in rows {
                    let v = to_value(row)
                        .map_err(|e| csv::Error::from(std::io::Error::other(e.message)))?;
                    w.write_record(header.iter().map(|h| spreadsheet_safe(cell(v.get(h), ""))))?;
                }
                w.flush().map_err(csv::Error::from)
            })();
            match result {
                Err(e) if !is_broken_pipe(&e) => {
                    Err(Error::storage(format!("cannot write CSV: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}

/// Prints one JSON document, streamed rather than built in memory.
pub fn json<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    let result = serde_json::to_writer_pretty(&mut w, value)
        .map_err(std::io::Error::from)
        .and_then(|()| w.write_all(b"\n"))
        .and_then(|()| w.flush());
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::storage(format!("cannot write JSON: {e}")))
        }
        _ => Ok(()),
    }
}

fn is_broken_pipe(e: &csv::Error) -> bool {
    matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Prints plain lines (the table format of a write's confirmation).
pub fn lines(text: &str, out: &mut dyn Write) -> Result<()> {
    write_out(out, text)
}

/// The colour of a state in a table on a terminal.
fn state_colour(state: &str) -> Option<Color> {
    match state {
        "signed_off" | "closed" => Some(Color::Green),
        "in_progress" | "preparing" | "updating_dev" | "testing_dev" | "updating_prod" => {
            Some(Color::Yellow)
        }
        "submitted" | "accepting" | "resolved" => Some(Color::Blue),
        "blocked" | "open" => Some(Color::Red),
        "waived" | "recurring" => Some(Color::DarkGrey),
        _ => None,
    }
}

/// A table for people: light borders, wrapped to the terminal when there is
/// one; states coloured only on a terminal and never when `NO_COLOR` is set.
pub fn new_table<S: ToString>(header: &[S]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().map(|h| h.to_string()));
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        table.force_no_tty();
    }
    // A terminal that reports no usable width (some ptys say 0) gets whole lines.
    if table.width().is_some_and(|w| w < 40) {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table
}

/// Prints a table built by the caller.
pub fn table(table: &Table, out: &mut dyn Write) -> Result<()> {
    write_out(out, &format!("{table}\n"))
}
