//! Export: one sheet, a bold frozen header row, then one row per item, every cell typed by `Cell`.

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::ExcelError;

/// One cell of an export.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    /// User text: always a string cell, never a formula (see the module header).
    Text(String),
    /// Past ±2^53 a spreadsheet's doubles would round it, so such a value is written as text.
    Int(i64),
    /// NaN and the infinities have no Excel form: they are written as an empty cell.
    Number(f64),
    /// An amount in cents (the app keeps money as integer hundredths, as Django-CRM's
    /// `decimal_places=2`), written as a number shown `#,##0.00`, so the sheet can sum it.
    Money(i64),
    Bool(bool),
    /// Shown `yyyy-mm-dd`. Outside Excel's years 1900–9999 it is written as ISO text.
    Date(NaiveDate),
    /// Shown `yyyy-mm-dd hh:mm` in the export's zone (Excel has no zones, so the zone is the
    /// export's, usually the viewer's).
    DateTime(DateTime<Utc>),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Cell {
        Cell::Bool(b)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

impl From<DateTime<Utc>> for Cell {
    fn from(t: DateTime<Utc>) -> Cell {
        Cell::DateTime(t)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// An export's settings. `write_sheet` is the short form with the system's temporary directory.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    /// The tab's name; characters Excel forbids become `_`, and it is cut to 31 characters.
    pub sheet_name: &'a str,
    pub headers: &'a [&'a str],
    /// The zone `Cell::DateTime` values are shown in.
    pub zone: Tz,
    /// Where rows are spooled while the file is built (`None`: the system's temporary directory).
    /// The file is unnamed, so nothing is left behind, even after a crash.
    pub tmp_dir: Option<&'a Path>,
}

/// An `.xlsx` file with one sheet: `headers`, then `rows` (a row may be shorter than the headers).
pub fn write_sheet(
    sheet_name: &str,
    headers: &[&str],
    zone: Tz,
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<Vec<u8>, ExcelError> {
    Export { sheet_name, headers, zone, tmp_dir: None }.write(rows)
}

/// One sheet of a workbook written whole by `write_book` (small tables: a report's, not a list's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sheet {
    /// The tab's name; characters Excel forbids become `_`, it is cut to 31 characters, and a name
    /// already used in the book gets a number.
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// An `.xlsx` file with one sheet per `Sheet`, each laid out as `write_sheet` lays out its one.
pub fn write_book(sheets: Vec<Sheet>, zone: Tz) -> Result<Vec<u8>, ExcelError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| build_book(sheets, zone)))
        .map_err(|_| ExcelError::Write("the writer stopped".into()))?
        .map_err(|e| ExcelError::Write(e.to_string()))
}

fn build_book(sheets: Vec<Sheet>, zone: Tz) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let f = Formats::new();
    let mut used: Vec<String> = Vec::new();
    for s in sheets {
        let sheet = book.add_worksheet();
        let base = sheet_name(&s.name);
        let mut name = base.clone();
        let mut n = 2;
        while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
            let suffix = format!(" ({n})");
            let keep: String = base
                .chars()
                .scan(0, |units, c| {
                    *units += c.len_utf16();
                    (*units + suffix.len() <= 31).then_some(c)
                })
                .collect();
            name = format!("{}{suffix}", keep.trim_end());
            n += 1;
        }
        sheet.set_name(&name)?;
        used.push(name);
        let headers: Vec<&str> = s.headers.iter().map(String::as_str).collect();
        fill(sheet, &headers, s.rows.into_iter(), zone, &f)?;
    }
    if used.is_empty() {
        book.add_worksheet();
    }
    book.save_to_buffer()
}

/// The header row (bold, frozen), the rows, and the columns' widths.
fn fill(
    sheet: &mut Worksheet,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Cell>>,
    zone: Tz,
    f: &Formats,
) -> Result<(), XlsxError> {
    let mut widths = Vec::new();
    for (col, h) in (0..).zip(headers) {
        let w = write_text(sheet, 0, col, h, (&f.header, &f.header_quoted))?;
        see(&mut widths, col, w + 1); // bold is wider
    }
    sheet.set_freeze_panes(1, 0)?;
    for (row, cells) in (1..).zip(rows) {
        for (col, cell) in (0..).zip(cells) {
            let w = write_cell(sheet, row, col, cell, zone, f)?;
            see(&mut widths, col, w);
        }
    }
    for (col, w) in (0..).zip(widths) {
        sheet.set_column_width(col, w.clamp(MIN_WIDTH, MAX_WIDTH) as f64)?;
    }
    Ok(())
}

impl Export<'_> {
    /// Writes the rows, consuming each as it goes.
    pub fn write(&self, rows: impl IntoIterator<Item = Vec<Cell>>) -> Result<Vec<u8>, ExcelError> {
        let rows = rows.into_iter();
        // In constant-memory mode rust_xlsxwriter panics when the temporary file cannot be written
        // (`expect` on every write); make that an error like any other.
        std::panic::catch_unwind(AssertUnwindSafe(|| self.build(rows)))
            .map_err(|_| ExcelError::Write("the writer stopped (is the temporary directory full?)".into()))?
            .map_err(|e| ExcelError::Write(e.to_string()))
    }

    fn build(&self, rows: impl Iterator<Item = Vec<Cell>>) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        if let Some(dir) = self.tmp_dir {
            book.set_tempdir(dir)?;
        }
        let f = Formats::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(self.sheet_name))?;
        fill(sheet, self.headers, rows, self.zone, &f)?;
        book.save_to_buffer()
    }
}

