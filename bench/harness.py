"""Shared bench harness: data at N requests, gunicorn on loopback, a bounded load generator.

Used by bench/workers_bench.py and bench/memory_bench.py (and free for any other bench):

    from harness import build_data, Server, login, run_load, print_ratio, machine_load

    data = build_data(100_000, sqlite_path="/tmp/b100k.sqlite3")   # or db_url="postgresql://..."
    with Server(data.uri, workers=2) as srv:
        cookie = login(srv.base, data.manager_email)
        res = run_load(srv.base, [("/queue/", cookie)], connections=8, duration=20)  # wrk
        res = run_load(srv.base, [("/queue/", cookie)], connections=8, requests=100)  # Python
        print(res)                       # rps, p50, p99 (ms), count, errors
    data.cleanup()

* Data comes from bench/queue_bench.py's generator (Zipf municipalities, 3 years, events,
  comments, search_text), through SQLAlchemy Core; `sqlite_path` / `schema` keep it for reuse.
* `Server` starts `gunicorn -w K -b 127.0.0.1:PORT harness:bench_app()` (sync workers) on a
  free loopback port, waits for /healthz and stops it (SIGTERM, then SIGKILL) on exit.
  `Server(..., app="harness:bare_app()")` serves a bare Flask app (the memory floor).
* `run_load` drives the server with Debian's `wrk` (duration-bounded, C, light on the CPU
  the workers need) when it is installed and `duration` is given, else with a bounded Python
  thread pool (count-bounded, each thread one keep-alive http.client connection). Every
  target is (path, cookie); requests go round-robin over the targets. Only loopback.
"""
import http.client
import http.cookies
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Under gunicorn, BENCH_APP_ROOT may name another checkout (a "before" run): its code is served.
sys.path.insert(0, os.environ.get("BENCH_APP_ROOT", ROOT))
sys.path.insert(0, HERE)

BENCH_CONFIG = {
    "SECRET_KEY": "bench-secret-key-0123456789", "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024,
    "PASSWORD_HASH_PARALLELISM": 1,
}


def log(msg):
    print(msg, flush=True)


def exit_on_sigterm():
    """In a bench's own process: SIGTERM unwinds (the servers it started are stopped)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def machine_load():
    """'load 1/5/15 min: a b c on N cores' — to note beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}/{fifteen:.2f} on {os.cpu_count()} cores"


# --- data ---------------------------------------------------------------------------------

@dataclass
class Data:
    uri: str
    cleanup: object
    count: int
    liaison_email: str
    manager_email: str
    request_ids: list = field(default_factory=list)
    muni_codes: list = field(default_factory=list)


def build_data(count, seed=42, db_url=None, sqlite_path=None, keep=False):
    """Generate (or reuse) `count` requests. SQLite: a temp file, or `sqlite_path` (reused when
    it already holds data). PostgreSQL (`db_url`): a throw-away schema, dropped by
    data.cleanup() unless `keep`."""
    import random

    import sqlalchemy as sa

    import queue_bench as qb
    from supportdesk.extensions import db
    from supportdesk.models import Municipality, SupportRequest, User

    tmpdir = None
    if not db_url and not sqlite_path:
        tmpdir = tempfile.mkdtemp(prefix="bench-")
        sqlite_path = os.path.join(tmpdir, "bench.sqlite3")
    uri, drop = qb.setup_database(db_url or "", sqlite_path)
    if tmpdir:
        def drop():
            shutil.rmtree(tmpdir, ignore_errors=True)
    app = qb.make_app(uri)
    with app.app_context():
        if sqlite_path and sa.inspect(db.engine).has_table("support_requests") and \
                db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)):
            log(f"reusing {sqlite_path}")
            liaison = db.session.scalar(sa.select(User).where(
                User.email == "liaison1@bench.example.jp"))
            manager = db.session.scalar(sa.select(User).where(User.role == "manager"))
        else:
            liaison, manager = qb.generate(count, seed)
        n = db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest))
        ids = list(db.session.scalars(sa.select(SupportRequest.id)))
        rnd = random.Random(seed)
        request_ids = rnd.sample(ids, min(200, len(ids)))
        codes = list(db.session.scalars(sa.select(Municipality.code).order_by(Municipality.code)))
        data = Data(uri, (lambda: None) if keep else drop, n, liaison.email, manager.email,
                    request_ids, codes)
        db.session.remove()
        db.engine.dispose()
    return data


# --- server -------------------------------------------------------------------------------

def bench_app():
    """The app under gunicorn: the bench's database (BENCH_DB_URI) and BENCH_CONFIG."""
    from supportdesk import create_app

    extra = json.loads(os.environ.get("BENCH_APP_CONFIG") or "{}")
    return create_app({**BENCH_CONFIG, "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB_URI"],
                       **extra})


def bare_app():
    """The floor for memory and per-request cost: Flask with one tiny route, nothing else."""
    from flask import Flask

    app = Flask("bare")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_bin():
    candidate = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return candidate if os.path.exists(candidate) else shutil.which("gunicorn")


