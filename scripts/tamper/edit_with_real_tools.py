"""Edits genuine statements the way forgers do, with the tools they use: pikepdf (qpdf), pypdf,
PyMuPDF, reportlab and openpyxl. Reads <dir>/genuine/ and writes one folder of edited copies per
method under <dir>, and folders of genuine statements made by other software (genuine-*).
Driven by scripts/tamper-real-tools.sh, which judges the results with Passbook.

Every edit changes what a lender reads (an amount raised, a row gone with the balances after it
fixed) and nothing else; none leaves an editor's name in the document information.
"""
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pikepdf
import pymupdf
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, FloatObject, TextStringObject
from openpyxl import load_workbook
from reportlab.pdfgen import canvas

AMOUNT = re.compile(rb"^-?[\d,]*\d\.\d\d$")
AMOUNT_INSIDE = re.compile(rb"\d[\d,]*\.\d\d")


def raise_first_digit(text: bytes) -> bytes:
    """The first digit of the first amount in the text raised by one (9 becomes 1), the length
    kept; the text unchanged when it holds no amount."""
    found = AMOUNT_INSIDE.search(text)
    if not found:
        return text
    i = found.start()
    digit = b"1" if text[i] == 57 else bytes([text[i] + 1])
    return text[:i] + digit + text[i + 1 :]


def pikepdf_edit(src: Path, dst: Path) -> bool:
    """Page 1's first amount raised in its content stream; saved by pikepdf (qpdf)."""
    with pikepdf.open(src) as pdf:
        page = pdf.pages[0]
        ops = pikepdf.parse_content_stream(page)
        for i, (operands, op) in enumerate(ops):
            if str(op) == "Tj" and AMOUNT_INSIDE.search(bytes(operands[0])):
                ops[i] = pikepdf.ContentStreamInstruction(
                    [pikepdf.String(raise_first_digit(bytes(operands[0])))], op
                )
                page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))
                pdf.save(dst)
                return True
    return False


def pypdf_edit(src: Path, dst: Path) -> bool:
    """Page 1's first amount raised in its content stream; written by pypdf."""
    writer = PdfWriter(clone_from=PdfReader(src))
    page = writer.pages[0]
    content = ContentStream(page.get_contents(), writer)
    for operands, op in content.operations:
        if op == b"Tj" and AMOUNT_INSIDE.search(operands[0].get_original_bytes()):
            raised = raise_first_digit(operands[0].get_original_bytes())
            operands[0] = TextStringObject(raised.decode("latin-1"))
            page.replace_contents(content)
            writer.write(dst)
            return True
    return False


def first_amount_position(pdf: pikepdf.Pdf):
    x = y = 0.0
    for operands, op in pikepdf.parse_content_stream(pdf.pages[0]):
        if str(op) == "Td":
            x, y = float(operands[0]), float(operands[1])
        elif str(op) == "Tj" and AMOUNT_INSIDE.search(bytes(operands[0])):
            return x, y, raise_first_digit(bytes(operands[0])).decode("latin-1")
    return None


def overlay(src: Path, dst: Path) -> bool:
    """A white box over page 1's first amount and a new figure on it, drawn with reportlab and
    merged onto the page with pypdf: the way most tutorials 'edit' a PDF."""
    with pikepdf.open(src) as pdf:
        found = first_amount_position(pdf)
        box = pdf.pages[0].mediabox
    if not found:
        return False
    x, y, figure = found
    drawing = io.BytesIO()
    c = canvas.Canvas(drawing, pagesize=(float(box[2]), float(box[3])))
    c.setFillColorRGB(1, 1, 1)
    c.rect(x - 1, y - 2, 40, 9, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 7)
    c.drawString(x, y, figure)
    c.save()
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.pages[0].merge_page(PdfReader(drawing).pages[0])
    writer.write(dst)
    return True


def pymupdf_edit(redact: bool):
    """Page 1's first amount covered (a white box, or a redaction that takes the text out) and a
    raised figure written in its place with PyMuPDF, saved compressed with unused objects gone."""

    def edit(src: Path, dst: Path) -> bool:
        doc = pymupdf.open(src)
        page = doc[0]
        for x0, y0, x1, y1, text, *_ in page.get_text("words"):
            if AMOUNT.match(text.encode("latin-1", "replace")):
                box = pymupdf.Rect(x0, y0, x1, y1)
                if redact:
                    page.add_redact_annot(box, fill=(1, 1, 1))
                    page.apply_redactions()
                else:
                    page.draw_rect(box, color=None, fill=(1, 1, 1))
                figure = raise_first_digit(text.encode("latin-1")).decode("latin-1")
                page.insert_text((x0, y1 - 1.5), figure, fontsize=7, fontname="helv")
                doc.save(dst, garbage=3, deflate=True)
                return True
        return False

    return edit


