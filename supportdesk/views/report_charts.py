"""The charts of the report pages and their printouts, in the reader's language: drawn by
services/reports/charts.py from the report's own figures (nothing is queried again here)."""
from flask_babel import get_locale
from flask_babel import gettext as _

from ..services.reports import charts
from ..services.reports.municipality_year import requests_per_month_of_years
from ..services.reports.tiles import recency_legend
from ..template_helpers import fy_label
from ..timeutil import fiscal_year, utcnow


def _by_key(rows):
    return {row["params"].get("key"): row for row in rows or []}


def _compare(rows, keys):
    """Three series (当月, 前月, 前年同月) over the rows named by `keys`, skipping keys the
    report lacks (a snapshot frozen before a figure existed)."""
    found = [rows[k] for k in keys if k in rows]
    labels = [_(row["label"]) for row in found]
    series = [(_("当月"), [row["value"] for row in found]),
              (_("前月"), [row["prev"] for row in found]),
              (_("前年同月"), [row["prev_year"] for row in found])]
    return labels, series


def recency_map(tiles, chart_id="chart-tiles", title=None):
    """The municipality tile map coloured by the days since the last contact."""
    legend = [(shade, _(words)) for shade, words in recency_legend()]
    drawn = [dict(t, note=(_("%(d)d日前", d=t["days"]) if t["days"] is not None else _("なし")))
             for t in tiles]
    return charts.tile_map(chart_id, title or _("市町ごとの最後の接点"), drawn, legend)


def monthly_charts(report, tiles=None):
    """The monthly report's charts: requests, response times, lectures and satisfaction, reach,
    and (given the tiles) the municipality map."""
    sections = report["sections"]
    out = {}
    labels, series = _compare(_by_key(sections.get("requests")), ("new", "closed", "backlog"))
    out["requests"] = charts.bar_chart("chart-requests", _("依頼の件数(当月・前月・前年同月)"),
                                       labels, series, unit=_("件"))
    labels, series = _compare(_by_key(sections.get("responsiveness")),
                              ("first_response_median", "first_response_p90",
                               "resolution_median", "resolution_p90"))
    out["response"] = charts.bar_chart("chart-response", _("対応の速さ(営業日)"), labels,
                                       series, unit=_("日"))
    lectures = _by_key(sections.get("lectures"))
    labels, series = _compare(lectures, ("lectures_held", "joint_lectures"))
    out["lectures"] = charts.bar_chart("chart-lectures", _("出前講座の実施回数"), labels,
                                       series, unit=_("回"))
    labels, series = _compare(lectures, ("satisfaction_average", "satisfaction_average_filer",
                                         "satisfaction_average_participant"))
    out["satisfaction"] = charts.bar_chart("chart-satisfaction", _("満足度の平均(5段階)"),
                                           labels, series, max_value=5)
    reach = report["reach"]
    out["reach"] = charts.bar_chart(
        "chart-reach", _("接点のあった市町数(全%(t)d市町)", t=reach["total"]),
        [_("今月"), _("今四半期"), _("今年度")],
        [(_("市町数"), [reach["month"], reach["quarter"], reach["fiscal_year"]])],
        max_value=reach["total"] or 1)
    if tiles is not None:
        out["tiles"] = recency_map(tiles, title=_("市町ごとの最後の接点(月末時点)"))
    return out


def month_names(months):
    return [_("%(m)d月", m=int(m["ym"][5:])) for m in months]


def _steps_chart(chart_id, entry, first, last):
    """One DX status step item: how many municipalities at each step, at the year's start and
    end."""
    item = entry["item"]
    locale = str(get_locale() or "ja")
    labels = [item.step_label(k, locale) for k in range(len(entry["steps"]))]
    return charts.bar_chart(chart_id, _("%(item)sの段階(市町数)", item=item.label(locale)),
                            labels, [(first, entry["start"]), (last, entry["end"])],
                            unit=_("市町"), max_value=entry["total"] or 1)


def dx_step_charts(steps):
    """The fiscal-year report's DX status: a chart per step item of the tracker."""
    first, last = _("年度初め"), _("年度末(今年度は現在)")
    return [_steps_chart(f"chart-fy-dx-{e['item'].key}", e, first, last) for e in steps]


