"""Scheduled jobs with an explicit clock: escalation and round notices go out once, every run is
recorded, a failing job is recorded as failed, the CLI and the admin page."""
import threading
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from supportdesk import scheduler
from supportdesk.extensions import db
from supportdesk.models import JobRun, OutboxMessage, RequestEvent, SchedulerLease, SentNotice
from supportdesk.services.requests.conversation import add_comment
from supportdesk.services.visits import round_notices, round_plans
from supportdesk.services.visits import rounds as rounds_svc
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_request, make_user, municipality


def jst(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=JST)


@pytest.fixture
def sent(monkeypatch):
    """Record the round notices' notify() calls with their arguments (the markers are real;
    the escalation tests read the real outbox instead)."""
    calls = []

    def capture(event_type, **kwargs):
        calls.append((event_type, kwargs))
        return []

    monkeypatch.setattr(round_notices, "notify", capture)
    return calls


def escalations_sent():
    """(event type, user id, urgent, request id) of every outbox row the escalation job wrote."""
    rows = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type.like("request.escalat%")).order_by(OutboxMessage.id)).all()
    return {(r.event_type, r.user_id, r.urgent, r.request_id) for r in rows}


def filed(muni_name="佐用町", *, submitted_at, state="submitted", responded_at=None):
    """A consultation filed at `submitted_at`; `responded_at`: a liaison replied then."""
    sreq = make_request(municipality_name=muni_name, title="RPAの相談", now=submitted_at,
                        state=state)
    if responded_at is not None:
        add_comment(sreq, make_liaison(sreq.region.name), "確認して折り返します。",
                    now=responded_at)
        db.session.commit()
    return sreq


def run(name, now):
    return scheduler.run_job(scheduler.find_job(_app(), name), now=now)


def _app():
    from flask import current_app

    return current_app


def test_escalation_run_twice_notifies_the_team_lead_once(app):
    lead = make_liaison("西播磨", is_team_lead=True)
    make_liaison("西播磨")                       # a member, not the lead
    make_liaison("但馬", is_team_lead=True)      # another region's lead
    # Submitted on Friday 2026-11-20: 2 business days later is Wednesday 11-25 (11-23 is a
    # national holiday).
    late = filed(submitted_at=jst(2026, 11, 20, 10))
    assert late.first_response_due_at == datetime(2026, 11, 25, 23, 59, 59, tzinfo=JST)
    answered = filed(submitted_at=jst(2026, 11, 20, 10), state="triage",
                            responded_at=jst(2026, 11, 20, 11))
    filed(submitted_at=jst(2026, 11, 30, 10))  # not yet due
    filed(submitted_at=jst(2026, 11, 20, 10), state="withdrawn")

    now = late.first_response_due_at + timedelta(minutes=1)
    first = run("requests.escalate_first_response", now)
    second = run("requests.escalate_first_response", now + timedelta(minutes=15))
    assert (first.outcome, first.items) == ("ok", 1)
    assert (second.outcome, second.items) == ("ok", 0)
    # Only the lead hears it, at once (urgent: no waiting for office hours), in-app and by mail;
    # the WHO_HEARS row is "request.escalation" -> the team lead(s).
    assert escalations_sent() == {("request.escalation", lead.id, True, late.id)}
    markers = db.session.scalars(sa.select(SentNotice)).all()
    assert [(m.kind, m.key, m.request_id) for m in markers] == \
        [("request.escalated", f"request:{late.id}", late.id)]
    events = db.session.scalars(sa.select(RequestEvent).where(RequestEvent.kind == "escalated")).all()
    assert [(e.request_id, e.internal) for e in events] == [(late.id, True)]
    assert answered.id not in {m.request_id for m in markers}


def test_escalation_is_not_due_before_the_deadline(app):
    make_liaison("西播磨", is_team_lead=True)
    sreq = filed(submitted_at=jst(2026, 11, 20, 10))
    assert run("requests.escalate_first_response",
               sreq.first_response_due_at - timedelta(seconds=1)).items == 0
    assert escalations_sent() == set()


def test_kobe_escalates_to_the_central_team_lead(app):
    central_lead = make_liaison("阪神南", central=True, is_team_lead=True)
    make_liaison("阪神南", is_team_lead=False, central=True)
    sreq = filed("神戸市", submitted_at=jst(2026, 11, 20, 10))
    assert run("requests.escalate_first_response", jst(2026, 12, 10)).items == 1
    assert escalations_sent() == {("request.escalation", central_lead.id, True, sreq.id)}


