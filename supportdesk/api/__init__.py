"""/api/v1: JSON API with personal tokens, the same permissions as the UI, and OpenAPI."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import core  # noqa: E402

core.setup(bp)

from . import (attachments_api, openapi, reference, reports_api, requests_api,  # noqa: E402,F401
               requests_write)
from . import notify_api, visits_api  # noqa: E402,F401
from . import cases_api, engagements_api, rounds_api, support_api  # noqa: E402,F401
from . import saved_views_api  # noqa: E402,F401
from . import contacts_api  # noqa: E402,F401
from . import status_api  # noqa: E402,F401
from . import surveys_api  # noqa: E402,F401
from . import training_api  # noqa: E402,F401
from . import meetings_api  # noqa: E402,F401
from . import projects_api  # noqa: E402,F401
