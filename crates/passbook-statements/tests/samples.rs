//! Every sample statement in `../shared/statements/` (real files from public parsers' test
//! suites and banks' published examples; see its SOURCES.md) reads with the accounts, row counts
//! and reconciliation result below, or is refused with the reason below. Where a file's own
//! balances do not add up (SOURCES.md notes which), the reader must say so: `U` with the
//! difference the file's numbers leave.
use passbook_domain::statement_file::{ReadError, ReconciliationStatus, StatementReader};
use passbook_statements::FileReader;

mod common;
use common::samples_dir;

use Expect::*;
use ReconciliationStatus::{Balanced as B, Unbalanced as U, Unverifiable as V};

enum Expect {
    /// Per account: number, rows, reconciliation, difference (closing − opening − rows).
    Read(&'static [(&'static str, usize, ReconciliationStatus, Option<i64>)]),
    Refused(&'static str),
}

const SAMPLES: &[(&str, Expect)] = &[
    (
        "ofx/asgrim__ofx-multiple-accounts-xml.ofx",
        Read(&[("54658222458596", 0, V, None), ("546582659855", 2, V, None), ("21252344525548", 1, V, None)]),
    ),
    ("ofx/asgrim__ofxdata-bb-two-stmtrs.ofx", Read(&[("455000-5", 0, V, None), ("655000-2", 36, V, None)])),
    ("ofx/asgrim__ofxdata-bb.ofx", Read(&[("455000-5", 1, V, None)])),
    ("ofx/asgrim__ofxdata-cmfr.ofx", Read(&[("XXXXXXXXXX", 42, V, None)])),
    ("ofx/asgrim__ofxdata-credit-card.ofx", Read(&[("1234567891234567", 1, V, None)])),
    ("ofx/asgrim__ofxdata-memoWithAmpersand.ofx", Read(&[("99999999-9999-9999-9999-999999999999", 16, V, None)])),
    ("ofx/asgrim__ofxdata-oneline.ofx", Read(&[("XXXXXXXXXXX", 8, V, None)])),
    ("ofx/asgrim__ofxdata-selfclose.ofx", Read(&[("3037198326", 5, V, None)])),
    ("ofx/oca__test_ofx.ofx", Read(&[("123456", 4, V, None), ("123412341234", 0, V, None)])),
    ("ofx/ofxparse__anzcc.ofx", Read(&[("1234123412341234", 1, V, None)])),
    ("ofx/ofxparse__bank_medium.ofx", Read(&[("12300 000012345678", 3, V, None)])),
    ("ofx/ofxparse__checking.ofx", Read(&[("1452687~7", 3, V, None)])),
    ("ofx/ofxparse__multiple_accounts2.ofx", Read(&[("9100", 0, V, None), ("9200", 0, V, None)])),
    ("ofx/ofxparse__ofx-v102-empty-tags.ofx", Read(&[("12345678", 1, V, None)])),
    ("ofx/ofxparse__suncorp.ofx", Read(&[("123456789", 1, V, None)])),
    (
        "ofx/ofxstatement-french__BPACA_OP_20220717.ofx",
        Read(&[("99999999999", 61, V, None), ("99999999999", 2, V, None)]),
    ),
    ("ofx/ofxtools__br_nubank_cc.ofx", Read(&[("11111111-UUID-UUID-UUID-111111111111", 6, V, None)])),
    ("ofx/ofxtools__stmtrs_euro.ofx", Read(&[("999988", 2, V, None)])),
    ("camt053/genkgo__camt053.v2.five.decimals.xml", Read(&[("NL26VAYB8060476890", 1, U, Some(5))])),
    ("camt053/genkgo__camt053.v2.multi.statement.xml", Read(&[("NL26VAYB8060476890", 2, B, Some(0))])),
    ("camt053/genkgo__camt053.v3.xml", Read(&[("NL26VAYB8060476890", 1, V, None)])),
    ("camt053/genkgo__camt053.v4.xml", Read(&[("NL26VAYB8060476890", 1, V, None)])),
    ("camt053/genkgo__camt053.v8.xml", Read(&[("NL26VAYB8060476890", 1, V, None)])),
    ("camt053/oca__test-camt053.xml", Read(&[("NL77ABNA0574908765", 3, U, Some(-43416))])),
    ("camt053/ofxstatement-iso20022__camt053.xml", Read(&[("0035-2915203-10-000", 1, B, Some(0))])),
    ("camt053/ofxstatement-iso20022__davider80.xml", Read(&[("CHxxxxxxxxxxxxxxxxxxx", 16, B, Some(0))])),
    ("camt053/viafintech__valid_example.xml", Read(&[("DE14740618130000033626", 4, B, Some(0))])),
    ("camt053/viafintech__valid_example_v4.xml", Read(&[("CH0309000000250090342", 13, B, Some(0))])),
    ("camt053/viafintech__valid_example_v8.xml", Read(&[("CH1111111111111111111", 3, U, Some(125102))])),
    ("camt053/viafintech__valid_example_with_batch.xml", Read(&[("NL18INGB00012345678", 3, U, Some(1277414))])),
    ("mt940/mt940-rs__danske_MT940_DK_Example.sta", Read(&[("1234567890", 89, B, Some(0))])),
    ("mt940/mt940-rs__danske_MT940_NO_Example.sta", Read(&[("1111.11.11111", 24, B, Some(0))])),
    ("mt940/mt940-rs__danske_MT940_SE_Example.sta", Read(&[("1111-11-11111", 103, B, Some(0))])),
    ("mt940/mt940-rs__sparkasse_buxtehude.sta", Read(&[("0291593375", 3, U, Some(10000))])),
    ("mt940/oca__test-ing.940", Read(&[("NL77INGB0574908765", 8, B, Some(0))])),
    ("mt940/oca__test-sns.940", Read(&[("NL05SNSB0908244436", 8, B, Some(0))])),
    (
        "mt940/wolph-betterplace__sepa_mt9401.sta",
        Read(&[
            ("0194774600888", 7, B, Some(0)),
            ("0194777100888", 2, B, Some(0)),
            ("0194778300888", 5, B, Some(0)),
            ("0194779500888", 3, B, Some(0)),
            ("0194780100888", 5, B, Some(0)),
            ("0194780101888", 1, B, Some(0)),
            ("0194781300888", 8, B, Some(0)),
            ("0194782500888", 11, B, Some(0)),
            ("0194783700888", 12, B, Some(0)),
            ("0194784900888", 9, B, Some(0)),
            ("0194784901888", 1, B, Some(0)),
            ("0194785000888", 12, B, Some(0)),
            ("0194785001888", 1, B, Some(0)),
            ("0194786200888", 3, B, Some(0)),
            ("0194787400888", 4, B, Some(0)),
            ("0194791600888", 7, B, Some(0)),
            ("0194791601888", 3, B, Some(0)),
            ("0194798900888", 1, B, Some(0)),
            ("0194799000888", 1, B, Some(0)),
            ("0194804000888", 1, B, Some(0)),
        ]),
    ),
    ("mt940/wolph-jejik__abnamro.sta", Read(&[("517852257", 10, U, Some(-304060))])),
    ("mt940/wolph-jejik__ing.sta", Read(&[("0001234567", 7, U, Some(4906))])),
    ("mt940/wolph-jejik__knab.sta", Read(&[("123456789", 3, U, Some(450000))])),
    ("mt940/wolph-jejik__postfinance.sta", Read(&[("123456789", 4, U, Some(20))])),
    ("mt940/wolph-jejik__rabobank-iban.sta", Read(&[("NL71RABO0123456789", 4, B, Some(0))])),
    ("mt940/wolph-jejik__triodos.sta", Read(&[("0390123456", 2, U, Some(11140))])),
    ("mt940/wolph__asnb_mt940.txt", Read(&[("NL81ASNB9999999999", 8, B, Some(0))])),
    ("mt940/wolph__citi_mt940.txt", Read(&[("123456789", 5, B, Some(0))])),
    ("mt940/wolph__mbank_mt940.sta", Read(&[("PL29114010810000267002001002", 3, B, Some(0))])),
    ("csv/csv2ofx__capitalone.csv", Read(&[("", 2, V, None)])),
    ("csv/csv2ofx__gls.csv", Read(&[("1234567890", 1, V, None)])),
    ("csv/csv2ofx__ingesp.csv", Read(&[("", 10, U, None)])),
    ("csv/csv2ofx__outbank.csv", Read(&[("DE81254326973657190105", 4, V, None)])),
    ("csv/csv2ofx__payoneer.csv", Read(&[("", 2, B, None)])),
    ("csv/csv2ofx__schwab-checking.csv", Read(&[("", 4, B, None)])),
    ("csv/csv2ofx__ubs-ch-fr_trimmed.csv", Read(&[("0123 45678901.23A", 3, B, None)])),
    ("csv/oca__meta_data_separated_credit_debit.csv", Read(&[("08088804068", 4, U, Some(2))])),
    ("csv/ofxstatement-dutch__Knab_transactieoverzicht_ok.csv", Read(&[("NL99KNAB9999999999", 28, V, None)])),
    ("csv/ofxstatement-dutch__ing_ok.csv", Read(&[("NL99INGB9999999999", 6, V, None)])),
    (
        "csv/ofxstatement-dutch__transactie-historie_NL00ASNB9999999999_20220717204133.csv",
        Read(&[("NL00ASNB9999999999", 11, B, None)]),
    ),
    ("xlsx/oca__meta_data_separated_credit_debit.xlsx", Read(&[("08088804068", 4, U, Some(2))])),
    ("xlsx/oca__sample_statement_en.xlsx", Read(&[("", 1, V, None), ("", 1, V, None)])),
    ("xlsx/ofxstatement-santander-es__sample-statement.xlsx", Read(&[("ESXXXXXXXXXXXXXXXXXXXXXX", 1, V, None)])),
    ("pdf/dkb-parser__Kontoauszug_DKB_2020_011.pdf", Read(&[("0123456789", 4, B, Some(0))])),
    ("pdf/monopoly__example_statement.pdf", Read(&[("", 52, B, Some(0))])),
    ("pdf/monopoly__protected.pdf", Refused("This file is protected by a password. Enter the password to open it.")),
];