def money(value: Decimal) -> bytes:
    return f"{value:,.2f}".encode()


def row_deletion(pages):
    """How to take a debit row off page 1, move the rows under it up to close the gap, and raise
    every later balance on every page by the debit so the statement still adds up. `pages` holds
    each page's operations as (operator, operands), Td's operands as numbers and Tj's as bytes.
    Returns, per page, the operations to drop, new strings by index and new heights by index; or
    None when page 1 has no debit row."""

    # Each cell is drawn as BT Tf Td Tj ET: find them with their heights.
    def rows(ops):
        by_y, y = {}, None
        for i, (op, operands) in enumerate(ops):
            if op == "Td":
                y = float(operands[1])
            elif op == "Tj":
                by_y.setdefault(y, []).append((i, operands[0]))
        return sorted(by_y.items(), key=lambda kv: -kv[0])

    def balance_of(row):
        amounts = [(i, t) for i, t in row if AMOUNT.match(t)]
        return amounts[-1] if len(amounts) >= 2 else None

    first = rows(pages[0])
    previous, target = None, None
    for k, (y, row) in enumerate(first):
        b = balance_of(row)
        if not b:
            continue
        value = Decimal(b[1].replace(b",", b"").decode())
        if previous is not None and value < previous:
            target = (k, y, previous - value)
            break
        previous = value
    if target is None:
        return None
    k, gone_y, debit = target
    # The row's lines: its own and the wrapped lines under it, up to the next row with amounts.
    below = [y for y, row in first[k + 1 :] if balance_of(row)]
    next_y = below[0] if below else None
    doomed_ys = {y for y, _ in first[k:] if y <= gone_y and (next_y is None or y > next_y)}
    gap = gone_y - (next_y if next_y is not None else gone_y)
    plan = []
    for p, ops in enumerate(pages):
        dropped, raised, moved = set(), {}, {}
        for y, row in rows(ops):
            if p == 0 and y in doomed_ys:
                # The whole BT Tf Td Tj ET group of each of the row's cells.
                dropped.update(j for i, _ in row for j in range(i - 3, i + 2))
                continue
            last = row[-1] if len(row) >= 2 and AMOUNT.match(row[-1][1]) else None
            b = balance_of(row) or last
            if (p > 0 or y < gone_y) and b:
                raised[b[0]] = money(Decimal(b[1].replace(b",", b"").decode()) + debit)
            if p == 0 and 60 < y < gone_y:
                moved.update((i - 1, y + gap) for i, _ in row)
        plan.append((dropped, raised, moved))
    return plan


def delete_row(src: Path, dst: Path) -> bool:
    """A debit row taken off page 1, the balances after it fixed (`row_deletion`); every page
    rewritten and the file saved by pikepdf."""
    with pikepdf.open(src) as pdf:
        pages = [pikepdf.parse_content_stream(p) for p in pdf.pages]
        plain = [[(str(op), [bytes(o) if isinstance(o, pikepdf.String) else o for o in operands]) for operands, op in ops] for ops in pages]
        plan = row_deletion(plain)
        if plan is None:
            return False
        for p, (ops, (dropped, raised, moved)) in enumerate(zip(pages, plan)):
            out = []
            for i, (operands, op) in enumerate(ops):
                if i in dropped:
                    continue
                if i in raised:
                    operands = [pikepdf.String(raised[i])]
                if i in moved:
                    operands = [operands[0], Decimal(str(moved[i]))]
                out.append(pikepdf.ContentStreamInstruction(operands, op))
            pdf.pages[p].Contents = pdf.make_stream(pikepdf.unparse_content_stream(out))
        pdf.save(dst)
        return True


