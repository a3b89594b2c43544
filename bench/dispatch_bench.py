"""Dispatch throughput: N outbox messages to a loopback webhook receiver vs raw HTTP posts.

The baseline ("floor") is the same process posting the same signed bodies with urllib to the same
receiver, with no database. The ratio dispatcher/baseline is what to watch: it is the cost of
claiming, snapshotting and recording each message.

    python bench/dispatch_bench.py [--n 10000] [--db-url postgresql://...] [--batch 50]
"""
import argparse
import os
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sqlalchemy as sa  # noqa: E402

from supportdesk import create_app  # noqa: E402
from supportdesk.extensions import db  # noqa: E402
from supportdesk.models import ChatRoom, OutboxMessage  # noqa: E402
from supportdesk.notifications.channels.webhook import FORMATS, sign  # noqa: E402
from supportdesk.notifications.outbox import drain  # noqa: E402
from supportdesk.timeutil import utcnow  # noqa: E402

SECRET = "bench-secret"


class Counter:
    def __init__(self):
        self.keys = {}
        self.lock = threading.Lock()


def start_receiver(counter):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            key = self.headers.get("Idempotency-Key")
            with counter.lock:
                counter.keys[key] = counter.keys.get(key, 0) + 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def message_body(n):
    return ("【情報部門への情報共有】 R8-%04d\n依頼番号:R8-%04d\n市町:佐用町\n区分:相談\n"
            "できごと:情報部門を介さずに申し出がありました。\n詳細:https://desk.example.lg.jp/requests/%d\n"
            % (n, n, n))


def baseline(url, n):
    fmt = FORMATS["logo_text"]
    start = time.perf_counter()
    for i in range(n):
        body = fmt.body({"body": message_body(i)})
        ts = str(int(time.time()))
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": fmt.content_type, "Idempotency-Key": f"base:{i}",
            "X-Supportdesk-Timestamp": ts, "X-Supportdesk-Signature": sign(SECRET, ts, body)})
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    return time.perf_counter() - start


def make_app(db_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": db_url,
                      "NOTIFY_HTTP_TIMEOUT": 10, "CHAT_WEBHOOK_ALLOW_HTTP": True})
    return app


def enqueue(url, n):
    room = ChatRoom(scope="prefecture", name="bench", webhook_url=url, secret=SECRET,
                    format="logo_text")
    db.session.add(room)
    db.session.flush()
    now = utcnow()
    rows = [dict(event_type="request.info_dept_shared", channel="webhook", room_id=room.id,
                 subject="【情報部門への情報共有】", body=message_body(i), idempotency_key=f"bench:{i}",
                 status="pending", attempts=0, next_attempt_at=now, created_at=now, urgent=False)
            for i in range(n)]
    for chunk in range(0, n, 1000):
        db.session.execute(sa.insert(OutboxMessage.__table__), rows[chunk:chunk + 1000])
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    counter = Counter()
    server = start_receiver(counter)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    tmp = tempfile.mkdtemp()
    db_url = args.db_url or "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
    app = make_app(db_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        enqueue(url, args.n)
        # The machine is shared: measure the baseline before and after and use the mean.
        base_before = baseline(url, args.n // 2)
        start = time.perf_counter()
        stats = drain(limit=args.batch)
        disp_s = time.perf_counter() - start
        base_s = base_before + baseline(url, args.n - args.n // 2)
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == "sent"))
        db.session.commit()  # end the read transaction, or drop_all waits on it forever
        if args.db_url:
            db.drop_all()
    server.shutdown()
    dupes = sum(1 for k, v in counter.keys.items() if k.startswith("bench:") and v != 1)
    base_rate, disp_rate = args.n / base_s, args.n / disp_s
    print(f"database: {db_url.split(':', 1)[0]}")
    print(f"messages: {args.n}  batch: {args.batch}  dispatcher stats: {stats}")
    print(f"baseline  raw urllib posts (half before, half after): {base_s:7.2f} s  "
          f"{base_rate:8.0f} msgs/s")
    print(f"dispatcher (claim + send + record each):          {disp_s:7.2f} s  "
          f"{disp_rate:8.0f} msgs/s")
    print(f"ratio dispatcher/baseline throughput: {disp_rate / base_rate:.2f}")
    print(f"rows sent: {sent}  keys received != once: {dupes}")


if __name__ == "__main__":
    main()
