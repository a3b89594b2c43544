"""Demo: last month's report frozen, as the scheduler does on the 1st at 08:00 JST, so that the
report page of a closed month shows its 確定版."""
from ..services.reports.snapshots import snapshot_due
from ..timeutil import utcnow


def seed_demo_snapshots(now=None):
    return snapshot_due(now=now or utcnow())  # 0 when last month is already frozen
