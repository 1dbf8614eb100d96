"""Pages in German, English and Chinese; dates shown in the viewer's zone and the programme's two zones."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core.roles import Role


@pytest.mark.parametrize(
    ("header", "lang", "text"),
    [
        ("de-DE,de;q=0.9", "de", "Anmelden"),
        ("zh-CN,zh;q=0.9", "zh", "登录"),
        ("fr-FR", "en", "Sign in"),
    ],
)
def test_browser_language_is_used_for_visitors(client, header, lang, text):
    page = client.get("/account/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert text in page


def test_language_switcher_keeps_the_choice_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "zh", "next": "/account/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    assert '<html lang="zh">' in client.get("/account/login").get_data(as_text=True)


def test_language_switcher_refuses_unknown_languages_and_foreign_targets(client):
    response = client.post("/language", data={"language": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_signed_in_users_see_their_own_language_and_switching_saves_it(client, login_as):
    from portal import db
    from portal.accounts.models import User

    user = login_as(Role.APPLICANT, language="de")
    assert '<html lang="de">' in client.get("/dashboard").get_data(as_text=True)
    client.post("/language", data={"language": "zh"})
    assert db.session.get(User, user.id).language == "zh"


def test_home_page_names_the_nine_universities_in_the_viewers_language(client):
    chinese = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    for name in (
        "克劳斯塔尔工业大学",
        "哥廷根大学",
        "汉诺威莱布尼茨大学",
        "不伦瑞克工业大学",
        "奥斯纳布吕克大学",
        "四川大学",
        "郑州大学",
        "北京航空航天大学",
        "同济大学",
    ):
        assert name in chinese
    german = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Technische Universität Clausthal" in german and "Tongji-Universität" in german


def test_moment_is_shown_in_both_programme_zones(app):
    from portal.core.templating import format_in_zone

    moment = dt.datetime(2027, 3, 31, 21, 59, tzinfo=dt.UTC)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        berlin = format_in_zone(moment, "Europe/Berlin", "yyyy-MM-dd HH:mm")
        shanghai = format_in_zone(moment, "Asia/Shanghai", "yyyy-MM-dd HH:mm")
    assert berlin == "2027-03-31 23:59 (Berlin)"
    assert shanghai == "2027-04-01 05:59 (Shanghai)"


def test_a_label_kept_per_language_follows_the_language_it_is_asked_in(app):
    # Enum labels are translated once per language and process (core/i18n.translated): asked in turn in each
    # language, inside a request and outside one (an email in its recipient's language), each gets its own words.
    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    from portal.applications.models import ApplicationState
    from portal.core.i18n import translated

    with app.app_context():
        seen = {}
        for language in ("de", "zh", "en", "de", "zh"):
            with force_locale(language):
                seen.setdefault(language, set()).add(ApplicationState.SUBMITTED.label)
        assert seen == {"de": {"Eingereicht"}, "zh": {"已提交"}, "en": {"Submitted"}}
        with force_locale("de"):  # a label with variables is not kept: each value its own text
            first, second = (translated(_l("Ranking of %(round)s", round=name)) for name in ("A", "B"))
            assert (first, second) == ("Rangliste: A", "Rangliste: B")


def test_each_languages_catalogue_and_country_names_are_loaded_when_the_app_is_built(app, other_app, monkeypatch):
    from flask_babel import get_babel

    import portal
    from portal.core import countries, i18n

    with app.app_context():
        catalogues = get_babel().instance.domain_instance.cache
    catalogues.clear()  # loaded again by whatever needs them next
    named: list[str] = []
    monkeypatch.setattr(countries, "_countries", lambda language: named.append(language) or ())
    i18n.load_languages(app)
    assert sorted(named) == ["de", "en", "zh"]
    assert {language for language, _domain in catalogues} == {"de", "en", "zh"}
    built: list[object] = []
    monkeypatch.setattr(portal, "load_languages", built.append)
    assert built == [other_app()]