#[test]
fn every_sample_reads_as_its_own_numbers_say() {
    let dir = samples_dir();
    let mut on_disk: Vec<String> = Vec::new();
    for sub in ["ofx", "camt053", "mt940", "csv", "xlsx", "pdf"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            on_disk.push(format!("{sub}/{}", entry.unwrap().file_name().to_string_lossy()));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = SAMPLES.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "every sample file has an expectation here");

    let reader = FileReader::default();
    for (file, expect) in SAMPLES {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let read = reader.read(&bytes, Some(file), None);
        match (expect, read) {
            (Read(accounts), Ok(read)) => {
                let got: Vec<_> = read
                    .accounts
                    .iter()
                    .map(|a| {
                        let r = a.reconcile();
                        (a.account_number.clone().unwrap_or_default(), a.rows.len(), r.status, r.difference)
                    })
                    .collect();
                let want: Vec<_> = accounts.iter().map(|(n, rows, s, d)| (n.to_string(), *rows, *s, *d)).collect();
                assert_eq!(got, want, "{file}");
                for account in &read.accounts {
                    if !account.rows.is_empty() {
                        let (first, last) = account.period.expect("an account with rows has a period");
                        assert!(first <= last, "{file}: period");
                    }
                    for row in &account.rows {
                        assert!(
                            row.date.0 > 631_152_000_000 && row.date.0 < 4_102_444_800_000,
                            "{file}: a plausible date"
                        );
                    }
                }
            }
            (Refused(reason), Err(err)) => assert_eq!(err.to_string(), *reason, "{file}"),
            (_, other) => panic!("{file}: unexpected {other:?}"),
        }
    }
}

#[test]
fn a_protected_pdf_asks_for_its_password_and_opens_with_the_right_one() {
    let bytes = std::fs::read(samples_dir().join("pdf/monopoly__protected.pdf")).unwrap();
    let reader = FileReader::default();
    assert_eq!(reader.read(&bytes, None, None).unwrap_err(), ReadError::PasswordRequired);
    assert_eq!(reader.read(&bytes, None, Some("wrong")).unwrap_err(), ReadError::WrongPassword);
    // The right password opens it: a single blank page, so no text to read.
    assert_eq!(reader.read(&bytes, None, Some("foobar123")).unwrap_err(), ReadError::NoTextLayer);
}
