"""Memory benchmark: a gunicorn worker of the app against a bare Flask worker, in one run.

    python bench/memory_bench.py [--count 2000] [--requests 20000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/memory_bench.py
    python bench/memory_bench.py --smoke          # ~100 requests on small data (CI)
    python bench/memory_bench.py --preload        # also: under supportdesk/gunicorn_conf.py (PSS)
    python bench/memory_bench.py --breakdown      # only: what each layer adds, in one interpreter

Both servers are gunicorn with 1 sync worker on loopback. "After start" is the worker's RSS
(VmRSS) once it has answered one /healthz. Then the app worker serves the read-page mix of
workers_bench (queue, request pages, municipality pages, logged in) with 4 connections; its
RSS is read after `--requests`/10 and after `--requests` requests. Printed: both RSS, the ratio
app/bare (goal <= 2) and the growth between the two counts (goal < 2%). Beside each RSS: USS
(the worker's private pages) and PSS (its private pages plus its share of the shared ones).
`--preload` also runs the bare app and the app under supportdesk/gunicorn_conf.py (preload_app,
gc.freeze() before each fork; 2 workers): the app imported once in the master, its pages shared
copy-on-write. A worker's RSS then counts pages the master and the other worker hold too; PSS is
the fair per-worker figure, and the ratio printed is app PSS / bare PSS, both under the same
config with the same number of workers, after start (then after `--requests`/10 requests).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (Server, build_data, exit_on_sigterm, get, log, login,  # noqa: E402
                     machine_load, memory_kib, print_ratio, rss_kib, run_load)
from workers_bench import targets_for  # noqa: E402


def worker_rss_after_start(srv):
    get(srv.base, "/healthz")
    (pid,) = srv.worker_pids()
    return pid, rss_kib(pid)


def mem(pid):
    """'RSS x MiB (USS y, PSS z)' of a process."""
    m = memory_kib(pid)
    return f"{m['rss'] / 1024:6.1f} MiB (USS {m['uss'] / 1024:5.1f}, PSS {m['pss'] / 1024:5.1f})"


def login_all(srv, data):
    return {"liaison": login(srv.base, data.liaison_email),
            "manager": login(srv.base, data.manager_email),
            "manager2": login(srv.base, data.manager_email)}


def gunicorn_conf(root):
    """The served checkout's supportdesk/gunicorn_conf.py; plain --preload for one without it
    (a "before" run of older code)."""
    path = os.path.join(root, "supportdesk", "gunicorn_conf.py")
    if os.path.exists(path):
        return ["-c", path]
    log("(no supportdesk/gunicorn_conf.py in that checkout: gunicorn --preload, no gc.freeze)")
    return ["--preload"]


def preloaded(data, args, count):
    """The bare app and the app under the gunicorn config (preload, gc.freeze) with 2 workers
    each: every worker's memory after start, the app's after `count` requests of the page mix.
    Returns (bare, app) mean worker PSS after start, in KiB."""
    conf = gunicorn_conf(args.app_root or
                         os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with Server(None, workers=2, app="harness:bare_app()", extra_args=conf) as bare:
        get(bare.base, "/healthz")
        log(f"preloaded bare master after start: {mem(bare.proc.pid)}")
        bare_pss = []
        for pid in bare.worker_pids():
            bare_pss.append(memory_kib(pid)["pss"])
            log(f"preloaded bare worker after start: {mem(pid)}")
    with Server(data.uri, workers=2, root=args.app_root, extra_args=conf) as srv:
        get(srv.base, "/healthz")
        pids = srv.worker_pids()
        log(f"preloaded app master after start:  {mem(srv.proc.pid)}")
        app_pss = []
        for pid in pids:
            app_pss.append(memory_kib(pid)["pss"])
            log(f"preloaded app worker after start:  {mem(pid)}")
        res = run_load(srv.base, targets_for(data, login_all(srv, data)),
                       connections=args.connections, requests=count, tool="python")
        for pid in pids:
            log(f"preloaded app worker after {count} requests (2 workers): {mem(pid)}")
        log(f"preloaded load: {res}")
        if res.errors:
            raise SystemExit(f"{res.errors} requests failed under the gunicorn config")
    return sum(bare_pss) / len(bare_pss), sum(app_pss) / len(app_pss)


BREAKDOWN = """
import importlib, sys, tempfile
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
STEPS = [
    ("gunicorn worker + Flask (what the bare worker imports)",
     ["gunicorn.app.wsgiapp", "gunicorn.workers.sync", "flask"]),
    ("SQLAlchemy core + ORM + SQLite dialect",
     ["sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.sqlite", "sqlite3"]),
    ("Flask-SQLAlchemy, -Login, -WTF, -Limiter, -Babel",
     ["flask_sqlalchemy", "flask_login", "flask_wtf", "flask_limiter", "flask_babel"]),
    ("the mapped models (supportdesk.models)", ["supportdesk.models"]),
    ("mapper configuration (every first query does it)", "configure"),
    ("the pages: views, services, forms", ["supportdesk.views"]),
    ("the rest of create_app() and one /healthz", "app"),
    ("(when used) the first /api/v1 request: pydantic, schemas", "api"),
]
prev = rss()
print(f"{'fresh interpreter':52s}        {prev:6.1f} MiB")
for label, step in STEPS:
    if step == "configure":
        import sqlalchemy.orm
        sqlalchemy.orm.configure_mappers()
    elif step == "app":
        from supportdesk import create_app
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + tempfile.mkdtemp() + "/b.db",
                          "SECRET_KEY": "memory-breakdown-secret-key"})
        app.test_client().get("/healthz")
    elif step == "api":
        assert app.test_client().get("/api/v1/me").status_code == 401  # loads the API
    else:
        for name in step:
            importlib.import_module(name)
    now = rss()
    print(f"{label:52s} +{now - prev:5.1f} = {now:6.1f} MiB")
    prev = now
