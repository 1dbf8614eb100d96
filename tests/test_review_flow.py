"""Reviewing ten applications: documents served inline beside the form (with the headers of uploaded files), the
rubric per round in three languages, radio scores, "Submit and next", progress, and the ranking's criterion headers."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from portal import db
from portal.applications.models import Application, ApplicationState, DocumentKind, IntakeRound
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.core.versions import StaleVersion
from portal.review import rubric
from portal.review.models import CRITERIA, Conflict, ConflictReason, Review, ReviewAssignment, Rubric
from portal.review.queue import progress
from portal.review.services import ReviewError, save_review
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_document,
    add_review,
    assigned,
    committee_member,
    full_scores,
    judged,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")


def review_data(value: int = 4, **extra) -> dict[str, str]:
    """A complete review as the form posts it."""
    return {**{k: str(v) for k, v in full_scores(value).items()}, "version": "0", **extra}


@pytest.fixture
def queue():
    """A committee member assigned to five applications of one round (references in order), and a coordinator."""
    intake = IntakeRoundFactory()
    member = committee_member("LUH")
    applications = [judged(intake, family=f"Applicant{n}") for n in range(5)]
    for application in applications:
        assigned(member, application)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    return intake, member, applications, coordinator


# --- Documents, inline and as download --------------------------------------------------------------------------------


def fetch(client, document_id: int, disposition: str | None = None):
    query = f"?disposition={disposition}" if disposition else ""
    with client.get(f"/application/documents/{document_id}{query}") as response:
        return response.status_code, response.headers, response.get_data()


def test_a_document_is_shown_inline_only_when_asked_with_the_headers_of_an_upload(client, queue):
    _intake, member, applications, _coordinator = queue
    document = applications[0].documents[0]
    sign_in(client, member)

    status, headers, body = fetch(client, document.id, "inline")
    assert status == 200 and body.startswith(b"%PDF")
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f"inline; filename={document.original_filename}"
    # Sandboxed, loads nothing, may be framed by the portal's own pages only.
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'self'"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "private, no-store"

    for asked in (None, "attachment", "INLINE", "inline;x"):
        status, headers, _body = fetch(client, document.id, asked)
        assert status == 200
        assert headers["Content-Disposition"].startswith("attachment;")
        assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("stored", "fallback"),
    [("研究计划 王小明.pdf", "document.pdf"), ("Lebenslauf Müller.pdf", "Lebenslauf Muller.pdf")],
)
def test_a_name_in_another_script_has_an_ascii_fallback_and_the_exact_name_rfc_6266(client, queue, stored, fallback):
    _intake, member, applications, _coordinator = queue
    document = add_document(applications[0], DocumentKind.OTHER, filename=stored)
    db.session.commit()
    sign_in(client, member)
    _status, headers, _body = fetch(client, document.id, "inline")
    disposition = headers["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="{fallback}"') or disposition.startswith(
        f"inline; filename={fallback}"
    )
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert encoded and unquote(encoded.group(1)) == stored


def test_referee_letters_are_served_inline_to_the_committee_never_to_the_applicant(client, queue):
    _intake, member, applications, _coordinator = queue
    application = applications[0]
    letter = add_document(application, DocumentKind.REFEREE_LETTER, filename="letter.pdf")
    application.referees[0].letter_document = letter
    application.referees[0].letter_received_at = utcnow()
    db.session.commit()
    sign_in(client, member)
    status, headers, _body = fetch(client, letter.id, "inline")
    assert status == 200 and headers["X-Frame-Options"] == "SAMEORIGIN"
    page = client.get(f"/review/application/{application.id}").get_data(as_text=True)
    assert f"/application/documents/{letter.id}?disposition=inline" in page
    sign_in(client, application.applicant)
    assert fetch(client, letter.id, "inline")[0] == 404


def test_the_review_page_frames_the_documents_with_a_chooser_a_new_tab_and_a_download(client, queue):
    _intake, member, applications, _coordinator = queue
    application = applications[0]
    sign_in(client, member)
    page = client.get(f"/review/application/{application.id}").get_data(as_text=True)
    frame = re.search(r'<iframe name="document-frame"[^>]*src="([^"]+)"', page, re.S)
    documents = sorted(application.documents, key=lambda d: d.id)
    assert frame and frame.group(1).startswith(f"/application/documents/{documents[0].id}?disposition=inline")
    chooser = page.split('class="nav nav-pills small document-chooser')[1].split("</ul>")[0]
    assert chooser.count('target="document-frame"') == len(documents)
    for document in documents:
        assert f'href="/application/documents/{document.id}?disposition=inline"' in page  # a new tab
        assert f'href="/application/documents/{document.id}"' in page  # the download
    # The page itself may not be framed; only the documents may.
    response = client.get(f"/review/application/{application.id}")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- The rubric -------------------------------------------------------------------------------------------------------


def test_the_default_rubric_words_the_radio_buttons_in_the_readers_language(client, queue):
    _intake, member, applications, _coordinator = queue
    url = f"/review/application/{applications[0].id}"
    sign_in(client, member)
    page = client.get(url).get_data(as_text=True)
    assert 'type="radio" value="4"' in page
    assert "Very good grades from a demanding programme" in page
    assert "Fits both co-supervisors and their joint work" in page
    member.language = "de"
    db.session.commit()
    sign_in(client, member)  # the signed-in user is read afresh, and the language of the held context too
    refresh()
    assert "Sehr gute Noten in einem anspruchsvollen Studiengang" in client.get(url).get_data(as_text=True)
    member.language = "zh"
    db.session.commit()
    sign_in(client, member)
    refresh()
    assert "在高要求的专业中成绩优秀" in client.get(url).get_data(as_text=True)


def edited_texts(intake: IntakeRound, **changes: str) -> dict:
    """The round's rubric texts as the editing form has them, with some changed: score_fit-4-de="..."."""
    _version, texts = rubric.texts_for_editing(intake)
    for name, text in changes.items():
        criterion, score, language = name.rsplit("_", 2)
        texts[(criterion, int(score), language)] = text
    return texts


