"""Which host names the desk answers on, and from where its admin pages and admin login work.

configure(app) reads the settings once at start (a wrong URL or address range stops the start):
NETWORKS (name -> base URL), HOSTS (more host names to serve), ADMIN_HOSTS and ADMIN_NETWORKS
(host names / CIDR address ranges for the admin area). Flask's TRUSTED_HOSTS is set from them,
so a request whose Host is none of them is refused with 400 before any view runs: links are
built from the configuration (links.py), and a forged Host cannot reach them either way.
"""
import ipaddress
import logging
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from werkzeug.exceptions import SecurityError

from . import links

logger = logging.getLogger(__name__)

# Served in development and tests besides the configured names (the demo, the test client).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
ADMIN_PREFIX = "/admin"
UNTRUSTED_HOST = _l("このホスト名では市町DX支援デスクを提供していません。"
                    "設定されたアドレスからアクセスしてください。")


class NetworkConfigError(ValueError):
    pass


def _items(value):
    """A list setting from the environment ("a, b") or from instance/config.py (a list)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _mapping(value):
    """A name -> value setting: "lgwan=https://a, internet=https://b" or a dict."""
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    out = {}
    for item in _items(value):
        name, sep, target = item.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise NetworkConfigError(f"expected name=value, got {item!r}")
        out[name.strip()] = target.strip()
    return out


def _host(name):
    return name.strip().lower().rstrip(".")


def configure(app):
    """Normalise the network settings in app.config and set TRUSTED_HOSTS."""
    cfg = app.config
    cfg["NETWORKS"] = _mapping(cfg.get("NETWORKS"))
    for name, url in cfg["NETWORKS"].items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkConfigError(f"NETWORKS[{name}]: {url!r} is not an http(s) base URL")
    cfg["ROLE_NETWORKS"] = _mapping(cfg.get("ROLE_NETWORKS"))
    cfg["HOSTS"] = [_host(h) for h in _items(cfg.get("HOSTS"))]
    cfg["ADMIN_HOSTS"] = [_host(h) for h in _items(cfg.get("ADMIN_HOSTS"))]
    try:
        cfg["ADMIN_NETWORKS"] = [ipaddress.ip_network(n, strict=False)
                                 for n in _items(cfg.get("ADMIN_NETWORKS"))]
    except ValueError as exc:
        raise NetworkConfigError(f"ADMIN_NETWORKS: {exc}") from None
    if cfg.get("TRUSTED_HOSTS") is None:
        served = [*links.host_names(cfg), *cfg["HOSTS"], *cfg["ADMIN_HOSTS"]]
        if cfg["ENV"] != "production":
            served += LOOPBACK_HOSTS
        cfg["TRUSTED_HOSTS"] = list(dict.fromkeys(_host(h) for h in served))


def _host_matches(host, names):
    """`names` entries match exactly, or any subdomain when they start with a dot."""
    return any(host == n or (n.startswith(".") and host.endswith(n)) for n in names)


def admin_zone_allows(host, remote_addr, config):
    """Whether the admin area may be used through host name `host` from `remote_addr` (each of
    ADMIN_HOSTS and ADMIN_NETWORKS, when set, must match; unset allows everything)."""
    try:
        hostname = urlsplit("//" + (host or "")).hostname or ""
    except ValueError:
        return False
    if config["ADMIN_HOSTS"] and not _host_matches(hostname, config["ADMIN_HOSTS"]):
        return False
    if config["ADMIN_NETWORKS"]:
        try:
            addr = ipaddress.ip_address((remote_addr or "").strip())
        except ValueError:
            return False
        if addr.version == 6 and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        return any(addr in net for net in config["ADMIN_NETWORKS"])
    return True


def request_in_admin_zone():
    """The admin-zone check for the current request (its client address is the one ProxyFix
    took from X-Forwarded-For when TRUSTED_PROXIES is set)."""
    return admin_zone_allows(request.host, request.remote_addr, current_app.config)


def is_admin_path(path):
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _refuse_untrusted_host():
    # Flask parks the trusted-hosts refusal as the routing exception, which only dispatch would
    # raise: raise it before any other before_request hook (login, throttles) reads the request.
    exc = request.routing_exception
    if isinstance(exc, SecurityError):
        raise exc


def _guard_admin_area():
    if is_admin_path(request.path) and not request_in_admin_zone():
        logger.warning("admin area refused: host=%s addr=%s path=%s", request.host[:100],
                       request.remote_addr, request.path[:200])
        abort(404)


def _untrusted_host(err):
    # No template: without a trusted host Flask has no URL adapter, so url_for cannot run.
    logger.warning("request refused: untrusted Host header %r",
                   (request.headers.get("Host") or "")[:100])
    body = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>400 Bad Request</title>"
            "</head><body><h1>400 Bad Request</h1>"
            f"<p>{escape(str(UNTRUSTED_HOST))}</p></body></html>")
    return body, 400, {"Content-Type": "text/html; charset=utf-8"}


def register(app):
    app.before_request_funcs.setdefault(None, []).insert(0, _guard_admin_area)
    app.before_request_funcs[None].insert(0, _refuse_untrusted_host)
    app.register_error_handler(SecurityError, _untrusted_host)
