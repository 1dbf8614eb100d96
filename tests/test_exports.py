"""The applicant's downloads: the PDF summary of the submitted application and the ZIP of all their personal data."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime, get_timezone_location
from fontTools.ttLib import TTCollection
from pypdf import PdfReader
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications import workflow
from portal.applications.consent import PRIVACY_NOTICE_VERSION
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, DocumentKind
from portal.core import pdf
from portal.core.audit import AuditEvent
from portal.core.i18n import DATE_TIME_PATTERNS
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.reporting import personal_data, summary
from tests.conftest import sign_in
from tests.factories import (
    ApplicationFactory,
    IntakeRoundFactory,
    UserFactory,
    add_document,
    complete_application,
    make_pdf,
)

ABSTRACT = "Wasserstoffversprödung in Pipelinestählen (管线钢的氢脆): Mechanismen, Prüfverfahren und Maßnahmen."
LETTER_TEXT = "Confidential: the candidate is outstanding"
LETTER_FILENAME = "geheimes-gutachten-prof-mueller.pdf"


@pytest.fixture
def cjk_font(app):
    """The PDF font must be installed: a clear failure (naming the package) instead of a skip when it is not."""
    with app.app_context():
        try:
            return pdf.find_cjk_font()
        except pdf.FontMissing as error:
            pytest.fail(str(error))


def summary_url(application_id: int) -> str:
    return f"/application/{application_id}/summary.pdf"


def data_url(application_id: int) -> str:
    return f"/application/{application_id}/my-data.zip"


def submitted_application(app, user_id: int) -> int:
    """A complete application of the user, submitted through the workflow; its id (committed)."""
    with app.test_request_context():
        application = complete_application(applicant=db.session.get(User, user_id))
        application.abstract = ABSTRACT
        workflow.submit(application, declaration=True, expected_version=application.version, now=utcnow())
        db.session.commit()
        return application.id


def add_referee_letter(app, application_id: int) -> None:
    """A received letter of the first referee: as a file (kind REFEREE_LETTER) and as text."""
    with app.app_context():
        application = db.session.get(Application, application_id)
        letter = add_document(
            application, DocumentKind.REFEREE_LETTER, make_pdf(text=LETTER_TEXT), filename=LETTER_FILENAME
        )
        referee = application.referees[0]
        referee.letter_text, referee.letter_document, referee.letter_received_at = LETTER_TEXT, letter, utcnow()
        db.session.commit()


def download(client, url: str):
    """GET url and close the response, as a WSGI server does (the ZIP is spooled to a file that must be closed)."""
    with client.get(url) as response:
        response.get_data()
    return response


def pdf_text(content: bytes) -> str:
    """The text of every page, with runs of whitespace (line wrapping) made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    # pypdf does not read the embedded /Encoding CMap that fpdf2 writes for a CFF-based CID font (Noto CJK), and
    # decodes the two-byte codes one byte at a time: every character comes out after a NUL. The characters themselves
    # come from the /ToUnicode map and are right (PDF viewers read such CMaps).
    return " ".join(text.replace("\x00", "").split())


def embedded_font_files(content: bytes) -> list[tuple[str, str]]:
    """(base font, font file key) of every font embedded in the PDF."""
    reader = PdfReader(io.BytesIO(content))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                keys = [key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor]
                found += [(str(font["/BaseFont"]), key) for key in keys]
    return found


