"""The queue service: filters, sort, keyset pages, counts per state, scoping and the default view."""
from datetime import datetime, timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.services.requests.queue import QueueFilter, load_queue_page
from supportdesk.timeutil import JST, UTC
from supportdesk.workflow import State
from tests.factories import make_liaison, make_request, make_staff, make_user, theme

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def ids(page):
    return [s.id for s in page.rows]


def flt(**kw):
    from werkzeug.datastructures import MultiDict

    return QueueFilter.from_args(MultiDict(kw))


def at(days_ago, minutes=0):
    return NOW - timedelta(days=days_ago, minutes=minutes)


@pytest.fixture
def manager(app):
    return make_user("manager")


def test_liaison_default_is_open_requests_in_own_regions_oldest_first(app):
    liaison = make_liaison("西播磨")
    newer = make_request(title="佐用町 新", now=at(1))
    older = make_request(title="たつの市 古", municipality_name="たつの市", now=at(5))
    make_request(title="姫路市", municipality_name="姫路市", now=at(3))   # 中播磨
    make_request(title="神戸市", municipality_name="神戸市", now=at(3))   # central team
    make_request(title="完了", state="closed", now=at(9))
    make_request(title="下書き", state="draft", now=at(9))
    page = load_queue_page(liaison, QueueFilter(), NOW)
    assert ids(page) == [older.id, newer.id]


def test_central_team_also_sees_regions_without_a_liaison(app):
    central = make_liaison("阪神南", central=True)
    kobe = make_request(title="神戸市の相談", municipality_name="神戸市")
    amagasaki = make_request(title="尼崎市の相談", municipality_name="尼崎市")
    make_request(title="佐用町の相談")
    assert set(ids(load_queue_page(central, QueueFilter(), NOW))) == {kobe.id, amagasaki.id}


def test_manager_sees_all_regions_and_region_all_widens_a_liaison(app, manager):
    liaison = make_liaison("西播磨")
    a = make_request(title="佐用町")
    b = make_request(title="姫路市", municipality_name="姫路市")
    assert set(ids(load_queue_page(manager, QueueFilter(), NOW))) == {a.id, b.id}
    assert set(ids(load_queue_page(liaison, flt(region="all"), NOW))) == {a.id, b.id}


def test_each_filter_narrows(app, manager):
    me = make_liaison("西播磨")
    other = make_liaison("西播磨")
    cons = make_request(title="相談", themes=("frontyard",), assignee=me, now=at(1))
    lect = make_request(title="講座", kind="lecture", themes=("generative_ai",),
                        municipality_name="姫路市", assignee=other, now=at(2))
    third = make_liaison("西播磨")  # takes 調整中 (taking a request makes you its assignee)
    tri = make_request(title="調整中", state="triage", municipality_name="たつの市", now=at(3),
                       liaison=third)
    hold = make_request(title="保留", state="on_hold", municipality_name="豊岡市", now=at(4))
    joint = make_request(title="合同", kind="lecture", municipality_name="相生市", now=at(5),
                         co=("姫路市",))

    def run(**kw):
        return set(ids(load_queue_page(me if kw.pop("as_me", False) else manager, flt(**kw), NOW)))

    assert run(kind="lecture") == {lect.id, joint.id}
    assert run(theme="frontyard") == {cons.id}
    assert run(state="triage") == {tri.id}
    assert run(state=["triage", "on_hold"]) == {tri.id, hold.id}
    from tests.factories import region

    assert run(region=str(region("但馬").id)) == {hold.id}
    # A joint request shows under each co-applicant municipality.
    assert run(municipality="28201") == {lect.id, joint.id}
    assert run(assignee="me", as_me=True) == {cons.id}
    assert run(assignee=str(other.id)) == {lect.id}
    assert run(assignee=str(third.id)) == {tri.id}
    assert run(assignee="unassigned") == {hold.id, joint.id}
    # Junk values are ignored rather than failing.
    assert run(kind="nonsense", assignee="x;drop", region="../1", sort="evil", dir="up") == \
        {cons.id, lect.id, tri.id, hold.id, joint.id}