/// Column widths, in characters: wide enough for the longest line seen, within these bounds.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 50;

fn see(widths: &mut Vec<usize>, col: ColNum, w: usize) {
    let col = usize::from(col);
    if widths.len() <= col {
        widths.resize(col + 1, 0);
    }
    widths[col] = widths[col].max(w + 1);
}

struct Formats {
    plain: Format,
    quoted: Format,
    header: Format,
    header_quoted: Format,
    date: Format,
    datetime: Format,
    money: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            plain: Format::new(),
            quoted: Format::new().set_quote_prefix(),
            header: Format::new().set_bold(),
            header_quoted: Format::new().set_bold().set_quote_prefix(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            money: Format::new().set_num_format("#,##0.00"),
        }
    }
}

/// The largest integer a double holds exactly (2^53).
const MAX_EXACT: u64 = 1 << 53;

/// Writes one cell; returns its width in characters.
fn write_cell(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    cell: Cell,
    zone: Tz,
    f: &Formats,
) -> Result<usize, XlsxError> {
    let text = (&f.plain, &f.quoted);
    match cell {
        Cell::Empty => Ok(0),
        Cell::Text(s) => write_text(sheet, row, col, &s, text),
        Cell::Int(n) if n.unsigned_abs() <= MAX_EXACT => {
            sheet.write_number(row, col, n as f64)?;
            Ok(n.to_string().len())
        }
        Cell::Int(n) => write_text(sheet, row, col, &n.to_string(), text),
        Cell::Number(x) if x.is_finite() => {
            sheet.write_number(row, col, x)?;
            Ok(x.to_string().len().min(12))
        }
        Cell::Number(_) => Ok(0),
        Cell::Money(cents) => {
            let shown = money_text(cents);
            if cents.unsigned_abs() > MAX_EXACT {
                return write_text(sheet, row, col, &shown, text);
            }
            sheet.write_number_with_format(row, col, cents as f64 / 100.0, &f.money)?;
            Ok(shown.len() + shown.len() / 4) // with thousands separators
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, b)?;
            Ok(5)
        }
        Cell::Date(d) => match excel_date(d) {
            Some(x) => {
                sheet.write_datetime_with_format(row, col, &x, &f.date)?;
                Ok(10)
            }
            None => write_text(sheet, row, col, &d.to_string(), text),
        },
        Cell::DateTime(t) => {
            let local = t.with_timezone(&zone).naive_local();
            match excel_datetime(local) {
                Some(x) => {
                    sheet.write_datetime_with_format(row, col, &x, &f.datetime)?;
                    Ok(16)
                }
                None => write_text(sheet, row, col, &local.format("%Y-%m-%d %H:%M").to_string(), text),
            }
        }
    }
}

/// Writes text as a string cell (never a formula), cleaned, with the quote-prefix format when it
/// starts like a formula. `formats` is (plain, quote-prefixed).
fn write_text(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    raw: &str,
    (plain, quoted): (&Format, &Format),
) -> Result<usize, XlsxError> {
    let s = clean_text(raw);
    let format = if looks_like_formula(&s) { quoted } else { plain };
    sheet.write_string_with_format(row, col, s.as_ref(), format)?;
    Ok(s.split('\n').map(|line| line.chars().take(MAX_WIDTH).count()).max().unwrap_or(0))
}

/// Text Excel would read as a formula if it were typed (OWASP's CSV-injection list, plus the
/// full-width forms an IME may produce).
pub(super) fn looks_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'])
}

/// Most UTF-16 units Excel keeps in one cell.
pub(super) const MAX_CELL_TEXT: usize = 32_767;

/// Text a cell can hold: characters XML 1.0 cannot carry become U+FFFD, and text past
/// `MAX_CELL_TEXT` is cut, ending with "…".
pub(super) fn clean_text(s: &str) -> Cow<'_, str> {
    let xml_char = |c: char| matches!(c, '\t' | '\n' | '\r') || !(c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}');
    let mut out = if s.chars().all(xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect())
    };
    // UTF-8 never has fewer bytes than UTF-16 has units, so short text needs no count.
    if out.len() > MAX_CELL_TEXT && out.encode_utf16().count() > MAX_CELL_TEXT {
        let mut units = 0;
        let mut end = 0;
        for (i, c) in out.char_indices() {
            units += c.len_utf16();
            if units > MAX_CELL_TEXT - 1 {
                break;
            }
            end = i + c.len_utf8();
        }
        out = Cow::Owned(format!("{}…", &out[..end]));
    }
    out
}

/// A tab name Excel accepts: no `[]:*?/\` or control characters, no quote at either end, at most 31
/// characters; never empty.
fn sheet_name(raw: &str) -> String {
    let name: String = raw.chars().map(|c| if c.is_control() || "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let mut out = String::new();
    for c in name.trim().trim_matches('\'').chars() {
        if out.encode_utf16().count() + c.len_utf16() > 31 {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end_matches('\'').to_string();
    if out.is_empty() || out.eq_ignore_ascii_case("history") { "Sheet1".to_string() } else { out }
}

fn money_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok().filter(|y| (1900..=9999).contains(y))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

fn excel_datetime(t: NaiveDateTime) -> Option<ExcelDateTime> {
    let milli = (t.nanosecond() / 1_000_000) as u16;
    excel_date(t.date())?.and_hms_milli(t.hour() as u16, t.minute() as u8, t.second() as u8, milli).ok()
}
