"""Assembles the monthly report: figures with the previous month and the same month a year
earlier, in a plain JSON-able structure that the page, the exports and the snapshots share."""
from datetime import date

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import ReportSnapshot
from ...models.support_request import AUDIENCES, KIND_LABELS, LECTURE_FORMATS
from ...models.visit import VISIT_KINDS
from ...timeutil import fiscal_year
from .. import catalogue
from ..contacts.handover import handover_completion, handover_fiscal_year
from ...pack_words import in_desk_words
from ..desk import desk
from ..surveys.figures import survey_figures
from .knowing import status_figures
from . import outreach as o
from . import figures as r
from . import month_figures as mf
from . import month_outreach as mo

def _row(label, value, prev=None, prev_year=None, figure=None, **params):
    return {"label": label, "value": value, "prev": prev, "prev_year": prev_year,
            "figure": figure, "params": params}


def _catalogue_rows(list_name, counts, *, offered=False):
    """Rows labelled by the catalogue's entries, in both languages (the snapshot keeps both):
    every entry offered now when `offered` (zeros too), then any other key that counted."""
    entries = {e.key: e for e in catalogue.entries(list_name)}
    keys = [k for k, e in entries.items() if e.active] if offered else []
    keys += [k for k, n in counts.items() if n and k not in keys]
    return [dict(_row(entries[k].label("ja") if k in entries else k, counts.get(k, 0)),
                 label_en=entries[k].label("en") if k in entries else k) for k in keys]


def _months_figures(months, region_ids, extra=()):
    """({(year, month): the headline figures}, the first month's details): every figure for
    all the months at once (month_figures: one query per figure or group of figures, each
    covering every month). `extra` periods (the quarter, the fiscal year) are counted for
    reach in the same query."""
    periods = [r.month_period(y, m) for y, m in months]
    first = periods[0]
    requests, breakdown = mf.request_figures(periods, region_ids)
    resp = mf.responsiveness(periods, region_ids)
    seen = mo.visits(periods, region_ids)
    sat = mo.satisfaction(periods, region_ids)
    eng = mo.engagements(periods, region_ids)
    support = mo.support_given(periods, region_ids)
    reach, recent = mf.reached(periods + [p for p in extra if p.key not in
                                          {q.key for q in periods}], region_ids,
                               recent_before=first.end)
    surveys = mo.surveys(periods, region_ids)
    status = mo.status_figures(periods, region_ids)
    out = {}
    for (y, m), p in zip(months, periods):
        k = p.key
        lect, people, s, e = seen[k]["lectures"], seen[k]["participants"], sat[k], eng[k]
        out[(y, m)] = {
            **{f: requests[k][f] for f in ("new", "closed", "backlog", "declined", "withdrawn",
                                           "reopened", "past_target")},
            "first_response_median": resp[k]["first_response"]["median"],
            "first_response_p90": resp[k]["first_response"]["p90"],
            "resolution_median": resp[k]["resolution"]["median"],
            "resolution_p90": resp[k]["resolution"]["p90"],
            "lectures_held": lect["held"],
            "joint_lectures": lect["joint"],
            "participants": people["total"],
            "satisfaction_average": s["average"],
            "satisfaction_top_share": s["top_share"],
            "satisfaction_responses": s["responses"],
            "satisfaction_responses_filer": s["by_source"]["filer"]["responses"],
            "satisfaction_responses_participant": s["by_source"]["participant"]["responses"],
            "satisfaction_average_filer": s["by_source"]["filer"]["average"],
            "satisfaction_average_participant": s["by_source"]["participant"]["average"],
            "engagements_active": e["active"],
            "engagements_opened": e["opened"],
            **{f"engagements_closed_{a}": n for a, n in e["closed_by_achievement"].items()},
            "reach_month": reach[k],
            "support_total": sum(support[k]["by_kind"].values()),
            **{f: requests[k][f] for f in INFO_DEPT_FIGURES},
            **surveys[k],
            **status[k],
        }
    details = dict(breakdown, lectures=seen[first.key]["lectures"],
                   participants=seen[first.key]["participants"],
                   visits_by_kind=seen[first.key]["visits_by_kind"], support=support[first.key],
                   reach=reach, recent_contacts=recent)
    return out, details


