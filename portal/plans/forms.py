"""The plan's forms: the applicant's plan (a versioned record), a comment, an approval of the version shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from portal.core.versions import VersionedForm
from portal.plans.models import MAX_MONTHS
from portal.plans.services import TITLE_MAX, PlanContent

MONTHS = [InputRequired(_l("Please give a number of months.")), NumberRange(min=0, max=MAX_MONTHS)]


class PlanForm(VersionedForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX})
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 5})
    work_packages = TextAreaField(
        _l("Work packages"), description=_l("One work package per line or paragraph."), render_kw={"rows": 6}
    )
    months_germany = IntegerField(_l("Planned stay at the German university (months)"), validators=MONTHS)
    months_china = IntegerField(_l("Planned stay at the Chinese university (months)"), validators=MONTHS)
    milestones = TextAreaField(_l("Milestones"), render_kw={"rows": 4})
    submit = SubmitField(_l("Save the plan"))

    def content(self) -> PlanContent:
        return PlanContent(
            title=(self.title.data or "").strip(),
            summary=(self.summary.data or "").strip(),
            work_packages=(self.work_packages.data or "").strip(),
            months_germany=int(self.months_germany.data or 0),
            months_china=int(self.months_china.data or 0),
            milestones=(self.milestones.data or "").strip(),
        )


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Comment"), render_kw={"rows": 3})
    submit = SubmitField(_l("Add the comment"))


class ApproveForm(FlaskForm):
    sha256 = HiddenField()
    submit = SubmitField(_l("Approve this version"))
