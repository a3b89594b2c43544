"""The monthly report computes each figure for all its months in one query (month_figures);
here every figure is checked against the month-by-month functions it replaced, on a varied
dataset: months at the fiscal-year (March/April) and calendar-year (December/January) edges,
timestamps at 15:00 UTC (JST midnight, the first instant of a JST month) and a second before,
a liaison's regions as well as every region."""
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Engagement, SupportAction, SupportRequest, Visit
from supportdesk.models.survey import SurveyResponse
from supportdesk.models.visit import SatisfactionResponse, VisitRecord
from supportdesk.services.reports import figures as r
from supportdesk.services.reports import outreach as o
from supportdesk.services.reports.knowing import status_figures
from supportdesk.services import catalogue
from supportdesk.services.reports.monthly import (INFO_DEPT_FIGURES, _catalogue_rows, _months_figures,
                                                  build_monthly_report)
from supportdesk.services.requests.conversation import record_support_action
from supportdesk.services.requests.transitions import apply_action
from supportdesk.services.surveys.figures import survey_figures
from tests.factories import (make_expert, make_liaison, make_request, make_staff,
                             make_status_value, make_survey, municipality, region)

# JST midnight on the first of a month is 15:00 UTC on the day before.
EDGES = [datetime(2025, 3, 31, 15, tzinfo=UTC), datetime(2025, 12, 31, 15, tzinfo=UTC),
         datetime(2026, 3, 31, 15, tzinfo=UTC), datetime(2025, 1, 31, 15, tzinfo=UTC)]
MUNIS = ("佐用町", "上郡町", "豊岡市", "神河町", "姫路市")


def _moments(rnd, n):
    """n moments between 2024-11 and 2026-05: about a third of them on a JST month edge."""
    out = []
    for _ in range(n):
        pick = rnd.random()
        if pick < 0.2:
            out.append(rnd.choice(EDGES))
        elif pick < 0.35:
            out.append(rnd.choice(EDGES) - timedelta(seconds=1))
        else:
            out.append(datetime(2024, 11, 1, tzinfo=UTC)
                       + timedelta(minutes=rnd.randrange(0, 570 * 24 * 60)))
    return out