def pypdf_delete_row(src: Path, dst: Path) -> bool:
    """The same row deletion made with pypdf: every page rewritten, compressed, and the file
    written by pypdf."""
    writer = PdfWriter(clone_from=PdfReader(src))
    contents = [ContentStream(page.get_contents(), writer) for page in writer.pages]
    plain = [
        [(op.decode(), [o.get_original_bytes() if isinstance(o, TextStringObject) or hasattr(o, "get_original_bytes") else o for o in operands])
         for operands, op in c.operations]
        for c in contents
    ]
    plan = row_deletion(plain)
    if plan is None:
        return False
    for page, content, (dropped, raised, moved) in zip(writer.pages, contents, plan):
        ops = []
        for i, (operands, op) in enumerate(content.operations):
            if i in dropped:
                continue
            if i in raised:
                operands = [TextStringObject(raised[i].decode("latin-1"))]
            if i in moved:
                operands = [operands[0], FloatObject(moved[i])]
            ops.append((operands, op))
        content.operations = ops
        page.replace_contents(content)
        page.compress_content_streams()
    writer.write(dst)
    return True


def remake(src: Path, dst: Path) -> bool:
    """The statement drawn again from scratch with reportlab, a debit row gone and the balances
    after it fixed, with the bank's software names copied into its document information: what a
    forger without the bank's system does."""
    edited = dst.parent / (dst.name + ".tmp")
    if not delete_row(src, edited):
        return False
    with pikepdf.open(edited) as pdf:
        producer = str(pdf.docinfo.get("/Producer", ""))
        creator = str(pdf.docinfo.get("/Creator", ""))
        box = [float(v) for v in pdf.pages[0].mediabox]
    pages = table_of(edited)
    edited.unlink()
    draw(pages, dst, (box[2], box[3]), (producer, creator))
    return True


def openpyxl_edit(src: Path, dst: Path) -> bool:
    """The first amount of a spreadsheet statement raised by 600, saved by openpyxl."""
    book = load_workbook(src)
    for row in book.active.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)):
                cell.value += 600
                book.save(dst)
                return True
    return False


def openpyxl_edit_dates_kept(src: Path, dst: Path) -> bool:
    """As openpyxl_edit, by a forger who also puts the export's dates back."""
    book = load_workbook(src)
    created = book.properties.created
    for row in book.active.iter_rows():
        for cell in row:
            if isinstance(cell.value, (int, float)):
                cell.value += 600
                book.properties.modified = created
                book.save(dst)
                return True
    return False


# Genuine statements made by other software than the corpus's generator, to count false alarms
# beyond it: each is a statement as a bank's system would issue it, never edited.
PASSWORD = "20250131"


def table_of(src: Path):
    """The statement's lines of text, page by page, as (x, y, text) from its content streams."""
    with pikepdf.open(src) as pdf:
        pages = []
        for page in pdf.pages:
            texts, at = [], (0.0, 0.0)
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) == "Td":
                    at = (float(operands[0]), float(operands[1]))
                elif str(op) == "Tj":
                    texts.append((at, bytes(operands[0]).decode("latin-1")))
            pages.append(texts)
        return pages


def draw(pages, dst: Path, size, names=None):
    """The pages' texts drawn where they were, with reportlab; under other software's names
    (producer, creator) when given."""
    c = canvas.Canvas(str(dst), pagesize=size)
    if names:
        c.setProducer(names[0])
        c.setCreator(names[1])
    for texts in pages:
        c.setFont("Helvetica", 7)
        for (x, y), text in texts:
            c.drawString(x, y, text)
        c.showPage()
    c.save()


def made_by_reportlab(src: Path, dst: Path) -> bool:
    """The statement drawn by reportlab under its own name, as a bank built on Python would."""
    draw(table_of(src), dst, (595, 842))
    return True


