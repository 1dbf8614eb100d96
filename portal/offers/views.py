"""The offers' pages: the applicant answers on the status page (the panel below) and ticks the next steps; the
coordinators follow a round's acceptances, offer a freed place to the next on the waiting list and set the round's
answer deadline and checklist."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application
from portal.applications.panels import StatusPanel
from portal.applications.services import list_rounds, round_or_404
from portal.core.bilingual import pdf_download
from portal.core.ids import parse_id
from portal.core.operations import attempt
from portal.core.permissions import applicant_only, coordinator_only
from portal.core.templating import current_language
from portal.core.timeutil import utcnow
from portal.letters.documents import admission_letter_pdf
from portal.offers import acceptances as listing
from portal.offers import checklist, services
from portal.offers.forms import AnswerForm, OfferNextForm, SettingsForm, TickForm
from portal.offers.models import OfferState
from portal.offers.permissions import own_offer, sees_offer

bp = Blueprint("offers", __name__)


def offer_panel(application: Application) -> StatusPanel | None:
    """The offer on the applicant's status page: answer it, or see the answer and tick the next steps."""
    if not current_user.is_authenticated:
        return None
    offer = services.offer_of(application)
    if not sees_offer(current_user, offer):
        return None
    form = AnswerForm()
    form.load_version(offer)
    now = utcnow()
    steps = checklist.checklist(offer) if checklist.shows_checklist(offer, now) else []
    context = {"offer": offer, "status": offer.status(now), "form": form, "steps": steps, "tick_form": TickForm()}
    return StatusPanel("offers/_status.html", {**context, "language": current_language()})


def _to_status_page(offer):
    return redirect(url_for("applications.overview", application_id=offer.application_id) + "#offer")


@bp.post("/offers/<int:offer_id>/answer")
@applicant_only
def answer(offer_id: int):
    offer = own_offer(current_user, offer_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Your answer could not be read. Please try again."), "danger")
        return _to_status_page(offer)
    accept, version = bool(form.accept.data), form.expected_version
    reason = form.reason.data or ""
    answered = attempt(
        lambda: services.answer(
            offer, accept=accept, reason=reason, by=current_user, now=utcnow(), expected_version=version
        )
    )
    if answered:
        thanks = _("Thank you: you have accepted your place.") if accept else _("You have declined your place.")
        flash(thanks, "success")
    return _to_status_page(offer)


@bp.get("/offers/<int:offer_id>/admission-letter.pdf")
@applicant_only
def admission_letter(offer_id: int):
    offer = own_offer(current_user, offer_id)
    made = attempt(lambda: admission_letter_pdf(offer.application, acceptance_deadline=offer.deadline))
    if not made:
        return _to_status_page(offer)
    return pdf_download(made.value, f"{offer.application.reference}-admission-letter.pdf")


@bp.post("/offers/<int:offer_id>/checklist")
@applicant_only
def tick(offer_id: int):
    offer = own_offer(current_user, offer_id)
    form = TickForm()
    if form.validate_on_submit() and attempt(
        lambda: checklist.tick(offer, set(form.done.data or []), by=current_user, now=utcnow())
    ):
        flash(_("Your progress has been saved."), "success")
    return _to_status_page(offer)


@bp.get("/coordination/offers/")
@coordinator_only
def index():
    return render_template("offers/index.html", intakes=list_rounds())


def _render_acceptances(intake, form: OfferNextForm):
    now = utcnow()
    waiting = listing.waiting_list(intake)
    if waiting and not form.application_id.data:
        form.application_id.data = str(waiting[0].application.id)
        form.load_deadline(services.deadline_for(intake, now))
    return render_template(
        "offers/acceptances.html",
        intake=intake,
        listing=listing.acceptances(intake, now),
        waiting=waiting,
        form=form,
        now=now,
        states=list(OfferState),
    )


@bp.get("/coordination/offers/<int:round_id>")
@coordinator_only
def acceptances(round_id: int):
    return _render_acceptances(round_or_404(round_id), OfferNextForm())


@bp.post("/coordination/offers/<int:round_id>/next")
@coordinator_only
def offer_next(round_id: int):
    intake, form = round_or_404(round_id), OfferNextForm()
    offered = form.validate_on_submit() and attempt(
        lambda: listing.offer_to_next(
            intake,
            parse_id(form.application_id.data),
            deadline=form.deadline_utc(),
            confirm_capacity=bool(form.confirm_capacity.data),
            by=current_user,
            now=utcnow(),
        ),
        form,
    )
    if offered:
        flash(_("The place has been offered to %(name)s.", name=offered.value.application.display_name), "success")
        return redirect(url_for("offers.acceptances", round_id=intake.id))
    return _render_acceptances(intake, form)


@bp.route("/coordination/offers/<int:round_id>/settings", methods=["GET", "POST"])
@coordinator_only
def settings(round_id: int):
    intake, form = round_or_404(round_id), SettingsForm()
    if form.validate_on_submit() and attempt(
        lambda: checklist.save_settings(
            intake,
            deadline=form.deadline_utc(),
            rows=form.item_inputs(),
            by=current_user,
            now=utcnow(),
            expected_version=form.expected_version,
        ),
        form,
    ):
        flash(_("The offers' settings have been saved."), "success")
        return redirect(url_for("offers.settings", round_id=intake.id))
    if not form.is_submitted():
        saved = services.settings_of(intake)
        form.load_version(saved)
        form.load_deadline(saved.deadline if saved else None)
        form.load_items(checklist.items_of(intake))
    return render_template("offers/settings.html", intake=intake, form=form)