def test_a_rounds_rubric_is_saved_versioned_audited_and_falls_back_to_english(queue):
    intake, _member, _applications, coordinator = queue
    assert rubric.rubric_of(intake) is None and rubric.texts_for_editing(intake)[0] == 0
    texts = edited_texts(intake, score_fit_4_en="Fits both supervisors closely", score_fit_4_de="", score_fit_4_zh="")
    changed = rubric.save_rubric(intake, texts, expected_version=0, by=coordinator, now=utcnow())
    assert changed == 3
    assert rubric.words_for(intake, "de")["score_fit"][4] == "Fits both supervisors closely"  # English fallback
    assert rubric.words_for(intake, "zh")["score_fit"][4] == "Fits both supervisors closely"
    assert rubric.words_for(intake, "de")["score_fit"][3] == "Passt gut zu einer der beiden Betreuenden"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.rubric_saved")).one()
    assert sorted(event.details["changed"]) == ["score_fit-4-de", "score_fit-4-en", "score_fit-4-zh"]
    # Another round keeps the default.
    assert (
        rubric.words_for(IntakeRoundFactory(), "en")["score_fit"][4] == "Fits both co-supervisors and their joint work"
    )
    # A form loaded before this save is stale and changes nothing.
    with pytest.raises(StaleVersion):
        rubric.save_rubric(intake, edited_texts(intake), expected_version=0, by=coordinator, now=utcnow())
    assert rubric.words_for(intake, "en")["score_fit"][4] == "Fits both supervisors closely"


def test_a_rubric_without_english_or_with_a_long_text_is_refused_and_nothing_changes(queue):
    intake, _member, _applications, coordinator = queue
    texts = edited_texts(intake, score_academic_2_en="  ", score_proposal_5_zh="长" * 201)
    with pytest.raises(rubric.RubricError) as refused:
        rubric.save_rubric(intake, texts, expected_version=0, by=coordinator, now=utcnow())
    assert set(refused.value.fields) == {"score_academic-2-en", "score_proposal-5-zh"}
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rubric.id))) == 0


