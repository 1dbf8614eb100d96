"""The PDF font's faces are parsed once per process and shared by every document, which keeps what it changes apart."""

from __future__ import annotations

import datetime as dt
import logging
import runpy
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from portal.config import PROJECT_ROOT
from portal.core import pdf
from tests.conftest import pdf_text

GERMAN = "Größe und Maße der Prüfkörper"
CHINESE = "管线钢的氢脆与试验方法"


@pytest.fixture
def parses(app, monkeypatch):
    """An empty cache for the test, in an app context; the list of faces parsed (one entry each time one is parsed)."""
    monkeypatch.setattr(pdf, "_parsed_faces", {})
    parsed: list[pdf.FontFile] = []
    original = pdf._parse

    def counted(font: pdf.FontFile):
        parsed.append(font)
        return original(font)

    monkeypatch.setattr(pdf, "_parse", counted)
    with app.app_context():
        try:
            pdf.find_cjk_font()
        except pdf.FontMissing as error:
            pytest.fail(str(error))
        yield parsed


def _document(text: str, language: str) -> bytes:
    document = pdf.PortalPDF(title=text, header_text=text, language=language)
    document.set_creation_date(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    document.title_block(text)  # bold
    document.paragraph(text)  # regular
    return document.to_bytes()


def test_documents_in_two_languages_share_one_parse_and_each_shows_its_own_text(parses):
    chinese = _document(CHINESE, "zh")
    german = _document(GERMAN, "de")
    assert [font.path.name for font in parses] == ["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"]
    assert CHINESE in pdf_text(chinese) and GERMAN not in pdf_text(chinese)
    assert GERMAN in pdf_text(german) and not set(CHINESE) & set(pdf_text(german))


def test_a_document_written_after_others_is_the_one_written_on_a_fresh_parse(parses, monkeypatch):
    _document(CHINESE, "zh")
    after_chinese = _document(GERMAN, "de")
    monkeypatch.setattr(pdf, "_parsed_faces", {})
    on_a_fresh_parse = _document(GERMAN, "de")
    assert len(parses) == 4  # twice the two faces: the second German document did not share the first's parse
    # Byte for byte: nothing of the Chinese document (its glyphs, widths, font objects) reached the German one.
    assert after_chinese == on_a_fresh_parse


def test_documents_written_at_once_by_threads_wait_for_one_parse(app, parses):
    def write(job: tuple[str, str]) -> bytes:
        with app.app_context():
            return _document(*job)

    with ThreadPoolExecutor(max_workers=4) as pool:
        written = list(pool.map(write, [(CHINESE, "zh"), (GERMAN, "de")] * 4))
    assert len(parses) == 2
    # Each language's document alike, whichever thread wrote it alongside whichever other.
    assert set(written[0::2]) == {written[0]} and set(written[1::2]) == {written[1]}
    assert CHINESE in pdf_text(written[0]) and GERMAN in pdf_text(written[1])


def test_a_font_file_replaced_on_disk_is_parsed_again(app, parses, monkeypatch, tmp_path):
    font = pdf.find_cjk_font()
    configured = tmp_path / "portal-cjk.ttc"  # no "Regular" in the name: the bold text uses the same face
    configured.symlink_to(font.path)
    monkeypatch.setitem(app.config, "PDF_CJK_FONT", str(configured))
    before = _document(GERMAN, "de")
    assert parses == [pdf.FontFile(configured, font.index)]  # one face, parsed once for both styles

    configured.unlink()
    configured.symlink_to(font.path.with_name("NotoSansCJK-Bold.ttc"))  # another size and time: as a package upgrade
    after = _document(GERMAN, "de")
    assert len(parses) == 2 and len(pdf._parsed_faces) == 1  # parsed again; the old parse is not kept
    assert before != after and GERMAN in pdf_text(after)


def test_warming_parses_both_faces_before_any_document(parses):
    pdf.warm_font_cache()
    assert len(parses) == 2
    assert GERMAN in pdf_text(_document(GERMAN, "de"))
    assert len(parses) == 2


def test_gunicorn_warms_each_worker_and_a_missing_font_only_logs(app, parses, monkeypatch, caplog):
    hooks = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    worker = SimpleNamespace(wsgi=app, log=logging.getLogger("tests.gunicorn"))
    hooks["post_worker_init"](worker)
    assert len(parses) == 2

    monkeypatch.setitem(app.config, "PDF_CJK_FONT", "/nowhere/font.ttc")
    with caplog.at_level(logging.WARNING, logger="tests.gunicorn"):
        hooks["post_worker_init"](worker)  # the worker goes on; a PDF download would report the missing font
    assert "not parsed at start-up" in caplog.text and "fonts-noto-cjk" in caplog.text
    assert len(parses) == 2
