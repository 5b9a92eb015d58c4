//! Import: one worksheet of an uploaded `.xlsx` as header names and typed rows, within `Limits`.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{CellErrorType, DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, XlsxError};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{ExcelError, cell_name, column_name};

/// What an import may hold. Memory stays within a small multiple of `max_unpacked_bytes`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest file accepted, in bytes.
    pub max_bytes: usize,
    /// The most the zip's parts may unpack to, all together.
    pub max_unpacked_bytes: u64,
    /// The most rows with a value below the header row (rows with nothing in them are not counted).
    pub max_rows: usize,
    /// The most named columns.
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: 10 << 20, max_unpacked_bytes: 100 << 20, max_rows: 10_000, max_columns: 100 }
    }
}

/// One cell's value, as the sheet typed it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Empty,
    /// Never blank (a blank text is `Empty`); line breaks are LF and NUL is gone (`text::normalize`).
    Text(String),
    /// A number without a fractional part, up to ±2^53 (Excel keeps every number as a double).
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A date-formatted number at midnight.
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// The value as text, for a column that wants text whatever the sheet typed (a phone number
    /// typed as a number): `4915112345678`, `2.5`, `TRUE`, `2026-12-01`, `2026-12-01 09:30:00`.
    pub fn to_text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
            Value::Date(d) => d.to_string(),
            Value::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// A worksheet read: its header names and the rows below them.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub sheet: String,
    /// The header cells' text, trimmed and lower-cased, left to right. Columns without a header
    /// name are left out, with their cells.
    pub headers: Vec<String>,
    /// Rows with at least one value in a named column, in sheet order.
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of the column named `name` (compared trimmed and lower-cased).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.trim().to_lowercase();
        self.headers.iter().position(|h| *h == name)
    }
}

/// One row: its number as Excel shows it (the header is usually row 1), and one value per header.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Value>,
}

impl Row {
    pub fn get(&self, column: usize) -> &Value {
        self.cells.get(column).unwrap_or(&Value::Empty)
    }
}

/// Reads the first visible worksheet (chart sheets skipped). The header row is the first row with
/// a value. An upload's size is known before its bytes are read (`Upload::size`): refuse a large one
/// there too, so it never reaches memory.
pub fn read_sheet(bytes: &[u8], limits: &Limits) -> Result<Table, ExcelError> {
    read(bytes, None, limits)
}

/// Reads the worksheet named `name` (the exact name, else the only one equal ignoring case).
pub fn read_named_sheet(bytes: &[u8], name: &str, limits: &Limits) -> Result<Table, ExcelError> {
    read(bytes, Some(name), limits)
}

fn read(bytes: &[u8], name: Option<&str>, limits: &Limits) -> Result<Table, ExcelError> {
    if bytes.len() > limits.max_bytes {
        return Err(ExcelError::TooLarge { max_bytes: limits.max_bytes });
    }
    sniff(bytes)?;
    std::panic::catch_unwind(|| {
        check_package(bytes, limits)?;
        parse(bytes, name, limits)
    })
    .unwrap_or_else(|_| Err(ExcelError::Damaged("the reader stopped on an internal error".into())))
}

/// The format, from the first bytes: a zip (an .xlsx is one), or the OLE container of `.xls` and of
/// password-protected workbooks, or anything else.
fn sniff(bytes: &[u8]) -> Result<(), ExcelError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(OLE) {
        Err(ExcelError::LegacyOrProtected)
    } else if bytes.starts_with(ZIP) {
        Ok(())
    } else {
        Err(ExcelError::NotExcel)
    }
}