def test_escalation_without_a_lead_tells_the_team(app):
    one, two = make_liaison("西播磨"), make_liaison("西播磨", "中播磨")
    make_liaison("但馬")  # another region's team hears nothing
    sreq = filed(submitted_at=jst(2026, 11, 20, 10))
    assert run("requests.escalate_first_response", jst(2026, 12, 10)).items == 1
    assert escalations_sent() == {("request.escalation", u.id, True, sreq.id) for u in (one, two)}


def _round(liaison, name, when):
    rounds_svc.record_round(liaison, municipality(name), held_on=when.date(),
                            start_time=when.time(), end_time=time(when.hour + 1),
                            progress="p", issues="i", now=when + timedelta(hours=2))
    db.session.commit()


def test_round_notices_run_twice_send_each_notice_once(app, sent):
    west = make_liaison("西播磨")
    west2 = make_liaison("西播磨", "中播磨")
    _round(west, "佐用町", jst(2026, 8, 1, 10))     # Jul-Sep: not yet visited in Oct-Dec
    _round(west, "赤穂市", jst(2026, 10, 5, 10))    # visited this cycle
    early = jst(2026, 10, 15, 8, 30)
    plan = round_plans.plan_round(west, municipality("佐用町"), planned_on=date(2026, 11, 16),
                                  now=early)
    round_plans.plan_round(west, municipality("赤穂市"), planned_on=date(2026, 11, 2), now=early)
    db.session.commit()

    r1 = run("rounds.notices", early)   # no planned date has passed yet: no due notice
    assert r1.outcome == "ok"
    overdue_first = r1.detail["overdue"]
    # 40 municipalities in plan regions: 2 are not overdue (佐用町 visited last cycle, 赤穂市 this).
    assert (r1.detail["due"], overdue_first, r1.items) == (0, 38, 38)
    assert run("rounds.notices", early + timedelta(days=1)).items == 0

    # 佐用町's planned date has passed without a round: due. 赤穂市's has too, but it was visited.
    late = jst(2026, 12, 5, 8, 30)
    r3 = run("rounds.notices", late)
    r4 = run("rounds.notices", late + timedelta(hours=1))
    assert (r3.detail, r4.items) == ({"due": 1, "overdue": 0, "items": 1}, 0)

    kinds = [c[0] for c in sent]
    assert kinds.count("round.overdue") == 38 and kinds.count("round.due") == 1
    due_call = next(kw for kind, kw in sent if kind == "round.due")
    # The Municipality itself (notify() renders its name; a bare name crashed the real announce).
    assert due_call["municipality"].name == "佐用町" and due_call["due_on"] == "2026-11-16"
    assert {u.id for u in due_call["recipients"]} == {west.id, west2.id}
    keys = db.session.scalars(sa.select(SentNotice.key).where(SentNotice.kind == "round.due")).all()
    assert keys == [f"planned_round:{plan.id}:2026-11-16"]
    assert db.session.scalar(sa.select(sa.func.count(SentNotice.id))
                             .where(SentNotice.kind == "round.overdue")) == 38

    # The next cycle is a new cycle: overdue municipalities are told again, once.
    r5 = run("rounds.notices", jst(2027, 1, 4, 8, 30))
    r6 = run("rounds.notices", jst(2027, 1, 5, 8, 30))
    assert r5.detail["overdue"] == 39 and r6.items == 0  # 赤穂市 visited last cycle: not overdue


def test_job_runs_are_recorded(app, sent):
    run("rounds.notices", jst(2026, 10, 15))
    rows = db.session.scalars(sa.select(JobRun)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.job_name, row.outcome, row.items) == ("rounds.notices", "ok", 40)
    assert row.finished_at >= row.started_at and row.error is None


def test_a_failing_job_is_recorded_as_failed(app):
    broken = scheduler.Job("broken", scheduler.failing, "interval", {"minutes": 1})
    runrow = scheduler.run_job(broken, now=jst(2026, 10, 1))
    assert runrow.outcome == "failed" and "RuntimeError: test job: always fails" in runrow.error
    assert runrow.finished_at is not None


def boom(now):
    from supportdesk.models import SentNotice as S

    db.session.add(S(kind="test", key="half-done", sent_at=now))
    db.session.flush()
    raise RuntimeError("the job broke half way")


