"""Real PDF files for the seeded documents: one small text page, and ~1 MB scans for the dossier application."""

from __future__ import annotations

import random

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

SCAN_PAGES = 4
SCAN_SIDE = 512  # pixels; grey noise does not compress, so each page carries SCAN_SIDE² bytes


def small_pdf() -> bytes:
    """A one-page document of about 1 KB, as most uploads in the seed share."""
    pdf = FPDF(format="A4")
    pdf.set_creator("Promotionskolleg benchmark")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, "Curriculum vitae", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in ("Education, research experience, publications, skills.", "Benchmark document."):
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def scan_pdf(seed: int, title: str) -> bytes:
    """A scanned-looking document of SCAN_PAGES pages, about 1 MB: each page one incompressible grey image."""
    rng = random.Random(seed)
    pdf = FPDF(format="A4")
    pdf.set_creator("Promotionskolleg benchmark")
    pdf.set_font("Helvetica", size=10)
    for page in range(1, SCAN_PAGES + 1):
        pdf.add_page()
        pdf.cell(0, 8, f"{title}, page {page}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        image = Image.frombytes("L", (SCAN_SIDE, SCAN_SIDE), rng.randbytes(SCAN_SIDE * SCAN_SIDE))
        pdf.image(image, x=15, y=25, w=180)
    return bytes(pdf.output())
