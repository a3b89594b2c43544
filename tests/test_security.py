"""Security headers on every kind of response; the session cookie's flags in production and dev."""
import re

import pytest

from tests.factories import PASSWORD, make_staff

REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin",
                     "strict-origin-when-cross-origin"}


def csp_directives(header):
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def check_headers(resp):
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        assert csp[directive] == ["'none'"], directive
    for directive, sources in csp.items():
        for source in sources:
            # Only the app's own origin (and data: images); never inline or eval, no other host.
            allowed = ["'self'", "'none'"] + (["data:"] if directive == "img-src" else [])
            assert source in allowed, (directive, source)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] in REFERRER_POLICIES
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize("path, status", [
    ("/login", 200), ("/healthz", 200), ("/no-such-page", 404), ("/static/css/app.css", 200),
])
def test_security_headers_on_every_kind_of_response(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status
    check_headers(resp)
    if resp.mimetype == "text/html":
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    resp.close()


def test_authenticated_pages_are_not_cached_and_have_no_inline_code(client, login_as):
    login_as(make_staff())
    for path in ("/account/password", "/municipalities/28501"):
        resp = client.get(path)
        assert resp.status_code == 200
        check_headers(resp)
        assert "no-store" in resp.headers["Cache-Control"]
        html = resp.get_data(as_text=True)
        # The CSP would block these in the browser: the templates must not use them.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path


def test_trace_is_not_allowed(client):
    assert client.open("/login", method="TRACE").status_code == 405


def set_cookies(resp):
    return resp.headers.getlist("Set-Cookie")


def test_production_session_cookie_flags(make_app):
    # Production serves only its configured host names (network_access.py).
    app = make_app(ENV="production", SECRET_KEY="a-long-random-production-secret-0123456789",
                   BASE_URL="https://desk.example.jp")
    with app.app_context():
        user = make_staff()
        client = app.test_client()
        resp = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           base_url="https://desk.example.jp")
        assert resp.status_code == 302
        [cookie] = set_cookies(resp)  # only the session cookie; no remember-me cookie
        name, attributes = cookie.split("=", 1)[0], [a.strip() for a in cookie.split(";")[1:]]
        assert name.startswith("__Host-")
        assert "Secure" in attributes and "HttpOnly" in attributes
        assert "SameSite=Lax" in attributes and "Path=/" in attributes
        assert not any(a.lower().startswith("domain=") for a in attributes)
        page = client.get("/account/password", base_url="https://desk.example.jp")
        assert page.status_code == 200
        hsts = page.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts)[1]) >= 31536000 and "includeSubDomains" in hsts


def test_development_works_over_plain_http(client, app):
    user = make_staff()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    [cookie] = set_cookies(resp)
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/account/password").status_code == 200
    assert "Strict-Transport-Security" not in client.get("/login").headers