def made_by_chromium(src: Path, dst: Path) -> bool:
    """The statement as an HTML table printed to PDF by headless Chromium (Skia), as wallets'
    and banks' web-based statement services make them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        return False
    banner, table = html_rows(table_of(src))
    # The narration wraps; dates and figures do not.
    names = [" ".join(cell).upper() for cell in table[0]]
    words = ("DESC", "NARR", "DETAIL", "REMARK", "PARTICULAR")
    narration = next((i for i, n in enumerate(names) if any(w in n for w in words)), len(names) - 1)
    def tr(row):
        if not any(row[1:]):  # a line of its own (a total, a note): across the table
            return f"<tr><td colspan={len(row)} class=n>{html.escape(' '.join(row[0]))}</td></tr>"
        cells = (f"<td{' class=n' if i == narration else ''}>{html.escape(' '.join(c))}</td>" for i, c in enumerate(row))
        return "<tr>" + "".join(cells) + "</tr>"

    rows = "".join(tr(row) for row in table)
    style = "td{vertical-align:top;white-space:nowrap;padding:1px 6px} td.n{white-space:normal;max-width:150px}"
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "statement.html"
        page.write_text(f"<html><head><style>{style}</style></head><body style='font:8px sans-serif'><table>{rows}</table></body></html>".replace("<table>", "".join(f"<div>{html.escape(b)}</div>" for b in banner) + "<table>", 1))
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={dst}", page.as_uri()],
            check=True, capture_output=True, timeout=60,
        )
    return dst.exists()


def html_rows(pages):
    """The statement's banner lines, and its table's rows: cells by the header's columns, a row's
    wrapped lines (those without a figure) joined into its cells, as a web page's table holds them."""
    lines = [
        line
        for page in pages
        for line in group_by_height(page)
        if not re.fullmatch(r"Page \d+ of \d+", " ".join(t for _, t in line))
    ]
    at = next(i for i, l in enumerate(lines) if any("BALANCE" in t.upper() for _, t in l) and len(l) >= 4)
    banner, header = lines[:at], lines[at]
    columns = sorted(x for x, _ in header)
    rows = []
    for line in lines[at:]:
        cells = [[] for _ in columns]
        for x, text in sorted(line):
            at = max([i for i, c in enumerate(columns) if c <= x + 1] or [0])
            cells[at].append(text)
        has_figure = any(AMOUNT.match(t.encode("latin-1", "replace")) for _, t in line)
        if rows and not has_figure and len(line) == 1 and not cells[0]:
            for i, cell in enumerate(cells):
                rows[-1][i].extend(cell)
        elif line == header and any(r == cells for r in rows):
            continue  # the header repeated on a later page
        else:
            rows.append(cells)
    return [" ".join(t for _, t in sorted(line)) for line in banner], rows


def group_by_height(texts):
    lines = {}
    for (x, y), text in texts:
        lines.setdefault(y, []).append((x, text))
    return [lines[y] for y in sorted(lines, reverse=True)]


def locked_by_qpdf(src: Path, dst: Path) -> bool:
    """The statement locked with a password by a second tool (pikepdf), as banks send them."""
    with pikepdf.open(src) as pdf:
        pdf.save(dst, encryption=pikepdf.Encryption(owner="bank-owner", user=PASSWORD, R=4))
    return True


GENUINE_ELSEWHERE = {
    "genuine-reportlab": made_by_reportlab,
    "genuine-chromium": made_by_chromium,
    "genuine-locked-by-pikepdf": locked_by_qpdf,
}

METHODS = {
    "pikepdf-edit": pikepdf_edit,
    "pypdf-edit": pypdf_edit,
    "reportlab-overlay": overlay,
    "pymupdf-box-and-figure": pymupdf_edit(redact=False),
    "pymupdf-redacted-and-figure": pymupdf_edit(redact=True),
    "pikepdf-row-deleted": delete_row,
    "pypdf-row-deleted": pypdf_delete_row,
    "reportlab-remade": remake,
}
SPREADSHEET_METHODS = {
    "openpyxl-edit": openpyxl_edit,
    "openpyxl-edit-dates-kept": openpyxl_edit_dates_kept,
}

if __name__ == "__main__":
    root = Path(sys.argv[1])
    methods = {**GENUINE_ELSEWHERE, **METHODS}
    for (name, edit), suffix in [(m, "pdf") for m in methods.items()] + [
        (m, "xlsx") for m in SPREADSHEET_METHODS.items()
    ]:
        (root / name).mkdir(exist_ok=True)
        made = 0
        # Genuine files made elsewhere are the Nigerian layouts; edits are of every genuine file.
        sources = "nigerian-*" if name.startswith("genuine-") else "*"
        for src in sorted((root / "genuine").glob(f"{sources}.{suffix}")):
            try:
                made += bool(edit(src, root / name / src.name))
            except Exception as error:  # a file the method cannot edit is left out, and said
                print(f"{name}: {src.name}: {error}", file=sys.stderr)
        print(f"{name}: {made} edited")
