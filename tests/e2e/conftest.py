"""Browser fixtures: the app served on loopback, and a Chromium page that may talk only to it.

`live_app` is the served app on this test's database, with CSRF on as in production. It keeps
no application context open: seed data with `with live_app.app_context(): ...; db.session.commit()`
so that no transaction of the test holds the SQLite write lock while the browser works.
"""
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_SCHEMES = ("data:", "blob:")
TIMEOUT_MS = 20_000


@pytest.fixture
def live_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(live_app):
    """Serve live_app on 127.0.0.1 on a free port in a background thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class BrowserSession:
    """Headless Chromium with one context and page; records every request the page makes and
    aborts those to any host but the live server."""

    def __init__(self, live_server, bypass_csp=False, also_allowed=()):
        self.allowed = urlsplit(live_server).netloc
        self.also_allowed = {urlsplit(url).netloc for url in also_allowed}
        self.bypass_csp = bypass_csp
        self.seen = []
        self.aborted = []

    def is_local(self, url):
        netloc = urlsplit(url).netloc
        return (url.startswith(LOCAL_SCHEMES) or netloc == self.allowed
                or netloc in self.also_allowed)

    def _guard(self, route):
        if self.is_local(route.request.url):
            route.continue_()
        else:
            self.aborted.append(route.request.url)
            route.abort()

    @contextmanager
    def open(self):
        from playwright.sync_api import expect, sync_playwright

        # The machine is small and shared: wait generously, never sleep.
        expect.set_options(timeout=TIMEOUT_MS)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                          bypass_csp=self.bypass_csp)
            context.set_default_timeout(TIMEOUT_MS)
            context.on("request", lambda req: self.seen.append(req.url))
            context.route("**/*", self._guard)
            try:
                yield context.new_page()
            finally:
                context.close()
                browser.close()

    def foreign(self):
        return [url for url in self.seen if not self.is_local(url)]


def _session_page(live_server, **options):
    session = BrowserSession(live_server, **options)
    with session.open() as page:
        yield page
    assert session.seen, "the page made no request at all"
    foreign = session.foreign()
    assert not foreign, f"requests to hosts other than {session.allowed}: {foreign}"


@pytest.fixture
def axe_page(live_server):
    """browser_page for axe-core: the page's Content-Security-Policy lets no inline script run,
    so this context bypasses it to inject axe (tests/e2e/axe.py); the app is unchanged."""
    yield from _session_page(live_server, bypass_csp=True)


@pytest.fixture
def browser_also_allowed():
    """Other loopback servers the page may reach besides the live server (base URLs); a test
    module overrides it, e.g. with the OpenID provider of the single sign-on journey."""
    return ()


@pytest.fixture
def browser_page(live_server, browser_also_allowed):
    """A Playwright page in headless Chromium. Every request it makes is recorded; at teardown
    all of them must have gone to the live server (or be data:/blob: URLs). Requests to any
    other host are also aborted, so a stray CDN link fails here and never reaches a network."""
    yield from _session_page(live_server, also_allowed=browser_also_allowed)