# The 情報部門 rule: requests filed outside it, and whether the share reached anyone.
INFO_DEPT_FIGURES = ("outside_info_dept", "info_dept_reached", "info_dept_unreached")


SCALAR_LABELS = [
    *(("requests", f, r.FIGURE_LABELS[f], f)
      for f in ("new", "closed", "backlog", "declined", "withdrawn", "reopened")),
    ("responsiveness", "past_target", r.FIGURE_LABELS["past_target"], "past_target"),
    ("responsiveness", "first_response_median", N_("初回対応までの営業日数(中央値)"), None),
    ("responsiveness", "first_response_p90", N_("初回対応までの営業日数(90パーセンタイル)"), None),
    ("responsiveness", "resolution_median", N_("解決までの営業日数(中央値)"), None),
    ("responsiveness", "resolution_p90", N_("解決までの営業日数(90パーセンタイル)"), None),
    ("lectures", "lectures_held", N_("出前講座の実施回数"), None),
    ("lectures", "joint_lectures", N_("うち複数市町合同"), None),
    ("lectures", "participants", N_("出前講座の参加者数"), None),
    ("lectures", "satisfaction_responses", N_("満足度アンケートの回答数"), None),
    ("lectures", "satisfaction_responses_filer", N_("うち申込市町の職員"), None),
    ("lectures", "satisfaction_responses_participant", N_("うち講座の参加者(共有リンク)"), None),
    ("lectures", "satisfaction_average", N_("満足度の平均(5段階)"), None),
    ("lectures", "satisfaction_average_filer", N_("満足度の平均(申込市町の職員)"), None),
    ("lectures", "satisfaction_average_participant", N_("満足度の平均(参加者)"), None),
    ("lectures", "satisfaction_top_share", N_("満足度4・5の割合(％)"), None),
    ("accompaniment", "engagements_active", N_("月末時点で進行中の伴走支援"), None),
    ("accompaniment", "engagements_opened", N_("今月開始した伴走支援"), None),
    ("accompaniment", "engagements_closed_achieved", N_("今月終了した伴走支援(達成)"), None),
    ("accompaniment", "engagements_closed_partly", N_("今月終了した伴走支援(一部達成)"), None),
    ("accompaniment", "engagements_closed_not_achieved", N_("今月終了した伴走支援(未達成)"), None),
    ("accompaniment", "engagements_closed_stopped", N_("今月終了した伴走支援(中止)"), None),
    ("reach", "reach_month", N_("今月接点のあった市町数"), None),
    ("support", "support_total", N_("支援の実施件数"), None),
    *(("info_dept", f, r.FIGURE_LABELS[f], f) for f in INFO_DEPT_FIGURES),
    ("surveys", "surveys_sent", N_("今月開始した調査・照会"), None),
    ("surveys", "answers_due", N_("今月が回答期限の回答件数(市町×調査)"), None),
    ("surveys", "answer_rate", N_("期限内の回答率(％)"), None),
    ("surveys", "answer_days_median", N_("回答までの日数(中央値)"), None),
    ("dx_status", "status_updates", N_("記録されたDX状況の値"), None),
    ("dx_status", "status_municipalities", N_("DX状況が更新された市町数"), None),
    ("dx_status", "standardisation_updates", N_("記録されたシステム標準化の状況"), None),
]
# Figures whose drill-down is not a list of requests: (the list's page, the part of it).
# The page is reports.monthly_<name> (reports.fiscal_<name> for the fiscal year).
DRILLDOWNS = {"surveys_sent": ("surveys", "sent"), "answers_due": ("surveys", "due"),
              "answer_rate": ("surveys", "due"), "answer_days_median": ("surveys", "answered"),
              "status_updates": ("status_updates", "values"),
              "status_municipalities": ("status_updates", "values"),
              "standardisation_updates": ("status_updates", "systems")}