def test_overdue_filter_and_badge_over_a_japanese_holiday(app, manager):
    from supportdesk.services.requests.conversation import add_comment
    from supportdesk.services.requests.response_target import due_status

    # Monday 2026-11-02 10:00 JST; 11/03 is 文化の日, so 2 business days end on Thursday 11/05.
    submitted = datetime(2026, 11, 2, 10, 0, tzinfo=JST)
    sreq = make_request(title="祝日をはさむ相談", now=submitted)
    answered = make_request(title="回答済み", now=submitted)
    add_comment(answered, make_liaison("西播磨"), "本日中に資料をお送りします。",
                now=submitted + timedelta(hours=2))
    assert sreq.first_response_due_at == datetime(2026, 11, 5, 23, 59, 59, tzinfo=JST)
    monday = datetime(2026, 11, 2, 15, 0, tzinfo=JST)
    thursday = datetime(2026, 11, 5, 12, 0, tzinfo=JST)
    friday = datetime(2026, 11, 6, 9, 0, tzinfo=JST)
    assert due_status(sreq, monday) == ("remaining", 2)
    assert due_status(sreq, datetime(2026, 11, 3, 15, 0, tzinfo=JST)) == ("remaining", 2)
    assert due_status(sreq, datetime(2026, 11, 4, 15, 0, tzinfo=JST)) == ("remaining", 1)
    assert due_status(sreq, thursday) == ("today", 0)
    assert due_status(sreq, friday) == ("overdue", 0)
    assert due_status(answered, friday) is None
    # Counting the holiday as a workday would make it overdue on Thursday already.
    assert ids(load_queue_page(manager, flt(overdue="1"), thursday)) == []
    assert ids(load_queue_page(manager, flt(overdue="1"), friday)) == [sreq.id]


def test_sort_keys_and_directions(app, manager):
    a = make_request(title="A", now=at(3))
    b = make_request(title="B", now=at(2))
    c = make_request(title="C", now=at(1))
    a.updated_at, b.updated_at, c.updated_at = at(0, 5), at(0, 30), at(0, 1)
    db.session.commit()
    assert ids(load_queue_page(manager, flt(), NOW)) == [a.id, b.id, c.id]
    assert ids(load_queue_page(manager, flt(dir="desc"), NOW)) == [c.id, b.id, a.id]
    assert ids(load_queue_page(manager, flt(sort="updated"), NOW)) == [b.id, a.id, c.id]
    assert ids(load_queue_page(manager, flt(sort="updated", dir="desc"), NOW)) == [c.id, a.id, b.id]
    assert ids(load_queue_page(manager, flt(sort="due"), NOW)) == [a.id, b.id, c.id]


@pytest.mark.parametrize("sort,direction", [("submitted", "asc"), ("updated", "desc"),
                                            ("due", "asc")])
