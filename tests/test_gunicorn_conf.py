"""supportdesk/gunicorn_conf.py: workers forked from a preloaded master (gc.freeze() before the
fork, fresh connection pools after it) serve pages, each on its own, on the database under test."""
import os
import signal
import sys
from types import SimpleNamespace

import sqlalchemy as sa

from supportdesk import gunicorn_conf
from supportdesk.extensions import db
from tests.factories import PASSWORD, make_user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import harness  # noqa: E402


def preloaded_server(app):
    """What the hooks read of gunicorn's arbiter: the config and the preloaded app."""
    return SimpleNamespace(cfg=SimpleNamespace(preload_app=True),
                           app=SimpleNamespace(wsgi=lambda: app))


def test_before_forking_the_master_loads_the_api_and_freezes_what_it_made(app):
    import gc

    assert gunicorn_conf.preload_app is True
    assert "supportdesk.api" not in app.extensions  # not loaded by create_app()
    gc.unfreeze()
    try:
        gunicorn_conf.pre_fork(preloaded_server(app), None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    # The workers inherit the API's views (shared pages) instead of each loading its own.
    assert app.view_functions["api.me"].__module__ == "supportdesk.api.reference"


def test_the_hooks_leave_an_app_that_is_not_the_desk_alone():
    from flask import Flask

    bare = Flask("bare")
    gunicorn_conf.pre_fork(preloaded_server(bare), None)
    gunicorn_conf.post_fork(preloaded_server(bare), None)
    assert bare.extensions == {}
    import gc

    gc.unfreeze()


def test_post_fork_gives_the_worker_a_fresh_pool_and_leaves_the_master_s_connection(app):
    db.session.execute(sa.text("SELECT 1"))
    raw = db.session.connection().connection.dbapi_connection
    db.session.remove()
    pool = db.engine.pool
    assert pool.checkedin() == 1  # the master's connection, pooled: a fork would share it
    gunicorn_conf.post_fork(preloaded_server(app), None)
    assert db.engine.pool is not pool and db.engine.pool.checkedin() == 0
    raw.cursor().execute("SELECT 1")  # not closed: it is still the master's (close=False)
    raw.close()


def only(pid, pids):
    """SIGSTOP every worker but `pid`: whatever answers now is `pid`."""
    for other in pids:
        os.kill(other, signal.SIGCONT if other == pid else signal.SIGSTOP)


def test_two_workers_forked_from_a_preloaded_master_each_serve_pages(app):
    email = make_user("admin").email
    db.session.commit()  # and nothing more from this process: no lock of ours stops a worker
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    conf = os.path.join(ROOT, "supportdesk", "gunicorn_conf.py")
    with harness.Server(uri, workers=2, extra_args=["-c", conf]) as srv:
        pids = srv.worker_pids()
        assert len(pids) == 2
        with open(f"/proc/{srv.proc.pid}/maps") as fh:  # the app was imported in the master
            assert "sqlalchemy" in fh.read()
        try:
            for pid in pids:
                only(pid, pids)
                cookie = harness.login(srv.base, email, PASSWORD)
                status, body = harness.get(srv.base, "/queue/", cookie)
                assert status == 200 and "<table" in body.decode(), body[:300]
                status, body = harness.get(srv.base, "/api/v1/me", cookie)
                assert status == 200 and email in body.decode(), body[:300]
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
