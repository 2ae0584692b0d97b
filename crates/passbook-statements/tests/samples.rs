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

/// Number, currency, rows, reconciliation, difference, balance at the end.
type Account = (&'static str, &'static str, usize, ReconciliationStatus, Option<i64>, Option<i64>);

enum Expect {
    /// Per account: number, currency, rows, reconciliation, difference (closing − opening −
    /// rows), and the balance at the statement's end (stated, or after its newest row).
    Read(&'static [Account]),
    Refused(&'static str),
}

const SAMPLES: &[(&str, Expect)] = &[
    (
        "ofx/asgrim__ofx-multiple-accounts-xml.ofx",
        Read(&[
            ("54658222458596", "GBP", 0, V, None, Some(4301)),
            ("546582659855", "GBP", 2, V, None, Some(300025)),
            ("21252344525548", "GBP", 1, V, None, Some(1172856)),
        ]),
    ),
    (
        "ofx/asgrim__ofxdata-bb-two-stmtrs.ofx",
        Read(&[("455000-5", "BRL", 0, V, None, Some(0)), ("655000-2", "BRL", 36, V, None, Some(455528))]),
    ),
    ("ofx/asgrim__ofxdata-bb.ofx", Read(&[("455000-5", "BRL", 1, V, None, Some(23935))])),
    ("ofx/asgrim__ofxdata-cmfr.ofx", Read(&[("XXXXXXXXXX", "EUR", 42, V, None, Some(1000000))])),
    ("ofx/asgrim__ofxdata-credit-card.ofx", Read(&[("1234567891234567", "GBP", 1, V, None, Some(-50000))])),
    (
        "ofx/asgrim__ofxdata-memoWithAmpersand.ofx",
        Read(&[("99999999-9999-9999-9999-999999999999", "BRL", 16, V, None, Some(-73405))]),
    ),
    ("ofx/asgrim__ofxdata-oneline.ofx", Read(&[("XXXXXXXXXXX", "EUR", 8, V, None, Some(10000))])),
    ("ofx/asgrim__ofxdata-selfclose.ofx", Read(&[("3037198326", "BRL", 5, V, None, None)])),
    (
        "ofx/oca__test_ofx.ofx",
        Read(&[("123456", "USD", 4, V, None, Some(215656)), ("123412341234", "USD", 0, V, None, Some(-56200))]),
    ),
    ("ofx/ofxparse__anzcc.ofx", Read(&[("1234123412341234", "AUD", 1, V, None, Some(-12345))])),
    ("ofx/ofxparse__bank_medium.ofx", Read(&[("12300 000012345678", "CAD", 3, V, None, Some(38234))])),
    ("ofx/ofxparse__checking.ofx", Read(&[("1452687~7", "USD", 3, V, None, Some(10099))])),
    (
        "ofx/ofxparse__multiple_accounts2.ofx",
        Read(&[("9100", "USD", 0, V, None, Some(11100)), ("9200", "USD", 0, V, None, Some(22200))]),
    ),
    ("ofx/ofxparse__ofx-v102-empty-tags.ofx", Read(&[("12345678", "AUD", 1, V, None, None)])),
    ("ofx/ofxparse__suncorp.ofx", Read(&[("123456789", "AUD", 1, V, None, Some(123412))])),
    (
        "ofx/ofxstatement-french__BPACA_OP_20220717.ofx",
        Read(&[("99999999999", "EUR", 61, V, None, Some(151881)), ("99999999999", "EUR", 2, V, None, Some(755642))]),
    ),
    (
        "ofx/ofxtools__br_nubank_cc.ofx",
        Read(&[("11111111-UUID-UUID-UUID-111111111111", "BRL", 6, V, None, Some(-128091))]),
    ),
    ("ofx/ofxtools__stmtrs_euro.ofx", Read(&[("999988", "USD", 2, V, None, Some(20029))])),
    ("camt053/genkgo__camt053.v2.five.decimals.xml", Read(&[("NL26VAYB8060476890", "EUR", 1, U, Some(5), Some(2705))])),
    (
        "camt053/genkgo__camt053.v2.multi.statement.xml",
        Read(&[("NL26VAYB8060476890", "EUR", 2, B, Some(0), Some(2000))]),
    ),
    ("camt053/genkgo__camt053.v3.xml", Read(&[("NL26VAYB8060476890", "EUR", 1, V, None, None)])),
    ("camt053/genkgo__camt053.v4.xml", Read(&[("NL26VAYB8060476890", "EUR", 1, V, None, None)])),
    ("camt053/genkgo__camt053.v8.xml", Read(&[("NL26VAYB8060476890", "EUR", 1, V, None, None)])),
    ("camt053/oca__test-camt053.xml", Read(&[("NL77ABNA0574908765", "EUR", 3, U, Some(-43416), Some(1512112))])),
    (
        "camt053/ofxstatement-iso20022__camt053.xml",
        Read(&[("0035-2915203-10-000", "CHF", 1, B, Some(0), Some(211631))]),
    ),
    (
        "camt053/ofxstatement-iso20022__davider80.xml",
        Read(&[("CHxxxxxxxxxxxxxxxxxxx", "CHF", 16, B, Some(0), Some(575346))]),
    ),
    ("camt053/viafintech__valid_example.xml", Read(&[("DE14740618130000033626", "EUR", 4, B, Some(0), Some(2306))])),
    (
        "camt053/viafintech__valid_example_v4.xml",
        Read(&[("CH0309000000250090342", "CHF", 13, B, Some(0), Some(32268977))]),
    ),
    (
        "camt053/viafintech__valid_example_v8.xml",
        Read(&[("CH1111111111111111111", "CHF", 3, U, Some(125102), Some(8451525))]),
    ),
    (
        "camt053/viafintech__valid_example_with_batch.xml",
        Read(&[("NL18INGB00012345678", "EUR", 3, U, Some(1277414), Some(2303820))]),
    ),
    ("mt940/mt940-rs__danske_MT940_DK_Example.sta", Read(&[("1234567890", "DKK", 89, B, Some(0), Some(385137947))])),
    (
        "mt940/mt940-rs__danske_MT940_NO_Example.sta",
        Read(&[("1111.11.11111", "NOK", 24, B, Some(0), Some(9675560022))]),
    ),
    (
        "mt940/mt940-rs__danske_MT940_SE_Example.sta",
        Read(&[("1111-11-11111", "SEK", 103, B, Some(0), Some(1298874324))]),
    ),
    ("mt940/mt940-rs__sparkasse_buxtehude.sta", Read(&[("0291593375", "EUR", 3, U, Some(10000), Some(1352309))])),
    ("mt940/oca__test-ing.940", Read(&[("NL77INGB0574908765", "EUR", 8, B, Some(0), Some(56435))])),
    ("mt940/oca__test-sns.940", Read(&[("NL05SNSB0908244436", "EUR", 8, B, Some(0), None)])),
    (
        "mt940/wolph-betterplace__sepa_mt9401.sta",
        Read(&[
            ("0194774600888", "EUR", 7, B, Some(0), Some(-123762823)),
            ("0194777100888", "EUR", 2, B, Some(0), Some(-145574985)),
            ("0194778300888", "EUR", 5, B, Some(0), Some(-223733485)),
            ("0194779500888", "EUR", 3, B, Some(0), Some(424267504)),
            ("0194780100888", "EUR", 5, B, Some(0), Some(-309552214)),
            ("0194780101888", "EUR", 1, B, Some(0), Some(20396020)),
            ("0194781300888", "EUR", 8, B, Some(0), Some(-10085445)),
            ("0194782500888", "EUR", 11, B, Some(0), Some(-230347111)),
            ("0194783700888", "EUR", 12, B, Some(0), Some(-501969796)),
            ("0194784900888", "EUR", 9, B, Some(0), Some(-884442538)),
            ("0194784901888", "EUR", 1, B, Some(0), Some(2798010)),
            ("0194785000888", "EUR", 12, B, Some(0), Some(-511359352)),
            ("0194785001888", "EUR", 1, B, Some(0), Some(20396020)),
            ("0194786200888", "EUR", 3, B, Some(0), Some(23895477)),
            ("0194787400888", "EUR", 4, B, Some(0), Some(112525040)),
            ("0194791600888", "EUR", 7, B, Some(0), Some(-447204909)),
            ("0194791601888", "EUR", 3, B, Some(0), Some(-39731025)),
            ("0194798900888", "EUR", 1, B, Some(0), Some(-60000)),
            ("0194799000888", "EUR", 1, B, Some(0), Some(-60000)),
            ("0194804000888", "EUR", 1, B, Some(0), Some(5005)),
        ]),
    ),
    ("mt940/wolph-jejik__abnamro.sta", Read(&[("517852257", "EUR", 10, U, Some(-304060), Some(184975))])),
    ("mt940/wolph-jejik__ing.sta", Read(&[("0001234567", "EUR", 7, U, Some(4906), Some(347))])),
    ("mt940/wolph-jejik__knab.sta", Read(&[("123456789", "EUR", 3, U, Some(450000), Some(79898))])),
    ("mt940/wolph-jejik__postfinance.sta", Read(&[("123456789", "CHF", 4, U, Some(20), Some(15960))])),
    ("mt940/wolph-jejik__rabobank-iban.sta", Read(&[("NL71RABO0123456789", "EUR", 4, B, Some(0), Some(93000))])),
    ("mt940/wolph-jejik__triodos.sta", Read(&[("0390123456", "EUR", 2, U, Some(11140), Some(437079))])),
    ("mt940/wolph__asnb_mt940.txt", Read(&[("NL81ASNB9999999999", "EUR", 8, B, Some(0), Some(50123))])),
    ("mt940/wolph__citi_mt940.txt", Read(&[("123456789", "USD", 5, B, Some(0), Some(1623392))])),
    ("mt940/wolph__mbank_mt940.sta", Read(&[("PL29114010810000267002001002", "PLN", 3, B, Some(0), Some(43))])),
    ("csv/csv2ofx__capitalone.csv", Read(&[("1234", "", 2, V, None, None)])),
    ("csv/csv2ofx__gls.csv", Read(&[("1234567890", "EUR", 1, V, None, Some(123456))])),
    ("csv/csv2ofx__ingesp.csv", Read(&[("", "", 10, U, None, Some(31888))])),
    ("csv/csv2ofx__outbank.csv", Read(&[("DE81254326973657190105", "EUR", 4, V, None, None)])),
    ("csv/csv2ofx__payoneer.csv", Read(&[("", "USD", 2, B, None, Some(20000))])),
    ("csv/csv2ofx__schwab-checking.csv", Read(&[("", "", 4, B, None, Some(87847))])),
    ("csv/csv2ofx__ubs-ch-fr_trimmed.csv", Read(&[("0123 45678901.23A", "CHF", 3, B, None, Some(1141394))])),
    ("csv/oca__meta_data_separated_credit_debit.csv", Read(&[("08088804068", "EUR", 4, U, Some(2), Some(3107011))])),
    (
        "csv/ofxstatement-dutch__Knab_transactieoverzicht_ok.csv",
        Read(&[("NL99KNAB9999999999", "EUR", 28, V, None, None)]),
    ),
    ("csv/ofxstatement-dutch__ing_ok.csv", Read(&[("NL99INGB9999999999", "EUR", 6, V, None, None)])),
    (
        "csv/ofxstatement-dutch__transactie-historie_NL00ASNB9999999999_20220717204133.csv",
        Read(&[("NL00ASNB9999999999", "EUR", 11, B, None, Some(8424))]),
    ),
    ("xlsx/oca__meta_data_separated_credit_debit.xlsx", Read(&[("08088804068", "EUR", 4, U, Some(2), Some(3107011))])),
    ("xlsx/oca__sample_statement_en.xlsx", Read(&[("", "USD", 1, V, None, None), ("", "EUR", 1, V, None, None)])),
    (
        "xlsx/ofxstatement-santander-es__sample-statement.xlsx",
        Read(&[("ESXXXXXXXXXXXXXXXXXXXXXX", "EUR", 1, V, None, Some(100023))]),
    ),
    ("pdf/dkb-parser__Kontoauszug_DKB_2020_011.pdf", Read(&[("0123456789", "EUR", 4, B, Some(0), Some(128076))])),
    ("pdf/monopoly__example_statement.pdf", Read(&[("5488-2926-6730-9473", "SGD", 52, B, Some(0), Some(-70210))])),
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
    let mut wrong = Vec::new();
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
                        (
                            a.account_number.clone().unwrap_or_default(),
                            a.currency.clone().unwrap_or_default(),
                            a.rows.len(),
                            r.status,
                            r.difference,
                            a.closing_balance(),
                        )
                    })
                    .collect();
                let want: Vec<_> = accounts
                    .iter()
                    .map(|(n, c, rows, s, d, b)| (n.to_string(), c.to_string(), *rows, *s, *d, *b))
                    .collect();
                if got != want {
                    wrong.push(format!("{file}:\n   read {got:?}\n   want {want:?}"));
                    continue;
                }
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
            (Refused(reason), Err(err)) if err.to_string() == *reason => {}
            (_, other) => wrong.push(format!("{file}: unexpected {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{} of {} samples read wrong:\n{}", wrong.len(), SAMPLES.len(), wrong.join("\n"));
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
