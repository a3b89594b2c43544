"""The leader lease across real processes: two `flask --app supportdesk scheduler` processes on
the same database, only one runs jobs, and the standby takes over when the leader is killed."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import JobRun, SchedulerLease

ROOT = Path(__file__).resolve().parent.parent
TTL, RENEW = 3, 0.5


def start_scheduler(app, log_path):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SUPPORTDESK_SCHEDULER_TEST_JOB": "true",
        "SUPPORTDESK_SCHEDULER_JOBS": "test.heartbeat",
        "SUPPORTDESK_SCHEDULER_LEASE_TTL": str(TTL),
        "SUPPORTDESK_SCHEDULER_RENEW_INTERVAL": str(RENEW),
        "PYTHONPATH": str(ROOT),
    })
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "supportdesk", "scheduler"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    return proc


def runs_by_holder():
    db.session.remove()
    rows = db.session.execute(sa.select(JobRun.holder, sa.func.count(JobRun.id))
                              .where(JobRun.job_name == "test.heartbeat")
                              .group_by(JobRun.holder)).all()
    db.session.remove()
    return dict(rows)


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def pid_of(holder):
    return int(holder.split(":")[1])


def test_one_leader_and_takeover_when_it_is_killed(app, tmp_path):
    procs = [start_scheduler(app, tmp_path / f"scheduler-{i}.log") for i in range(2)]
    logs = lambda: "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))  # noqa: E731
    try:
        assert wait_for(lambda: sum(runs_by_holder().values()) >= 3, 20), logs()
        time.sleep(2 * RENEW + 1)  # the standby has tried for the lease several times by now
        holders = runs_by_holder()
        assert len(holders) == 1, (holders, logs())
        leader_holder = next(iter(holders))
        by_pid = {p.pid: p for p in procs}
        leader = by_pid[pid_of(leader_holder)]
        standby = next(p for p in procs if p is not leader)
        assert standby.poll() is None, logs()

        leader.send_signal(signal.SIGKILL)
        leader.wait(5)
        killed_at = time.monotonic()
        lease = db.session.get(SchedulerLease, "scheduler")
        old_expiry = lease.expires_at
        assert lease.holder == leader_holder
        db.session.remove()

        def new_holder():
            db.session.remove()
            row = db.session.get(SchedulerLease, "scheduler")
            result = row if row.holder != leader_holder else None
            db.session.remove()
            return result

        new_lease = wait_for(new_holder, TTL + 8)
        took = time.monotonic() - killed_at
        assert new_lease is not None, logs()
        assert pid_of(new_lease.holder) == standby.pid
        # The standby takes the lease within one renew interval of its expiry (with some slack
        # for a busy machine), i.e. within the TTL of the leader's last renewal.
        assert new_lease.acquired_at - old_expiry < timedelta(seconds=RENEW + 2)
        assert took < TTL + RENEW + 5, took
        taken = wait_for(lambda: [h for h in runs_by_holder() if h != leader_holder], 8)
        assert taken == [new_lease.holder], logs()
        # No overlap: the new leader's first run started after the dead leader's lease ran out.
        first_new = db.session.scalar(sa.select(sa.func.min(JobRun.started_at))
                                      .where(JobRun.holder == taken[0]))
        assert first_new >= old_expiry
        assert len(runs_by_holder()) == 2

        standby.send_signal(signal.SIGTERM)
        assert standby.wait(10) == 0, logs()
        db.session.remove()
        lease = db.session.get(SchedulerLease, "scheduler")
        assert lease.holder == taken[0]
        assert db.session.scalar(sa.select(sa.func.count(JobRun.id))
                                 .where(JobRun.outcome == "failed")) <= 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
            p.log.close()
        db.session.remove()