def test_the_rubric_page_for_coordinators_keeps_typed_texts_on_refusal_and_saves(client, queue):
    intake, member, applications, coordinator = queue
    url = f"/review/rounds/{intake.id}/rubric"
    sign_in(client, member)
    assert client.get(url).status_code == 403
    sign_in(client, coordinator)
    page = client.get(url).get_data(as_text=True)
    assert "Outstanding: among the best of their cohort</textarea>" in page
    assert "Herausragend: unter den Besten des Jahrgangs</textarea>" in page
    data = {f"{c}-{s}-{lang}": t for (c, s, lang), t in edited_texts(intake).items()}
    refused = client.post(url, data={**data, "version": "0", "score_academic-5-en": "", "score_fit-1-de": "Getippt"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "English is needed" in text.split('id="score_academic-5-en"')[1]
    assert "Getippt</textarea>" in text
    assert db.session.scalar(select(func.count(Rubric.id))) == 0
    saved = client.post(url, data={**data, "version": "0", "score_fit-1-de": "Passt nicht"})
    assert saved.status_code == 302
    assert "1 text changed" in client.get(url).get_data(as_text=True)
    assert rubric.words_for(db.session.get(IntakeRound, intake.id), "de")["score_fit"][1] == "Passt nicht"
    sign_in(client, member)
    review_page = client.get(f"/review/application/{applications[0].id}").get_data(as_text=True)
    assert "Outside the programme&#39;s fields" in review_page  # English: the member reads English


def test_a_score_outside_the_rubric_is_refused_with_a_message_and_changes_nothing(client, queue):
    _intake, member, applications, _coordinator = queue
    url = f"/review/application/{applications[0].id}"
    sign_in(client, member)
    for bad in ("7", "0", "x", "-1"):
        response = client.post(url, data=review_data(score_fit=bad, submit="y"))
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Please choose one of the rubric&#39;s scores, 1 to 5." in page.split('id="score_fit-0"')[1]
        assert db.session.scalar(select(func.count(Review.id))) == 0


# --- Save and next, progress ------------------------------------------------------------------------------------------


def references(applications) -> list[int]:
    return [a.id for a in sorted(applications, key=lambda a: a.reference)]


def test_submit_and_next_opens_the_next_open_review_of_the_round(client, queue):
    intake, member, applications, _coordinator = queue
    order = references(applications)
    # The second is submitted already, the fourth now conflicted (declared), the fifth decided: none of them is next.
    save_review(_assignment(member, order[1]), full_scores(), submit=True, expected_version=0, now=utcnow())
    db.session.add(Conflict(application_id=order[3], user_id=member.id, reason=ConflictReason.DECLARED))
    db.session.get(Application, order[4]).state = ApplicationState.DECIDED
    db.session.commit()
    sign_in(client, member)
    page = client.get(f"/review/application/{order[0]}").get_data(as_text=True)
    assert "1 of 4 submitted" in page  # the conflicted one is not counted, as on the assigned list
    assert 'name="submit_next"' in page and 'name="submit"' not in page
    response = client.post(f"/review/application/{order[0]}", data=review_data(submit_next="y"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/review/application/{order[2]}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 of 4 submitted" in page
    assert f"Thank you! Your review of {db.session.get(Application, order[0]).reference}" in page
    # The last open review: no next to go to, a plain submit.
    assert 'name="submit_next"' not in page and 'name="submit"' in page
    response = client.post(f"/review/application/{order[2]}", data=review_data(submit_next="y"))
    assert response.headers["Location"].endswith("/review/")
    assert f"No open reviews are left in {intake.name}." in client.get("/review/").get_data(as_text=True)


def _assignment(member, application_id):
    return db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.reviewer_id == member.id, ReviewAssignment.application_id == application_id
        )
    ).one()


def test_the_next_open_review_wraps_round_and_skips_drafts_of_nobody_else(queue):
    intake, member, applications, _coordinator = queue
    order = references(applications)
    now = utcnow()
    save_review(_assignment(member, order[0]), {"score_fit": 3}, submit=False, expected_version=0, now=now)  # a draft
    application = db.session.get(Application, order[4])
    assert progress(member, application, now).next_application_id == order[0]  # wraps round; a draft is still open
    other = committee_member("UGOE")
    assert progress(other, application, now).total == 0
    # After the review deadline nothing is open any more.
    later = intake.reviews_due + dt.timedelta(minutes=1)
    assert progress(member, application, later).next_application_id is None


def test_a_failed_submit_and_next_stays_with_the_typed_values(client, queue):
    _intake, member, applications, _coordinator = queue
    order = references(applications)
    sign_in(client, member)
    incomplete = {"version": "0", "score_academic": "5", "comment": "Typed", "submit_next": "y"}
    response = client.post(f"/review/application/{order[0]}", data=incomplete)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please give a score." in page and "Typed</textarea>" in page
    assert re.search(r'<input checked[^>]* name="score_academic" type="radio" value="5"', page)


def test_the_assigned_list_shows_progress_and_leads_with_the_first_open_review(client, queue):
    _intake, member, applications, _coordinator = queue
    order = references(applications)
    save_review(_assignment(member, order[0]), full_scores(), submit=True, expected_version=0, now=utcnow())
    db.session.commit()
    sign_in(client, member)
    page = client.get("/review/").get_data(as_text=True)
    assert "1 of 5 submitted" in page
    first_open = db.session.get(Application, order[1])
    assert re.search(rf'id="next-review">Next open review: {first_open.reference}', page)
    # Its form is on the list: "Submit and next" posts to the application's own page and goes on from there.
    assert f'action="/review/application/{order[1]}"' in page and 'name="submit_next"' in page
    response = client.post(f"/review/application/{order[1]}", data=review_data(submit_next="y"))
    assert response.status_code == 302 and response.location.endswith(f"/review/application/{order[2]}")


def test_the_assigned_list_without_open_reviews_is_only_the_list(client, queue):
    _intake, member, applications, _coordinator = queue
    for application_id in references(applications):
        save_review(_assignment(member, application_id), full_scores(), submit=True, expected_version=0, now=utcnow())
    db.session.commit()
    sign_in(client, member)
    page = client.get("/review/").get_data(as_text=True)
    assert "5 of 5 submitted" in page and 'id="next-review"' not in page and 'name="submit_next"' not in page


def test_the_review_page_costs_the_same_queries_however_many_assignments(client, queue, count_queries):
    intake, member, applications, _coordinator = queue
    url = f"/review/application/{applications[0].id}"
    sign_in(client, member)
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for n in range(6):
        assigned(member, judged(db.session.get(IntakeRound, intake.id), family=f"More{n}"))
    db.session.commit()
    many = count_queries(lambda: client.get(url))
    assert 0 < few == many <= 10  # tests/test_page_queries.py says what each is for


def test_a_coordinator_reads_the_page_without_a_form_or_progress(client, queue):
    _intake, _member, applications, coordinator = queue
    sign_in(client, coordinator)
    page = client.get(f"/review/application/{applications[0].id}").get_data(as_text=True)
    assert 'class="review-form' not in page and "submitted</p>" not in page
    assert 'name="document-frame"' in page


# --- The ranking labels each criterion --------------------------------------------------------------------------------


def test_the_ranking_heads_each_score_with_its_criterion(client, queue):
    intake, _member, applications, coordinator = queue
    add_review(applications[0], [5, 4, 3, 2, 1])
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get(f"/review/rounds/{intake.id}/ranking").get_data(as_text=True)
    legend = page.split('class="small text-muted mb-2 ranking-legend"')[1].split("</p>")[0]
    table = page.split('class="table table-sm table-borderless mb-0 review-scores"')[1].split("</table>")[0]
    # The full names once above the table, the short ones heading each row's scores.
    legend_names = re.findall(r'<abbr title="([^"]+)">([^<]+)</abbr>', legend)
    assert [title for title, _short in legend_names] == [str(label) for label in CRITERIA.values()]
    assert [short for _title, short in legend_names] == ["Record", "Proposal", "Fit", "Language", "References"]
    assert re.findall(r"<th>([^<]+)</th>", table) == [
        "Reviewer",
        "Record",
        "Proposal",
        "Fit",
        "Language",
        "References",
        "Mean",
    ]
    assert re.findall(r"<td>(\d)</td>", table) == ["5", "4", "3", "2", "1"]


def test_saving_through_the_service_still_refuses_out_of_range_scores(queue):
    _intake, member, applications, _coordinator = queue
    with pytest.raises(ReviewError) as refused:
        save_review(
            _assignment(member, applications[0].id), {"score_fit": 6}, submit=False, expected_version=0, now=utcnow()
        )
    assert refused.value.fields == {"score_fit": "Please choose one of the rubric's scores, 1 to 5."}
