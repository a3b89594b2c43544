"""Real parts for notification tests: an aiosmtpd SMTP sink and an HTTP webhook receiver."""
import hashlib
import hmac
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from supportdesk.extensions import db
from supportdesk.models import ChatRoom, OutboxMessage
from tests.factories import municipality

SECRET = "s3cret-webhook-key-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler: keeps parsed messages; can answer 451 to the next N RCPTs."""

    def __init__(self):
        self.messages = []
        self.fail_rcpt = 0
        self.reject_rcpt = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt:
            return "550 5.1.1 no such user"
        if self.fail_rcpt:
            self.fail_rcpt -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self.sink = SmtpSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class Receiver:
    """A chat-webhook receiver. It checks the HMAC signature, counts attempts and deduplicates
    by the Idempotency-Key header, as a careful receiver would. Modes: ok, fail (HTTP 500),
    gone (HTTP 410), hang (answer after the client's timeout), and stop()/start() for down."""

    def __init__(self, secret=SECRET, port=None):
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"
        self.hang_seconds = 2.0
        self.delay = 0.0  # seconds per accepted request: makes concurrent dispatchers overlap
        self.attempts = 0
        self.delivered = {}     # key -> times accepted (a receiver that did NOT dedupe)
        self.unique = {}        # key -> (headers, body) of the first accepted delivery
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.attempts += 1
                    mode = receiver.mode
                if mode == "hang":
                    time.sleep(receiver.hang_seconds)
                    return self._answer(503)
                if mode == "fail":
                    return self._answer(500)
                if mode == "gone":
                    return self._answer(410)
                ts = self.headers.get("X-Supportdesk-Timestamp", "")
                expected = "sha256=" + hmac.new(receiver.secret.encode(), f"{ts}.".encode() + body,
                                                hashlib.sha256).hexdigest()
                got = self.headers.get("X-Supportdesk-Signature", "")
                if not hmac.compare_digest(expected, got):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    return self._answer(401)
                key = self.headers["Idempotency-Key"]
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.delivered[key] = receiver.delivered.get(key, 0) + 1
                    receiver.unique.setdefault(key, (dict(self.headers), body))
                return self._answer(200)

            def _answer(self, status):
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

        return Handler

    def start(self):
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def notify_config(smtp_port=None, **extra):
    cfg = dict(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port or free_port(),
               MAIL_FROM="desk@pref.example.jp",
               NOTIFY_HTTP_TIMEOUT=0.5, NOTIFY_SMTP_TIMEOUT=2, NOTIFY_MAX_ATTEMPTS=5,
               BASE_URL="https://desk.example.lg.jp", CHAT_WEBHOOK_ALLOW_HTTP=True)
    cfg.update(extra)
    return cfg


def outbox_rows(**filters):
    """Outbox rows in id order, filtered by column values: outbox_rows(channel="email")."""
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(stmt).all()


def make_room(scope="municipality", name="佐用町 企画・情報部門", url=None, secret=SECRET,
              fmt="logo_text", municipality_name=None, region=None):
    room = ChatRoom(scope=scope, name=name, webhook_url=url or "http://127.0.0.1:9/hook",
                    secret=secret, format=fmt)
    if municipality_name:
        room.municipality = municipality(municipality_name)
    if region is not None:
        room.region = region
    db.session.add(room)
    db.session.commit()
    return room


def announced_request(filer, **fields):
    """A request filed through the services (tests.factories.make_request) whose filing notices
    (to the team, the 情報部門...) are then cleared, so that a test of the outbox sees only the
    messages of the event it raises itself."""
    from supportdesk.models import InAppNotification
    from tests.factories import make_request

    sreq = make_request(filer, **fields)
    db.session.execute(sa.delete(OutboxMessage))
    db.session.execute(sa.delete(InAppNotification))
    db.session.commit()
    return sreq
