"""/api/v1: JSON API with personal tokens, the same permissions as the UI, and OpenAPI.

The app registers `routes.lazy_blueprint()`: the API's URL rules (routes.ROUTES) with stub
views, so url_for("api..."), the route inventory and CSRF see them from the start, while the
API's modules (pydantic and ~100 schema classes: ~11 MiB a worker) load on the first /api/v1
request. `load()` imports them; `bp` is then the real blueprint with its views and hooks.
"""
import threading

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_lock = threading.RLock()
_loaded = False


def load():
    """Import the API's modules once; the real blueprint, with every route, hook and handler."""
    global _loaded
    with _lock:
        if _loaded:
            return bp
        from . import core

        core.setup(bp)
        from . import (attachments_api, openapi, reference, reports_api,  # noqa: F401
                       requests_api, requests_write)
        from . import notify_api, visits_api  # noqa: F401
        from . import cases_api, engagements_api, rounds_api, support_api  # noqa: F401
        from . import saved_views_api  # noqa: F401
        from . import contacts_api  # noqa: F401
        from . import status_api  # noqa: F401
        from . import surveys_api  # noqa: F401
        from . import training_api  # noqa: F401
        from . import meetings_api  # noqa: F401
        from . import projects_api  # noqa: F401
        _loaded = True
        return bp
