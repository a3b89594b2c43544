"""Blueprints: one per module. Add new ones to BLUEPRINTS."""
from .admin import bp as admin_bp
from .desk_admin import bp as desk_admin_bp
from .assignments import bp as assignments_bp
from .cases import bp as cases_bp
from .announcements import bp as announcements_bp
from .auth import bp as auth_bp
from .health import bp as health_bp
from .home import bp as home_bp
from .mfa import bp as mfa_bp
from .municipalities import bp as municipalities_bp
from .reports import bp as reports_bp
from . import report_knowing  # noqa: F401,E402  (its routes are on reports_bp)
from .tokens import bp as tokens_bp
from .rounds import bp as rounds_bp
from .jobs import bp as jobs_bp
from .reply_templates import bp as reply_templates_bp
from .requests import bp as requests_bp
from .visits import bp as visits_bp
from . import lecture_survey  # noqa: F401,E402  (its routes are on visits_bp)
from .engagements import bp as engagements_bp
from .calendar import bp as calendar_bp
from .queue import bp as queue_bp
from .notifications import bp as notifications_bp
from .notify_admin import bp as notify_admin_bp
from .participant_survey import bp as participant_survey_bp
from .webhooks import bp as webhooks_bp
from .departments import bp as departments_bp
from .mail_in import bp as mail_in_bp
from .form_intake import bp as form_intake_bp
from .contacts import bp as contacts_bp
from .handover import bp as handover_bp
from .standardisation import bp as standardisation_bp
from .status import bp as status_bp
from .status_items import bp as status_items_bp
from .catalogue import bp as catalogue_bp
from .surveys import bp as surveys_bp
from .sso import bp as sso_bp
from .retention import bp as retention_bp
from .meetings import bp as meetings_bp
from .projects import bp as projects_bp
from . import survey_answers  # noqa: F401,E402  (its routes are on surveys_bp)
from .training import bp as training_bp

BLUEPRINTS = [health_bp, auth_bp, mfa_bp, home_bp, municipalities_bp, admin_bp]
BLUEPRINTS += [assignments_bp, cases_bp]
BLUEPRINTS += [reports_bp]
BLUEPRINTS += [tokens_bp]
BLUEPRINTS += [rounds_bp, jobs_bp, departments_bp]
BLUEPRINTS += [requests_bp, reply_templates_bp]
BLUEPRINTS += [visits_bp, engagements_bp, calendar_bp, participant_survey_bp]
BLUEPRINTS += [queue_bp]
BLUEPRINTS += [notifications_bp, notify_admin_bp, announcements_bp]
BLUEPRINTS += [webhooks_bp, mail_in_bp, form_intake_bp]
BLUEPRINTS += [contacts_bp, handover_bp]
BLUEPRINTS += [status_bp, standardisation_bp, status_items_bp, catalogue_bp]
BLUEPRINTS += [surveys_bp]
BLUEPRINTS += [sso_bp]
BLUEPRINTS += [retention_bp]
BLUEPRINTS += [training_bp]
BLUEPRINTS += [meetings_bp]
BLUEPRINTS += [projects_bp]
BLUEPRINTS += [desk_admin_bp]

# Endpoints an anonymous caller may reach. Every other endpoint must refuse one
# (tests/test_routes.py enforces it).
PUBLIC_ENDPOINTS = {"static", "health.healthz", "auth.login", "auth.set_language"}
# Self-service password reset: whoever forgot their password is not logged in. The reset link's
# signed, expiring, single-use token is the credential (services/password_reset.py).
PUBLIC_ENDPOINTS |= {"auth.forgot_password", "auth.reset_password"}
# Not listed: mfa.login_code (/login/2fa) answers only with the signed "password checked" mark
# in the session and sends everyone else back to /login, like a protected page.
# The personal iCalendar feed: calendar apps cannot log in, so the secret per-user token in the
# URL is the credential (stored hashed, revocable; unknown or revoked tokens answer 404).
PUBLIC_ENDPOINTS.add("calendar.feed")
# The desk's accent colour as a stylesheet: the login page wears it too, and it holds nothing
# but the colour the pages show anyway.
PUBLIC_ENDPOINTS.add("home.desk_css")
# Single sign-on: the button that sends an anonymous browser to its identity provider, and the
# provider's answer (checked against the state, nonce and code verifier of that browser's
# sign-in, services/accounts/sso.py).
PUBLIC_ENDPOINTS |= {"sso.start", "sso.callback"}
# A lecture's participants answer its satisfaction survey without an account: the secret,
# expiring token of the lecture's link is the key (unknown or expired tokens answer 404; answers
# are rate-limited per address and bounded by the recorded number of participants).
PUBLIC_ENDPOINTS.add("participant_survey.answer")
# A prefectural department's page of the round findings shared with it: departments have no
# accounts, so the HMAC token in the link of their notices is the credential (never stored;
# reissuing withdraws it; unknown tokens answer 404). Read-only.
PUBLIC_ENDPOINTS.add("departments.shared")
# The API's contract: the OpenAPI document and its page (served from the desk, nothing from a
# CDN) are public on purpose so integrators can read them before they hold a token; every data
# endpoint of /api/v1 still needs one (api/core.py PUBLIC).
PUBLIC_ENDPOINTS |= {"api.openapi_json", "api.docs"}
