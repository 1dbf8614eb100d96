"""PDF building blocks: a font with Chinese glyphs, an A4 document with header and footer, headings, label/value rows.

Knows no domain: the applicant's summary and the coordinators' dossier both build on `PortalPDF`. The whole document is
set in one font that covers Latin (with umlauts) and Chinese, Noto Sans CJK SC from Debian's `fonts-noto-cjk`; fpdf2
embeds only the glyphs used (subsetting), so a summary stays a few dozen kilobytes.
"""

from __future__ import annotations

import copy
import gc
import os
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, TextEmphasis, VAlign, XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TTFFont

FONT_SETTING = "PDF_CJK_FONT"
FONT_PACKAGE = "fonts-noto-cjk"
# Where Debian's fonts-noto-cjk puts its collections (the sans face first; the serif one would do as well).
DEBIAN_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
# In a collection, the face for Simplified Chinese: Noto names it "Noto Sans CJK SC" (index 2 in Debian's file).
PREFERRED_FACE = "SC"
FAMILY = "portal-cjk"

TEXT_COLOUR = (33, 37, 41)
MUTED_COLOUR = (108, 117, 125)
RULE_COLOUR = (206, 212, 218)
LINE_HEIGHT = 5.2
LABEL_WIDTH = 0.32  # the share of the text width taken by the labels of label/value rows
# Spaces that Babel's date and number formats use but Noto CJK lacks (they would print as empty boxes): the nearest
# character the font has.
SUBSTITUTES = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u200a": " ", "\u200b": None, "\u2060": None})


class FontMissing(RuntimeError):
    """No font with Chinese glyphs was found: PDFs would show empty boxes instead of characters."""


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection (.ttc), the number of the face to use."""

    path: Path
    index: int = 0


def _configured_font() -> str:
    value = current_app.config.get(FONT_SETTING) if has_app_context() else None
    return str(value or os.environ.get(FONT_SETTING) or "").strip()


def _missing_message(detail: str) -> str:
    return (
        f"{detail} PDFs need a font with Chinese glyphs: install Debian's {FONT_PACKAGE} "
        f"(`make fonts`, or `apt-get install {FONT_PACKAGE}` as root), or set {FONT_SETTING} to a .ttf, .otf or .ttc "
        "file with Chinese glyphs."
    )


def find_cjk_font(configured: str | None = None) -> FontFile:
    """The font for PDFs: PDF_CJK_FONT (app config, then environment), else Debian's Noto CJK; FontMissing if none."""
    setting = _configured_font() if configured is None else configured.strip()
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise FontMissing(_missing_message(f"{FONT_SETTING} is set to {setting!r}, but there is no such file."))
        return FontFile(path, collection_index(path))
    for path in DEBIAN_FONT_PATHS:
        if path.is_file():
            return FontFile(path, collection_index(path))
    searched = ", ".join(str(path) for path in DEBIAN_FONT_PATHS)
    raise FontMissing(
        _missing_message(f"No font with Chinese glyphs found ({FONT_SETTING} is not set; looked for {searched}).")
    )


@lru_cache(maxsize=16)
def collection_index(path: Path, preferred: str = PREFERRED_FACE) -> int:
    """The number of the face named like "… SC" (not a monospaced one) in a font collection; 0 for a single font."""
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    with TTCollection(str(path), lazy=True) as collection:
        names = [face["name"].getDebugName(1) or "" for face in collection.fonts]
    pattern = re.compile(rf"\b{re.escape(preferred)}\b")
    for index, name in enumerate(names):
        if pattern.search(name) and "mono" not in name.casefold():
            return index
    return 0


def bold_companion(font: FontFile) -> FontFile | None:
    """The bold file beside a regular one (NotoSansCJK-Regular.ttc → NotoSansCJK-Bold.ttc), if there is one."""
    name = font.path.name
    if "Regular" not in name:
        return None
    bold = font.path.with_name(name.replace("Regular", "Bold"))
    return FontFile(bold, collection_index(bold)) if bold.is_file() else None


# --- Faces parsed once per process ------------------------------------------------------------------------------------
# fpdf2 parses a face when it is added to a document: for Noto CJK (45,000 characters, 65,000 glyphs) its character map
# and widths, some 150 ms a face and two faces a document. The parse is kept per process; what a document changes (its
# subset, the widths it looks up, its font descriptor, the font file that writing the PDF subsets in place) is its own.