def test_a_failing_job_rolls_back_its_work(app):
    job = scheduler.Job("boom", boom, "interval", {"minutes": 1})
    runrow = scheduler.run_job(job, now=jst(2026, 10, 1))
    assert runrow.outcome == "failed" and "the job broke half way" in runrow.error
    assert db.session.scalar(sa.select(sa.func.count(SentNotice.id))) == 0


@pytest.mark.parametrize("result, items", [(3, 3), ({"a": 1, "b": 2}, 3), ({"items": 5, "x": 9}, 5),
                                           (None, 0)])
def test_items_from_the_job_result(result, items):
    assert scheduler._count_items(result)[0] == items


def test_cli_once_runs_one_job(app, runner, sent):
    result = runner.invoke(args=["scheduler", "--once", "rounds.notices"])
    assert result.exit_code == 0, result.output
    assert "rounds.notices: ok" in result.output
    assert db.session.scalar(sa.select(JobRun.outcome)) == "ok"
    result = runner.invoke(args=["scheduler", "--once", "no.such.job"])
    assert result.exit_code != 0 and "unknown job" in result.output


def test_cli_once_reports_a_failed_job(make_app):
    app = make_app(SCHEDULER_TEST_JOB=True)
    result = app.test_cli_runner().invoke(args=["scheduler", "--once", "test.failing"])
    assert result.exit_code == 1
    with app.app_context():
        assert db.session.scalar(sa.select(JobRun.outcome)) == "failed"


def test_in_process_scheduler_keeps_running_after_failures(make_app):
    app = make_app(SCHEDULER_TEST_JOB=True, SCHEDULER_JOBS="test.heartbeat,test.failing",
                   SCHEDULER_LEASE_TTL=3, SCHEDULER_RENEW_INTERVAL=0.5)
    stop = threading.Event()
    holder = {}
    thread = threading.Thread(target=lambda: holder.update(lease=scheduler.serve(app, stop)))
    thread.start()
    try:
        deadline = datetime.now().timestamp() + 10
        while datetime.now().timestamp() < deadline:
            with app.app_context():
                counts = dict(db.session.execute(
                    sa.select(JobRun.outcome, sa.func.count(JobRun.id))
                    .where(JobRun.outcome != "running").group_by(JobRun.outcome)).all())
                db.session.remove()
            if counts.get("ok", 0) >= 2 and counts.get("failed", 0) >= 2:
                break
            stop.wait(0.2)
    finally:
        stop.set()
        thread.join(10)
    assert counts.get("ok", 0) >= 2 and counts.get("failed", 0) >= 2
    with app.app_context():
        lease = db.session.get(SchedulerLease, "scheduler")
        assert lease.holder == holder["lease"].holder
        # A clean stop gives the lease up at once.
        assert lease.expires_at <= datetime.now(JST)
        db.session.remove()


def test_no_scheduler_thread_in_the_web_app(make_app):
    make_app()
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_next_run_times_follow_the_triggers(app):
    times = scheduler.next_run_times(app, datetime(2026, 11, 22, 16, 7, 10, tzinfo=JST))
    assert times["requests.escalate_first_response"] == jst(2026, 11, 22, 16, 15)
    assert times["rounds.notices"] == jst(2026, 11, 23, 8, 30)
    assert times["notifications.dispatch"] == datetime(2026, 11, 22, 16, 7, 30, tzinfo=JST)


def test_admin_jobs_page(app, client, login_as, sent):
    run("rounds.notices", jst(2026, 10, 15))
    scheduler.run_job(scheduler.Job("broken", scheduler.failing, "interval", {"minutes": 1}))
    scheduler.Lease(ttl=30, holder="host-a:123:abc").try_acquire()
    login_as(make_user("admin"))
    page = client.get("/admin/jobs/").get_data(as_text=True)
    for job in scheduler.JOBS:
        assert job.name in page
    assert "host-a:123:abc" in page
    assert "RuntimeError" in page and "run-failed" in page and "run-ok" in page
    login_as(make_liaison("西播磨"))
    assert client.get("/admin/jobs/").status_code == 403


def test_every_scheduled_job_is_a_function_taking_now():
    import inspect

    from supportdesk.scheduler import JOBS

    for job in JOBS:
        assert callable(job.func) and not isinstance(job.func, str), job.name
        assert "now" in inspect.signature(job.func).parameters, job.name
