"""The 情報部門 rule is counted: requests filed outside the municipality's 情報部門, and whether
the share reached anyone, in the monthly report, the fiscal-year view and the queue filter."""
from datetime import datetime

import pytest

from supportdesk.extensions import db
from supportdesk.services.reports.monthly import build_fiscal_summary, build_monthly_report
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_request, make_staff, make_user

FILED = datetime(2026, 10, 6, 10, 0, tzinfo=JST)  # October 2026, fiscal year 2026


@pytest.fixture
def world(app):
    make_staff("佐用町", info_dept=True, name="佐用町情報担当")  # 佐用町 has a 情報部門
    through = make_request(make_staff("佐用町", info_dept=True), title="情報部門からの相談",
                           now=FILED)
    reached = make_request(make_staff("佐用町"), title="共有が届いた相談", now=FILED)
    # 上郡町: no 情報部門 user and no room, so the share reaches nobody.
    unreached = make_request(make_staff("上郡町"), title="誰にも届かない相談", now=FILED)
    db.session.commit()
    return dict(through=through, reached=reached, unreached=unreached)


def test_the_request_records_whether_the_share_reached_anyone(world):
    assert (world["through"].filed_outside_info_dept, world["through"].info_dept_reached) == \
        (False, None)
    assert (world["reached"].filed_outside_info_dept, world["reached"].info_dept_reached) == \
        (True, True)
    assert (world["unreached"].filed_outside_info_dept,
            world["unreached"].info_dept_reached) == (True, False)


def test_monthly_report_counts_the_rule(world, client, login_as):
    rep = build_monthly_report(2026, 10)
    rows = {row["key"]: row["value"] for row in
            [dict(r, key=r["params"]["key"]) for r in rep["sections"]["info_dept"]]}
    assert rows == {"outside_info_dept": 2, "info_dept_reached": 1, "info_dept_unreached": 1}
    login_as(make_user("manager"))
    page = client.get("/reports/monthly/2026-10").get_data(as_text=True)
    section = page.split('data-testid="info-dept"')[1].split("</table>")[0]
    assert "情報部門以外からの依頼" in section and "うち誰にも共有が届かなかった" in section
    # The drill-down behind the figure lists the request whose share reached nobody.
    behind = client.get("/reports/monthly/2026-10/requests",
                        query_string={"figure": "info_dept_unreached"}).get_data(as_text=True)
    assert "誰にも届かない相談" in behind and "共有が届いた相談" not in behind


def test_fiscal_year_view_counts_the_rule(world, client, login_as):
    summary = build_fiscal_summary(2026)
    assert (summary["totals"]["outside_info_dept"], summary["totals"]["info_dept_reached"],
            summary["totals"]["info_dept_unreached"]) == (2, 1, 1)
    october = next(m for m in summary["months"] if m["ym"] == "2026-10")
    assert (october["outside_info_dept"], october["info_dept_unreached"]) == (2, 1)
    login_as(make_user("manager"))
    page = client.get("/reports/fiscal/2026").get_data(as_text=True)
    line = page.split('data-testid="info-dept"')[1].split("</p>")[0]
    assert "情報部門以外からの依頼 2件" in line and "誰にも届かなかった 1件" in line


@pytest.mark.parametrize("which, shown", [
    ("outside", {"共有が届いた相談", "誰にも届かない相談"}),
    ("unreached", {"誰にも届かない相談"}),
    ("through", {"情報部門からの相談"}),
])
def test_the_queue_filters_on_the_rule(world, client, login_as, which, shown):
    login_as(make_liaison("西播磨"))
    page = client.get("/queue/", query_string={"info_dept": which, "region": "all"}).get_data(
        as_text=True)
    titles = {"情報部門からの相談", "共有が届いた相談", "誰にも届かない相談"}
    assert {t for t in titles if t in page} == shown