def _drill(key):
    page, part = DRILLDOWNS.get(key, (None, None))
    return {"drill": page, "anchor": part} if page else {}
# Said under the response times: what the business days leave out.
WAITING_NOTE = N_("営業日数は、市町の回答待ち・人材の回答待ちの期間を除いて数えています。")


def latest_snapshot(year, month):
    """The newest frozen version of the month's report (all regions), or None."""
    return db.session.scalar(sa.select(ReportSnapshot)
                             .where(ReportSnapshot.period == f"{year:04d}-{month:02d}")
                             .order_by(ReportSnapshot.version.desc()).limit(1))


def frozen_scalars(figures):
    """The headline figures of a frozen report, or None when it was frozen before one of
    today's figures existed (then the month is computed again)."""
    values = {row["params"].get("key"): row["value"]
              for rows in figures.get("sections", {}).values() for row in rows}
    if not all(key in values for _s, key, _l, _f in SCALAR_LABELS):
        return None
    return values


def _frozen(year, month, region_ids):
    """A compared month's headline figures from its frozen snapshot when the report covers
    every region and one exists (a closed month's official figures), else None."""
    if region_ids is not None:
        return None
    snap = latest_snapshot(year, month)
    return frozen_scalars(snap.figures) if snap is not None else None


def build_monthly_report(year, month, region_ids=None):
    """Everything on the monthly report page, for all regions (None) or the given regions.

    The month itself is computed; the previous month and the same month a year earlier come
    from their snapshots when they have one (they are closed: the snapshot holds their
    official figures). The months that are computed are computed together: each figure is one
    query over all of them."""
    p = r.month_period(year, month)
    compared = [r.previous_month(year, month), (year - 1, month)]
    frozen = {ym: _frozen(*ym, region_ids) for ym in compared}
    quarter = r.quarter_to_date(year, month)
    fy = r.fiscal_year_to_period_end(year, month)
    scalars, d = _months_figures([(year, month)] + [ym for ym in compared if frozen[ym] is None],
                                 region_ids, extra=(quarter, fy))
    current = scalars[(year, month)]
    prev, last_year = (frozen[ym] or scalars[ym] for ym in compared)
    sections = {}
    for section, key, label, figure in SCALAR_LABELS:
        sections.setdefault(section, []).append(
            _row(label, current[key], prev[key], last_year[key], figure, key=key, **_drill(key)))
    by_kind = d["by_kind"]
    kinds = [_row(KIND_LABELS[k], sum(n for (kk, o), n in by_kind.items() if kk == k and o != "push"),
                  figure="new", kind=k, origin="municipal") for k in KIND_LABELS]
    kinds.append(_row(N_("プッシュ型(リエゾン発)"), sum(n for (k, o), n in by_kind.items() if o == "push"),
                      figure="new", origin="push"))
    lect, people, support = d["lectures"], d["participants"], d["support"]
    munis = r.municipalities_of(region_ids, p.end)
    total = len(munis)
    last = r.last_contacts(p.end, region_ids, recent=d["recent_contacts"])
    reasons = mf.reasons(p, region_ids)
    return {
        "period": p.key,
        "waiting_note": WAITING_NOTE,
        "fy_label": r.fy_label(year, month),
        "fiscal_year": fiscal_year(date(year, month, 1)),
        "scope_region_ids": sorted(region_ids) if region_ids is not None else None,
        "sections": sections,
        "by_kind": kinds,
        # Theme names are data in two languages: the page picks name_en for English readers.
        "by_theme": [dict(_row(label, n, figure="new", theme_id=i), label_en=name_en)
                     for i, label, name_en, n in mf.new_by_theme(p, region_ids)],
        "by_region": [_row(label, n, figure="new", region_id=i)
                      for i, label, n in d["by_region"]],
        "by_municipality": [_row(label, n, figure="new", municipality_id=i)
                            for i, label, n in d["by_municipality"]],
        "declined": reasons["declined"],
        "withdrawn": reasons["withdrawn"],
        "lectures_by_program": _catalogue_rows(catalogue.LECTURE_MENU, lect["by_program"],
                                               offered=True),
        "lectures_by_format": [_row(LECTURE_FORMATS[k], v) for k, v in lect["by_format"].items()],
        "participants_by_role": [_row(o.ROLE_LABELS[k], v) for k, v in people["by_role"].items()],
        "lectures_by_audience": [_row(AUDIENCES[k], v["lectures"])
                                 for k, v in people["by_audience"].items()],
        "participants_by_audience": [_row(AUDIENCES[k], v["participants"])
                                     for k, v in people["by_audience"].items()],
        "visits_by_kind": [_row(VISIT_KINDS[k], v) for k, v in sorted(d["visits_by_kind"].items())],
        "reach": {
            "total": total,
            "month": current["reach_month"],
            "quarter": d["reach"][quarter.key],
            "fiscal_year": d["reach"][fy.key],
            "no_contact": [{"code": m.code, "name": m.name,
                            "last": last[m.id].isoformat() if m.id in last else None}
                           for m in munis if m.id not in d["recent_contacts"]],
            # Each municipality's last contact before the month's end: the tile map of a
            # closed month is drawn from it (and from its snapshot) instead of the events.
            "last_contacts": {m.code: last[m.id].isoformat() if m.id in last else None
                              for m in munis},
            "rounds": o.round_coverage(year, month, region_ids),
        },
        "support_by_kind": _catalogue_rows(catalogue.SUPPORT_KIND, support["by_kind"], offered=True),
        "bridges": [_row(dept or N_("(未記入)"), n) for dept, n in support["bridges"]],
        "expert_dispatches": _catalogue_rows(
            catalogue.EXPERT_KIND, dict(sorted(mo.expert_dispatches(p, region_ids).items()))),
        "push_information": [dict(_row(row["category"], row["sent"]), recipients=row["recipients"],
                                  read=row["read"], read_rate=row["read_rate"])
                             for row in o.push_information(p, region_ids)],
        # The April handover of the fiscal year the month prepares (Jan–Mar: the coming one),
        # as confirmed by the end of the month.
        "handover": handover_completion(handover_fiscal_year(date(year, month, 1)), region_ids,
                                        before=p.end),
    }