class Server:
    """gunicorn on 127.0.0.1 with `workers` sync workers; a context manager."""

    def __init__(self, uri, workers=1, app="harness:bench_app()", port=None, extra_args=(),
                 timeout=60, root=None, config=None):
        self.uri, self.workers, self.app = uri, workers, app
        self.config = config or {}  # extra app configuration (JSON-able), e.g. a switch
        self.root = root or ROOT  # another checkout's code (a "before" run), same harness
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra_args, self.timeout = list(extra_args), timeout
        self.proc = self._log = None

    def __enter__(self):
        env = dict(os.environ, BENCH_DB_URI=self.uri or "", BENCH_APP_ROOT=self.root,
                   BENCH_APP_CONFIG=json.dumps(self.config),
                   PYTHONPATH=HERE + os.pathsep + self.root)
        env.pop("DATABASE_URL", None)  # the bench config names the database itself
        cmd = [gunicorn_bin(), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
               "--chdir", self.root, "--log-level", "warning", "--timeout", "120",
               *self.extra_args, self.app]
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + self.timeout
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited: " + self.output())
                try:
                    if get(self.base, "/healthz")[0] == 200 and \
                            len(self.worker_pids()) >= self.workers:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
        except BaseException:  # a failed start, or the bench stopped (SIGTERM) while waiting
            self.__exit__()
            raise
        out = self.output()
        self.__exit__()
        raise RuntimeError("gunicorn did not answer /healthz: " + out)

    def output(self):
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-3000:]

    def worker_pids(self):
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as fh:
                return [int(p) for p in fh.read().split()]
        except OSError:
            return []

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return False


def rss_kib(pid):
    """Resident set size of a process in KiB (VmRSS from /proc)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def memory_kib(pid):
    """RSS, PSS and USS (private pages: what this process alone costs) in KiB, from
    /proc/PID/smaps_rollup. Pages shared with gunicorn's master (--preload) count in RSS but not
    in USS."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)}


# --- HTTP ---------------------------------------------------------------------------------

def get(base, path, cookie=None):
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def login(base, email, password=None):
    """Log in over HTTP; the 'name=value' session cookie for the Cookie header."""
    import queue_bench as qb

    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    body = urlencode({"email": email, "password": password or qb.PASSWORD})
    conn.request("POST", "/login", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 302:
        raise RuntimeError(f"login of {email} answered {resp.status}")
    jar = http.cookies.SimpleCookie()
    for header in resp.headers.get_all("Set-Cookie"):
        jar.load(header)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


@dataclass
class Result:
    requests: int
    seconds: float
    p50: float  # ms
    p99: float  # ms
    errors: int
    tool: str

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def __str__(self):
        return (f"{self.rps:8.1f} rps  p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms  "
                f"p99/p50 {self.p99 / self.p50 if self.p50 else 0:5.2f}  "
                f"({self.requests} requests in {self.seconds:.1f}s, {self.errors} errors, "
                f"{self.tool})")


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values))) - 1))
    return sorted_values[k]


def run_load(base, targets, connections=8, requests=None, duration=None, tool=None):
    """Drive `base` with `connections` concurrent clients over `targets` [(path, cookie)].
    With `duration` (s) and wrk installed: wrk. Otherwise the Python generator, which stops
    after `requests` requests (default 100) or `duration` seconds, whichever comes first."""
    tool = tool or ("wrk" if duration and shutil.which("wrk") else "python")
    if tool == "wrk":
        return _run_wrk(base, targets, connections, duration)
    return _run_python(base, targets, connections, requests or 100, duration)


def _run_python(base, targets, connections, requests, duration):
    u = urlsplit(base)
    lock = threading.Lock()
    state = {"next": 0, "errors": 0}
    latencies = []
    stop_at = time.monotonic() + duration if duration else None

    def take():
        with lock:
            if state["next"] >= requests or (stop_at and time.monotonic() > stop_at):
                return None
            state["next"] += 1
            return targets[state["next"] % len(targets)]

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        mine = []
        while (target := take()) is not None:
            path, cookie = target
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                if resp.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            mine.append((time.perf_counter() - t0) * 1000)
            if not ok:
                with lock:
                    state["errors"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    return Result(len(lat), elapsed, statistics.median(lat) if lat else 0.0,
                  percentile(lat, 0.99), state["errors"], "python")


WRK_SCRIPT = """
local targets = %s
local i = 0
init = function(args) i = math.random(0, #targets - 1) end
request = function()
  i = i + 1
  local t = targets[(i %% #targets) + 1]
  return wrk.format("GET", t[1], {["Cookie"] = t[2]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_wrk(base, targets, connections, duration):
    lua_targets = "{" + ", ".join("{" + _lua_string(p) + ", " + _lua_string(c or "") + "}"
                                  for p, c in targets) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT % lua_targets)
        script = fh.name
    try:
        out = subprocess.run(
            ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d",
             f"{int(duration)}s", "--timeout", "30s", "-s", script, base],
            capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    finally:
        os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    d = json.loads(line[len("BENCHJSON "):])
    return Result(d["requests"], d["duration_us"] / 1e6, d["p50_us"] / 1000,
                  d["p99_us"] / 1000, d["errors"], "wrk")


# --- reporting ----------------------------------------------------------------------------

def print_ratio(label, value, floor, goal=None, higher_is_better=False):
    """'label: value / floor = x (goal <= g: ok)' — a ratio measured in the same run."""
    x = value / floor if floor else float("inf")
    verdict = ""
    if goal is not None:
        ok = x >= goal if higher_is_better else x <= goal
        verdict = f"  (goal {'>=' if higher_is_better else '<='} {goal}: {'ok' if ok else 'MISSED'})"
    log(f"{label}: {value:.2f} / {floor:.2f} = {x:.2f}x{verdict}")
    return x
