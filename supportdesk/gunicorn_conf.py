"""gunicorn settings for the web workers (README, "PostgreSQL with several app processes"):

    gunicorn -c python:supportdesk.gunicorn_conf -w 5 -b 127.0.0.1:8000 'supportdesk:create_app()'

* preload_app: the master imports the app once and forks the workers from it, so the code,
  the mapped models and the templates' loaders sit in pages the workers share copy-on-write
  instead of each worker holding its own copy (bench/memory_bench.py --preload).
* pre_fork: the master also loads the API (which a worker otherwise loads on its first /api/v1
  request, ~11 MiB each), so that it too is shared; then gc.freeze() moves every object the
  master made into the collector's permanent generation, so a worker's garbage collections do
  not write to (and so copy) those pages.
* post_fork: the worker gets engines with fresh pools. A connection the master opened must not
  be used by two processes; dispose(close=False) drops the worker's references to it without
  closing the master's socket (SQLAlchemy's advice for forked processes). create_app() opens no
  connection today; this keeps it so if a start-up step ever does.

The trade-off: with the app preloaded, `kill -HUP` restarts the workers from the master's
already imported code. After an upgrade, restart gunicorn itself (systemctl restart).
"""
import gc

preload_app = True


def pre_fork(server, worker):
    if server.cfg.preload_app:
        load_api(server.app.wsgi())
    gc.freeze()


def post_fork(server, worker):
    if server.cfg.preload_app:
        dispose_engines(server.app.wsgi())


def _is_desk(app):
    # The benches also run a bare Flask floor under this config: leave it as it is.
    return "sqlalchemy" in getattr(app, "extensions", {})


def load_api(app):
    """Install the API's code on the app in the master (once: install() is idempotent)."""
    if _is_desk(app):
        from supportdesk.api.routes import install

        install(app)


def dispose_engines(app):
    """Forget the pooled connections inherited from the master (each Flask-SQLAlchemy bind)."""
    if not _is_desk(app):
        return
    from supportdesk.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
