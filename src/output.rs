//! Renderers: every list is printed as a table for people, or as JSON or CSV
//! for scripts, from the same view rows, so the formats agree row for row.

use std::io::Write;

use std::sync::OnceLock;

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
    let mut w = RowWriter::<T>::new(format, first, out)?;
    for row in rows {
        w.row(row)?;
    }
    w.finish()
}

/// Writes rows one at a time, as they come from a query, in the chosen
/// format: JSON and CSV row by row, a table after its first page (whose
/// widths set the columns'), so no listing is held whole in memory.
pub struct RowWriter<'o, T> {
    format: Format,
    header: Vec<String>,
    out: &'o mut dyn Write,
    rows: usize,
    table: TableWriter,
    csv: csv::Writer<Vec<u8>>,
    /// The reader closed the pipe (`raci log x | head`): their choice, not
    /// an error; nothing more is written.
    closed: bool,
    _rows: std::marker::PhantomData<T>,
}

impl<'o, T: Serialize + Default> RowWriter<'o, T> {
    pub fn new(format: Format, first: &[&str], out: &'o mut dyn Write) -> Result<Self> {
        let header = columns::<T>()?;
        let table = TableWriter::new(header.clone(), first);
        let mut w = RowWriter {
            format,
            header,
            out,
            rows: 0,
            table,
            csv: csv::Writer::from_writer(Vec::new()),
            closed: false,
            _rows: std::marker::PhantomData,
        };
        if format == Format::Csv {
            let header = w.header.clone();
            w.csv_record(header)?;
        }
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.out.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(Error::storage(format!("cannot write output: {e}"))),
        }
    }

    fn csv_record(&mut self, cells: Vec<String>) -> Result<()> {
        let fail = |e: csv::Error| Error::storage(format!("cannot write CSV: {e}"));
        self.csv.write_record(cells).map_err(fail)?;
        let done = std::mem::replace(&mut self.csv, csv::Writer::from_writer(Vec::new()));
        let bytes = done.into_inner().map_err(|e| fail(e.into_error().into()))?;
        self.put(&bytes)
    }

    /// Writes one row.
    pub fn row(&mut self, row: &T) -> Result<()> {
        self.rows += 1;
        match self.format {
            Format::Json => {
                let text = serde_json::to_string_pretty(row)
                    .map_err(|e| Error::storage(format!("cannot render output: {e}")))?;
                // As serde_json prints an array: each element indented by two.
                let mut chunk = String::from(if self.rows == 1 { "[\n" } else { ",\n" });
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        chunk.push('\n');
                    }
                    chunk.push_str("  ");
                    chunk.push_str(line);
                }
                self.put(chunk.as_bytes())
            }
            Format::Csv => {
                let v = to_value(row)?;
                let cells =
                    self.header.iter().map(|h| spreadsheet_safe(cell(v.get(h), ""))).collect();
                self.csv_record(cells)
            }
            Format::Table => {
                let v = to_value(row)?;
                let wide = layout().wide;
                let cells = self
                    .header
                    .iter()
                    .map(|h| {
                        let text = match v.get(h) {
                            Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                            Some(Value::Array(a)) if a.is_empty() => "-".to_string(),
                            // People read dates; the time is in --wide, JSON and CSV.
                            Some(Value::String(t)) if !wide && is_timestamp(t) => {
                                t[..10].to_string()
                            }
                            other => cell(other, "-"),
                        };
                        let colour = match (h.as_str(), text.as_str()) {
                            ("state", s) => state_colour(s),
                            ("overdue", "yes") => Some(RED),
                            _ => None,
                        };
                        (text, colour)
                    })
                    .collect();
                let text = self.table.row(cells);
                self.put(text.as_bytes())
            }
        }
    }

    /// Ends the listing (the closing bracket, the rest of a table's page).
    pub fn finish(mut self) -> Result<()> {
        let tail = match self.format {
            Format::Json if self.rows == 0 => "[]\n".to_string(),
            Format::Json => "\n]\n".to_string(),
            Format::Csv => String::new(),
            Format::Table => self.table.finish(),
        };
        self.put(tail.as_bytes())?;
        match self.out.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::storage(format!("cannot write output: {e}")))
            }
            _ => Ok(()),
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

/// Prints plain lines (the table format of a write's confirmation).
pub fn lines(text: &str, out: &mut dyn Write) -> Result<()> {
    write_out(out, text)
}

/// ANSI colours (SGR foreground codes) for states on a terminal.
const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const BLUE: &str = "34";
const GREY: &str = "90";

