"""Blueprints: one per module. Add new ones to BLUEPRINTS."""
from .admin import bp as admin_bp
from .announcements import bp as announcements_bp
from .auth import bp as auth_bp
from .health import bp as health_bp
from .home import bp as home_bp
from .municipalities import bp as municipalities_bp
from .notifications import bp as notifications_bp
from .notify_admin import bp as notify_admin_bp

BLUEPRINTS = [health_bp, auth_bp, home_bp, municipalities_bp, admin_bp]
BLUEPRINTS += [notifications_bp, notify_admin_bp, announcements_bp]

# Endpoints an anonymous caller may reach. Every other endpoint must refuse one
# (tests/test_routes.py enforces it).
PUBLIC_ENDPOINTS = {"static", "health.healthz", "auth.login", "auth.set_language"}
