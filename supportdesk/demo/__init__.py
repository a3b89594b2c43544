"""Demo data for `flask seed --demo` (and `run.py demo`), made through the services.

Business code (services, views, api) never imports this package; the CLI and the tests do.
"""
from .checklist import seed_demo_checklist
from .contacts import seed_demo_contacts
from .meetings import seed_demo_meetings
from .projects import seed_demo_projects
from .reports import seed_demo_snapshots
from .requests import seed_demo_requests
from .retention import seed_demo_retention
from .rounds import seed_demo_rounds
from .status import seed_demo_status
from .surveys import seed_demo_surveys
from .training import seed_demo_training
from .users import seed_demo_users
from .visits import seed_demo_visits

# The demo seeders in the order they run, each idempotent: the accounts first, then the rounds,
# the requests, the visits, which serve some of the requests, the contact directory, the DX
# status of the 41, the surveys, the standardisation checklist (after the status it updates),
# training, the meetings (on the directory), the joint project, last month's frozen report,
# and the old requests of this spring's retention list (公文書管理).
DEMO_SEEDERS = (seed_demo_users, seed_demo_rounds, seed_demo_requests, seed_demo_visits,
                seed_demo_contacts, seed_demo_status, seed_demo_surveys, seed_demo_checklist,
                seed_demo_training, seed_demo_meetings, seed_demo_projects, seed_demo_snapshots,
                seed_demo_retention)
