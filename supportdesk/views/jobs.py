"""Admin page of the scheduler: jobs, next run times, the current leader and recent runs."""
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from ..extensions import db
from ..models import JobRun
from ..timeutil import to_jst, utcnow
from .decorators import permission_required

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
RECENT_RUNS = 50


@bp.get("/")
@permission_required("view", "scheduler")
def index():
    # Imported here: the scheduler module brings every job's code (the IMAP poller among them),
    # which only the scheduler process and this admin page need (tests/test_lazy_imports.py).
    from .. import scheduler

    now = utcnow()
    jobs = scheduler.configured_jobs(current_app)
    next_runs = scheduler.next_run_times(current_app, now)
    last_runs = {}
    latest = (sa.select(JobRun.job_name, sa.func.max(JobRun.id).label("id"))
              .group_by(JobRun.job_name).subquery())
    for run in db.session.scalars(sa.select(JobRun).join(latest, JobRun.id == latest.c.id)):
        last_runs[run.job_name] = run
    runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.id.desc())
                              .limit(RECENT_RUNS)).all()
    lease = scheduler.current_lease()
    lease_expiry = to_jst(lease.expires_at).strftime("%Y-%m-%d %H:%M:%S") if lease else None
    return render_template("admin/jobs.html", jobs=jobs, next_runs=next_runs, last_runs=last_runs,
                           runs=runs, lease=lease, lease_expiry=lease_expiry, now=now)