def read_zip(content: bytes) -> tuple[dict, dict[str, bytes], str]:
    """data.json parsed, every entry's bytes, and data.json as text."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    text = entries["data.json"].decode("utf-8")
    return json.loads(text), entries, text


def audit_actions(target_type: str, target_id: int) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
    return list(db.session.scalars(query))


# --- The PDF summary ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "programme", "german_university", "chinese_university"),
    [
        ("de", "Internationales Promotionskolleg", "Technische Universität Clausthal", "Tongji-Universität"),
        ("en", "International Doctoral College", "Clausthal University of Technology", "Tongji University"),
        ("zh", "国际博士生院", "克劳斯塔尔工业大学", "同济大学"),
    ],
)
def test_summary_shows_the_submitted_application_in_the_users_language(
    app, client, login_as, cjk_font, caplog, language, programme, german_university, chinese_university
):
    user = login_as(Role.APPLICANT, language=language)
    application_id = submitted_application(app, user.id)

    with caplog.at_level(logging.WARNING, logger="fpdf"):
        response = download(client, summary_url(application_id))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    application = db.session.get(Application, application_id)
    assert response.headers["Content-Disposition"] == f"attachment; filename={application.reference}-summary.pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    # fmt: off
    expected = [
        application.reference, application.intake_round.name, programme, "王小明", "Xiaoming", user.email,
        "No. 24 Yihuan Road, Chengdu", "+86 28 1234", "Master of Engineering", "Sichuan University",
        "Hydrogen embrittlement of pipeline steels", ABSTRACT, "hydrogen, steel",
        german_university, chinese_university, application.german_supervisor.user.name,
        "cv.pdf", "research_proposal.pdf", "Referee 1", "Referee 2", PRIVACY_NOTICE_VERSION,
    ]
    # fmt: on
    assert [item for item in expected if item not in text] == []
    # The submission time in both of the programme's zones, as the pages show it.
    for zone in ("Europe/Berlin", "Asia/Shanghai"):
        local = application.submitted_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        city = get_timezone_location(zone, locale=language, return_city=True)
        shown = f"{format_datetime(local, DATE_TIME_PATTERNS[language], locale=language)} ({city})"
        assert " ".join(shown.split()) in text, zone
    # Every character had a glyph (fpdf2 warns of missing ones, which print as empty boxes).
    assert not [record.getMessage() for record in caplog.records if "missing" in record.getMessage()]
    assert audit_actions("applications", application_id)[-1] == summary.SUMMARY_DOWNLOADED


def test_summary_embeds_the_simplified_chinese_font(app, client, login_as, cjk_font):
    user = login_as(Role.APPLICANT)
    application_id = submitted_application(app, user.id)

    content = download(client, summary_url(application_id)).data

    fonts = embedded_font_files(content)
    assert fonts, "no embedded font"
    assert all(key in {"/FontFile2", "/FontFile3"} for _, key in fonts)
    if "NotoSansCJK" in cjk_font.path.name:
        assert any(base.endswith("NotoSansCJKSC") for base, _ in fonts), fonts
    # Subsetting: only the glyphs used, not the 16 MB collection.
    assert len(content) < 200_000


def test_summary_never_shows_a_referees_letter(app, client, login_as, cjk_font):
    user = login_as(Role.APPLICANT)
    application_id = submitted_application(app, user.id)
    add_referee_letter(app, application_id)

    text = pdf_text(download(client, summary_url(application_id)).data)

    assert "Referee 1" in text and "cv.pdf" in text
    assert "Letter received" in text and "Letter not yet received" in text
    assert LETTER_TEXT not in text and "outstanding" not in text
    assert LETTER_FILENAME not in text and "gutachten" not in text


def test_summary_keeps_an_unreleased_decision_under_review(app, client, login_as, cjk_font):
    user = login_as(Role.APPLICANT)
    application_id = submitted_application(app, user.id)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.state = ApplicationState.DECIDED
        application.decision = Decision(outcome=DecisionOutcome.REJECT, note="Weak proposal")
        db.session.commit()

    text = pdf_text(download(client, summary_url(application_id)).data)
    assert "Under review" in text
    assert "Not admitted" not in text and "Decided" not in text and "Weak proposal" not in text

    with app.app_context():
        db.session.get(Application, application_id).decision.released_at = utcnow()
        db.session.commit()
    assert "Decided: Not admitted" in pdf_text(download(client, summary_url(application_id)).data)


def test_a_draft_has_no_summary_but_its_data_can_be_downloaded(app, client, login_as):
    user = login_as(Role.APPLICANT)
    with app.app_context():
        draft = complete_application(applicant=db.session.get(User, user.id))
        db.session.commit()
    assert client.get(summary_url(draft.id)).status_code == 404
    assert download(client, data_url(draft.id)).status_code == 200
    assert audit_actions("applications", draft.id).count(summary.SUMMARY_DOWNLOADED) == 0


@pytest.mark.parametrize("url", [summary_url, data_url])
def test_only_the_applicant_downloads(app, client, login_as, url):
    owner = login_as(Role.APPLICANT)
    application_id = submitted_application(app, owner.id)

    login_as(Role.APPLICANT)
    assert client.get(url(application_id)).status_code == 404
    login_as(Role.COORDINATOR)
    assert client.get(url(application_id)).status_code == 403
    # Holding the applicant role as well changes nothing: the application is not theirs.
    with app.app_context():
        coordinator_and_applicant = UserFactory(roles=[Role.COORDINATOR, Role.APPLICANT])
        db.session.commit()
    sign_in(client, coordinator_and_applicant)
    assert client.get(url(application_id)).status_code == 404
    assert client.get(url(987654)).status_code == 404
    anonymous = app.test_client().get(url(application_id))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert not {summary.SUMMARY_DOWNLOADED, personal_data.PERSONAL_DATA_EXPORTED} & set(
        db.session.scalars(select(AuditEvent.action))
    )


# --- All personal data ---------------------------------------------------------------------------------------------


def test_personal_data_zip_holds_the_data_and_own_documents_only(app, client, login_as):
    user = login_as(Role.APPLICANT, name="王小明")
    application_id = submitted_application(app, user.id)
    add_referee_letter(app, application_id)
    cv_content = make_pdf(pages=2, text="My own CV")
    with app.app_context():
        add_document(db.session.get(Application, application_id), DocumentKind.OTHER, cv_content, "学位证书.pdf")
        db.session.commit()

    response = download(client, data_url(application_id))

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=my-data-")
    assert response.headers["Cache-Control"] == "private, no-store"
    data, entries, text = read_zip(response.data)
    assert "王小明" in text  # written as UTF-8, not as \\u escapes
    account = data["account"]
    assert account["email"] == user.email and account["name"] == "王小明"
    assert [role["role"] for role in account["roles"]] == ["applicant"]
    saved_user = db.session.get(User, user.id)
    assert "password_hash" not in account and "token_hash" not in text
    assert saved_user.password_hash not in text

    (exported,) = data["applications"]
    application = db.session.get(Application, application_id)
    assert exported["reference"] == application.reference and exported["state"] == "submitted"
    assert exported["native_name"] == "王小明" and exported["date_of_birth"] == "1998-05-17"
    assert exported["abstract"] == ABSTRACT and exported["research_field"] == "energy_hydrogen"
    assert exported["german_supervisor"]["university"]["de"] == "Technische Universität Clausthal"
    assert exported["education"][0]["institution"] == "Sichuan University"
    assert {c["consent"]: c["version"] for c in exported["consents"]}["privacy_notice"] == PRIVACY_NOTICE_VERSION
    assert all(c["given_at"] for c in exported["consents"])
    referee = exported["referees"][0]
    assert referee["name"] == "Referee 1" and referee["letter_received"] is True and referee["letter_received_at"]
    assert not {"letter_text", "letter_document_id", "token_hash"} & set(referee)
    assert "outstanding" not in text and "gutachten" not in text

    # Every document of the applicant's, with its bytes; the referee's letter neither listed nor included.
    documents = exported["documents"]
    assert sorted(d["kind"] for d in documents) == sorted(
        ["cv", "degree_certificate", "transcript", "research_proposal", "other"]
    )
    for document in documents:
        stored = next(d for d in application.documents if d.id == document["id"])
        assert document["file"].startswith(f"documents/{application.reference}/")
        assert (
            entries[document["file"]] == Path(app.config["PORTAL_DATA_DIR"], "files", stored.storage_key).read_bytes()
        )
        assert "storage_key" not in document
    assert entries[f"documents/{application.reference}/学位证书.pdf"] == cv_content
    assert set(entries) == {"data.json", *(d["file"] for d in documents)}
    assert not any("gutachten" in name for name in entries)
    assert not any(LETTER_TEXT.encode() in content for content in entries.values())
    assert audit_actions("users", user.id) == [personal_data.PERSONAL_DATA_EXPORTED]


def test_personal_data_covers_every_application_of_the_user_and_no_one_elses(app, client, login_as):
    user = login_as(Role.APPLICANT)
    with app.app_context():
        applicant = db.session.get(User, user.id)
        earlier = complete_application(
            applicant=applicant,
            intake_round=IntakeRoundFactory(
                opens_at=utcnow() - dt.timedelta(days=400), closes_at=utcnow() - dt.timedelta(days=300)
            ),
        )
        earlier.state, earlier.reference, earlier.submitted_at = ApplicationState.DECIDED, "IPK-2026-0007", utcnow()
        earlier.decision = Decision(outcome=DecisionOutcome.ADMIT)  # not released: the applicant cannot know it yet
        draft = ApplicationFactory(applicant=applicant, native_name="李雷")
        someone_else = complete_application(applicant=UserFactory(), intake_round=draft.intake_round)
        someone_else.native_name = "韩梅梅"
        db.session.commit()
        draft_id, earlier_id = draft.id, earlier.id

    data, entries, text = read_zip(download(client, data_url(draft_id)).data)

    by_id = {exported["id"]: exported for exported in data["applications"]}
    assert set(by_id) == {draft_id, earlier_id}
    assert by_id[draft_id]["state"] == "draft" and by_id[draft_id]["native_name"] == "李雷"
    assert by_id[earlier_id]["state"] == "under_review" and by_id[earlier_id]["decision"] is None
    assert "韩梅梅" not in text
    assert {name.split("/")[1] for name in entries if name != "data.json"} == {"IPK-2026-0007"}


def test_file_names_in_the_zip_are_safe_and_unique(app, client, login_as):
    user = login_as(Role.APPLICANT)
    with app.app_context():
        application = ApplicationFactory(applicant=db.session.get(User, user.id))
        for name in ("Zeugnis.pdf", "zeugnis.PDF", "Zeugnis.pdf", "../../etc/passwd", "C:\\Users\\wang\\简历.pdf"):
            add_document(application, DocumentKind.OTHER, make_pdf(text=name), name)
        db.session.commit()
        folder = f"documents/application-{application.id}"

    data, entries, _ = read_zip(download(client, data_url(application.id)).data)

    assert sorted(name for name in entries if name != "data.json") == sorted(
        f"{folder}/{name}" for name in ("Zeugnis.pdf", "zeugnis (2).pdf", "Zeugnis (3).pdf", "passwd.pdf", "简历.pdf")
    )
    files = [document["file"] for document in data["applications"][0]["documents"]]
    assert len(set(files)) == 5 and all(name in entries for name in files)


def test_a_file_missing_from_storage_does_not_block_the_export(app, client, login_as, caplog):
    user = login_as(Role.APPLICANT)
    with app.app_context():
        application = ApplicationFactory(applicant=db.session.get(User, user.id))
        add_document(application, DocumentKind.OTHER, filename="kept.pdf")
        lost = add_document(application, DocumentKind.OTHER, filename="lost.pdf")
        db.session.commit()
        Path(app.config["PORTAL_DATA_DIR"], "files", lost.storage_key).unlink()

    data, entries, _ = read_zip(download(client, data_url(application.id)).data)

    files = {document["original_filename"]: document["file"] for document in data["applications"][0]["documents"]}
    assert files == {"kept.pdf": f"documents/application-{application.id}/kept.pdf", "lost.pdf": None}
    assert set(entries) == {"data.json", files["kept.pdf"]}
    assert f"Document {lost.id} is missing" in caplog.text


def test_every_application_column_is_exported_or_deliberately_shown_otherwise():
    """A new column must be decided on: exported as it is, or listed as shown in another form (or not at all)."""
    columns = set(Application.__table__.columns.keys())
    decided = set(personal_data.APPLICATION_FIELDS) | personal_data.APPLICATION_COLUMNS_SHOWN_OTHERWISE
    assert columns == decided, columns ^ decided


# --- The font ------------------------------------------------------------------------------------------------------


def test_font_lookup_prefers_the_setting_and_picks_the_simplified_chinese_face(app, cjk_font, monkeypatch, tmp_path):
    own_copy = tmp_path / "MyCJK.ttc"
    own_copy.symlink_to(cjk_font.path)
    with app.app_context():
        monkeypatch.setitem(app.config, "PDF_CJK_FONT", str(own_copy))
        found = pdf.find_cjk_font()
        assert found.path == own_copy and found.index == cjk_font.index
        with TTCollection(str(found.path), lazy=True) as collection:
            family = collection.fonts[found.index]["name"].getDebugName(1)
        assert family.endswith(" SC") and "Mono" not in family, family

        # The environment when the configuration does not say.
        monkeypatch.setitem(app.config, "PDF_CJK_FONT", None)
        monkeypatch.setenv("PDF_CJK_FONT", str(own_copy))
        assert pdf.find_cjk_font().path == own_copy

        monkeypatch.setitem(app.config, "PDF_CJK_FONT", "/nowhere/font.ttc")
        with pytest.raises(pdf.FontMissing, match="fonts-noto-cjk") as error:
            pdf.find_cjk_font()
        assert "/nowhere/font.ttc" in str(error.value)


def test_missing_font_is_a_clear_error_not_boxes(app, monkeypatch, tmp_path):
    monkeypatch.delenv("PDF_CJK_FONT", raising=False)
    monkeypatch.setattr(pdf, "DEBIAN_FONT_PATHS", (tmp_path / "NotoSansCJK-Regular.ttc",))
    with app.app_context():
        monkeypatch.setitem(app.config, "PDF_CJK_FONT", None)
        with pytest.raises(pdf.FontMissing, match=r"apt-get install fonts-noto-cjk"):
            pdf.PortalPDF(title="x")
