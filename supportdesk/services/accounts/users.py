"""Accounts and reference data that admins maintain: users, profiles, themes, experts."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ...extensions import db
from ...links import networks
from ...models import ExpertProfile, Municipality, Region, Theme, User
from ...models.status import PROFILE_FIELDS as TRACKED_FIELDS
from ...models.user import ROLES
from ...roles import Role
from ...timeutil import utcnow
from .. import ValidationFailed, catalogue
from ..audit import record_audit
from ..municipalities.status import record_status
from ..reference import bump_reference_version
from .auth import end_all_sessions, set_password

logger = logging.getLogger(__name__)

USER_FIELDS = ("email", "display_name", "role", "municipality_id", "department",
               "is_information_dept", "is_central_team", "is_team_lead", "locale", "network",
               "active")


def _snapshot(user):
    data = {f: getattr(user, f) for f in USER_FIELDS}
    data["region_ids"] = sorted(user.region_ids)
    return data


def _validate_user(role, municipality_id, email, user_id=None, network=None):
    if role not in ROLES:
        raise ValidationFailed(_("役割を選択してください。"), "role")
    if network is not None and network not in networks():
        raise ValidationFailed(_("設定されていないネットワークです。"), "network")
    if role == Role.STAFF and not municipality_id:
        raise ValidationFailed(_("市町職員には所属市町が必要です。"), "municipality_id")
    clash = db.session.scalar(sa.select(User.id).where(User.email == email))
    if clash is not None and clash != user_id:
        raise ValidationFailed(_("このメールアドレスは既に登録されています。"), "email")


def create_user(actor, *, email, display_name, role, password=None, municipality_id=None,
                region_ids=(), department=None, is_information_dept=False,
                is_central_team=False, is_team_lead=False, locale="ja", active=True, network=None,
                now=None):
    now = now or utcnow()
    email = email.strip().lower()
    municipality_id = municipality_id or None
    network = network or None
    _validate_user(role, municipality_id, email, network=network)
    user = User(email=email, display_name=display_name.strip(), role=role,
                municipality_id=municipality_id if role == Role.STAFF else None,
                department=department or None, is_information_dept=bool(is_information_dept),
                is_central_team=bool(is_central_team), is_team_lead=bool(is_team_lead),
                locale=locale, active=active, created_at=now)
    if network:
        user.network = network
    if role == Role.LIAISON:
        user.regions = list(db.session.scalars(sa.select(Region).where(Region.id.in_(region_ids))))
    if password:
        set_password(user, password, now)
    db.session.add(user)
    db.session.flush()
    if role == Role.LIAISON:
        bump_reference_version()  # the liaison pickers
    record_audit("user.created", actor=actor, target=user, now=now, after=_snapshot(user))
    return user


def update_user(actor, user, now=None, **changes):
    """Change a user; history stays attributed to them. Deactivation ends their sessions."""
    now = now or utcnow()
    before = _snapshot(user)
    role = changes.get("role", user.role)
    municipality_id = changes.get("municipality_id", user.municipality_id) or None
    email = changes.get("email", user.email).strip().lower()
    if "network" in changes:
        changes["network"] = changes["network"] or None
    # Only a new value is checked: a name dropped from NETWORKS since falls back to the role's.
    new_network = changes.get("network") if changes.get("network") != user.network else None
    _validate_user(role, municipality_id, email, user.id, new_network)
    password = changes.pop("password", None)
    region_ids = changes.pop("region_ids", None)
    for field in USER_FIELDS:
        if field in changes:
            setattr(user, field, changes[field])
    user.email = email
    user.municipality_id = municipality_id if role == Role.STAFF else None
    if role != Role.LIAISON:
        user.regions = []
    elif region_ids is not None:
        user.regions = list(db.session.scalars(sa.select(Region).where(Region.id.in_(region_ids))))
    if password:
        set_password(user, password, now)
        end_all_sessions(user, "password_reset_by_admin", now=now)
    after = _snapshot(user)
    if before["active"] and not after["active"]:
        end_all_sessions(user, "deactivated", now=now)
    if before["role"] != after["role"] or before["municipality_id"] != after["municipality_id"]:
        # A moved or re-roled account starts again from a fresh login.
        end_all_sessions(user, "role_changed", now=now)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if Role.LIAISON in (before["role"], after["role"]) and \
            {"role", "active", "display_name"} & set(changed):
        bump_reference_version()  # the liaison pickers
    if changed or password:
        record_audit("user.updated", actor=actor, target=user, now=now, changes=changed,
                     password_reset=bool(password))
    db.session.flush()
    return user


PROFILE_FIELDS = ("population_band", "dx_staff_band", "cio_appointed", "dx_plan_in_place",
                  "dx_step", "profile_note")


def update_municipality_profile(actor, municipality, now=None, **values):
    now = now or utcnow()
    changed = {}
    for field in PROFILE_FIELDS:
        if field not in values:
            continue
        new = values[field]
        if new == "":
            new = None
        if field == "dx_step" and new is not None:
            new = int(new)
        old = getattr(municipality, field)
        if old != new:
            changed[field] = [old, new]
            if field in TRACKED_FIELDS and new is not None:
                # The tracker is the source of truth: it keeps the history and sets the column.
                record_status(municipality, field, new, actor=actor, source_kind="edit", now=now)
            else:
                setattr(municipality, field, new)
    if changed:
        municipality.touch_profile(now)
        record_audit("municipality.profile_updated", actor=actor, target=municipality, now=now,
                     changes=changed)
    db.session.flush()
    return municipality


def save_theme(actor, theme=None, now=None, **values):
    code = values["code"].strip()
    clash = db.session.scalar(sa.select(Theme.id).where(Theme.code == code))
    if clash is not None and (theme is None or clash != theme.id):
        raise ValidationFailed(_("このコードは既に使われています。"), "code")
    created = theme is None
    theme = theme or Theme()
    before = {k: getattr(theme, k, None) for k in values}
    for key, value in values.items():
        setattr(theme, key, value if key != "sort_order" else (value or 0))
    db.session.add(theme)
    db.session.flush()
    bump_reference_version()  # the theme pickers and filters
    record_audit("theme.created" if created else "theme.updated", actor=actor, target=theme,
                 now=now, before=None if created else before, after=values)
    return theme


def takes_expert_profile(user):
    """Only users with the expert role have a 専門人材 profile (the admin page and the save)."""
    return user is not None and user.role == Role.EXPERT


def save_expert_profile(actor, user, *, kind, home_region_id=None, organisation=None,
                        theme_ids=(), bio=None, available=True, now=None):
    if not takes_expert_profile(user):
        raise ValidationFailed(_("専門人材の役割を持つ利用者だけにプロフィールを設定できます。"), "kind")
    # Only a kind the catalogue offers (the one the profile already has stays possible).
    catalogue.check_keys(catalogue.EXPERT_KIND, [kind], field="kind",
                         kept=[user.expert_profile.kind] if user.expert_profile else ())
    # Load the themes before creating a profile: the query would autoflush a half-built one.
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(theme_ids))))
    profile = user.expert_profile or ExpertProfile(user=user)
    profile.kind = kind
    profile.home_region_id = home_region_id or None
    profile.organisation = organisation or None
    profile.bio = bio or None
    profile.available = bool(available)
    profile.themes = themes
    db.session.add(profile)
    db.session.flush()
    record_audit("expert_profile.saved", actor=actor, target=profile, now=now, kind=kind,
                 theme_ids=sorted(theme_ids))
    return profile


def municipality_by_code(code):
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
