"""Minimal e2e fixtures for the notification journey: a live server (werkzeug, in a thread) on
this test's database, and a factory for Playwright pages on Debian's chromium. Meant to be folded
into tests/e2e/conftest.py (live_server, browser_page) when the branches are merged."""
import threading

import pytest
from werkzeug.serving import make_server

from tests.notify_helpers import free_port

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture
def notify_live_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    app.config["BASE_URL"] = "http://127.0.0.1"  # replaced below once the port is known
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture
def notify_browser():
    """new_page() opens a page in a fresh browser context (its own cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        contexts = []

        def new_page():
            context = browser.new_context(locale="ja-JP")
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15000)
            return page

        yield new_page
        for context in contexts:
            context.close()
        browser.close()
