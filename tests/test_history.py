"""The municipality history (対応履歴): requests and visits by fiscal year, the timeline, who sees
what, and a bounded number of queries."""
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestComment, Visit
from supportdesk.services.requests.transitions import record_event
from supportdesk.services.visits.lifecycle import create_visit
from tests.factories import advance_request, make_liaison, make_request, make_staff, municipality

FY2024 = datetime(2024, 6, 10, 1, 0, tzinfo=UTC)
FY2025 = datetime(2025, 5, 20, 1, 0, tzinfo=UTC)


def _visit(name, kind, starts_at, creator, *munis):
    v = Visit(kind=kind, state="held", title=name, starts_at=starts_at,
              ends_at=starts_at + timedelta(hours=2), created_by_id=creator.id)
    v.municipalities = [municipality(m) for m in munis]
    db.session.add(v)
    db.session.commit()
    return v


def _world():
    liaison = make_liaison("西播磨", "但馬")
    staff = make_staff("佐用町")
    old = make_request(municipality_name="佐用町", filer=staff, title="令和6年度の相談", now=FY2024)
    new = make_request(municipality_name="佐用町", filer=staff, kind="lecture", title="令和7年度の講座",
                       now=FY2025)
    joint = make_request(municipality_name="上郡町", kind="lecture", title="上郡町と合同の講座", co=("佐用町",),
                         now=FY2025 + timedelta(days=3))
    other = make_request(municipality_name="豊岡市", title="豊岡市の相談", now=FY2025)
    advance_request(old, "closed", liaison, now=FY2024 + timedelta(days=1))
    record_event(new, liaison, "note", internal=True, note="内部メモ: 町長の関心が高い",
                 now=FY2025 + timedelta(days=1))
    db.session.add(RequestComment(request_id=new.id, author_id=liaison.id, internal=True,
                                  body="内部メモ: 町長の関心が高い"))
    record_event(new, liaison, "comment", note="日程の候補をお送りします", now=FY2025 + timedelta(days=2))
    _visit("佐用町 定期巡回", "round", FY2024 + timedelta(days=30), liaison, "佐用町")
    _visit("西播磨 連絡会", "meeting", FY2025 + timedelta(days=40), liaison, "佐用町", "上郡町")
    _visit("豊岡市 定期巡回", "round", FY2025, liaison, "豊岡市")
    db.session.commit()
    return liaison, staff, old, new, joint, other


