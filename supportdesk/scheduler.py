"""The scheduler process: the JOBS table, the database leader lease, run recording, build_scheduler.

Run it as its own process (`flask --app supportdesk scheduler`), never inside the web workers:
APScheduler 3 cannot share a job store between processes. Every job is a service function
`fn(now=...)` that queries for due work and leaves markers, so running it twice sends nothing
twice. The leader lease (a row in `scheduler_leases`, see `Lease`) makes sure that of several
scheduler processes only one runs jobs at a time; the others wait and take over when the
leader's lease expires (it died) or is released (it stopped cleanly).
"""
import logging
import os
import signal
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .i18n import N_
from .notifications.digest import send_digests
from .notifications.outbox import dispatch_due
from .services.announcements import send_due_announcements
from .services.mail_in.imap import poll_job as poll_mailbox
from .services.contacts.handover import ask_for_handover_confirmation, deactivate_leavers
from .services.chain import verify_chains_nightly
from .services.requests.escalations import escalate_first_responses
from .services.retention.decisions import carry_out_job, spring_list_job
from .services.reports.snapshots import snapshot_due
from .services.surveys.notices import send_survey_notices
from .services.meetings.notices import send_meeting_notices
from .services.visits.round_notices import send_round_notices
from .services.visits.jobs import (remind_accompaniment_checkins, remind_upcoming_visits,
                                  request_satisfaction_due)
from .timeutil import JST, utcnow

logger = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# Interval triggers count from this fixed instant, so every process (and the admin page)
# computes the same fire times: "every 15 minutes" means :00, :15, :30, :45 Tokyo time.
INTERVAL_ANCHOR = datetime(2024, 4, 1, 0, 0, tzinfo=JST)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable                 # a service function fn(now=...) that queries for due work
    trigger: str                   # "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    misfire_grace_time: int = 3600  # seconds; jobs are due-queries, so a late run is still right
    description: str = ""

    def make_trigger(self):
        if self.trigger == "interval":
            from apscheduler.triggers.interval import IntervalTrigger  # lazy: not in web workers

            return IntervalTrigger(start_date=INTERVAL_ANCHOR, timezone=JST, **self.trigger_args)
        if self.trigger == "cron":
            from apscheduler.triggers.cron import CronTrigger

            return CronTrigger(timezone=JST, **self.trigger_args)
        raise ValueError(f"unknown trigger {self.trigger!r} for job {self.name}")


JOBS = [
    Job("notifications.dispatch", dispatch_due, "interval",
        {"seconds": 30}, misfire_grace_time=120, description=N_("通知の送信(送信待ちの通知を配信)")),
    Job("notifications.announcements", send_due_announcements,
        "interval", {"minutes": 5}, description=N_("予約されたお知らせの配信")),
    Job("notifications.digests", send_digests, "cron",
        {"hour": 8, "minute": 0}, misfire_grace_time=6 * 3600, description=N_("通知のまとめ(毎朝8時)")),
    Job("visits.reminders", remind_upcoming_visits, "interval",
        {"minutes": 15}, description=N_("訪問の7日前・前日のリマインダー")),
    Job("visits.satisfaction", request_satisfaction_due,
        "interval", {"minutes": 30}, description=N_("出前講座実施後の満足度アンケート依頼")),
    Job("accompaniment.checkins", remind_accompaniment_checkins,
        "cron", {"hour": 8, "minute": 15}, misfire_grace_time=6 * 3600,
        description=N_("伴走支援のチェックイン・リマインダー")),
    Job("requests.escalate_first_response",
        escalate_first_responses, "interval", {"minutes": 15},
        description=N_("初回対応期限(2営業日)超過の依頼をリエゾンチームリーダーへ通知")),
    Job("rounds.notices", send_round_notices, "cron",
        {"hour": 8, "minute": 30}, misfire_grace_time=6 * 3600,
        description=N_("定期巡回の期限・期限超過の通知")),
    # Does nothing unless MAIL_IMAP_HOST is set (an MTA may pipe to `flask mail-in` instead).
    Job("mail.poll", poll_mailbox, "interval", {"minutes": 1}, misfire_grace_time=120,
        description=N_("受信メールの取り込み(IMAP:返信を依頼のコメントに)")),
    Job("surveys.notices", send_survey_notices, "cron",
        {"hour": 8, "minute": 45}, misfire_grace_time=6 * 3600,
        description=N_("調査・照会の期限前リマインダーと期限超過の市町一覧")),
    Job("meetings.notices", send_meeting_notices, "cron",
        {"hour": 8, "minute": 50}, misfire_grace_time=6 * 3600,
        description=N_("会議の出欠回答のリマインダーと、宿題(アクションアイテム)の期限前・期限超過の通知")),
    # On the 1st at 08:00 JST; the job itself freezes only months without a snapshot.
    Job("reports.monthly_snapshot", snapshot_due, "cron",
        {"day": 1, "hour": 8, "minute": 0}, misfire_grace_time=7 * 24 * 3600,
        description=N_("前月の月次報告を確定版として保存し、管理者に通知")),
    # The job itself acts in March only, once per municipality and fiscal year.
    Job("handover.ask_confirmation", ask_for_handover_confirmation, "cron",
        {"hour": 9, "minute": 0}, misfire_grace_time=6 * 3600,
        description=N_("3月: 各市町の情報部門に新年度の利用者・連絡先の確認を依頼")),
    # Hourly, so an account is off on its leaving day even if a run was missed.
    Job("handover.deactivate_leavers", deactivate_leavers, "interval", {"hours": 1},
        description=N_("異動・退職の日を迎えた利用者のアカウントを無効にする")),
    Job("audit.verify_chains", verify_chains_nightly, "cron",
        {"hour": 2, "minute": 30}, misfire_grace_time=12 * 3600,
        description=N_("監査ログ・対応履歴のハッシュチェーンを検査し、各チェーンの先頭を記録(不一致は管理者に通知)")),
    # Every day in April (idempotent): the spring list of the records whose period ends this
    # fiscal year; the admins are told once a year.
    Job("retention.spring_list", spring_list_job, "cron",
        {"month": 4, "hour": 7, "minute": 0}, misfire_grace_time=12 * 3600,
        description=N_("4月: 今年度に保存期間が満了する記録の一覧を作成し、管理者に確認を依頼")),
    Job("retention.carry_out", carry_out_job, "cron",
        {"hour": 3, "minute": 0}, misfire_grace_time=12 * 3600,
        description=N_("確認済みで保存期間が満了した記録の移管・廃棄(法的保存中を除く)")),
]


