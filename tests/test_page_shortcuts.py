"""The shortcuts the pages take to stay near their floor give the same answers as the long way."""
from datetime import datetime, timedelta

from flask_babel import force_locale, gettext

from supportdesk.extensions import db
from supportdesk.services.reports.municipality_year import (requests_per_month,
                                                            requests_per_month_of_years)
from supportdesk.timeutil import JST
from tests.factories import make_request, municipality


def test_both_years_of_the_chart_in_one_statement_count_as_each_year_alone(app):
    # Around Tokyo midnights that start a month and a fiscal year (UTC is 9 hours behind).
    times = [datetime(2024, 4, 1, 0, 0, tzinfo=JST), datetime(2024, 3, 31, 23, 59, tzinfo=JST),
             datetime(2025, 3, 31, 23, 59, tzinfo=JST), datetime(2025, 4, 1, 0, 0, tzinfo=JST),
             datetime(2025, 12, 31, 23, 30, tzinfo=JST), datetime(2026, 1, 1, 0, 30, tzinfo=JST),
             datetime(2025, 8, 15, 12, 0, tzinfo=JST) - timedelta(hours=3)]
    for at in times:
        make_request(now=at.astimezone(JST))
    db.session.commit()
    mid = municipality("佐用町").id
    both = requests_per_month_of_years(mid, 2024, 2)
    assert both == [requests_per_month(mid, 2024), requests_per_month(mid, 2025)]
    # April first in each year; the request at 2024-03-31 23:59 belongs to FY2023.
    assert both[0][0] == 1 and both[0][11] == 1 and sum(both[0]) == 2
    assert both[1][0] == 1 and both[1][8] == 1 and both[1][9] == 1 and both[1][4] == 1


def test_translations_kept_for_a_request_still_follow_force_locale(app):
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert gettext("受付キュー") == "受付キュー"
        with force_locale("en"):
            assert gettext("受付キュー") == "Queue"
        assert gettext("受付キュー") == "受付キュー"


def test_templates_translations_follow_force_locale_and_the_desks_word(app):
    from flask import render_template_string

    from supportdesk.models import DeskProfile
    from supportdesk.services.reference import bump_reference_version

    page = '{{ _("受付キュー") }}|{{ _("市町を選んでください。") }}'
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert render_template_string(page) == "受付キュー|市町を選んでください。"
        with force_locale("en"):
            assert render_template_string(page).startswith("Queue|")
        assert render_template_string(page) == "受付キュー|市町を選んでください。"
    db.session.get(DeskProfile, 1).municipalities_word = "市町村"
    bump_reference_version()
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert render_template_string(page) == "受付キュー|市町村を選んでください。"