def test_history_lists_requests_and_visits_by_fiscal_year_with_counts(app, client, login_as):
    liaison, staff, old, new, joint, other = _world()
    login_as(liaison)
    page = client.get(f"/municipalities/{municipality('佐用町').code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "令和6年度 (2024年度)" in html and "令和7年度 (2025年度)" in html
    fy24 = html.split('data-testid="fy-2024"')[1]
    fy25 = html.split('data-testid="fy-2025"')[1].split('data-testid="fy-2024"')[0]
    assert "令和6年度の相談" in fy24 and "訪問 1件" in fy24
    assert "令和7年度の講座" in fy25 and "上郡町と合同の講座" in fy25 and "訪問 1件" in fy25
    assert "共同申込" in fy25
    assert "豊岡市の相談" not in html and "豊岡市 定期巡回" not in html
    totals = html.split('data-testid="history-totals"')[1].split("</p>")[0]
    assert "依頼 3件" in totals and "訪問 2件" in totals
    assert "相談 1" in totals and "地域DX出前講座 2" in totals
    assert "定期巡回 1" in totals and "連絡会 1" in totals
    assert "完了 1" in fy24  # the state count of that year
    assert "内部メモ: 町長の関心が高い" in html  # the prefecture side sees internal notes


def test_each_visit_and_event_appears_once_on_the_municipality_page(app, client, login_as):
    liaison, staff, old, new, joint, other = _world()
    advance_request(new, "triage", liaison)  # a visit is confirmed once a liaison takes it
    upcoming = create_visit(liaison, kind="lecture", title="令和7年度の講座(当日)",
                            starts_at=datetime.now(UTC) + timedelta(days=10),
                            ends_at=datetime.now(UTC) + timedelta(days=10, hours=2),
                            municipalities=[municipality("佐用町")], sreq=new, confirm=True)
    db.session.commit()
    login_as(liaison)
    html = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    # Visits are listed once, in the visits section: planned apart from past ones.
    visits = html.split('data-testid="municipality-visits"')[1].split("</section>")[0]
    planned = visits.split('data-testid="visits-planned"')[1].split('data-testid="visits-done"')[0]
    done = visits.split('data-testid="visits-done"')[1]
    assert "令和7年度の講座(当日)" in planned and f"/visits/{upcoming.id}" in planned
    assert "佐用町 定期巡回" in done and "西播磨 連絡会" in done
    assert "令和7年度の講座(当日)" not in done and "佐用町 定期巡回" not in planned
    for title in ("令和7年度の講座(当日)", "佐用町 定期巡回", "西播磨 連絡会"):
        assert html.count(title) == 1, title
    # The history comes after the visits; its timeline has the requests' events in words.
    assert html.index('data-testid="municipality-visits"') < html.index('data-testid="history"')
    timeline = html.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert "日程の候補をお送りします" in timeline
    assert "訪問の候補を登録" in timeline and "訪問の日程を確定" in timeline
    assert "visit_proposed" not in html and "(visit" not in timeline
    assert timeline.count(new.display_number) >= 3


def test_staff_see_their_own_history_without_internal_events_and_404_elsewhere(app, client,
                                                                               login_as):
    liaison, staff, old, new, joint, other = _world()
    login_as(staff)
    html = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert "令和7年度の講座" in html and "上郡町と合同の講座" in html
    assert "日程の候補をお送りします" in html
    assert "内部メモ" not in html
    assert client.get(f"/municipalities/{municipality('豊岡市').code}").status_code == 404
    kamigori = make_staff("上郡町")
    login_as(kamigori)
    html = client.get(f"/municipalities/{municipality('上郡町').code}").get_data(as_text=True)
    assert "上郡町と合同の講座" in html and "令和7年度の講座" not in html


def test_history_page_runs_a_bounded_number_of_queries(app, client, login_as):
    liaison, *_ = _world()
    login_as(liaison)
    code = municipality("佐用町").code
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    def page_queries():
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/municipalities/{code}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = page_queries()
    first_statements = list(statements)
    for i in range(8):
        sreq = make_request(municipality_name="佐用町", title=f"追加の相談{i}",
                            themes=("security", "ai_rpa"))
        advance_request(sreq, "answered", liaison)
        _visit(f"追加の訪問{i}", "round", FY2025 + timedelta(days=i), liaison, "佐用町")
    more = page_queries()
    assert more == few, "\n---\n".join(s[:300] for s in statements if s not in first_statements)


def test_replies_and_notes_show_their_opening_words_in_the_history(app, client, login_as):
    from supportdesk.services.requests.conversation import add_comment
    from tests.factories import make_request

    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町")
    sreq = make_request(staff, title="窓口DXの相談")
    add_comment(sreq, liaison, "先行市町の事例を近日中にお送りします。")
    add_comment(sreq, liaison, "【内部】町長の関心が高い件", internal=True)
    db.session.commit()
    page = f"/municipalities/{municipality('佐用町').code}"
    html = login_as(liaison).get(page).get_data(as_text=True)
    assert "先行市町の事例を近日中にお送りします。" in html and "【内部】町長の関心が高い件" in html
    html = login_as(staff).get(page).get_data(as_text=True)
    assert "先行市町の事例を近日中にお送りします。" in html and "【内部】" not in html


def test_timeline_is_paged_twenty_at_a_time(app, client, login_as):
    liaison, staff, old, new, joint, other = _world()
    for i in range(40):
        record_event(new, liaison, "comment", note=f"連絡{i:02d}", now=FY2025 + timedelta(days=3, hours=i))
    db.session.commit()
    login_as(staff)
    code = municipality("佐用町").code
    total = len(re.findall(r"<li[ >]", client.get(f"/municipalities/{code}?page=1").get_data(
        as_text=True).split('data-testid="timeline"')[1].split("</ol>")[0]))
    assert total == 20
    pages, url = [], f"/municipalities/{code}"
    while url:
        html = client.get(url).get_data(as_text=True)
        timeline = html.split('data-testid="timeline"')[1].split("</ol>")[0]
        pages.append(re.findall(r"連絡(\d\d)", timeline))
        nav = html.split('data-testid="timeline-pager"')[1].split("</nav>")[0]
        if len(pages) > 1:
            assert 'rel="prev"' in nav and "前へ" in nav
        else:
            assert 'rel="prev"' not in nav
        m = re.search(r'href="([^"]+)" rel="next"', nav)
        url = m.group(1).replace("&amp;", "&") if m else None
        assert len(pages) < 5
    assert [len(p) for p in pages[:2]] == [20, 20]  # newest first, 20 a page
    assert pages[0][0] == "39" and pages[1][0] == "19"
    assert sorted(sum(pages, [])) == [f"{i:02d}" for i in range(40)]  # each once, none lost
    # The fiscal years and totals stay on every page; a page past the end is not found.
    assert 'data-testid="history-totals"' in html
    assert client.get(f"/municipalities/{code}?page=99").status_code == 404
    assert client.get(f"/municipalities/{code}?page=x").status_code == 404


def test_a_draft_withdrawn_before_it_was_filed_is_counted_in_its_year(app, client, login_as):
    """A withdrawn draft has no number, fiscal year or submission date: the history places it in
    the fiscal year it was created in (the page used to fail on it)."""
    from supportdesk.services.requests.transitions import apply_action

    liaison, staff, *_ = _world()
    draft = make_request(municipality_name="佐用町", filer=staff, title="取り下げた下書き",
                         state="draft", now=FY2025)
    apply_action(draft, "withdraw", staff, now=FY2025)
    db.session.commit()
    login_as(liaison)
    page = client.get(f"/municipalities/{municipality('佐用町').code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    year = html.split('data-testid="fy-2025"')[1].split('data-testid="fy-2024"')[0]
    assert "取り下げた下書き" in year and "取下げ 1" in year
    totals = html.split('data-testid="history-totals"')[1].split("</p>")[0]
    assert "依頼 4件" in totals


def test_a_long_history_lists_the_newest_and_links_to_the_list_of_them_all(app, client, login_as,
                                                                           monkeypatch):
    """The page lists the newest LISTED_REQUESTS requests and counts the rest; the whole history
    stays one click away: the queue filtered by the municipality for a liaison, the
    municipality's own list for its staff."""
    from supportdesk.services.requests import history

    liaison, staff, old, new, joint, other = _world()
    monkeypatch.setattr(history, "LISTED_REQUESTS", 2)
    code = municipality("佐用町").code
    html = login_as(liaison).get(f"/municipalities/{code}").get_data(as_text=True)
    listed = html.split('data-testid="fy-2025"')[1]
    assert "上郡町と合同の講座" in listed and "令和7年度の講座" in listed
    assert "令和6年度の相談" not in listed  # the third newest: counted, not listed
    fy24 = html.split('data-testid="fy-2024"')[1]
    assert "依頼 1件" in fy24 and "ほか1件" in fy24
    link = re.search(r'data-testid="history-all"><a href="([^"]+)">([^<]+)</a>', html)
    assert link and link.group(2) == "依頼一覧"
    queue = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    for title in ("令和6年度の相談", "令和7年度の講座", "上郡町と合同の講座"):
        assert title in queue
    assert "豊岡市の相談" not in queue
    html = login_as(staff).get(f"/municipalities/{code}").get_data(as_text=True)
    link = re.search(r'data-testid="history-all"><a href="([^"]+)"', html)
    mine = client.get(link.group(1)).get_data(as_text=True)
    for title in ("令和6年度の相談", "令和7年度の講座", "上郡町と合同の講座"):
        assert title in mine
    monkeypatch.setattr(history, "LISTED_REQUESTS", 3)  # everything listed: no link
    html = login_as(liaison).get(f"/municipalities/{code}").get_data(as_text=True)
    assert 'data-testid="history-all"' not in html and "令和6年度の相談" in html