/// Reads the zip's directory only: the parts' declared sizes (the zip reader stops any part at its
/// declared size, so the total bounds what parsing can unpack) and the kind of document.
fn check_package(bytes: &[u8], limits: &Limits) -> Result<(), ExcelError> {
    let damaged = |e: zip::result::ZipError| ExcelError::Damaged(format!("zip: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    let mut total: u64 = 0;
    let mut other = None;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(damaged)?;
        total = total.saturating_add(part.size());
        if total > limits.max_unpacked_bytes {
            return Err(ExcelError::TooLargeUnpacked { max_bytes: limits.max_unpacked_bytes });
        }
        match part.name_raw() {
            b"xl/workbook.bin" => other = Some("a binary Excel workbook (.xlsb)"),
            b"content.xml" => other = Some("an OpenDocument spreadsheet (.ods)"),
            b"word/document.xml" => other = Some("a Word document"),
            _ => {}
        }
    }
    other.map_or(Ok(()), |kind| Err(ExcelError::OtherFormat(kind)))
}

/// A cell kept while reading: a value, or an error value that matters only in a named column.
enum Slot {
    Value(Value),
    Error(CellErrorType),
}

/// Excel's grid: cells outside it are not shown by Excel, and are ignored here.
const GRID_ROWS: u32 = 1 << 20;
const GRID_COLUMNS: u32 = 1 << 14;

fn parse(bytes: &[u8], name: Option<&str>, limits: &Limits) -> Result<Table, ExcelError> {
    let damaged = |e: XlsxError| match e {
        XlsxError::Password => ExcelError::LegacyOrProtected,
        e => ExcelError::Damaged(e.to_string()),
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(damaged)?;
    let sheet = pick_sheet(book.sheets_metadata(), name)?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(damaged)?;
    // Only cells with a value are kept, by row: a sparse sheet costs what it holds.
    let mut rows: BTreeMap<u32, Vec<(u32, Slot)>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(damaged)? {
        let (row, col) = cell.get_position();
        if row >= GRID_ROWS || col >= GRID_COLUMNS {
            continue;
        }
        let Some(slot) = slot(cell.get_value()) else { continue };
        if !rows.contains_key(&row) && rows.len() > limits.max_rows {
            return Err(ExcelError::TooManyRows { max: limits.max_rows });
        }
        rows.entry(row).or_default().push((col, slot));
    }
    drop(cells);
    table(sheet, rows, limits)
}

fn pick_sheet(sheets: &[calamine::Sheet], name: Option<&str>) -> Result<String, ExcelError> {
    let mut worksheets = sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let found = match name {
        Some(name) => worksheets.clone().find(|s| s.name == name).or_else(|| {
            let mut same = worksheets.filter(|s| s.name.trim().to_lowercase() == name.trim().to_lowercase());
            same.next().filter(|_| same.next().is_none())
        }),
        None => worksheets.clone().find(|s| s.visible == SheetVisible::Visible).or_else(|| worksheets.next()),
    };
    match (found, name) {
        (Some(s), _) => Ok(s.name.clone()),
        (None, Some(name)) => Err(ExcelError::SheetNotFound(name.to_string())),
        (None, None) => Err(ExcelError::NoWorksheet),
    }
}

/// The header row (the first kept row) names the columns; every later row becomes one value per
/// named column.
fn table(sheet: String, rows: BTreeMap<u32, Vec<(u32, Slot)>>, limits: &Limits) -> Result<Table, ExcelError> {
    let mut rows = rows.into_iter();
    let Some((header_row, header_cells)) = rows.next() else { return Err(ExcelError::NoHeader) };
    let mut columns: Vec<(u32, String)> = Vec::new();
    for (col, slot) in sorted(header_cells) {
        let name = match slot {
            Slot::Value(v) => v.to_text().trim().to_lowercase(),
            Slot::Error(e) => return Err(cell_error(header_row, col, &e)),
        };
        if name.is_empty() {
            continue;
        }
        if let Some((first, _)) = columns.iter().find(|(_, n)| *n == name) {
            let (first, second) = (column_name(*first), column_name(col));
            return Err(ExcelError::DuplicateColumn { name, first, second });
        }
        if columns.len() == limits.max_columns {
            return Err(ExcelError::TooManyColumns { max: limits.max_columns });
        }
        columns.push((col, name));
    }
    if columns.is_empty() {
        return Err(ExcelError::NoHeader);
    }
    let index: HashMap<u32, usize> = columns.iter().enumerate().map(|(i, (col, _))| (*col, i)).collect();
    let mut out = Vec::new();
    for (row, cells) in rows {
        let mut values = vec![Value::Empty; columns.len()];
        for (col, slot) in cells {
            let Some(&i) = index.get(&col) else { continue };
            match slot {
                Slot::Value(v) => values[i] = v,
                Slot::Error(e) => return Err(cell_error(row, col, &e)),
            }
        }
        if values.iter().any(|v| !v.is_empty()) {
            out.push(Row { number: row + 1, cells: values });
        }
    }
    Ok(Table { sheet, headers: columns.into_iter().map(|(_, n)| n).collect(), rows: out })
}

/// A row's cells left to right; of two cells claiming one position the later wins.
fn sorted(mut cells: Vec<(u32, Slot)>) -> Vec<(u32, Slot)> {
    cells.reverse();
    cells.sort_by_key(|(col, _)| *col); // stable: the later cell stays first of its column
    cells.dedup_by_key(|(col, _)| *col);
    cells
}

fn cell_error(row: u32, col: u32, e: &CellErrorType) -> ExcelError {
    ExcelError::CellError { cell: cell_name(row, col), error: e.to_string() }
}

/// The value of a cell, or `None` for a cell with nothing (or only blanks) in it.
fn slot(v: &DataRef<'_>) -> Option<Slot> {
    let value = match v {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DurationIso(s) => text(s)?,
        DataRef::DateTimeIso(s) => iso_datetime(s).or_else(|| text(s))?,
        DataRef::SharedString(s) => text(s)?,
        DataRef::Int(n) => Value::Int(*n),
        DataRef::Float(x) => number(*x),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(t) => datetime(t),
        DataRef::Error(e) => return Some(Slot::Error(e.clone())),
    };
    Some(Slot::Value(value))
}

fn text(s: &str) -> Option<Value> {
    let s = crate::text::normalize(s);
    if s.trim().is_empty() { None } else { Some(Value::Text(s.into_owned())) }
}

fn number(x: f64) -> Value {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() <= MAX_EXACT { Value::Int(x as i64) } else { Value::Float(x) }
}

/// A date-formatted number. Excel's dates run from 1900 to 9999 (serial 0 to 2,958,465); anything
/// else, and a duration, stays a number.
fn datetime(t: &ExcelDateTime) -> Value {
    let serial = t.as_f64();
    if t.is_duration() || !(0.0..2_958_466.0).contains(&serial) {
        return number(serial);
    }
    match t.as_datetime() {
        Some(dt) if dt.time() == NaiveTime::MIN => Value::Date(dt.date()),
        Some(dt) => Value::DateTime(dt),
        None => number(serial),
    }
}

/// A cell of type `d` (ISO 8601 text, written by some tools instead of a serial number).
fn iso_datetime(s: &str) -> Option<Value> {
    let s = s.trim();
    if let Ok(dt) = s.parse::<NaiveDateTime>() {
        return Some(if dt.time() == NaiveTime::MIN { Value::Date(dt.date()) } else { Value::DateTime(dt) });
    }
    s.parse::<NaiveDate>().ok().map(Value::Date)
}
