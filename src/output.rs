//! Renderers: every list is printed as a table for people, or as JSON or CSV
//! for scripts, from the same view rows, so the formats agree row for row.

use std::io::Write;

use std::sync::OnceLock;

use comfy_table::{Cell, Color, ContentArrangement, Row, Table, presets};
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
    rows_giving_up(format, rows, &[], out)
}

/// [`rows`], where a table too wide for the terminal gives up the columns
/// `first` names before any other.
pub fn rows_giving_up<T: Serialize + Default>(
    format: Format,
    rows: &[T],
    first: &[&str],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Json => json(rows, out),
        Format::Table => {
            let header = columns::<T>()?;
            let values = rows.iter().map(to_value).collect::<Result<Vec<_>>>()?;
            let mut table = new_table(&header);
            let wide = layout().wide;
            for v in &values {
                let cells = header.iter().map(|h| {
                    let text = match v.get(h) {
                        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                        Some(Value::Array(a)) if a.is_empty() => "-".to_string(),
                        // People read dates; the time is in --wide, JSON and CSV.
                        Some(Value::String(t)) if !wide && is_timestamp(t) => t[..10].to_string(),
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
                });
                add_row(&mut table, cells);
            }
            fit(&mut table, &header, first);
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

/// How tables are laid out, decided once per process by the command line
/// (`--wide`, `COLUMNS`); by default, as for output that is not a terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// The width to fit, where `COLUMNS` gives one; otherwise the terminal's,
    /// when printing to one.
    pub columns: Option<u16>,
    /// Every column, nothing truncated, full timestamps.
    pub wide: bool,
}

static LAYOUT: OnceLock<Layout> = OnceLock::new();

/// Sets the layout of this process's tables (the first call wins).
pub fn set_layout(layout: Layout) {
    let _ = LAYOUT.set(layout);
}

fn layout() -> Layout {
    LAYOUT.get().copied().unwrap_or_default()
}

/// `2026-11-02T09:00:00Z`, as raci stores times.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[19] == b'Z'
}

/// A table for people: plain aligned columns under a header row. On a
/// terminal (or with `COLUMNS` set) it fits the width: one line per row, long
/// text cut with an ellipsis; `--wide`, or output that is not a terminal,
/// shows everything. States are coloured only on a terminal and never when
/// `NO_COLOR` is set.
pub fn new_table<S: ToString>(header: &[S]) -> Table {
    let layout = layout();
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header(header.iter().map(|h| h.to_string()));
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        table.force_no_tty();
    }
    if let Some(columns) = layout.columns {
        table.set_width(columns);
    }
    // A terminal that reports no usable width (some ptys say 0) gets whole lines.
    let fit = !layout.wide && table.width().is_some_and(|w| w >= 20);
    if fit {
        table.set_content_arrangement(ContentArrangement::Dynamic).set_truncation_indicator("…");
    } else {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table
}

/// Columns a narrow table gives up first, the most dispensable first; after
/// these, it gives up columns from the right. The first column always stays.
const DISPENSABLE: &[&str] = &[
    "signed_off_at",
    "started_at",
    "opened_at",
    "recorded_at",
    "checked_at",
    "created_at",
    "read_at",
    "appliance_id",
    "email",
    "login",
    "label",
    "failures",
    "environment",
    "opened_by",
    "recorded_by",
    "checked_by",
    "accountable",
    "responsible",
    "subscriber",
    "cycle",
    "ticket",
    "severity",
    "role",
    "due",
];

/// Columns that name things: never cut short, since a cut name names nothing.
const NAMES: &[&str] = &["installation", "id", "handle", "task", "ticket", "item", "key", "actor"];

/// The narrowest a long text column is cut to before columns are given up.
const MIN_TEXT: usize = 12;

/// Each column's width on a table `available` characters wide (each column
/// takes its width and two of padding), or `None` where the column is given
/// up. The columns the caller names go first, then long text is cut, then
/// dispensable columns go, then columns from the right.
fn fit_widths(
    header: &[String],
    natural: &[usize],
    available: usize,
    first: &[&str],
) -> Vec<Option<usize>> {
    let mut widths: Vec<Option<usize>> = natural.iter().map(|w| Some(*w)).collect();
    let total = |w: &[Option<usize>]| w.iter().flatten().map(|w| w + 2).sum::<usize>();
    loop {
        let over = total(&widths).saturating_sub(available);
        if over == 0 {
            // Columns given up may leave room for text cut before they went.
            let mut room = available - total(&widths);
            for (w, full) in widths.iter_mut().zip(natural) {
                if let Some(w) = w.as_mut().filter(|w| **w < *full) {
                    let more = (full - *w).min(room);
                    *w += more;
                    room -= more;
                }
            }
            return widths;
        }
        // The caller's own choice goes first.
        if let Some(i) = first
            .iter()
            .find_map(|name| (1..header.len()).find(|&i| header[i] == *name && widths[i].is_some()))
        {
            widths[i] = None;
            continue;
        }
        // The widest text column that can still be cut.
        let cuttable = (0..header.len())
            .filter(|&i| !NAMES.contains(&header[i].as_str()))
            .filter_map(|i| widths[i].map(|w| (w, i)))
            .filter(|&(w, i)| w > MIN_TEXT.max(header[i].chars().count()))
            .max();
        if let Some((w, i)) = cuttable {
            let floor = MIN_TEXT.max(header[i].chars().count());
            widths[i] = Some(w.saturating_sub(over).max(floor));
            continue;
        }
        let dispensable = DISPENSABLE.iter().find_map(|name| {
            (1..header.len()).find(|&i| header[i] == *name && widths[i].is_some())
        });
        let last = (1..header.len()).rev().find(|&i| widths[i].is_some());
        match dispensable.or(last) {
            Some(i) => widths[i] = None,
            None => return widths,
        }
    }
}

/// On a table that fits a width, cuts long text and gives up columns so
/// that every row is one line within it; elsewhere leaves the table whole.
fn fit(table: &mut Table, header: &[String], first: &[&str]) {
    use comfy_table::{ColumnConstraint, Width};
    if matches!(table.content_arrangement(), ContentArrangement::Disabled) {
        return;
    }
    let Some(available) = table.width() else { return };
    let natural: Vec<usize> =
        table.column_max_content_widths().iter().map(|w| *w as usize).collect();
    let widths = fit_widths(header, &natural, available as usize, first);
    for (column, width) in table.column_iter_mut().zip(widths) {
        column.set_constraint(match width {
            None => ColumnConstraint::Hidden,
            Some(w) => {
                ColumnConstraint::Absolute(Width::Fixed(u16::try_from(w + 2).unwrap_or(u16::MAX)))
            }
        });
    }
}

/// Adds a row, kept to one line where the table fits a width.
pub fn add_row<C: Into<Cell>>(table: &mut Table, cells: impl IntoIterator<Item = C>) {
    let mut row = Row::from(cells.into_iter().map(Into::into).collect::<Vec<Cell>>());
    if !matches!(table.content_arrangement(), ContentArrangement::Disabled) {
        row.max_height(1);
    }
    table.add_row(row);
}

/// Prints a table built by the caller.
pub fn table(table: &Table, out: &mut dyn Write) -> Result<()> {
    write_out(out, &format!("{table}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_table_that_fits_is_left_whole() {
        let header = names(&["task", "state", "note"]);
        assert_eq!(fit_widths(&header, &[10, 8, 30], 60, &[]), vec![Some(10), Some(8), Some(30)]);
    }

    #[test]
    fn long_text_is_cut_before_columns_are_given_up() {
        let header = names(&["task", "state", "summary"]);
        // 12 + 10 + 42 = 64 with padding; 50 available: the summary gives 14.
        assert_eq!(fit_widths(&header, &[10, 8, 40], 50, &[]), vec![Some(10), Some(8), Some(26)]);
    }

    #[test]
    fn dispensable_columns_go_first_then_from_the_right_and_names_are_never_cut() {
        let header = names(&["installation", "subscriber", "task", "state", "since", "due"]);
        let natural = [14, 17, 16, 11, 10, 10];
        // 90 in all: `subscriber` is cut to 12, then given up, as is `due`.
        let fitted = fit_widths(&header, &natural, 70, &[]);
        assert_eq!(fitted, vec![Some(14), None, Some(16), Some(11), Some(10), None]);
        // A caller's own choice goes before the rest.
        let since_first = fit_widths(&header, &natural, 80, &["since"]);
        assert_eq!(since_first, vec![Some(14), Some(17), Some(16), Some(11), None, Some(10)]);
        let narrow = fit_widths(&header, &natural, 30, &[]);
        assert_eq!(narrow[0], Some(14), "the first column stays whole");
        assert!(narrow.iter().flatten().map(|w| w + 2).sum::<usize>() <= 30);
    }
}
