//! Excel workbooks out and in, for any list: `write_sheet` exports one sheet of typed cells, and
//! `read_sheet` imports the first worksheet of an uploaded `.xlsx` as lower-cased header names and
//! rows of typed values. It knows nothing of companies or contacts: each export or import brings its
//! own columns and its own per-column rules.
//!
//! What an export guarantees (`write`):
//! - **User text is always a string cell, never a formula**, whatever it starts with (`=`, `+`, `-`,
//!   `@`, tab, CR, `=HYPERLINK(…)`). Text Excel would take for a formula when typed also gets the
//!   "quote prefix" style Excel itself gives `'=…`, so editing the cell does not arm it either.
//! - Characters XML 1.0 cannot hold (control characters other than tab, LF and CR; U+FFFE, U+FFFF)
//!   become U+FFFD, so no value can break the file. Text over Excel's 32,767 characters (UTF-16
//!   units) is cut and ends with "…".
//! - Rows are written to an unnamed temporary file as they come (rust_xlsxwriter's constant-memory
//!   mode): memory holds one row and the finished, compressed file.
//!
//! What an import guarantees (`read`):
//! - Refused before any parsing, cheaply: more bytes than allowed; anything but a zip (an `.xls`, a
//!   password-protected workbook, a CSV); a zip whose parts unpack to more than allowed (the zip
//!   reader cuts every part off at its declared size, so a part cannot lie its way past the check);
//!   an OpenDocument or binary (`.xlsb`) workbook.
//! - Only cached cell values are read; formulas are never evaluated. An error value (`#DIV/0!`) in a
//!   named column is an error that names its cell. Rows and columns are bounded (`Limits`).
//! - No input makes it panic: the reader runs behind `catch_unwind` as a last net (calamine 0.38
//!   overflows on absurd cell references such as `A99999999999`, which panics in debug builds).
//!
//! Both are CPU work (10,000 rows take a fraction of a second): call them in `spawn_blocking`.

mod read;
mod write;

#[cfg(test)]
mod tests;

pub use read::{Limits, Row, Table, Value, read_named_sheet, read_sheet};
pub use write::{Cell, Export, Sheet, write_book, write_sheet};

use crate::error::AppError;

/// Why a workbook could not be read (messages a person can act on) or written.
#[derive(Debug, thiserror::Error)]
pub enum ExcelError {
    #[error("The file is larger than the {} allowed for an import.", size(*max_bytes as u64))]
    TooLarge { max_bytes: usize },
    #[error(
        "This is not an Excel workbook. Only .xlsx files can be imported: open the file in Excel or LibreOffice and save it as “Excel Workbook (.xlsx)”."
    )]
    NotExcel,
    #[error(
        "This is an Excel 97–2003 workbook (.xls) or a password-protected one, which cannot be imported. Please open it in Excel, save it as “Excel Workbook (.xlsx)” without a password, and import that file."
    )]
    LegacyOrProtected,
    #[error("This is {0}, which cannot be imported. Please save it as “Excel Workbook (.xlsx)” and import that file.")]
    OtherFormat(&'static str),
    #[error("The workbook unpacks to more than {}, more than an import may hold. Please split it into smaller files.", size(*max_bytes))]
    TooLargeUnpacked { max_bytes: u64 },
    /// The detail is for the log, not for the reader.
    #[error(
        "The file could not be read as an Excel workbook; it may be damaged. Please open it in Excel, save it again as .xlsx, and retry."
    )]
    Damaged(String),
    #[error("The workbook has no worksheet.")]
    NoWorksheet,
    #[error("The workbook has no sheet named “{}”.", clip(.0))]
    SheetNotFound(String),
    #[error("The sheet has no header row: its first row must name the columns.")]
    NoHeader,
    #[error("The sheet has more than {max} rows of data. Please split it into smaller files.")]
    TooManyRows { max: usize },
    #[error("The sheet has more than {max} named columns.")]
    TooManyColumns { max: usize },
    #[error("Two columns are named “{}” ({first} and {second}). Please rename or remove one.", clip(.name))]
    DuplicateColumn { name: String, first: String, second: String },
    #[error("Cell {cell} holds the error {error}. Please correct or clear it and import the file again.")]
    CellError { cell: String, error: String },
    /// Writing failed (a programming error or no room for the temporary file): not the reader's doing.
    #[error("The Excel file could not be written: {0}")]
    Write(String),
}

impl From<ExcelError> for AppError {
    fn from(e: ExcelError) -> AppError {
        match e {
            ExcelError::Write(_) => AppError::Other(anyhow::anyhow!("{e}")),
            ExcelError::Damaged(ref detail) => {
                tracing::info!(detail, "an uploaded workbook could not be read");
                AppError::BadRequest(e.to_string())
            }
            e => AppError::BadRequest(e.to_string()),
        }
    }
}

/// `0` → "A", `25` → "Z", `26` → "AA": a column as Excel names it.
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// A cell's name as Excel shows it ("D7"), from 0-based row and column.
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// A user-supplied name, short enough to quote in a message.
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX { s.to_string() } else { s.chars().take(MAX).chain(['…']).collect() }
}

fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB { format!("{} MB", bytes.div_ceil(MB)) } else { format!("{} KB", bytes.div_ceil(1024)) }
}