@pytest.fixture
def varied(app):
    rnd = random.Random(14)
    west, central = make_liaison("西播磨"), make_liaison("中播磨", "但馬", central=True)
    staff = {name: make_staff(name) for name in MUNIS}
    expert = make_expert("DXアドバイザー")
    liaison_of = {"佐用町": west, "上郡町": west}
    for i, at in enumerate(_moments(rnd, 70)):
        name = rnd.choice(MUNIS)
        liaison = liaison_of.get(name, central)
        kind = rnd.choice(("consultation", "consultation", "lecture", "accompaniment"))
        extra = ({"program": rnd.choice(("kaizen", "other")),
                  "formats": rnd.sample(["lecture", "demo", "workshop"], 2)}
                 if kind == "lecture" else {})
        sreq = make_request(staff[name], kind, now=at, themes=rnd.sample(
            ["security", "funding", "ai_rpa"], rnd.randint(0, 2)), title=f"依頼{i}", **extra)
        if kind == "lecture":
            sreq.audiences = rnd.sample(["executives", "business", "information"], 2)
        t = at
        path = rnd.choice((["triage", "answer", "close"], ["decline"], ["withdraw"],
                           ["triage", "answer", "close", "reopen", "answer", "close"],
                           ["triage"], []))
        for action in path:
            t += rnd.choice((timedelta(hours=20), timedelta(days=3), timedelta(days=20),
                             timedelta(days=40))) if action != "reopen" else timedelta(days=3)
            actor = staff[name] if action in ("withdraw", "reopen") else liaison
            apply_action(sreq, action, actor, now=t,
                         reason="理由" if action in ("decline", "withdraw", "reopen") else None)
        if rnd.random() < 0.4:
            record_support_action(sreq, liaison, "advice", now=at + timedelta(hours=2))
        if rnd.random() < 0.2:
            db.session.add(SupportAction(request_id=sreq.id, kind="bridge", actor_id=liaison.id,
                                         target_department=rnd.choice(("デジタル改革課", None)),
                                         at=at + timedelta(days=1)))
        if kind == "lecture" and rnd.random() < 0.7:
            visit = Visit(kind="lecture", state=rnd.choice(("held", "held", "cancelled")),
                          sreq=sreq, title="講座", starts_at=at + timedelta(days=5),
                          ends_at=at + timedelta(days=5, hours=2),
                          municipalities=[municipality(n) for n in
                                          rnd.sample(MUNIS, rnd.randint(1, 2))],
                          attendees=[expert] if rnd.random() < 0.5 else [],
                          created_by_id=liaison.id)
            db.session.add(visit)
            db.session.flush()
            if rnd.random() < 0.8:
                db.session.add(VisitRecord(visit_id=visit.id, recorded_by_id=liaison.id,
                                           attendees_executives=rnd.randint(0, 3),
                                           attendees_business=rnd.randint(0, 9),
                                           attendees_information=rnd.randint(0, 4),
                                           attendees_other=rnd.randint(0, 2)))
            for _ in range(rnd.randint(0, 3)):
                db.session.add(SatisfactionResponse(visit_id=visit.id, rating=rnd.randint(1, 5),
                                                    source="participant"))
            if rnd.random() < 0.5:
                db.session.add(SatisfactionResponse(visit_id=visit.id, rating=rnd.randint(1, 5),
                                                    respondent_id=staff[name].id))
        if kind == "accompaniment" and rnd.random() < 0.8:
            closed = at + timedelta(days=rnd.choice((1, 30, 90))) if rnd.random() < 0.6 else None
            db.session.add(Engagement(
                municipality_id=municipality(name).id, request_id=sreq.id, owner_id=liaison.id,
                created_by_id=liaison.id,
                title="伴走", starts_on=(at + timedelta(hours=9)).date(), closed_at=closed,
                achievement=rnd.choice(("achieved", "partly", "stopped", None)) if closed else None,
                state="closed" if closed else "active"))
    for at in _moments(rnd, 8):
        db.session.add(Visit(kind=rnd.choice(("round", "meeting")), state="held",
                             title="巡回", starts_at=at, ends_at=at + timedelta(hours=1),
                             municipalities=[municipality(rnd.choice(MUNIS))],
                             created_by_id=central.id))
    for at in _moments(rnd, 4):
        survey = make_survey(west, now=at, deadline=(at + timedelta(days=14, hours=9)).date(),
                             title=f"調査{at:%y%m%d%H%M}")
        for name in ("佐用町", "神河町"):
            if rnd.random() < 0.8:
                db.session.add(SurveyResponse(
                    survey_id=survey.id, municipality_id=municipality(name).id,
                    status="submitted", first_submitted_at=at + timedelta(days=rnd.randint(1, 20))))
    for at in _moments(rnd, 6):
        make_status_value(municipality(rnd.choice(MUNIS)), "cio_appointed", "yes",
                          as_of=(at + timedelta(hours=9)).date(), now=at)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 70
    return west


def _month_by_month(year, month, region_ids):
    """The reference: the month's headline figures, one function (and query) at a time, as the
    report computed them before."""
    p = r.month_period(year, month)
    lect, resp = r.lectures(p, region_ids), r.responsiveness(p, region_ids)
    support, sat = r.support_given(p, region_ids), o.satisfaction(p, region_ids)
    eng = o.engagements(p, region_ids)
    return {
        **{f: r.count_requests(f, p, region_ids=region_ids) for f in (
            "new", "closed", "backlog", "declined", "withdrawn", "reopened", "past_target",
            *INFO_DEPT_FIGURES)},
        "first_response_median": resp["first_response"]["median"],
        "first_response_p90": resp["first_response"]["p90"],
        "resolution_median": resp["resolution"]["median"],
        "resolution_p90": resp["resolution"]["p90"],
        "lectures_held": lect["held"], "joint_lectures": lect["joint"],
        "participants": o.participants(p, region_ids)["total"],
        "satisfaction_average": sat["average"], "satisfaction_top_share": sat["top_share"],
        "satisfaction_responses": sat["responses"],
        "satisfaction_responses_filer": sat["by_source"]["filer"]["responses"],
        "satisfaction_responses_participant": sat["by_source"]["participant"]["responses"],
        "satisfaction_average_filer": sat["by_source"]["filer"]["average"],
        "satisfaction_average_participant": sat["by_source"]["participant"]["average"],
        "engagements_active": eng["active"], "engagements_opened": eng["opened"],
        **{f"engagements_closed_{a}": n for a, n in eng["closed_by_achievement"].items()},
        "reach_month": r.reached(p, region_ids),
        "support_total": sum(support["by_kind"].values()),
        **survey_figures(p, region_ids), **status_figures(p, region_ids)}