"""


def breakdown(root):
    """What each layer adds to a fresh interpreter's RSS, one after the other (SQLite)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = root
    subprocess.run([sys.executable, "-c", BREAKDOWN], cwd=root, env=env, check=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000, help="requests in the data")
    ap.add_argument("--sqlite", metavar="FILE", help="SQLite file to keep and reuse")
    ap.add_argument("--requests", type=int, default=20_000, help="HTTP requests in all")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--app-root", help="serve another checkout's code (a 'before' run)")
    ap.add_argument("--smoke", action="store_true", help="small data, ~100 requests (CI)")
    ap.add_argument("--preload", action="store_true",
                    help="also measure workers under supportdesk/gunicorn_conf.py (PSS)")
    ap.add_argument("--breakdown", action="store_true",
                    help="only print what each layer adds to a fresh interpreter's RSS")
    args = ap.parse_args(argv)
    if args.breakdown:
        return breakdown(args.app_root or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    exit_on_sigterm()
    if args.smoke:
        args.count, args.requests = min(args.count, 300), 40
    data = build_data(args.count, db_url=os.environ.get("DATABASE_URL"), sqlite_path=args.sqlite)
    try:
        log(f"{data.count} requests in the data; {machine_load()}")
        with Server(None, workers=1, app="harness:bare_app()") as bare:
            bare_pid, bare_kib = worker_rss_after_start(bare)
            log(f"bare Flask worker after start: {mem(bare_pid)}")
        with Server(data.uri, workers=1, root=args.app_root) as srv:
            pid, app_kib = worker_rss_after_start(srv)
            log(f"app worker after start:        {mem(pid)}")
            targets = targets_for(data, login_all(srv, data))
            first = max(1, args.requests // 10)
            r1 = run_load(srv.base, targets, connections=args.connections, requests=first,
                          tool="python")
            at_first = rss_kib(pid)
            log(f"app worker after {first:>6} requests: {mem(pid)}")
            r2 = run_load(srv.base, targets, connections=args.connections,
                          requests=args.requests - first, tool="python")
            at_last = rss_kib(pid)
            log(f"app worker after {args.requests:>6} requests: {mem(pid)}")
            if r1.errors or r2.errors:
                raise SystemExit(f"{r1.errors + r2.errors} requests failed")
        log(f"load, first {first} requests: {r1}")
        log(f"load, next {args.requests - first} requests: {r2}")
        pss = preloaded(data, args, first) if args.preload else None
        log(f"after the run: {machine_load()}")
        ratio = print_ratio("app worker / bare Flask worker after start (RSS)",
                            app_kib / 1024, bare_kib / 1024, goal=2)
        if pss:
            print_ratio("preloaded (gunicorn_conf, 2 workers): app worker / bare worker after "
                        "start (PSS)", pss[1] / 1024, pss[0] / 1024, goal=2)
        growth = print_ratio(f"RSS after {args.requests} / after {first} requests",
                             at_last / 1024, at_first / 1024, goal=1.02)
        return {"bare_kib": bare_kib, "app_kib": app_kib, "ratio": ratio, "growth": growth}
    finally:
        data.cleanup()


if __name__ == "__main__":
    main()
