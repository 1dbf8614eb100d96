"""The applicant journey in a real browser: register, confirm, fill the eight steps, submit; a referee's letter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, ApplicationState, RefereeInvitation
from portal.core.outbox import OutboxEmail
from tests.factories import IntakeRoundFactory, make_pdf, supervisor

pytestmark = pytest.mark.browser

EMAIL = "wang.xiaoming@example.org"
PASSWORD = "Kolleg-Winter-Semester-2027"
STEP_TITLES = (
    "Personal data",
    "Education",
    "Languages",
    "Research proposal",
    "Co-supervisors",
    "Documents",
    "Referees",
)
ABSTRACT = "Hydrogen makes pipeline steels brittle. This project measures how, and how to prevent it."


def outbox(app, template: str, recipient: str) -> list[OutboxEmail]:
    """The queued emails of one kind to one recipient, newest first."""
    with app.app_context():
        emails = db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.template == template, OutboxEmail.recipient == recipient)
            .order_by(OutboxEmail.id.desc())
        ).all()
        db.session.remove()
    return list(emails)


def link_in(body: str, path: str) -> str:
    match = re.search(r"(https?://\S+" + path + r"\S+)", body)
    assert match, body
    return match.group(1)


def steps_nav(page: Page):
    return page.get_by_role("navigation", name="Steps of the application")


def expect_step(page: Page, title: str, *, complete: bool) -> None:
    """The step list beside the form says whether the step is complete (in words, for screen readers too)."""
    state = "complete" if complete else "incomplete"
    # The name also carries the ✓ or ○ that the style sheet puts before the link.
    link = steps_nav(page).get_by_role("link", name=re.compile(rf"^\W*{re.escape(title)} \({state}\)$"))
    expect(link).to_be_visible()
    expect(link).to_have_class(re.compile(rf"(^|\s){state}(\s|$)"))


def save_and_continue(page: Page, next_path: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"**/application/*/{next_path}")


def test_applicant_journey_from_registration_to_submission(app, page, tmp_path):
    # --- Set-up: an open round and one supervisor on each side ----------------------------------------------------
    with app.app_context():
        intake = IntakeRoundFactory()
        german = supervisor("TUC", user__name="Anna Weber")
        chinese = supervisor("TONGJI", user__name="Li Wei")
        db.session.commit()
        year = intake.reference_year
        german_option = f"{german.display_name} ({german.university.name_en})"
        chinese_option = f"{chinese.display_name} ({chinese.university.name_en})"
        db.session.remove()

    # --- Register and confirm the email address -------------------------------------------------------------------
    page.goto("/")
    page.get_by_role("link", name="Apply: create an account").click()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Full name").fill("Wang Xiaoming")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/account/register/sent")

    [confirmation] = outbox(app, "confirm_email", EMAIL)
    page.goto(link_in(confirmation.body, "/account/confirm/"))
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url("**/account/login")
    expect(page.get_by_role("status")).to_contain_text("your email address is confirmed")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")

    # --- Start the application --------------------------------------------------------------------------------------
    page.get_by_role("link", name="Go to my application").click()
    page.get_by_role("button", name="Start my application").click()
    page.wait_for_url("**/application/*/personal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal data")
    expect_step(page, "1. Personal data", complete=False)

    # --- Step 1: personal data, first with a phone number the server refuses ------------------------------------
    page.get_by_label("Family name").fill("Wang")
    page.get_by_label("Given names").fill("Xiaoming")
    page.get_by_label("Name in native script").fill("王小明")
    page.get_by_label("Date of birth").fill("1998-05-17")
    page.get_by_label("Nationality").select_option(label="China")
    page.get_by_label("Contact address").fill("No. 24 Yihuan Road\nChengdu 610065")
    page.get_by_label("Phone number").fill("call me in the evening")
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_label("I agree that my application is passed").check()
    page.get_by_role("button", name="Save and continue").click()

    phone = page.get_by_label("Phone number")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_contain_text("country code")
    expect(phone).to_have_accessible_description(re.compile("Please enter a phone number with country code"))
    assert page.url.endswith("/personal")
    # Everything typed is still there, the refused number included, so that it can be corrected.
    expect(phone).to_have_value("call me in the evening")
    expect(page.get_by_label("Family name")).to_have_value("Wang")
    expect(page.get_by_label("Given names")).to_have_value("Xiaoming")
    expect(page.get_by_label("Name in native script")).to_have_value("王小明")
    expect(page.get_by_label("Date of birth")).to_have_value("1998-05-17")
    expect(page.get_by_label("Nationality")).to_have_value("CN")
    expect(page.get_by_label("Contact address")).to_have_value("No. 24 Yihuan Road\nChengdu 610065")
    expect(page.get_by_label("I have read the privacy notice")).to_be_checked()
    expect(page.get_by_label("I agree that my application is passed")).to_be_checked()
    expect_step(page, "1. Personal data", complete=False)  # nothing was saved

    phone.fill("+86 28 8540 1234")
    save_and_continue(page, "education")
    expect_step(page, "1. Personal data", complete=True)
    expect_step(page, "2. Education", complete=False)

    # --- Step 2: education --------------------------------------------------------------------------------------------
    page.get_by_label("Level", exact=True).select_option(label="Master's degree")
    page.get_by_label("Degree", exact=True).fill("Master of Engineering")
    page.get_by_label("Subject", exact=True).fill("Materials Science")
    page.get_by_label("University", exact=True).fill("Sichuan University")
    page.get_by_label("Country", exact=True).select_option(label="China")
    page.get_by_label("Year of the degree").fill("2024")
    page.get_by_label("Grade", exact=True).fill("88")
    page.get_by_label("Grading scale").fill("100 (best) to 60 (pass)")
    page.get_by_role("button", name="Add this degree").click()
    expect(page.get_by_role("status")).to_contain_text("The degree has been added.")
    expect(page.get_by_role("cell", name="Sichuan University")).to_be_visible()
    expect_step(page, "2. Education", complete=True)
    save_and_continue(page, "languages")

    # --- Step 3: languages --------------------------------------------------------------------------------------------
    page.get_by_label("English", exact=True).select_option(label="C1")
    page.get_by_label("English certificate").fill("IELTS 7.5 (2025)")
    page.get_by_label("German", exact=True).select_option(label="A2")
    page.get_by_label("Chinese", exact=True).select_option(label="Native speaker")
    save_and_continue(page, "proposal")
    expect_step(page, "3. Languages", complete=True)

    # --- Step 4: research proposal ------------------------------------------------------------------------------------
    page.get_by_label("Title of the research project").fill("Hydrogen embrittlement of pipeline steels")
    page.get_by_label("Research field").select_option(label="Energy and Hydrogen")
    page.get_by_label("Abstract").fill(ABSTRACT)
    expect(page.locator("#abstract-count")).to_have_text(f"{len(ABSTRACT.split())} / 500")  # the live counter
    page.get_by_label("Keywords").fill("hydrogen, steel, pipelines")
    save_and_continue(page, "supervisors")
    expect_step(page, "4. Research proposal", complete=True)

    # --- Step 5: co-supervisors ---------------------------------------------------------------------------------------
    directory = page.get_by_role("table")
    expect(directory.get_by_role("row")).to_have_count(3)  # the header and the two supervisors
    page.get_by_label("German supervisor").select_option(label=german_option)
    page.get_by_label("Chinese supervisor").select_option(label=chinese_option)
    page.get_by_label("Why these two supervisors?").fill("Prof. Weber tests steels, Prof. Li builds pipelines.")
    save_and_continue(page, "documents")
    expect_step(page, "5. Co-supervisors", complete=True)

    # --- Step 6: documents (real PDF files) --------------------------------------------------------------------------
    for kind, filename in (
        ("Curriculum vitae", "cv.pdf"),
        ("Degree certificates", "master-certificate.pdf"),
        ("Transcripts of records", "transcript.pdf"),
        ("Research proposal", "proposal.pdf"),
    ):
        path = tmp_path / filename
        path.write_bytes(make_pdf(pages=2, text=kind))
        section = page.get_by_role("region", name=re.compile("^" + kind))
        section.get_by_label("Upload a file").set_input_files(path)  # the slot uploads it at once
        expect(section.get_by_role("status")).to_contain_text(f"“{filename}” has been uploaded.")
        expect(section.get_by_role("link", name=f"Open {filename}")).to_be_visible()
        expect(section).to_contain_text("2 pages")
        expect(section.get_by_text("required", exact=True)).to_have_class(re.compile("text-bg-success"))
    expect_step(page, "6. Documents", complete=True)
    page.get_by_role("link", name="Continue", exact=True).click()
    page.wait_for_url("**/application/*/referees")

    # --- Step 7: referees ---------------------------------------------------------------------------------------------
    for position, (name, email, institution, relation) in enumerate(
        (
            ("Prof. Dr. Li Hua", "li.hua@example.org", "Sichuan University", "Thesis supervisor"),
            ("Dr. Zhang Min", "zhang.min@example.org", "Sichuan University", "Professor or lecturer"),
        ),
        start=1,
    ):
        referee = page.get_by_role("group", name=f"Referee {position}")
        referee.get_by_label("Name", exact=True).fill(name)
        referee.get_by_label("Email address").fill(email)
        referee.get_by_label("Institution").fill(institution)
        referee.get_by_label("How does this referee know you?").select_option(label=relation)
    save_and_continue(page, "submit")
    expect_step(page, "7. Referees", complete=True)

    # --- The overview: every step complete --------------------------------------------------------------------------
    steps_nav(page).get_by_role("link", name="Overview").click()
    page.wait_for_url(re.compile(r".*/application/\d+$"))
    progress = page.get_by_role("list").filter(has=page.get_by_role("link", name="1. Personal data"))
    expect(progress.get_by_role("listitem")).to_have_count(7)
    expect(progress.get_by_text("complete", exact=True)).to_have_count(7)
    for number, title in enumerate(STEP_TITLES, start=1):
        expect_step(page, f"{number}. {title}", complete=True)
    page.get_by_role("link", name="Review and submit", exact=True).click()
    page.wait_for_url("**/application/*/submit")

    # --- Step 8: review and submit ------------------------------------------------------------------------------------
    expect(page.get_by_text("Before you can submit")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit the application")).to_be_enabled()
    expect(page.get_by_text("Xiaoming WANG (王小明)")).to_be_visible()
    page.get_by_label("I declare that the information I have given is complete and true").check()
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_url(re.compile(r".*/application/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Your application has been submitted")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(rf"^Application IPK-{year}-\d{{4}}$"))
    reference = heading.inner_text().removeprefix("Application ").strip()
    expect(page.get_by_role("status")).to_contain_text(f"Its reference number is {reference}.")
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()

    with app.app_context():
        application = db.session.scalars(select(Application)).one()
        assert application.state == ApplicationState.SUBMITTED
        assert application.reference == reference
        assert application.submitted_at is not None and application.declaration_at is not None
        assert (application.family_name, application.native_name, application.phone) == (
            "Wang",
            "王小明",
            "+86 28 8540 1234",
        )
        assert {d.original_filename for d in application.documents} == {
            "cv.pdf",
            "master-certificate.pdf",
            "transcript.pdf",
            "proposal.pdf",
        }
        db.session.remove()
    [submitted] = outbox(app, "application_submitted", EMAIL)
    assert reference in submitted.subject and reference in submitted.body

    # --- A referee uploads a letter through the link in the invitation; the applicant sees it arrived ------------
    [invitation] = outbox(app, "referee_invitation", "li.hua@example.org")
    assert len(outbox(app, "referee_invitation", "zhang.min@example.org")) == 1
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(link_in(invitation.body, "/referee/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter of recommendation")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(make_pdf(text="Recommendation for Wang Xiaoming"))
    page.get_by_label("Your letter as a PDF file").set_input_files(letter)
    page.get_by_role("button", name="Upload the PDF letter").click()
    expect(page.get_by_role("status")).to_contain_text("Your letter of recommendation has been received")
    expect(page.get_by_role("heading", name="Your letter has been received")).to_be_visible()
    with app.app_context():
        received = db.session.scalars(select(RefereeInvitation).order_by(RefereeInvitation.position)).all()
        assert [r.letter_received for r in received] == [True, False]
        db.session.remove()

    page.goto("/account/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name=re.compile(reference)).click()
    referees = page.get_by_role("listitem").filter(has_text="Sichuan University (")
    expect(referees.filter(has_text="Prof. Dr. Li Hua")).to_contain_text("letter received")
    expect(referees.filter(has_text="Dr. Zhang Min")).to_contain_text("invited, letter not yet received")
