"""The shortcuts taken for speed leave the exports' bytes as they were: a CSV's rows are written exactly as cell_value
gives their cells (one by one, or a column of a batch at a time), and a PDF is the same whether its font's unembedded
tables are dropped before it is written or not, and whether its font's faces come from the process's parse or are
parsed for it by fpdf2's add_font.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from markupsafe import Markup

from portal.core import exports, pdf


def test_csv_rows_are_written_exactly_as_their_cell_values():
    # Every kind of cell: the CSV's inline handling of text and None must write what cell_value gives, byte for byte.
    row = ["=1+1", "-3", "@x", "\tx", "\rx", "Wang", "王小明", "", 'a "b", c', None, True, False, 0, -3, 2.5]
    row += [dt.date(1998, 5, 17), dt.datetime(2027, 3, 1, 10, 30, 15, 123456, tzinfo=dt.UTC), Markup("+1")]
    expected = io.StringIO()
    csv.writer(expected).writerows([[exports.cell_value(value) for value in row], [None], [""]])
    body = b"".join(exports.csv_chunks(["h"], [row, [None], [""]]))
    assert body == b"\xef\xbb\xbfh\r\n" + expected.getvalue().encode()


def test_cells_made_a_column_at_a_time_are_what_cell_value_gives():
    texts = ["=1+1", "-3", "@x", "\tx", "\rx", "'=x", "Wang", "王小明", "", 'a "b", c', None]
    numbers = [0, -3, 2.5, 12, None]
    dates = [dt.date(1998, 5, 17), dt.date(5, 1, 2), None]
    in_shanghai = dt.timezone(dt.timedelta(hours=8))
    moments = [dt.datetime(2027, 3, 1, 10, 30, 15, 999999, tzinfo=dt.UTC), dt.datetime(2027, 3, 1, tzinfo=in_shanghai)]
    moments.append(dt.datetime(5, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    for cells, values in [
        (exports.text_cells, texts),
        (exports.number_cells, numbers),
        (exports.date_cells, dates),
        (exports.moment_cells, [*moments, None]),
    ]:
        assert cells(values) == [exports.cell_value(value) for value in values]
    assert exports.moment_cells(moments) == ["2027-03-01T10:30:15Z", "2027-02-28T16:00:00Z", "0005-01-02T03:04:05Z"]


def test_label_cells_give_each_codes_label_neutralised_and_an_unknown_code_as_itself():
    cells = exports.label_cells({"admit": "Admitted", "odd": "=odd", "de": Markup("Deutschland")})
    codes = ["admit", "odd", "de", "XX", "-x", "", None]
    assert cells(codes) == ["Admitted", "'=odd", "Deutschland", "XX", "'-x", "", ""]
    assert all(cell.__class__ is str for cell in cells(codes))


def test_converted_rows_are_written_as_they_are():
    rows = [["=1+1", None, True, 3, dt.date(1998, 5, 17), dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)], ["x"] * 6]
    converted = [[exports.cell_value(value) for value in row] for row in rows]
    written = b"".join(exports.csv_chunks(["h"], converted, converted=True))
    assert written == b"".join(exports.csv_chunks(["h"], rows))
    # Nothing is converted again: a cell is written as the csv module writes it.
    assert b"".join(exports.csv_chunks(["h"], [[True, None]], converted=True)).endswith(b"\r\nTrue,\r\n")


def _document() -> tuple[bytes, pdf.PortalPDF]:
    document = pdf.PortalPDF(title="Dossier", header_text="Kopf 页眉", footer_text="Fuß 页脚")
    document.set_creation_date(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    document.title_block("Wang Xiaoming 王小明", "Müller – 同济大学")
    document.heading("Überblick 概述")
    document.rows([("Name", "王小明"), ("Universität", "Technische Universität Chemnitz")])
    document.paragraph("Wasserstoffversprödung in Pipelinestählen (管线钢的氢脆).")
    return document.to_bytes(), document


def test_dropping_the_fonts_unembedded_tables_leaves_the_pdf_as_it_was(app, monkeypatch):
    with app.app_context():
        assert pdf.find_cjk_font()  # the font is installed (FontMissing otherwise)
        dropped, document = _document()
        # The tables were dropped (Noto CJK is a CID-keyed CFF font) ...
        assert all(not pdf.UNEMBEDDED_TABLES & set(font.ttfont.keys()) for font in document.fonts.values())
        # ... and the very same bytes are written with them kept.
        monkeypatch.setattr(pdf, "drop_unembedded_tables", lambda _font: None)
        kept, document = _document()
        assert all("cmap" in font.ttfont for font in document.fonts.values())
    assert dropped == kept and b"/FontFile3" in dropped


def test_faces_parsed_once_per_process_write_the_pdf_that_add_font_wrote(app, monkeypatch):
    with app.app_context():
        cached = _document()[0]
        cached_again = _document()[0]

        def add_font(document: pdf.PortalPDF, style: str, font: pdf.FontFile) -> None:
            document.add_font(pdf.FAMILY, style, fname=font.path, collection_font_number=font.index)

        monkeypatch.setattr(pdf.PortalPDF, "_add_face", add_font)
        parsed_for_it = _document()[0]
    assert cached == cached_again == parsed_for_it and b"/FontFile3" in cached