def heartbeat(now):
    return 1


def failing(now):
    raise RuntimeError("test job: always fails")


# Only configured in tests and drills (SCHEDULER_TEST_JOB): a fast job, and one that always
# raises, to show a failing job is recorded and the scheduler keeps going.
TEST_JOBS = [
    Job("test.heartbeat", heartbeat, "interval", {"seconds": 1},
        misfire_grace_time=5, description="test: counts runs"),
    Job("test.failing", failing, "interval", {"seconds": 1},
        misfire_grace_time=5, description="test: always fails"),
]


def configured_jobs(app):
    """JOBS, plus the test jobs when configured, narrowed by SCHEDULER_JOBS (comma-separated)."""
    jobs = list(JOBS)
    if app.config.get("SCHEDULER_TEST_JOB"):
        jobs += TEST_JOBS
    only = app.config.get("SCHEDULER_JOBS")
    if only:
        names = {n.strip() for n in str(only).split(",") if n.strip()}
        jobs = [j for j in jobs if j.name in names]
    return jobs


def find_job(app, name):
    for job in list(JOBS) + TEST_JOBS:
        if job.name == name and (job in JOBS or app.config.get("SCHEDULER_TEST_JOB")):
            return job
    return None


def _count_items(result):
    if isinstance(result, bool) or result is None:
        return 0, None
    if isinstance(result, int):
        return result, None
    if isinstance(result, dict):
        detail = {str(k): v for k, v in result.items()
                  if isinstance(v, (int, float, str, bool, type(None)))}
        if "items" in result:
            return int(result["items"]), detail
        return sum(v for v in result.values() if isinstance(v, int) and not isinstance(v, bool)), detail
    return 0, {"result": repr(result)[:200]}


def run_job(job, *, now=None, holder=None):
    """Run one job in the current app context and record the run; never raises for job errors."""
    from .models import JobRun

    now = now or utcnow()
    run = JobRun(job_name=job.name, holder=holder, started_at=utcnow(), outcome="running")
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        result = job.func(now=now)
        db.session.commit()
    except Exception as exc:  # a job's failure is recorded; the scheduler must keep running
        db.session.rollback()
        logger.exception("job %s failed (run %s)", job.name, run_id)
        run = db.session.get(JobRun, run_id)
        run.outcome = "failed"
        run.error = f"{type(exc).__name__}: {exc}"[:1000] + "\n\n" + traceback.format_exc()[-6000:]
    else:
        run = db.session.get(JobRun, run_id)
        run.outcome = "ok"
        run.items, run.detail = _count_items(result)
        logger.info("job %s ok: %s items (run %s)", job.name, run.items, run_id)
    run.finished_at = utcnow()
    db.session.commit()
    return run