def fiscal_charts(summary, label, prev_label, tiles=None):
    """The fiscal year's charts: new requests, lectures, reach (in the month and since April)
    and satisfaction per month, each against the same month of the year before; response times
    per month; the DX status steps; the municipality map."""
    months = summary["months"]
    names = month_names(months)
    out = {}
    for key, title, unit in (("new", _("新規受付の月別推移"), _("件")),
                             ("lectures", _("出前講座の実施回数の月別推移"), _("回")),
                             ("reach", _("接点のあった市町数の月別推移"), _("市町"))):
        out[key] = charts.column_chart(
            f"chart-fy-{key}", title, names,
            [(label, [m[key] for m in months]), (prev_label, [m["prev"][key] for m in months])],
            unit=unit)
    out["response"] = charts.column_chart(
        "chart-fy-response", _("対応の速さの月別推移(中央値、営業日)"), names,
        [(_("初回対応"), [m["first_response"] for m in months]),
         (_("解決"), [m["resolution"] for m in months])], unit=_("日"))
    total = summary["totals"]["municipalities"]
    out["reach_to_date"] = charts.column_chart(
        "chart-fy-reach-to-date", _("接点のあった市町数の累計(全%(t)d市町)", t=total), names,
        [(label, [m["reach_to_date"] for m in months]),
         (prev_label, [m["prev"]["reach_to_date"] for m in months])],
        unit=_("市町"), max_value=total)
    out["satisfaction"] = charts.column_chart(
        "chart-fy-satisfaction", _("出前講座の満足度の月別平均(5段階)"), names,
        [(label, [m["satisfaction"] for m in months]),
         (prev_label, [m["prev"]["satisfaction"] for m in months])], max_value=5)
    out["dx_steps"] = dx_step_charts(summary.get("dx_steps") or [])
    if tiles is not None:
        out["tiles"] = recency_map(tiles, "chart-fy-tiles", _("市町ごとの最後の接点(年度末または本日時点)"))
    return out


def fiscal_month_names():
    """4月 ... 3月: the months of a fiscal year in the reader's language."""
    return [_("%(m)d月", m=m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def municipality_chart(fy_counts, prev_counts, label, prev_label, names=None):
    """One municipality's requests per month of the fiscal year, against the year before."""
    names = names or fiscal_month_names()
    return charts.column_chart(
        "chart-muni", _("依頼の月別件数(%(this)sと%(prev)s)", this=label, prev=prev_label), names,
        [(label, fy_counts), (prev_label, prev_counts)], unit=_("件"))


def municipality_sheet_charts(sheet, label, prev_label):
    """The municipality sheet's charts beyond its requests: response times, lectures and their
    satisfaction per month, and its DX status steps at the year's start and end."""
    names = [_("%(m)d月", m=m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    out = {"response": charts.column_chart(
        "chart-muni-response", _("対応の速さの月別推移(中央値、営業日)"), names,
        [(_("初回対応"), [m["first_response"] for m in sheet["response"]]),
         (_("解決"), [m["resolution"] for m in sheet["response"]])], unit=_("日")),
        "lectures": charts.column_chart(
        "chart-muni-lectures", _("出前講座の実施回数(%(this)sと%(prev)s)", this=label,
                                 prev=prev_label), names,
        [(label, sheet["lectures"]), (prev_label, sheet["prev_lectures"])], unit=_("回")),
        "satisfaction": charts.column_chart(
        "chart-muni-satisfaction", _("出前講座の満足度の月別平均(5段階)"), names,
        [(label, [m["average"] for m in sheet["satisfaction"]])], max_value=5)}
    steps = sheet["steps"]
    if steps:
        locale = str(get_locale() or "ja")
        out["dx_steps"] = charts.bar_chart(
            "chart-muni-dx", _("DX取組の段階(1が最初の段階)"),
            [e["item"].label(locale) for e in steps],
            [(_("年度初め"), [e["start"] for e in steps]),
             (_("年度末(今年度は現在)"), [e["end"] for e in steps])],
            max_value=max(len(e["steps"]) for e in steps) or 1)
    return out


def municipality_requests_section(municipality, user):
    """The municipality page's chart of this fiscal year's requests against last year's (the
    municipality's own page, so whoever sees the page sees its counts; drafts have no date)."""
    fy = fiscal_year(utcnow())
    label, prev_label = fy_label(fy), fy_label(fy - 1)
    prev_counts, counts = requests_per_month_of_years(municipality.id, fy - 1, 2)
    names = fiscal_month_names()  # the chart's and its table's, translated once
    return {"template": "municipalities/_requests_chart.html", "order": -1,
            "chart": municipality_chart(counts, prev_counts, label, prev_label, names),
            "counts": counts, "prev_counts": prev_counts, "label": label,
            "prev_label": prev_label, "months": names}