_parsed_faces: dict[FontFile, tuple[tuple[int, int], TTFFont]] = {}
_parsing = threading.Lock()


def parsed_face(font: FontFile) -> TTFFont:
    """The face as fpdf2 parses it, once per process (again when the file changes); use it through font_for_document."""
    stat = font.path.stat()
    signature = (stat.st_mtime_ns, stat.st_size)  # a font package upgraded under a running worker is parsed anew
    with _parsing:  # threads asking at once wait for one parse rather than each parsing the same face
        cached = _parsed_faces.get(font)
        if cached is None or cached[0] != signature:
            cached = _parsed_faces[font] = (signature, _shared_with_others(_parse(font)))
    return cached[1]


def _shared_with_others(face: TTFFont) -> TTFFont:
    """The face, holding another face's character map and glyph ids where they are equal (as regular and bold are)."""
    # Some 9 MB less for Noto CJK's two faces.
    for _signature, other in _parsed_faces.values():
        if other.cmap == face.cmap and other.glyph_ids == face.glyph_ids:
            face.cmap, face.glyph_ids = other.cmap, other.glyph_ids
            break
    return face


def _parse(font: FontFile) -> TTFFont:
    face = TTFFont(FPDF(), font.path, "", "", collection_font_number=font.index)
    face.close()
    del face.ttfont  # the tables it read are let go: each document opens the file itself (font_for_document)
    return face


def font_for_document(pdf: FPDF, face: TTFFont, fontkey: str, style: str) -> TTFFont:
    """The parsed face for one document as add_font would add it; what the document changes is its own."""
    font = copy.copy(face)  # shares the character map and glyph ids, which fpdf2 only reads
    font.i, font.fontkey, font.emphasis = len(pdf.fonts) + 1, fontkey, TextEmphasis.coerce(style)
    # Lazy: only the tables the subset needs are read, when the PDF is written (which subsets this font in place).
    font.ttfont = TTFont(face.ttffile, recalcTimestamp=False, fontNumber=face.collection_font_number, lazy=True)
    if face.is_compressed:
        font.ttfont.flavor = None  # as fpdf2 does for WOFF: the PDF holds the plain font
    font.desc = copy.copy(face.desc)  # writing the PDF gives it a name, an object number and the embedded font
    font.cw = defaultdict(face.cw.default_factory, face.cw)  # looking up a missing character adds it
    font.missing_glyphs, font.biggest_size_pt, font._hbfont = [], 0, None
    font.subset = SubsetMap(font)
    return font


def warm_font_cache() -> None:
    """Parse the PDF font's faces now, e.g. when a web worker starts, so that no download waits for them."""
    font = find_cjk_font()
    for face in (font, bold_companion(font) or font):
        parsed_face(face)
    gc.collect()  # now rather than in a request: parsing leaves some 40 MB of fontTools objects in reference cycles


# The tables of a CID-keyed CFF font (Noto CJK) that its PDF does not hold: fpdf2 embeds the subset's CFF table alone,
# and read the widths and the character map when the font was added. Tables are read lazily: dropped, they are never
# read; kept, fontTools' subsetting reads and prunes them for nothing (some 70 ms a face of 65,000 glyphs).
UNEMBEDDED_TABLES = frozenset(
    ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "cmap", "OS/2", "hmtx", "hhea", "post", "name")
)


def drop_unembedded_tables(font: object) -> None:
    """Drop what the PDF will not hold from a CID-keyed CFF font (others are left as they are)."""
    if isinstance(font, TTFFont) and font.is_cff and font.is_cid_keyed and not font.color_font:
        for tag in UNEMBEDDED_TABLES & set(font.ttfont.keys()):
            del font.ttfont[tag]