def test_cursor_pages_have_no_duplicates_or_gaps_even_with_inserts(app, manager, sort, direction):
    staff = make_staff("佐用町")
    original = []
    for i in range(110):
        # Groups of 5 share a timestamp: the id tiebreak keeps the order total.
        stamp = at(30, minutes=-(i // 5) * 7)
        original.append(make_request(title=f"依頼{i}", filer=staff, now=stamp, commit=False).id)
    db.session.commit()
    seen, cursor, pages = [], "", 0
    while True:
        page = load_queue_page(manager, flt(sort=sort, dir=direction, after=cursor), NOW,
                               per_page=50)
        seen += ids(page)
        pages += 1
        if pages == 1:
            # Rows arriving while the liaison pages: one sorting before the cursor, one after.
            make_request(title="途中で追加(古い)", filer=staff, now=at(40))
            make_request(title="途中で追加(新しい)", filer=staff, now=at(0))
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert len(seen) == len(set(seen))
    assert set(original) <= set(seen)
    assert len(seen) - len(original) <= 2


def test_malformed_cursor_starts_from_the_first_page(app, manager):
    a = make_request(title="A", now=at(2))
    for bad in ("!!!", "eyJ4IjoxfQ", "W10"):
        assert ids(load_queue_page(manager, flt(after=bad), NOW)) == [a.id]


def test_counts_per_state_ignore_the_state_filter_but_keep_the_others(app, manager):
    for state, n in (("submitted", 3), ("triage", 2), ("closed", 1), ("draft", 4)):
        for i in range(n):
            make_request(title=f"{state}{i}", state=state, commit=False)
    make_request(title="講座", kind="lecture", state="triage")
    page = load_queue_page(manager, flt(state="triage"), NOW)
    assert page.counts == {"submitted": 3, "triage": 3, "closed": 1}
    assert page.total == 3 and len(page.rows) == 3
    lectures = load_queue_page(manager, flt(kind="lecture"), NOW)
    assert lectures.counts == {"triage": 1}


def test_staff_scope_never_includes_another_municipality(app):
    """The queue service is scoped even if a staff user reaches it (lists, search, counts)."""
    sayo = make_staff("佐用町")
    mine = make_request(title="佐用町の窓口相談", body="窓口")
    theirs = make_request(title="赤穂市の窓口相談", municipality_name="赤穂市", body="窓口")
    joint = make_request(title="合同講座 窓口", municipality_name="相生市", kind="lecture")
    from tests.factories import municipality

    joint.co_municipalities = [municipality("佐用町")]
    db.session.commit()
    for f in (flt(), flt(region="all"), flt(q="窓口"), flt(state="all", q="窓口"),
              flt(municipality="28381")):
        page = load_queue_page(sayo, f, NOW)
        assert theirs.id not in ids(page)
        assert sum(page.counts.values()) <= 2
    page = load_queue_page(sayo, flt(q="窓口"), NOW)
    assert set(ids(page)) == {mine.id, joint.id}
    assert page.counts == {State.SUBMITTED.value: 2}
    assert theme("frontyard") is not None


def test_counts_are_capped_per_state(app, manager):
    from supportdesk.services.requests.queue import state_counts

    for i in range(4):
        make_request(title=f"受付{i}", commit=False)
    make_request(title="調整中", state="triage")
    assert state_counts(manager, flt(), NOW, cap=2) == ({"submitted": 2, "triage": 1},
                                                         {"submitted"})
    assert state_counts(manager, flt(), NOW, cap=5) == ({"submitted": 4, "triage": 1}, set())
    # A search's counts come from its page's own statement (test_search_index.py): exact up to
    # the cap; past it lower bounds, and the page is still the right one.
    from supportdesk.services.requests.queue import _load_search_page

    page = load_queue_page(manager, flt(q="受付", state="all"), NOW)
    assert (page.counts, page.partial, page.total) == ({"submitted": 4}, set(), 4)
    make_request(title="受付済み", state="triage")
    page = _load_search_page(manager, flt(q="受付", state="all"), NOW, per_page=2, cap=2)
    assert sum(page.counts.values()) == 3 and page.partial >= set(page.counts) and page.capped
    assert [r.title for r in page.rows] == ["受付0", "受付1"] and page.next_cursor
    # The only triage match is past the first cap+1 matches: the page is read on its own.
    page = _load_search_page(manager, flt(q="受付", state="triage"), NOW, per_page=2, cap=2)
    assert [r.title for r in page.rows] == ["受付済み"] and page.capped and page.total == 1


def test_counts_are_one_statement_answered_from_the_state_index(app):
    """The per-state counts run as one statement that reads no column outside the
    (state, region_id) indexes: the drafts rule is the state (the queue lists no drafts), not
    the filer/creator test, which made both databases read every counted row from the table.
    On SQLite the plan says so: a covering index."""
    import sqlalchemy as sa

    from supportdesk.services.requests.queue import state_counts

    liaison = make_liaison("西播磨")
    make_request(title="受付")
    make_request(title="調整中", state="triage")
    seen = []

    def count(conn, cursor, statement, params, *args):
        seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts, partial = state_counts(liaison, flt(), NOW)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert counts == {"submitted": 1, "triage": 1} and partial == set()
    counting = [(s, p) for s, p in seen if "count(" in s.lower()]
    assert len(counting) == 1
    statement, params = counting[0]
    assert "filer_id" not in statement and "created_by_id" not in statement
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, params))
        assert "COVERING INDEX" in plan and "SCAN support_requests" not in plan, plan