def _last_contacts_scan(moment, region_ids):
    """The reference for the no-contact list: every contact before `moment`, all history."""
    contacts = r._contacts(region_ids, until=moment)
    return dict(db.session.execute(sa.select(contacts.c.mid, sa.func.max(contacts.c.at))
                                   .group_by(contacts.c.mid)).all())


def _details_month_by_month(year, month, region_ids):
    """The report's one-month sections, as the month-by-month functions give them."""
    p = r.month_period(year, month)
    lect, people = r.lectures(p, region_ids), o.participants(p, region_ids)
    support = r.support_given(p, region_ids)
    quarter, fy = r.quarter_to_date(year, month), r.fiscal_year_to_period_end(year, month)
    last = _last_contacts_scan(p.end, region_ids)
    since = p.end - timedelta(days=r.NO_CONTACT_DAYS)
    scope = r.municipalities_of(region_ids)
    return {
        "by_kind": r.new_by_kind(p, region_ids),
        "by_theme": [(i, label, n) for i, label, n in r.new_by_theme(p, region_ids)],
        "by_region": r.new_by_region(p, region_ids),
        "by_municipality": r.new_by_municipality(p, region_ids),
        "declined": r.reasons("declined", p, region_ids),
        "withdrawn": r.reasons("withdrawn", p, region_ids),
        "lectures": lect, "people": people, "visits": r.visits_by_kind(p, region_ids),
        "support_by_kind": support["by_kind"], "bridges": [tuple(b) for b in support["bridges"]],
        "experts": r.expert_dispatches(p, region_ids),
        "reach": (r.reached(quarter, region_ids), r.reached(fy, region_ids)),
        "no_contact": [(m.code, last.get(m.id)) for m in scope
                       if last.get(m.id) is None or last[m.id] < since]}


MONTHS = [(2025, 3), (2025, 4), (2025, 12), (2026, 1), (2025, 1), (2025, 2), (2026, 3),
          (2026, 4)]


def test_every_figure_for_three_months_at_once_equals_the_month_by_month_figures(varied):
    for region_ids in (None, sorted({region("西播磨").id, region("但馬").id})):
        _check_months(region_ids)


def _check_months(region_ids):
    reference = {ym: _month_by_month(*ym, region_ids) for ym in MONTHS}
    assert sum(reference[ym]["new"] for ym in MONTHS) > 20  # the dataset does reach the months
    assert any(reference[ym]["first_response_median"] for ym in MONTHS)
    # A report's three months (the month, the one before, the same month a year earlier), and
    # months that are neither adjacent nor a year apart.
    for months in ([(2025, 4), (2025, 3), (2024, 4)], [(2026, 1), (2025, 12), (2025, 1)],
                   [(2026, 3), (2026, 2), (2025, 3)], MONTHS):
        computed, _details = _months_figures(months, region_ids)
        for ym in months:
            expected = reference.get(ym) or _month_by_month(*ym, region_ids)
            assert computed[ym] == expected, (ym, {
                k: (v, expected[k]) for k, v in computed[ym].items() if expected[k] != v})


