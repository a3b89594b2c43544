"""A real OpenID provider on loopback for the single sign-on tests (tests/oidc/provider.mjs,
the npm package oidc-provider run with the machine's Node.js), and a small user agent that
goes through its login and consent pages the way a browser would.

The provider is a process: one per test session (tests/conftest.py `oidc_provider`), with its
test accounts below. Each test registers its own client (RFC 7591) for its redirect URI.
"""
import json
import os
import shutil
import subprocess
import threading
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "oidc", "provider.mjs")
PACKAGE = os.path.join(ROOT, "tests", "e2e", "node_modules", "oidc-provider")
STARTUP_SECONDS = 30

# login -> the account at the provider. Passwords are test-only values.
ACCOUNTS = {
    "liaison": {"password": "op-liaison-pass", "sub": "op-sub-liaison",
                "claims": {"email": "sso.liaison@pref.example.jp", "email_verified": True,
                           "name": "県 連絡員"}},
    "unverified": {"password": "op-unverified-pass", "sub": "op-sub-unverified",
                   "claims": {"email": "sso.unverified@pref.example.jp",
                              "email_verified": False, "name": "未確認 太郎"}},
    "newcomer": {"password": "op-newcomer-pass", "sub": "op-sub-newcomer",
                 "claims": {"email": "sso.newcomer@pref.example.jp", "email_verified": True,
                            "name": "新任 花子", "desk_role": "liaison"}},
    "adminwish": {"password": "op-adminwish-pass", "sub": "op-sub-adminwish",
                  "claims": {"email": "sso.adminwish@pref.example.jp", "email_verified": True,
                             "name": "権限 希望", "desk_role": "admin"}},
    "townstaff": {"password": "op-townstaff-pass", "sub": "op-sub-townstaff",
                  "claims": {"email": "sso.staff@town.example.jp", "email_verified": True,
                             "name": "町 職員"}},
}


def email_of(login):
    return ACCOUNTS[login]["claims"]["email"]


class OidcProvider:
    """The provider process; `issuer` is its http://127.0.0.1:PORT."""

    def __init__(self):
        self.proc = None
        self.issuer = None
        self.log = []

    def start(self):
        node = shutil.which("node")
        if node is None or not os.path.isdir(PACKAGE):
            raise RuntimeError("the SSO tests need Node.js and tests/e2e/node_modules "
                               "(python3 run.py test installs them: npm ci --prefix tests/e2e)")
        env = dict(os.environ, OIDC_ACCOUNTS=json.dumps(ACCOUNTS), NODE_NO_WARNINGS="1")
        self.proc = subprocess.Popen([node, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, text=True)
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.log.append(line.rstrip())
                if line.startswith("listening "):
                    self.issuer = line.split()[1]
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=read, name="oidc-provider-log", daemon=True)
        self.reader.start()
        if not ready.wait(STARTUP_SECONDS) or self.issuer is None:
            self.stop()
            raise RuntimeError("the OpenID provider did not start:\n" + "\n".join(self.log))
        return self

    def stop(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # the script exits when its input closes
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.reader.join(timeout=10)
            self.proc.stdout.close()
            self.proc = None

    def register_client(self, redirect_uri, post_logout_redirect_uri):
        """A new confidential client (client_secret_basic) for this redirect URI."""
        resp = requests.post(self.issuer + "/reg", json={
            "redirect_uris": [redirect_uri],
            "post_logout_redirect_uris": [post_logout_redirect_uri],
            "response_types": ["code"], "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        return body["client_id"], body["client_secret"]


class UserAgent:
    """Follows the provider's redirects and fills its login and consent pages, until the
    provider sends the browser back to the desk; then returns that URL (it is not fetched)."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.http = requests.Session()

    def _follow(self, url):
        for _hop in range(20):
            if not url.startswith(self.issuer):
                return url, None
            resp = self.http.get(url, allow_redirects=False, timeout=10)
            if resp.is_redirect:
                url = urljoin(url, resp.headers["Location"])
                continue
            return url, resp
        raise AssertionError("too many redirects at the provider")

    def _post(self, url, data):
        resp = self.http.post(url, data=data, allow_redirects=False, timeout=10)
        assert resp.is_redirect, resp.text[:500]
        return self._follow(urljoin(url, resp.headers["Location"]))

    def sign_in(self, authorization_url, login, password=None):
        """The URL the provider redirects to after login and consent (the desk's callback)."""
        url, resp = self._follow(authorization_url)
        if resp is not None and 'name="login"' in resp.text:
            interaction = urlsplit(url).path
            url, resp = self._post(self.issuer + interaction + "/login", {
                "login": login, "password": password or ACCOUNTS[login]["password"]})
        if resp is not None and "/confirm" in resp.text:
            url, resp = self._post(self.issuer + urlsplit(url).path + "/confirm", {})
        assert resp is None, f"the provider did not send us back: {url}\n{resp.text[:800]}"
        return url

    def end_session(self, logout_url):
        """Confirm the provider's logout page; returns where the provider sends the browser."""
        url, resp = self._follow(logout_url)
        assert resp is not None and "op.logoutForm" in resp.text, url
        import re

        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', resp.text))
        action = re.search(r'action="([^"]+)"', resp.text).group(1)
        form["logout"] = "yes"
        url, _resp = self._post(urljoin(url, action), form)
        return url


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
