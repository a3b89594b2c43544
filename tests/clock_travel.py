"""A diagnostic pytest plugin: run the suite with the clock moved, to find tests (and code) that
assume today's date or a time of day. Off unless asked for:

    TEST_CLOCK=2027-04-05T01:00:00 python3 run.py test -p tests.clock_travel --ignore=tests/e2e

TEST_CLOCK is a UTC time (ISO 8601); the clock keeps ticking from there in every test process.
Processes that tests start themselves (the two-dispatcher test runs `flask dispatch`) keep the
real clock, so that test is expected to fail under a moved clock.
"""
import os
from datetime import UTC, datetime

import time_machine

_travel = None


def pytest_configure(config):
    global _travel
    dest = os.environ.get("TEST_CLOCK")
    if dest:
        _travel = time_machine.travel(datetime.fromisoformat(dest).replace(tzinfo=UTC), tick=True)
        _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config):
    if os.environ.get("TEST_CLOCK"):
        return f"clock moved to {os.environ['TEST_CLOCK']} UTC (tests/clock_travel.py)"
    return None
