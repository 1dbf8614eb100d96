"""The documents step's slots (issue 11): one per kind, the required ones first, each with its files (name, size,
pages), open, download, remove and its own upload; the same form posted without JavaScript or in the background
(JSON with the slots drawn anew), errors and conflicts shown in the slot, nothing changed by a refused file."""

from __future__ import annotations

import re

import pytest

from portal.applications import documents
from portal.applications.models import DocumentKind
from portal.core.roles import Role
from tests.factories import make_pdf
from tests.test_documents import documents_of, draft_for, field_error, get_application, stored_files, upload


@pytest.fixture
def applicant(login_as):
    return login_as(Role.APPLICANT)


@pytest.fixture
def draft_id(applicant, open_round) -> int:
    return draft_for(applicant, open_round)


def upload_in_background(client, application_id: int, content: bytes, filename="cv.pdf", kind="cv", version=None):
    """What static/js/documents.js sends when a file is chosen in a slot: the slot's form, marked X-Upload."""
    headers = {"X-Upload": "1", "Accept": "application/json"}
    return upload(client, application_id, content, filename, kind, version, headers=headers)


def slot(html: str, kind: str) -> str:
    """The HTML of one kind's slot."""
    found = re.search(rf'<section class="card mb-3 document-slot" id="documents-{kind}".*?</section>', html, re.S)
    assert found, kind
    return found.group(0)


def form_versions(html: str) -> set[str]:
    return set(re.findall(r'name="version" (?:type="hidden" )?value="(\d+)"', html))


def test_every_kind_has_its_own_slot_and_form_the_required_ones_first(client, draft_id):
    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)

    kinds = re.findall(r'id="documents-(\w+)" aria-labelledby', page)
    assert kinds == [kind.value for kind in documents.UPLOAD_KINDS]
    assert page.index("Required documents") < page.index('id="documents-cv"')
    assert page.index('id="documents-research_proposal"') < page.index("Further documents (optional)")
    assert page.index("Further documents (optional)") < page.index('id="documents-language_certificate"')
    for kind in documents.UPLOAD_KINDS:
        html = slot(page, kind.value)
        assert html.count("<form") == 1 and f'name="kind" type="hidden" value="{kind.value}"' in html
        assert f'id="file-{kind.value}" name="file"' in html and "data-upload-button" in html
    assert "required" in slot(page, "transcript") and "optional" in slot(page, "other")
    assert "<select" not in page  # no drop-down of kinds any more
    assert len(re.findall(r'\bid="([^"]+)"', page)) == len(set(re.findall(r'\bid="([^"]+)"', page)))


def test_a_slot_shows_name_size_pages_and_its_actions(client, draft_id):
    assert upload(client, draft_id, make_pdf(pages=3), filename="lebenslauf.pdf").status_code == 302
    assert upload(client, draft_id, make_pdf(pages=1), filename="zeugnis.pdf", kind="transcript").status_code == 302
    [cv] = documents_of(draft_id, DocumentKind.CV)

    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)

    html = slot(page, "cv")
    assert "lebenslauf.pdf" in html and f"{cv.size_bytes} bytes" in html and "3 pages" in html
    assert f"/application/documents/{cv.id}?disposition=inline" in html  # open
    assert f'href="/application/documents/{cv.id}"' in html  # download
    assert f"/application/{draft_id}/documents/{cv.id}/delete" in html  # remove
    assert "Replace the file" in html
    assert re.search(r"\b1 page\s", slot(page, "transcript"))
    assert "Add another file" in slot(page, "transcript")
    assert "Upload a file" in slot(page, "degree_certificate")


def test_pages_are_counted_in_the_users_language(client, login_as, open_round):
    user = login_as(Role.APPLICANT, language="de")
    draft_id = draft_for(user, open_round)
    upload(client, draft_id, make_pdf(pages=1), kind="cv")
    upload(client, draft_id, make_pdf(pages=2), kind="research_proposal")
    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)
    assert re.search(r"\b1 Seite\s", slot(page, "cv")) and "2 Seiten" in slot(page, "research_proposal")


def test_a_file_chosen_in_a_slot_is_uploaded_in_the_background(client, draft_id):
    version = get_application(draft_id).version

    response = upload_in_background(client, draft_id, make_pdf(pages=2), "proposal.pdf", kind="research_proposal")

    assert response.status_code == 200
    body = response.get_json()
    [document] = documents_of(draft_id)
    assert document.kind == DocumentKind.RESEARCH_PROPOSAL and document.page_count == 2
    assert body["saved"] is True and body["version"] == get_application(draft_id).version > version
    assert form_versions(body["html"]) == {str(body["version"])}  # every form of the slots goes on from here
    html = slot(body["html"], "research_proposal")
    assert "proposal.pdf" in html and "2 pages" in html and "“proposal.pdf” has been uploaded." in html
    assert "has been uploaded" not in slot(body["html"], "cv")
    # Nothing was flashed for the next page.
    assert "has been uploaded" not in client.get(f"/application/{draft_id}/documents").get_data(as_text=True)


def test_a_single_file_kind_is_replaced_from_its_slot(app, client, draft_id):
    assert upload_in_background(client, draft_id, make_pdf(), filename="old.pdf").status_code == 200
    [old] = documents_of(draft_id)
    old_key = old.storage_key

    body = upload_in_background(client, draft_id, make_pdf(pages=4), filename="new.pdf").get_json()

    assert body["saved"] is True
    assert [d.original_filename for d in documents_of(draft_id)] == ["new.pdf"]
    assert "old.pdf" not in body["html"] and "4 pages" in slot(body["html"], "cv")
    assert old_key not in stored_files(app)


