"""Demo data for `flask seed --demo` (and `run.py demo`), made through the services.

Business code (services, views, api) never imports this package; the CLI and the tests do.
"""
from .contacts import seed_demo_contacts
from .projects import seed_demo_projects
from .reports import seed_demo_snapshots
from .requests import seed_demo_requests
from .rounds import seed_demo_rounds
from .status import seed_demo_status
from .surveys import seed_demo_surveys
from .users import seed_demo_users
from .visits import seed_demo_visits

# The demo seeders in the order they run, each idempotent: the accounts first, then the rounds,
# the requests, the visits, which serve some of the requests, the contact directory, the DX
# status of the 41, the surveys, the joint project, and last month's frozen report.
DEMO_SEEDERS = (seed_demo_users, seed_demo_rounds, seed_demo_requests, seed_demo_visits,
                seed_demo_contacts, seed_demo_status, seed_demo_surveys, seed_demo_projects,
                seed_demo_snapshots)
