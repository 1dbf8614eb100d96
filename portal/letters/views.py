"""The coordinators' CSC pages: a round's CSC window and admitted candidates, their letters and package, and the
letter templates per language."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, IntakeRound
from portal.core.bilingual import pdf_download
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.letters import documents, services, texts
from portal.letters.forms import WINDOW_ZONE, MarkForm, PackageForm, TemplateForm, WindowForm
from portal.letters.models import LETTER_LANGUAGES, LetterKind
from portal.rounds.services import to_local, to_utc

bp = Blueprint("letters", __name__, url_prefix="/csc")


def _round(round_id: int) -> IntakeRound:
    return db.session.get(IntakeRound, round_id) or abort(404)


def _admitted(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not services.is_admitted(application):
        abort(404)
    return application


@bp.get("/")
@coordinator_only
def index():
    rounds = db.session.scalars(select(IntakeRound).order_by(IntakeRound.opens_at.desc())).all()
    return render_template("letters/index.html", rounds=rounds, kinds=list(LetterKind), languages=LETTER_LANGUAGES)


@bp.route("/round/<int:round_id>", methods=["GET", "POST"])
@coordinator_only
def round_page(round_id: int):
    intake = _round(round_id)
    window = services.window_of(intake)
    form = WindowForm()
    if request.method == "GET":
        form.load_version(window)
        form.opens_at.data = to_local(window.opens_at if window else None, WINDOW_ZONE)
        form.closes_at.data = to_local(window.closes_at if window else None, WINDOW_ZONE)
    saved = form.validate_on_submit() and attempt(lambda: _save_window(intake, form), form)
    if saved:
        flash(_("The CSC application window has been saved."), "success")
        return redirect(url_for("letters.round_page", round_id=intake.id))
    rows = services.admitted_of(intake)
    return render_template(
        "letters/round.html",
        intake=intake,
        window=window,
        form=form,
        rows=rows,
        labels=services.MISSING_LABELS,
        mark_form=MarkForm(),
        package_form=PackageForm(),
    )


def _save_window(intake: IntakeRound, form: WindowForm):
    opens, closes = to_utc(form.opens_at.data, WINDOW_ZONE), to_utc(form.closes_at.data, WINDOW_ZONE)
    if opens is None or closes is None:
        raise texts.LetterError(_("This time does not exist in Berlin (the clocks skip it): please choose another."))
    return services.set_window(intake, opens, closes, by=current_user, expected_version=form.expected_version)


@bp.post("/application/<int:application_id>/mark")
@coordinator_only
def mark(application_id: int):
    application = _admitted(application_id)
    form = MarkForm()
    marked = form.marked.data == "1"
    if form.validate_on_submit() and attempt(
        lambda: services.set_marked(application, marked, by=current_user, now=utcnow())
    ):
        flash(
            _("%(name)s applies for a CSC scholarship.", name=application.display_name)
            if marked
            else _("%(name)s no longer applies for a CSC scholarship.", name=application.display_name),
            "success",
        )
    return redirect(url_for("letters.round_page", round_id=application.round_id))


@bp.post("/application/<int:application_id>/package.pdf")
@coordinator_only
def package(application_id: int):
    application = _admitted(application_id)
    made = PackageForm().validate_on_submit() and attempt(lambda: services.generate_package(application, now=utcnow()))
    if not made:
        return redirect(url_for("letters.round_page", round_id=application.round_id))
    return pdf_download(made.value, f"{application.reference}-csc.pdf")


@bp.get("/application/<int:application_id>/<any(admission, invitation):kind>.pdf")
@coordinator_only
def letter(application_id: int, kind: str):
    application = _admitted(application_id)
    make = documents.admission_letter_pdf if kind == "admission" else documents.invitation_letter_pdf
    made = attempt(lambda: make(application))
    if not made:
        return redirect(url_for("letters.round_page", round_id=application.round_id))
    return pdf_download(made.value, f"{application.reference}-{kind}.pdf")


@bp.route("/letters/<any(admission, invitation):kind>/<any(de, en, zh):language>", methods=["GET", "POST"])
@coordinator_only
def template(kind: str, language: str):
    letter_kind = LetterKind(kind)
    current = texts.template_of(letter_kind, language)
    form = TemplateForm()
    if request.method == "GET":
        form.load_version(current)
        form.body.data = texts.text_of(letter_kind, language)
    saved = form.validate_on_submit() and attempt(
        lambda: texts.save_template(
            letter_kind,
            language,
            form.body.data or "",
            by=current_user,
            expected_version=form.expected_version,
            now=utcnow(),
        ),
        form,
    )
    if saved:
        flash(_("The text of the letter has been saved."), "success")
        return redirect(url_for("letters.index"))
    return render_template(
        "letters/template.html",
        kind=letter_kind,
        language=language,
        form=form,
        placeholders=texts.LETTER_PLACEHOLDERS,
        custom=current is not None,
    )