def test_remove_from_a_slot_without_javascript(client, draft_id):
    upload(client, draft_id, make_pdf(), filename="toefl.pdf", kind="language_certificate")
    [document] = documents_of(draft_id)
    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)
    delete = re.search(rf'action="(/application/{draft_id}/documents/{document.id}/delete)">(.*?)</form>', page, re.S)
    version = re.search(r'name="version" value="(\d+)"', delete.group(2)).group(1)

    response = client.post(delete.group(1), data={"version": version})

    assert response.status_code == 302 and response.headers["Location"].endswith("#documents-language_certificate")
    assert documents_of(draft_id) == []
    page = client.get(f"/application/{draft_id}/documents").get_data(as_text=True)
    assert "“toefl.pdf” has been deleted." in page and "No file uploaded yet." in slot(page, "language_certificate")


def test_each_slots_button_posts_its_own_kind_without_javascript(client, draft_id):
    response = upload(client, draft_id, b"not a pdf at all", filename="zeugnis.pdf", kind="degree_certificate")

    assert response.status_code == 200
    assert "This file is not a PDF" in field_error(response, "file-degree_certificate")
    html = slot(response.get_data(as_text=True), "degree_certificate")
    assert 'aria-invalid="true"' in html and "file-degree_certificate-error" in html
    assert "aria-invalid" not in slot(response.get_data(as_text=True), "cv")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"Dear committee, my CV.", "This file is not a PDF"), (b"", "The file is empty")],
    ids=["not-a-pdf", "empty"],
)
def test_a_bad_file_chosen_in_a_slot_is_refused_there_and_changes_nothing(app, client, draft_id, content, message):
    version = get_application(draft_id).version
    before = stored_files(app)

    response = upload_in_background(client, draft_id, content, kind="transcript")

    assert response.status_code == 409
    body = response.get_json()
    assert body["saved"] is False and body["stale"] is False and any(message in e for e in body["errors"])
    assert message in slot(body["html"], "transcript") and 'aria-invalid="true"' in slot(body["html"], "transcript")
    assert message not in slot(body["html"], "cv")
    assert documents_of(draft_id) == [] and stored_files(app) == before
    assert get_application(draft_id).version == version == body["version"]


def test_a_too_large_file_is_refused_in_the_slot_in_the_users_language(app, client, login_as, open_round, monkeypatch):
    user = login_as(Role.APPLICANT, language="de")
    draft_id = draft_for(user, open_round)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1536)

    body = upload_in_background(client, draft_id, make_pdf(pages=30)).get_json()

    assert body["saved"] is False
    assert "1,5" in slot(body["html"], "cv") and "Die Datei ist zu groß" in slot(body["html"], "cv")
    assert documents_of(draft_id) == []


def test_too_many_files_are_refused_in_the_slot(app, client, draft_id, monkeypatch):
    monkeypatch.setattr(documents, "MAX_FILES_PER_KIND", 2)
    for number in (1, 2):
        assert upload_in_background(client, draft_id, make_pdf(), f"c-{number}.pdf", kind="other").status_code == 200
    html = slot(upload_in_background(client, draft_id, make_pdf(), "c-2.pdf", kind="other").get_json()["html"], "other")
    assert "at most 2 files of this kind" in html
    assert 'type="file"' not in html and "maximum number of files" in html
    assert len(documents_of(draft_id, DocumentKind.OTHER)) == 2


def test_a_conflict_shows_in_the_slot_with_the_current_version(app, client, draft_id):
    outdated = get_application(draft_id).version
    assert upload(client, draft_id, make_pdf(), filename="cv.pdf").status_code == 302  # in another tab
    current = get_application(draft_id).version
    before = stored_files(app)

    response = upload_in_background(client, draft_id, make_pdf(), "t.pdf", kind="transcript", version=outdated)

    assert response.status_code == 409
    body = response.get_json()
    assert body["stale"] is True and body["version"] == current
    assert "changed in another tab or window" in slot(body["html"], "transcript")
    assert "cv.pdf" in slot(body["html"], "cv")  # the slots show what is stored now
    assert form_versions(body["html"]) == {str(current)}
    assert [d.original_filename for d in documents_of(draft_id)] == ["cv.pdf"] and stored_files(app) == before
    # The page loaded afterwards shows no leftover message.
    assert "changed in another tab" not in client.get(f"/application/{draft_id}/documents").get_data(as_text=True)


def test_after_the_deadline_a_background_upload_gets_the_pages_own_answer(client, draft_id, open_round):
    from tests.test_documents import close_round

    close_round(open_round.id)
    response = upload_in_background(client, draft_id, make_pdf())
    assert response.status_code == 302  # documents.js then sends the form the ordinary way and shows the reason
    assert documents_of(draft_id) == []


def test_the_steps_navigation_comes_with_the_answer(client, draft_id):
    def documents_step(steps_html: str) -> str:
        return re.search(r"6\. Documents\s*<span[^>]*>\((\w+)\)", steps_html).group(1)

    kinds = ("cv", "degree_certificate", "transcript", "research_proposal")
    answers = [upload_in_background(client, draft_id, make_pdf(), kind=kind).get_json() for kind in kinds]
    assert [documents_step(answer["steps"]) for answer in answers] == ["incomplete"] * 3 + ["complete"]