def test_the_report_sections_equal_the_month_by_month_functions(varied):
    for region_ids in (None, sorted({region("西播磨").id, region("但馬").id})):
        _check_sections(region_ids)


def _check_sections(region_ids):
    for year, month in [(2025, 4), (2026, 1), (2026, 3), (2025, 12)]:
        report = build_monthly_report(year, month, region_ids)
        ref = _details_month_by_month(year, month, region_ids)
        kinds = {}
        for (kind, origin), n in ref["by_kind"].items():
            key = "push" if origin == "push" else kind
            kinds[key] = kinds.get(key, 0) + n
        got_kinds = {row["params"].get("kind") if row["params"].get("origin") != "push"
                     else "push": row["value"] for row in report["by_kind"]}
        assert {k: v for k, v in got_kinds.items() if v} == {k: v for k, v in kinds.items() if v}
        assert [(row["params"]["theme_id"], row["label"], row["value"])
                for row in report["by_theme"]] == ref["by_theme"]
        assert [(row["params"]["region_id"], row["label"], row["value"])
                for row in report["by_region"]] == ref["by_region"]
        assert [(row["params"]["municipality_id"], row["label"], row["value"])
                for row in report["by_municipality"]] == ref["by_municipality"]
        assert report["declined"] == ref["declined"]
        assert report["withdrawn"] == ref["withdrawn"]
        lect, people = ref["lectures"], ref["people"]
        assert [row["value"] for row in report["lectures_by_program"]] == [
            row["value"] for row in _catalogue_rows(catalogue.LECTURE_MENU, lect["by_program"],
                                                    offered=True)]
        assert [row["value"] for row in report["lectures_by_format"]] == list(
            lect["by_format"].values())
        assert [row["value"] for row in report["participants_by_role"]] == list(
            people["by_role"].values())
        assert [(row["value"], row2["value"]) for row, row2 in zip(
            report["lectures_by_audience"], report["participants_by_audience"])] == [
            (v["lectures"], v["participants"]) for v in people["by_audience"].values()]
        assert [row["value"] for row in report["visits_by_kind"]] == [
            n for _k, n in sorted(ref["visits"].items())]
        assert [row["value"] for row in report["support_by_kind"]] == [
            row["value"] for row in _catalogue_rows(catalogue.SUPPORT_KIND,
                                                    ref["support_by_kind"], offered=True)]
        # (the old query left departments with equal counts in no defined order)
        def order(kv):
            return kv[0] is not None, kv[0] or "", kv[1]
        assert sorted([(row["label"] if row["label"] != "(未記入)" else None, row["value"])
                       for row in report["bridges"]], key=order) == sorted(ref["bridges"], key=order)
        assert [row["value"] for row in report["bridges"]] == sorted(
            (n for _d, n in ref["bridges"]), reverse=True)
        assert dict((row["label"], row["value"]) for row in report["expert_dispatches"]) \
            == ref["experts"]
        assert (report["reach"]["quarter"], report["reach"]["fiscal_year"]) == ref["reach"]
        assert [(m["code"], m["last"]) for m in report["reach"]["no_contact"]] == [
            (code, last.isoformat() if last else None) for code, last in ref["no_contact"]]
        assert report["reach"]["total"] == r.municipalities_in_scope(region_ids)
        last = _last_contacts_scan(r.month_period(year, month).end, region_ids)
        assert report["reach"]["last_contacts"] == {
            m.code: last[m.id].isoformat() if m.id in last else None
            for m in r.municipalities_of(region_ids)}


def test_the_tile_map_finds_the_last_contact_beyond_the_window(varied):
    from supportdesk.services.reports.tiles import contact_recency_tiles

    for moment in (datetime(2025, 6, 30, 15, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)):
        last = _last_contacts_scan(moment, None)
        tiles = {t["code"]: t["days"] for t in contact_recency_tiles(moment, None)}
        expected = {m.code: (None if m.id not in last else
                             max(0, (moment - last[m.id]) // timedelta(days=1)))
                    for m in r.municipalities_of(None)}
        assert tiles == {c: expected[c] for c in tiles}
