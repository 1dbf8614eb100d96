"""Nothing raw where a person reads: one date format per language with the zone's city, readable time zones, the
registration's language from the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal import db
from portal.accounts.models import User
from portal.applications.models import LanguageLevel
from portal.core.countries import country_choices
from portal.core.i18n import format_in_programme_zones, timezone_options
from portal.core.roles import Role
from tests.factories import ApplicationFactory

MOMENT = dt.datetime(2027, 4, 14, 21, 59, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "14.04.2027, 23:59 (Berlin) · 15.04.2027, 05:59 (Shanghai)"),
        ("en", "14 Apr 2027, 23:59 (Berlin) · 15 Apr 2027, 05:59 (Shanghai)"),
        ("zh", "2027年4月14日 23:59 (柏林) · 2027年4月15日 05:59 (上海)"),
    ],
)
def test_one_format_per_language_to_the_minute_with_one_zone_label(app, language, expected):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert format_in_programme_zones(MOMENT) == expected


@pytest.mark.parametrize("language", ["de", "en", "zh"])
def test_time_zones_are_offered_by_readable_names_the_common_ones_first_each_once(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        options = timezone_options()
    zones = [zone for zone, _label in options]
    assert zones[:3] == ["Europe/Berlin", "Asia/Shanghai", "Europe/London"]
    assert "Asia/Chungking" not in zones and "Asia/Chongqing" not in zones  # aliases of Shanghai
    labels = [label for _zone, label in options]
    assert len(labels) == len(set(labels))
    assert not any("/" in label or "_" in label for label in labels)
    assert all(re.search(r"\(UTC[+-]\d\d:\d\d\)$", label) for label in labels)


@pytest.mark.parametrize(("language", "selected"), [("de", "de"), ("zh", "zh"), ("en", "en")])
def test_the_registration_language_defaults_to_the_page_language(client, language, selected):
    page = client.get("/account/register", headers={"Accept-Language": language}).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="language"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(rf'<option selected value="{selected}"|<option value="{selected}" selected', select), select


def names(app, language: str) -> list[str]:
    with app.test_request_context(headers={"Accept-Language": language}):
        return [name for _code, name in country_choices()]


def test_countries_put_the_programmes_first_then_sort_as_each_language_does(app):
    german, chinese, english = names(app, "de"), names(app, "zh"), names(app, "en")
    assert (
        german[:2] == ["Deutschland", "China"]
        and chinese[:2] == ["德国", "中国"]
        and english[:2] == ["Germany", "China"]
    )
    assert german.index("Österreich") < german.index("Panama")  # Ö sorts with O, not after Z
    assert german.index("Ägypten") < german.index("Albanien")
    # Pinyin: 阿尔巴尼亚 (a er) before 阿富汗 (a fu) before 巴西 (ba xi) before 日本 (ri ben) before 越南 (yue nan).
    order = [chinese.index(name) for name in ("阿尔巴尼亚", "阿富汗", "巴西", "日本", "越南")]
    assert order == sorted(order)


def test_language_levels_read_as_words_on_the_applicants_summary(client, login_as):
    user = login_as(Role.APPLICANT, language="de")
    application = ApplicationFactory(applicant=db.session.get(User, user.id))
    application.german_level, application.english_level = LanguageLevel.NATIVE, LanguageLevel.NONE
    application.chinese_level = LanguageLevel.B2
    db.session.commit()
    page = client.get(f"/application/{application.id}/submit").get_data(as_text=True)
    levels = re.findall(r"<dt[^>]*>(?:Englisch|Deutsch|Chinesisch)</dt><dd[^>]*>([^<]*)</dd>", page)
    assert [level.split()[0] for level in levels] == ["Keine", "Muttersprache", "B2"], levels