class Lease:
    """A leader lease in the database, taken and renewed with one conditional UPDATE.

    The row is taken when it is ours or expired (`holder = me OR expires_at < now`), so two
    processes can never both hold it: the UPDATE is atomic on PostgreSQL (row lock) and on
    SQLite (BEGIN IMMEDIATE serialises writers). The holder renews every `renew` seconds; a
    holder that dies stops renewing and the lease is free `ttl` seconds after its last renewal.
    A holder that cannot renew stops running jobs once its own lease has run out. The processes
    compare times from their own clocks, so scheduler hosts must keep their clocks in sync (NTP).
    """

    def __init__(self, ttl=30, name=LEASE_NAME, holder=None):
        self.ttl = timedelta(seconds=ttl)
        self.name = name
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.valid_until = None

    def is_held(self, now=None):
        return self.valid_until is not None and (now or utcnow()) < self.valid_until

    def try_acquire(self, now=None):
        """Take or renew the lease; True if this process is the leader until now + ttl."""
        from .models import SchedulerLease

        now = now or utcnow()
        expires = now + self.ttl
        table = SchedulerLease.__table__
        try:
            result = db.session.execute(
                table.update()
                .where(table.c.name == self.name,
                       sa.or_(table.c.holder == self.holder, table.c.expires_at < now))
                .values(holder=self.holder, renewed_at=now, expires_at=expires,
                        acquired_at=sa.case((table.c.holder == self.holder, table.c.acquired_at),
                                            else_=sa.literal(now, table.c.acquired_at.type))))
            won = result.rowcount == 1
            if not won and db.session.get(SchedulerLease, self.name) is None:
                db.session.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now,
                                              renewed_at=now, expires_at=expires))
                db.session.flush()
                won = True
            db.session.commit()
        except IntegrityError:  # another process inserted the first row at the same moment
            db.session.rollback()
            won = False
        except Exception:
            db.session.rollback()
            logger.exception("could not renew the scheduler lease")
            return self.is_held(now)
        self.valid_until = expires if won else None
        return won

    def release(self):
        """Give the lease up at once (clean shutdown) so a standby need not wait for the TTL."""
        from .models import SchedulerLease

        table = SchedulerLease.__table__
        try:
            db.session.execute(table.update()
                               .where(table.c.name == self.name, table.c.holder == self.holder)
                               .values(expires_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("could not release the scheduler lease")
        self.valid_until = None


def close_abandoned_runs(lease, now=None):
    """Runs left "running" by a process that lost the lease (it died) are marked failed."""
    from .models import JobRun

    now = now or utcnow()
    table = JobRun.__table__
    result = db.session.execute(
        table.update().where(table.c.outcome == "running", table.c.holder != lease.holder)
        .values(outcome="failed", finished_at=now,
                error="abandoned: the scheduler process stopped during this run"))
    db.session.commit()
    return result.rowcount


def current_lease(name=LEASE_NAME):
    from .models import SchedulerLease

    return db.session.get(SchedulerLease, name)


def build_scheduler(app, lease):
    """A paused BackgroundScheduler with every configured job; `serve` resumes it while leading."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=JST, job_defaults={"coalesce": True, "max_instances": 1},
                                    executors={"default": {"type": "threadpool", "max_workers": 4}})

    def guarded(job):
        with app.app_context():
            # Checked per run: a process that lost the lease must not start another job.
            if not lease.is_held():
                logger.warning("skipping %s: this process does not hold the lease", job.name)
                return
            try:
                run_job(job, holder=lease.holder)
            finally:
                db.session.remove()

    for job in configured_jobs(app):
        scheduler.add_job(guarded, job.make_trigger(), args=[job], id=job.name, name=job.name,
                          misfire_grace_time=job.misfire_grace_time, coalesce=True,
                          max_instances=1, replace_existing=True)
    return scheduler


def serve(app, stop_event=None):
    """Block: keep trying for the lease; run the jobs while holding it, pause them when not."""
    ttl = float(app.config.get("SCHEDULER_LEASE_TTL", 30))
    renew = float(app.config.get("SCHEDULER_RENEW_INTERVAL") or max(ttl / 3, 0.5))
    stop_event = stop_event or threading.Event()
    lease = Lease(ttl=ttl)
    scheduler = build_scheduler(app, lease)
    scheduler.start(paused=True)
    leading = False

    def _stop(signum, frame):
        stop_event.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    logger.info("scheduler %s started (lease ttl %ss, renew every %ss), waiting for the lease",
                lease.holder, ttl, renew)
    try:
        while not stop_event.is_set():
            with app.app_context():
                held = lease.try_acquire()
                db.session.remove()
            if held and not leading:
                logger.info("scheduler %s is now the leader", lease.holder)
                with app.app_context():
                    close_abandoned_runs(lease)
                    db.session.remove()
                scheduler.resume()
                leading = True
            elif not held and leading:
                logger.warning("scheduler %s lost the lease; pausing jobs", lease.holder)
                scheduler.pause()
                leading = False
            stop_event.wait(renew)
    finally:
        scheduler.shutdown(wait=True)
        if leading:
            with app.app_context():
                lease.release()
                db.session.remove()
        logger.info("scheduler %s stopped", lease.holder)
    return lease


def next_run_times(app, now=None):
    """{job name: next fire time} computed from the triggers, as the scheduler would."""
    now = (now or utcnow()).astimezone(JST)
    return {job.name: job.make_trigger().get_next_fire_time(None, now)
            for job in configured_jobs(app)}