class PortalPDF(FPDF):
    """An A4 document set in the CJK font, with a running header, a footer with page numbers and simple blocks."""

    def __init__(
        self,
        *,
        title: str,
        header_text: str = "",
        footer_text: str = "",
        language: str = "en",
        font: FontFile | None = None,
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.header_text = header_text
        self.footer_text = footer_text
        self._register_fonts(font or find_cjk_font())
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(title)
        self.set_lang(language)
        self.set_creator(header_text or title)
        self.set_text_color(*TEXT_COLOUR)
        self.add_page()

    def _register_fonts(self, font: FontFile) -> None:
        self._add_face("", font)
        self._add_face("B", bold_companion(font) or font)
        self.set_font(FAMILY, size=10)

    def _add_face(self, style: str, font: FontFile) -> None:
        """Add the face as add_font does, from the process's parse of it."""
        face = parsed_face(font)
        if face.color_font is not None:  # a colour font's glyphs belong to the document that parsed it
            self.add_font(FAMILY, style, fname=font.path, collection_font_number=font.index)
            return
        fontkey = f"{FAMILY}{style}"
        self.fonts[fontkey] = font_for_document(self, face, fontkey, style)
        if face.is_cff and face.is_cid_keyed:
            self._set_min_pdf_version("1.6")  # as add_font does

    def normalize_text(self, text: str) -> str:
        """Every text passes here before it is set: replace the characters the font lacks."""
        return super().normalize_text(text.translate(SUBSTITUTES))

    # --- Page furniture ------------------------------------------------------------------------------------------

    def header(self) -> None:
        if not self.header_text:
            return
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED_COLOUR)
        self.cell(0, 4, self.header_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE_COLOUR)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)
        self.set_text_color(*TEXT_COLOUR)
        self.set_font(FAMILY, size=10)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED_COLOUR)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width * 0.8, 4, self.footer_text, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(0, 4, f"{self.page_no()} / {self.str_alias_nb_pages}", align=Align.R)
        self.set_text_color(*TEXT_COLOUR)

    # --- Blocks ----------------------------------------------------------------------------------------------------

    @property
    def text_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def title_block(self, title: str, subtitle: str = "") -> None:
        """The document's title in large type, with an optional line below it."""
        self.set_font(FAMILY, "B", size=16)
        self.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=Align.L)
        if subtitle:
            self.set_font(FAMILY, size=10)
            self.set_text_color(*MUTED_COLOUR)
            self.multi_cell(0, LINE_HEIGHT, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=Align.L)
            self.set_text_color(*TEXT_COLOUR)
        self.ln(3)
        self.set_font(FAMILY, size=10)

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading (level 1) or sub-heading (level 2), also listed in the PDF's outline."""
        if self.will_page_break(18):
            self.add_page()
        self.ln(3 if level == 1 else 1.5)
        self.start_section(text, level=level - 1)
        self.set_font(FAMILY, "B", size=12.5 if level == 1 else 10.5)
        self.multi_cell(0, 7 if level == 1 else 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=Align.L)
        if level == 1:
            self.set_draw_color(*RULE_COLOUR)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(2)
        self.set_font(FAMILY, size=10)

    def rows(self, rows: Iterable[tuple[str, str]]) -> None:
        """Label/value rows in two columns; long values wrap, a value of "" is shown as a dash."""
        rows = [(str(label), str(value) if value not in (None, "") else "\u2013") for label, value in rows]
        if not rows:
            return
        label_width = self.text_width * LABEL_WIDTH
        self.set_font(FAMILY, size=10)
        with self.table(
            width=self.text_width,
            col_widths=(label_width, self.text_width - label_width),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.NONE,
            text_align=(Align.L, Align.L),
            v_align=VAlign.T,
            line_height=LINE_HEIGHT,
            padding=(0.6, 2, 0.6, 0),
            align=Align.L,
        ) as table:
            label_style = FontFace(color=MUTED_COLOUR)
            for label, value in rows:
                row = table.row()
                row.cell(label, style=label_style)
                row.cell(value)
        self.ln(1)

    def paragraph(self, text: str, *, muted: bool = False) -> None:
        """A block of text; line breaks in text are kept."""
        if muted:
            self.set_text_color(*MUTED_COLOUR)
        self.multi_cell(0, LINE_HEIGHT, text or "\u2013", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=Align.L)
        self.set_text_color(*TEXT_COLOUR)
        self.ln(1.5)

    def bullets(self, items: Iterable[str]) -> None:
        """A bulleted list (a dash when empty)."""
        items = [str(item) for item in items] or ["\u2013"]
        indent = 5
        for item in items:
            self.cell(indent, LINE_HEIGHT, "\u2022", new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.multi_cell(0, LINE_HEIGHT, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=Align.L)
        self.ln(1.5)

    def to_bytes(self) -> bytes:
        """The finished document."""
        # Only now: setting text may still need what is dropped (text shaping reads hmtx, for one).
        for font in self.fonts.values():
            drop_unembedded_tables(font)
        return bytes(self.output())
