"""Absolute links for a recipient's network: the one place a URL with a host name is built.

One desk can be served under several host names, one per network (NETWORKS: name -> base URL,
for example an LGWAN name and an internet name). A link that leaves the desk (mail, chat, the
iCalendar feed, a URL shown to be copied elsewhere) is built for the network of whoever will
open it: a user's own setting (users.network), else their role's network (ROLE_NETWORKS), else
DEFAULT_NETWORK. Without NETWORKS the desk has one network, BASE_URL, as before. Links are never
built from the request's Host header.
"""
from urllib.parse import urlsplit

from flask import current_app

from .roles import Role

SINGLE_NETWORK = "default"  # the name of BASE_URL's network when NETWORKS is not set


def networks(config=None):
    """{network name: base URL without a trailing slash}, in the configured order."""
    config = config or current_app.config
    configured = config.get("NETWORKS") or {}
    if not configured:
        return {SINGLE_NETWORK: config["BASE_URL"].rstrip("/")}
    return {name: url.rstrip("/") for name, url in configured.items()}


def default_network(config=None):
    config = config or current_app.config
    nets = networks(config)
    name = config.get("DEFAULT_NETWORK")
    return name if name in nets else next(iter(nets))


def role_network(role, config=None):
    config = config or current_app.config
    name = (config.get("ROLE_NETWORKS") or {}).get(str(role))
    return name if name in networks(config) else default_network(config)


def network_of(recipient=None, config=None):
    """The network a link for `recipient` is built for. A recipient is a user (their own
    setting, else their role's network), a chat room (a municipality's room reads with the
    municipality's staff, the other rooms with the liaisons), a Role, a network name, or None
    (no known reader: a form service, a subscriber): the default network."""
    config = config or current_app.config
    nets = networks(config)
    if recipient is None:
        return default_network(config)
    if isinstance(recipient, Role):
        return role_network(recipient, config)
    if isinstance(recipient, str):
        return recipient if recipient in nets else default_network(config)
    own = getattr(recipient, "network", None)
    if own in nets:
        return own
    if getattr(recipient, "role", None):
        return role_network(recipient.role, config)
    scope = getattr(recipient, "scope", None)
    if scope is not None:  # a ChatRoom
        return role_network(Role.STAFF if scope == "municipality" else Role.LIAISON, config)
    return default_network(config)


def base_url(recipient=None, config=None):
    config = config or current_app.config
    return networks(config)[network_of(recipient, config)]


def absolute(path, recipient=None, config=None):
    """`path` (a path inside the desk) as a link for `recipient`'s network. A link that is
    already absolute is returned as it is; None stays None."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return base_url(recipient, config) + path


def external_url(endpoint, recipient=None, **values):
    """url_for(endpoint, **values) as an absolute link for `recipient`'s network; works inside
    and outside a request (scheduler, CLI), and never reads the request's Host."""
    adapter = current_app.url_map.bind("desk.invalid", script_name="/")
    return absolute(adapter.build(endpoint, values), recipient)


def local_path(link, config=None):
    """The path of a link into this desk, whichever network's base it was built with (the bell
    opens it on the host the user is on); None for a link elsewhere."""
    if not link:
        return None
    for base in networks(config).values():
        if link.startswith(base + "/"):
            return link[len(base):]
    return link if link.startswith("/") and not link.startswith("//") else None


def host_names(config=None):
    """The host names of the configured networks (no port), for the trusted-hosts list."""
    return [urlsplit(url).hostname for url in networks(config).values() if urlsplit(url).hostname]