/// The colour of a state in a table on a terminal.
fn state_colour(state: &str) -> Option<&'static str> {
    match state {
        "signed_off" | "closed" => Some(GREEN),
        "in_progress" | "preparing" | "updating_dev" | "testing_dev" | "updating_prod" => {
            Some(YELLOW)
        }
        "submitted" | "accepting" | "resolved" => Some(BLUE),
        "blocked" | "open" => Some(RED),
        "waived" | "recurring" | "cancelled" => Some(GREY),
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
    /// States in colour: a terminal, and no `NO_COLOR`.
    pub color: bool,
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
    "severity",
    "role",
    "due",
];

/// Columns that name things: never cut short, since a cut name names nothing.
const NAMES: &[&str] =
    &["installation", "id", "handle", "task", "cycle", "ticket", "item", "key", "actor"];

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

/// How many rows a table reads before it sets its columns' widths.
const PAGE: usize = 500;

/// A table for people, written as its rows come: plain aligned columns under
/// a header row. On a terminal (or with `COLUMNS` set) it fits the width: one
/// line per row, long text cut with an ellipsis, columns given up in order;
/// `--wide`, or output that is not a terminal, shows everything. Widths come
/// from the first page of rows; a later, longer cell is cut where the table
/// fits a width, and overflows its column elsewhere. (comfy-table, which
/// raci used before, holds a whole table; a report of 100,000 installations
/// must not.)
pub struct TableWriter {
    header: Vec<String>,
    first: Vec<String>,
    page: Vec<Vec<(String, Option<&'static str>)>>,
    widths: Option<Vec<Option<usize>>>,
}

fn width_of(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` cut to `width` columns, ending in `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

impl TableWriter {
    pub fn new(header: Vec<String>, first: &[&str]) -> Self {
        TableWriter {
            header,
            first: first.iter().map(|s| s.to_string()).collect(),
            page: Vec::new(),
            widths: None,
        }
    }

    /// Takes a row; returns what is ready to print (nothing while the first
    /// page is being read).
    pub fn row(&mut self, cells: Vec<(String, Option<&'static str>)>) -> String {
        match &self.widths {
            Some(_) => self.line(&cells),
            None => {
                self.page.push(cells);
                if self.page.len() < PAGE { String::new() } else { self.flush_page() }
            }
        }
    }

    /// Takes a row of plain text.
    pub fn text_row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> String {
        self.row(cells.into_iter().map(|c| (c.to_string(), None)).collect())
    }

    /// What is left to print.
    pub fn finish(&mut self) -> String {
        match self.widths {
            Some(_) => String::new(),
            None => self.flush_page(),
        }
    }

    fn flush_page(&mut self) -> String {
        let layout = layout();
        let natural: Vec<usize> = (0..self.header.len())
            .map(|i| {
                self.page
                    .iter()
                    .map(|r| r.get(i).map_or(0, |(t, _)| width_of(t)))
                    .chain([width_of(&self.header[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let fitting = layout.columns.filter(|w| !layout.wide && *w >= 20);
        let first: Vec<&str> = self.first.iter().map(String::as_str).collect();
        self.widths = Some(match fitting {
            Some(available) => fit_widths(&self.header, &natural, available as usize, &first),
            None => natural.iter().map(|w| Some(*w)).collect(),
        });
        let header: Vec<(String, Option<&'static str>)> =
            self.header.iter().map(|h| (h.clone(), None)).collect();
        let mut text = self.line(&header);
        for row in std::mem::take(&mut self.page) {
            text.push_str(&self.line(&row));
        }
        text
    }

    fn line(&self, cells: &[(String, Option<&'static str>)]) -> String {
        let layout = layout();
        let fitting = !layout.wide && layout.columns.is_some();
        let Some(widths) = &self.widths else { return String::new() };
        let shown: Vec<(usize, usize)> =
            widths.iter().enumerate().filter_map(|(i, w)| w.map(|w| (i, w))).collect();
        let mut line = String::new();
        for (n, (i, width)) in shown.iter().enumerate() {
            let (text, colour) = cells.get(*i).map_or(("", None), |(t, c)| (t.as_str(), *c));
            let text = if fitting { cut(text, *width) } else { text.to_string() };
            let pad = width.saturating_sub(width_of(&text));
            match colour.filter(|_| layout.color) {
                Some(c) => line.push_str(&format!("\x1b[{c}m{text}\x1b[0m")),
                None => line.push_str(&text),
            }
            if n + 1 < shown.len() {
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        line.push('\n');
        line
    }
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