def _fiscal_months(fy, region_ids):
    months = []
    for i in range(12):
        year, month = (fy, 4 + i) if i < 9 else (fy + 1, i - 8)
        p = r.month_period(year, month)
        months.append({"ym": p.key,
                       "new": r.count_requests("new", p, region_ids=region_ids),
                       "closed": r.count_requests("closed", p, region_ids=region_ids),
                       "lectures": r.lectures(p, region_ids)["held"],
                       "reach": r.reached(p, region_ids),
                       **{f: r.count_requests(f, p, region_ids=region_ids)
                          for f in INFO_DEPT_FIGURES}})
    return months


def _fiscal_totals(fy, region_ids):
    year_period = r.Period(r.month_period(fy, 4).start, r.month_period(fy + 1, 3).end, f"FY{fy}")
    return {"new": r.count_requests("new", year_period, region_ids=region_ids),
            "closed": r.count_requests("closed", year_period, region_ids=region_ids),
            "lectures": r.lectures(year_period, region_ids)["held"],
            "reach": r.reached(year_period, region_ids),
            **{f: r.count_requests(f, year_period, region_ids=region_ids)
               for f in INFO_DEPT_FIGURES},
            **{f"engagements_closed_{a}": n
               for a, n in o.closed_by_achievement(year_period, region_ids).items()},
            **survey_figures(year_period, region_ids), **status_figures(year_period, region_ids)}


