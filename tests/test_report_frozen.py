"""A closed month's figures come from its frozen snapshot: the compared months of a report,
and the page of a closed month itself. The figures must be the same as computed ones."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.services.reports.monthly import build_monthly_report
from supportdesk.services.reports.snapshots import freeze_monthly_report, monthly_report
from tests.factories import make_user
from tests.test_reports import april, figures, jst, new_request  # noqa: F401 (fixture)


def _counting():
    seen = []
    listener = (lambda conn, cur, stmt, *a: seen.append(stmt))
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    return seen, lambda: sa.event.remove(db.engine, "before_cursor_execute", listener)


def test_compared_months_from_their_snapshots_equal_the_computed_report(april):
    seen, stop = _counting()
    computed = build_monthly_report(2025, 4)
    stop()
    computed_statements = len(seen)
    # The scheduler froze March 2025 and April 2024 when they closed.
    freeze_monthly_report(2025, 3, reason="scheduled")
    freeze_monthly_report(2024, 4, reason="scheduled")
    db.session.flush()
    seen, stop = _counting()
    reused = build_monthly_report(2025, 4)
    stop()
    assert reused == computed  # every figure, previous month and last year included
    assert figures(reused, "requests")["新規受付"] == (4, 1, 1)
    # The compared months are computed in the same queries as the month (one query per figure
    # for all three), so their snapshots save computation, not statements.
    assert len(seen) <= computed_statements, (len(seen), computed_statements)


def test_closed_month_page_shows_its_snapshot_until_frozen_again(april, client, login_as):
    login_as(make_user("manager"))
    assert client.post("/reports/monthly/2025-04/snapshot", data={"reason": "月次"}).status_code == 302
    new_request(april["r1"].filer, jst(2025, 4, 28, 10))  # a late, back-dated entry
    db.session.commit()
    frozen, snap = monthly_report(2025, 4)
    assert snap is not None and snap.version == 1
    assert figures(frozen, "requests")["新規受付"][0] == 4
    live, none = monthly_report(2025, 4, live=True)
    assert none is None and figures(live, "requests")["新規受付"][0] == 5
    regional, none = monthly_report(2025, 4, [april["liaison_w"].regions[0].id])
    assert none is None
    page = client.get("/reports/monthly/2025-04").get_data(as_text=True)
    assert 'data-testid="frozen-notice"' in page and "第1版" in page
    assert 'data-testid="frozen-notice"' not in client.get(
        "/reports/monthly/2025-04?live=1").get_data(as_text=True)
    # Freezing again (再集計) makes the new figures the month's official ones.
    assert client.post("/reports/monthly/2025-04/snapshot", data={"reason": "再集計"}).status_code == 302
    page = client.get("/reports/monthly/2025-04").get_data(as_text=True)
    assert "第2版" in page.split('data-testid="frozen-notice"')[1].split("</p>")[0]
    assert figures(monthly_report(2025, 4)[0], "requests")["新規受付"][0] == 5
