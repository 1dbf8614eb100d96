"""In a real browser, the documents step (issue 11): with JavaScript, choosing a file in a slot uploads it at once and
the slot shows the file, or the refusal in the user's language; without JavaScript each slot's own button posts it.
No sideways scrolling at 390 or 1280 px; screenshots in three languages go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, Document, DocumentKind
from portal.core.roles import Role
from tests.conftest import sign_in_in_browser
from tests.factories import PASSWORD, ApplicationFactory, IntakeRoundFactory, UserFactory, add_document, make_pdf
from tests.fixtures_browser import save_screenshots, speak
from tests.test_browser_axe import violations

pytestmark = pytest.mark.browser

EMAIL = "li.na@example.org"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def draft_id(app) -> int:
    with app.app_context():
        person = UserFactory(roles=[Role.APPLICANT], email=EMAIL, name="Li Na", language="en")
        application = ApplicationFactory(applicant=person, intake_round=IntakeRoundFactory(name="Intake 2027"))
        db.session.commit()
        application_id = application.id
        db.session.remove()
    return application_id


def stored(app, application_id: int) -> list[tuple[DocumentKind, str, int]]:
    with app.app_context():
        query = select(Document).where(Document.application_id == application_id).order_by(Document.id)
        found = [(d.kind, d.original_filename, d.page_count) for d in db.session.scalars(query)]
        db.session.remove()
    return found


def version(app, application_id: int) -> int:
    with app.app_context():
        current = db.session.get(Application, application_id).version
        db.session.remove()
    return current


def pdf_file(name: str, pages: int = 1) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": make_pdf(pages=pages)}


def test_choosing_a_file_in_a_slot_uploads_it_at_once(app, page, draft_id):
    sign_in_in_browser(page, app, EMAIL, PASSWORD)
    page.goto(f"/application/{draft_id}/documents")
    cv = page.locator("#documents-cv")
    expect(cv.locator("[data-upload-button]")).to_be_hidden()  # the choice itself uploads

    page.locator("#file-cv").set_input_files(pdf_file("Lebenslauf Li Na.pdf", pages=2))

    expect(cv.get_by_role("status")).to_contain_text("“Lebenslauf Li Na.pdf” has been uploaded.")
    expect(cv).to_contain_text("2 pages")
    expect(cv.get_by_text("Replace the file")).to_be_visible()
    assert stored(app, draft_id) == [(DocumentKind.CV, "Lebenslauf Li Na.pdf", 2)]
    current = version(app, draft_id)
    assert page.locator("input[name=version]").evaluate_all("i => i.map(e => e.value)") == [str(current)] * 7

    # A second upload from the same page goes through: the version in the forms was kept current.
    page.locator("#file-transcript").set_input_files(pdf_file("transcript.pdf"))
    expect(page.locator("#documents-transcript").get_by_role("status")).to_contain_text("has been uploaded")
    # Replacing the CV from its slot.
    page.locator("#file-cv").set_input_files(pdf_file("cv-2027.pdf", pages=3))
    expect(cv).to_contain_text("3 pages")
    expect(cv).not_to_contain_text("Lebenslauf Li Na.pdf")
    assert [name for _kind, name, _pages in stored(app, draft_id)] == ["transcript.pdf", "cv-2027.pdf"]

    # A file that is not a PDF: the message in the slot, nothing stored.
    page.locator("#file-degree_certificate").set_input_files(
        {"name": "degree.pdf", "mimeType": "application/pdf", "buffer": b"a scanned photo"}
    )
    expect(page.locator("#file-degree_certificate-error")).to_contain_text("not a PDF")
    assert len(stored(app, draft_id)) == 2
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(OVERFLOW) <= 0, width


def test_a_slot_refuses_in_the_users_language_and_after_a_change_in_another_tab(app, page, draft_id):
    speak(app, EMAIL, "de")
    sign_in_in_browser(page, app, EMAIL, PASSWORD)
    page.goto(f"/application/{draft_id}/documents")
    with app.app_context():  # another tab uploads meanwhile
        add_document(db.session.get(Application, draft_id), DocumentKind.OTHER, filename="other-tab.pdf")
        db.session.get(Application, draft_id).version += 1
        db.session.commit()
        db.session.remove()

    page.locator("#file-research_proposal").set_input_files(pdf_file("expose.pdf"))

    expect(page.locator("#file-research_proposal-error")).to_contain_text("in einem anderen Tab")
    expect(page.locator("#documents-other")).to_contain_text("other-tab.pdf")  # the slots show what is stored now
    page.locator("#file-research_proposal").set_input_files(pdf_file("expose.pdf"))  # and the next try succeeds
    expect(page.locator("#documents-research_proposal").get_by_role("status")).to_contain_text("expose.pdf")


def test_a_file_beyond_what_the_server_reads_is_refused_in_the_slot(app, page, draft_id, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    sign_in_in_browser(page, app, EMAIL, PASSWORD)
    page.goto(f"/application/{draft_id}/documents")
    page.locator("#file-cv").set_input_files(pdf_file("huge.pdf", pages=80))
    expect(page.locator("#documents-cv .upload-progress")).to_contain_text("larger than the portal allows")
    assert stored(app, draft_id) == []
    expect(page.locator("#file-cv")).to_be_enabled()


def test_without_javascript_each_slot_has_its_own_button(app, browser, live_server, draft_id):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_in_browser(page, app, EMAIL, PASSWORD)
        page.goto(f"/application/{draft_id}/documents")
        slot = page.locator("#documents-language_certificate")
        slot.locator("input[type=file]").set_input_files(pdf_file("toefl.pdf"))
        slot.locator("[data-upload-button]").click()
        page.wait_for_url("**/documents#documents-language_certificate")
        expect(page.locator("#documents-language_certificate")).to_contain_text("toefl.pdf")
        assert stored(app, draft_id) == [(DocumentKind.LANGUAGE_CERTIFICATE, "toefl.pdf", 1)]

        page.locator("#documents-language_certificate").get_by_role("button", name="Remove").click()
        expect(page.locator("#documents-language_certificate")).to_contain_text("No file uploaded yet.")
        assert stored(app, draft_id) == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["de", "en", "zh"])
def test_screenshots_of_the_slots(app, page, draft_id, language):
    with app.app_context():
        application = db.session.get(Application, draft_id)
        add_document(application, DocumentKind.CV, filename="Lebenslauf_Li_Na_2027_final_version_signed.pdf")
        add_document(application, DocumentKind.TRANSCRIPT, make_pdf(pages=4), filename="成绩单.pdf")
        add_document(application, DocumentKind.TRANSCRIPT, filename="transcript-master.pdf")
        db.session.commit()
        db.session.remove()
    speak(app, EMAIL, language)
    sign_in_in_browser(page, app, EMAIL, PASSWORD)
    page.goto(f"/application/{draft_id}/documents")
    page.locator("#file-degree_certificate").set_input_files(
        {"name": "degree.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}
    )
    expect(page.locator("#file-degree_certificate-error")).to_be_visible()
    assert violations(page) == []  # axe-core: nothing serious or critical, the refusal shown
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(OVERFLOW) <= 0, (language, width)
    save_screenshots(page, f"documents-{language}")