# The fiscal-year comparison's rows: (key, name).
FISCAL_COMPARE = (("new", r.FIGURE_LABELS["new"]), ("closed", r.FIGURE_LABELS["closed"]),
                  ("lectures", N_("出前講座の実施回数")), ("reach", N_("接点のあった市町数")),
                  ("engagements_closed_achieved", N_("終了した伴走支援(達成)")),
                  ("engagements_closed_partly", N_("終了した伴走支援(一部達成)")),
                  ("engagements_closed_not_achieved", N_("終了した伴走支援(未達成)")),
                  ("engagements_closed_stopped", N_("終了した伴走支援(中止)")),
                  ("surveys_sent", N_("開始した調査・照会")),
                  ("answers_due", N_("回答期限を迎えた回答件数(市町×調査)")),
                  ("answer_rate", N_("期限内の回答率(％)")),
                  ("answer_days_median", N_("回答までの日数(中央値)")),
                  ("status_updates", N_("記録されたDX状況の値")),
                  ("status_municipalities", N_("DX状況が更新された市町数")),
                  ("standardisation_updates", N_("記録されたシステム標準化の状況")))


def build_fiscal_summary(fy, region_ids=None):
    """Month-by-month figures of fiscal year `fy` (April to March) and the year's totals, each
    beside the previous fiscal year's (the same month a year earlier, and the year's total)."""
    months = _fiscal_months(fy, region_ids)
    previous = _fiscal_months(fy - 1, region_ids)
    for month, before in zip(months, previous):
        month["prev"] = before
    totals = dict(_fiscal_totals(fy, region_ids),
                  municipalities=r.municipalities_in_scope(region_ids,
                                                           r.month_period(fy + 1, 3).end))
    prev_totals = _fiscal_totals(fy - 1, region_ids)
    return {"months": months, "totals": totals, "prev_totals": prev_totals,
            "compare": [{"label": label, "value": totals[key], "prev": prev_totals[key],
                         **_drill(key)} for key, label in FISCAL_COMPARE],
            # The April handover at the start of this fiscal year, as confirmed so far.
            "handover": handover_completion(fy, region_ids),
            "max_value": max([1] + [max(m["new"], m["closed"]) for m in months])}


def flat_rows(report):
    """(section, label, value, previous month, same month last year) for CSV and XLSX."""
    names = {"requests": "依頼", "responsiveness": "対応の速さ", "lectures": "出前講座",
             "reach": "到達", "support": "支援", "accompaniment": "伴走支援",
             "info_dept": "情報部門", "surveys": "調査・照会", "dx_status": "DX状況"}
    word = desk().municipalities_word  # 市町 / 市町村: the pack's word, as in every message
    rows = []
    for section, items in report["sections"].items():
        for item in items:
            # The figures' labels are the code's messages (a municipality's or region's name
            # elsewhere in the rows is data, and keeps its letters: 下市町 stays 下市町).
            rows.append((names.get(section, section), in_desk_words(str(item["label"])),
                         item["value"], item["prev"],
                         item["prev_year"]))
    for key, name in (("by_kind", "種別"), ("by_theme", "分野"), ("by_region", "圏域"),
                      ("by_municipality", word), ("lectures_by_program", "講座メニュー"),
                      ("lectures_by_format", "実施形態"),
                      ("participants_by_role", "参加者(役職別)"),
                      ("lectures_by_audience", "講座(依頼の対象者別)"),
                      ("participants_by_audience", "参加者(依頼の対象者別)"),
                      ("visits_by_kind", "訪問"),
                      ("support_by_kind", "支援の種類"), ("bridges", "橋渡し先"),
                      ("expert_dispatches", "人材の派遣")):
        for item in report.get(key, []):  # snapshots frozen before a figure existed lack it
            rows.append((name, item["label"], item["value"], None, None))
    reach = report["reach"]
    for label, key in (("今月", "month"), ("今四半期", "quarter"), ("今年度", "fiscal_year")):
        rows.append(("到達", f"接点のあった{word}数({label})", reach[key], None, None))
    for row in reach["rounds"]:
        rows.append(("定期巡回", f"{row['region']} 巡回済(全{row['total']}{word})", row["visited"], None,
                     None))
    for item in report.get("push_information", []):
        rows.append(("お知らせ", f"{item['label']} 送信件数", item["value"], None, None))
        rows.append(("お知らせ", f"{item['label']} 既読率(％)", item["read_rate"], None, None))
    return rows
