"""The leader lease with an explicit clock, and the jobs as the scheduler registers them."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from supportdesk import scheduler
from supportdesk.extensions import db
from supportdesk.models import JobRun, SchedulerLease
from supportdesk.timeutil import JST

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=JST)


def test_only_one_holder_until_the_lease_expires(app):
    a = scheduler.Lease(ttl=30, holder="a")
    b = scheduler.Lease(ttl=30, holder="b")
    assert a.try_acquire(T0) is True
    assert b.try_acquire(T0 + timedelta(seconds=1)) is False
    # Renewing pushes the expiry on; b still cannot take it.
    assert a.try_acquire(T0 + timedelta(seconds=20)) is True
    assert b.try_acquire(T0 + timedelta(seconds=45)) is False
    row = db.session.get(SchedulerLease, "scheduler")
    assert (row.holder, row.acquired_at, row.expires_at) == ("a", T0, T0 + timedelta(seconds=50))
    # a stops renewing (it died): b takes over once the lease has expired.
    assert b.try_acquire(T0 + timedelta(seconds=51)) is True
    assert a.try_acquire(T0 + timedelta(seconds=52)) is False
    assert not a.is_held(T0 + timedelta(seconds=52))
    assert b.is_held(T0 + timedelta(seconds=52))
    db.session.expire_all()
    row = db.session.get(SchedulerLease, "scheduler")
    assert (row.holder, row.acquired_at) == ("b", T0 + timedelta(seconds=51))


def test_release_lets_a_standby_in_at_once(app):
    a = scheduler.Lease(ttl=30, holder="a")
    b = scheduler.Lease(ttl=30, holder="b")
    assert a.try_acquire()
    a.release()
    assert not a.is_held()
    assert b.try_acquire()


def test_a_process_without_the_lease_runs_no_job(app):
    lease = scheduler.Lease(ttl=30, holder="me")
    sched = scheduler.build_scheduler(app, lease)
    job = sched.get_job("rounds.notices")
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
    assert {j.id for j in sched.get_jobs()} == {j.name for j in scheduler.JOBS}
    scheduler.Lease(ttl=30, holder="someone-else").try_acquire()
    job.func(*job.args)
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0
    db.session.execute(sa.update(SchedulerLease).values(expires_at=T0))
    db.session.commit()
    assert lease.try_acquire()
    job.func(*job.args)
    db.session.remove()
    assert db.session.scalars(sa.select(JobRun.holder)).all() == ["me"]


def test_abandoned_runs_are_closed_by_the_next_leader(app):
    db.session.add(JobRun(job_name="visits.reminders", holder="dead", started_at=T0,
                          outcome="running"))
    db.session.commit()
    lease = scheduler.Lease(ttl=30, holder="new")
    assert scheduler.close_abandoned_runs(lease) == 1
    run = db.session.scalar(sa.select(JobRun))
    assert run.outcome == "failed" and "abandoned" in run.error


def test_a_leader_that_loses_the_lease_stops_running_jobs(make_app):
    import threading
    import time

    from supportdesk.timeutil import utcnow

    app = make_app(SCHEDULER_TEST_JOB=True, SCHEDULER_JOBS="test.heartbeat",
                   SCHEDULER_LEASE_TTL=2, SCHEDULER_RENEW_INTERVAL=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.serve, args=(app, stop))
    thread.start()

    def runs():
        with app.app_context():
            rows = db.session.execute(sa.select(JobRun.holder, JobRun.started_at)).all()
            db.session.remove()
        return rows

    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(runs()) < 2:
            time.sleep(0.2)
        assert len(runs()) >= 2
        holder = runs()[0][0]
        with app.app_context():
            # Another process takes the lease (as if this one had stalled past its TTL).
            db.session.execute(sa.update(SchedulerLease).values(
                holder="intruder", expires_at=utcnow() + timedelta(seconds=60)))
            db.session.commit()
            db.session.remove()
        taken_at = utcnow()
        time.sleep(2.5)
        late = [r for r in runs() if r[0] == holder and r[1] > taken_at + timedelta(seconds=1)]
        assert late == []
        with app.app_context():
            assert db.session.get(SchedulerLease, "scheduler").holder == "intruder"
            db.session.remove()
    finally:
        stop.set()
        thread.join(10)
