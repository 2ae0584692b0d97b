//! Words drawn in pieces, each placed where the one before it ended: how Chromium's Skia (and so
//! every statement printed from a web page or made with Puppeteer) writes a word with a kerning
//! pair in it (`DA` then `TE`). Read with the font's stated widths, the pieces join again.
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use passbook_domain::statement_file::{ReconciliationStatus, StatementReader};
use passbook_statements::FileReader;

/// A line's height and its cells: each cell's x and the pieces it is drawn in.
type Line<'a> = (f32, Vec<(f32, Vec<&'a str>)>);

const SIZE: f32 = 8.0;
/// Every character of the test font is this many thousandths of the size wide.
const WIDTH: f32 = 600.0;

/// A page whose lines are drawn piece by piece: each piece at the pen's position after the one
/// before, moved there with `Td` by the piece's true width less a kerning (`To` draws the `o`
/// under the `T`'s arm), as Skia does.
fn pdf(lines: &[Line]) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "LiberationSans",
        "Encoding" => "WinAnsiEncoding", "FirstChar" => 32, "LastChar" => 126,
        "Widths" => (32..=126).map(|_| Object::Real(WIDTH)).collect::<Vec<_>>(),
    });
    let mut operations = Vec::new();
    for (y, cells) in lines {
        for (x, pieces) in cells {
            operations.push(Operation::new("BT", vec![]));
            operations.push(Operation::new("Tf", vec!["F1".into(), SIZE.into()]));
            operations.push(Operation::new("Td", vec![(*x).into(), (*y).into()]));
            for (i, piece) in pieces.iter().enumerate() {
                if i > 0 {
                    let kerning = 0.1 * SIZE;
                    let before = pieces[i - 1].chars().count() as f32 * WIDTH / 1000.0 * SIZE - kerning;
                    operations.push(Operation::new("Td", vec![before.into(), 0.into()]));
                }
                operations.push(Operation::new("Tj", vec![Object::string_literal(*piece)]));
            }
            operations.push(Operation::new("ET", vec![]));
        }
    }
    let content = doc.add_object(Stream::new(dictionary! {}, Content { operations }.encode().unwrap()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {"Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1}),
    );
    let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn words_split_at_kerning_pairs_are_read_whole() {
    let (date, narration, amount, balance) = (30.0, 110.0, 300.0, 400.0);
    let bytes = pdf(&[
        (
            760.0,
            vec![
                (date, vec!["DA", "TE"]),
                (narration, vec!["DESCRIPTION"]),
                (amount, vec!["AMOUNT"]),
                (balance, vec!["BALANCE"]),
            ],
        ),
        (
            745.0,
            vec![(date, vec!["02/01/2025"]), (narration, vec!["Opening ", "Balance"]), (balance, vec!["97,950.55"])],
        ),
        (
            730.0,
            vec![
                (date, vec!["03/01/2025"]),
                (narration, vec!["AIR", "TIME MTN"]),
                (amount, vec!["-1,000.00"]),
                (balance, vec!["96,950.55"]),
            ],
        ),
        (
            715.0,
            vec![
                (date, vec!["04/01/2025"]),
                (narration, vec!["TRF FROM ", "WA", "TER CO"]),
                (amount, vec!["5,0", "00.00"]),
                (balance, vec!["101,950.55"]),
            ],
        ),
    ]);
    let (lines, _) = passbook_statements::pdf::lines(&bytes, None).unwrap();
    let words: Vec<&str> = lines[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["DATE", "DESCRIPTION", "AMOUNT", "BALANCE"]);
    assert_eq!(lines[3].words[1].text, "TRF FROM WATER CO");

    let read = FileReader::default().read(&bytes, Some("statement.pdf"), None).unwrap();
    let account = &read.accounts[0];
    let rows: Vec<(&str, i64)> = account.rows.iter().map(|r| (r.narration.as_str(), r.amount)).collect();
    assert_eq!(rows, [("AIRTIME MTN", -100_000), ("TRF FROM WATER CO", 500_000)]);
    assert_eq!(account.reconcile().status, ReconciliationStatus::Balanced);
}
