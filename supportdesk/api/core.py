"""API plumbing: token or session authentication, problem+json errors, JSON validation with the
same pydantic schemas the OpenAPI document is built from, and the endpoint registry."""
import base64
import hashlib
import json
from dataclasses import dataclass, field

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from ..extensions import csrf, db, limiter
from ..permissions import PermissionDenied, require
from ..problems import PROBLEM, http_problem, problem  # noqa: F401  (re-exported for the API)
from ..services import DomainError, ValidationFailed
from ..services.accounts.api_tokens import find_live_token
from ..sqlite_tx import in_deferred_transaction, write_transaction

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class ApiError(Exception):
    def __init__(self, status, title, detail=None, errors=None, headers=None, extra=None):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers, self.extra = errors, headers or {}, extra or {}


@dataclass
class Endpoint:
    method: str
    path: str  # OpenAPI form: /requests/{request_id}
    endpoint: str
    summary: str
    scope: str = "read"
    body: type | None = None
    response: object = None
    status: int = 200
    query: type | None = None
    tags: list = field(default_factory=list)
    errors: tuple = (400, 401, 403, 404, 422, 429)
    # OpenAPI extras: a multipart/form-data body schema, the success media type, header
    # parameters (name -> (schema, description, required)), path parameters (name -> schema)
    # and response headers.
    multipart: dict | None = None
    media: str = "application/json"
    headers: dict = field(default_factory=dict)
    path_schemas: dict = field(default_factory=dict)
    response_headers: dict = field(default_factory=dict)


REGISTRY = []
# Endpoints answered without a token: the contract (the OpenAPI document and its page) is public,
# the data is not. views.PUBLIC_ENDPOINTS lists them in the route inventory.
PUBLIC = set()


def public(bp, rule):
    """A GET on the blueprint that answers anonymous callers (the API's contract only)."""
    def decorator(view):
        PUBLIC.add(f"{bp.name}.{view.__name__}")
        bp.add_url_rule(rule, view.__name__, view, methods=["GET"])
        return view

    return decorator
# Service field names -> the API's names for them (the API speaks in codes, not ids).
FIELD_NAMES = {"municipality_id": "municipality_code", "theme_ids": "themes",
               "co_municipality_ids": "co_municipality_codes", "attachments": "file",
               "prework_files": "file", "theme_id": "theme",
               "target_municipality_id": "target_municipality_code"}


def api_route(bp, rule, method, *, summary, scope="read", body=None, response=None, status=200,
              query=None, tag=None, errors=(401, 404, 429), multipart=None,
              media="application/json", headers=None, path_schemas=None, response_headers=None):
    """Register a view on the blueprint and describe it for the OpenAPI document."""
    # Any operation can fail unexpectedly: 500 is problem+json with a reference id.
    errors = set(errors) | {500} | ({403} if scope == "write" else set())
    if body is not None or query is not None or multipart is not None:
        errors |= {400, 422}

    def decorator(view):
        path = rule
        for part in rule.split("/"):
            if part.startswith("<"):
                name = part.strip("<>").split(":")[-1]
                path = path.replace(part, "{" + name + "}")
        REGISTRY.append(Endpoint(method, "/api/v1" + path, f"{bp.name}.{view.__name__}", summary,
                                 scope, body, response, status, query, [tag] if tag else [],
                                 tuple(sorted(errors)), multipart, media, headers or {},
                                 path_schemas or {}, response_headers or {}))
        bp.add_url_rule(rule, view.__name__, view, methods=[method])
        return view

    return decorator


def parse_body(model):
    """The JSON body, validated strictly: JSON has booleans and numbers, so "yes", "1" or 20.0
    are refused (422 naming the field) rather than coerced. Dates and times are strings in
    JSON and parse as documented."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, _("JSON形式のリクエスト本文が必要です。"))
    return _validated(lambda: model.model_validate_json(request.get_data(), strict=True))


def parse_query(model):
    # Query strings are text: "limit=5" is the number 5 (lax mode).
    return validate(model, {k: v for k, v in request.args.items()})


def validate(model, data):
    return _validated(lambda: model.model_validate(data))


def _validated(run):
    try:
        return run()
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in err["loc"]), "message": _japanese(err)}
                  for err in exc.errors(include_url=False)]
        raise ApiError(422, _("入力内容に誤りがあります。"), errors=errors) from None


def _japanese(err):
    kind = err["type"]
    messages = {
        "missing": _("必須の項目です。"),
        "string_too_short": _("短すぎます。"),
        "string_too_long": _("長すぎます。"),
        "int_parsing": _("整数で指定してください。"),
        "literal_error": _("指定できない値です。"),
        "enum": _("指定できない値です。"),
        "extra_forbidden": _("この項目は指定できません。"),
        "date_from_datetime_parsing": _("日付の形式が正しくありません(YYYY-MM-DD)。"),
        "date_parsing": _("日付の形式が正しくありません(YYYY-MM-DD)。"),
        "datetime_parsing": _("日時の形式が正しくありません。"),
        "greater_than_equal": _("値が小さすぎます。"),
        "less_than_equal": _("値が大きすぎます。"),
        "list_type": _("配列で指定してください。"),
        "string_type": _("文字列で指定してください。"),
        "bool_type": _("真偽値で指定してください。"),
        "int_type": _("整数で指定してください。"),
        "int_from_float": _("整数で指定してください。"),
        "string_pattern_mismatch": _("形式が正しくありません。"),
        "too_long": _("指定できる数を超えています。"),
        "too_short": _("数が足りません。"),
        "bool_parsing": _("真偽値で指定してください。"),
        "date_type": _("日付の形式が正しくありません(YYYY-MM-DD)。"),
        "datetime_type": _("日時の形式が正しくありません。"),
        "timezone_aware": _("タイムゾーン付きの日時で指定してください(例: 2026-04-01T10:00:00+09:00)。"),
        "model_type": _("オブジェクトで指定してください。"),
        "model_attributes_type": _("オブジェクトで指定してください。"),
        "value_error": _("終了は開始より後にしてください。"),
    }
    return messages.get(kind, _("値が正しくありません。"))


def dump(model_or_list):
    if isinstance(model_or_list, list):
        return [m.model_dump(mode="json") for m in model_or_list]
    return model_or_list.model_dump(mode="json")


def json_response(payload, status=200, headers=None):
    resp = current_app.response_class(json.dumps(payload, ensure_ascii=False), status=status,
                                      mimetype="application/json")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def encode_cursor(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise ApiError(400, _("カーソルが正しくありません。")) from None


def api_user():
    return g.api_user


def load_visible(model, obj_id):
    """The object, or 404 when it is missing or out of the caller's sight (existence never
    leaks: PermissionDenied answers 404 too)."""
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise ApiError(404, _("見つかりません。"))
    require(api_user(), "view", obj)
    return obj


def _rate_key():
    # Runs before authentication, so it keys on what the caller presents: the bearer token
    # (hashed), or the client address for session callers.
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:24]
    return f"addr:{request.remote_addr}"


def setup(bp):
    csrf.exempt(bp)  # token callers have no CSRF token; session callers are checked below
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(bp)

    @bp.before_request
    def _authenticate():
        g.api_token = None
        if request.endpoint in PUBLIC:
            return None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = find_live_token(header[7:].strip())
            if token is not None and db.session.dirty and in_deferred_transaction(db.session):
                # A GET reads in a deferred SQLite transaction, where the last-used stamp could
                # fail with "database is locked": stamp it in an IMMEDIATE transaction of its own.
                db.session.rollback()
                with write_transaction():
                    token = find_live_token(header[7:].strip())
                    db.session.commit()
            if token is None:
                db.session.commit()
                raise ApiError(401, _("APIトークンが無効です(期限切れ・失効を含む)。"),
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            g.api_user, g.api_token, g.api_scope = token.user, token, token.scope
        elif current_user.is_authenticated:
            g.api_user, g.api_scope = current_user._get_current_object(), "write"
            if request.method in UNSAFE:
                csrf.protect()
        else:
            raise ApiError(401, _("認証が必要です。"), headers={"WWW-Authenticate": "Bearer"})
        needed = next((e.scope for e in REGISTRY if e.endpoint == request.endpoint), "read")
        if needed == "write" and g.api_scope != "write":
            raise ApiError(403, _("このトークンには書き込みの権限がありません。"))

    @bp.after_request
    def _commit_token_use(response):
        if getattr(g, "api_token", None) is not None and db.session.is_active:
            db.session.commit()
        return response

    @bp.errorhandler(ApiError)
    def _api_error(err):
        return problem(err.status, err.title, err.detail, err.errors, err.headers, err.extra)

    @bp.errorhandler(PermissionDenied)
    def _denied(err):
        from ..services.audit import record_denied_access

        with write_transaction():  # the read transaction ends there; the audit row's is IMMEDIATE
            record_denied_access(getattr(g, "api_user", None), err,
                                 ip=request.remote_addr, method=request.method, path=request.path)
        return problem(404, _("見つかりません。"))

    @bp.errorhandler(ValidationFailed)
    def _invalid(err):
        db.session.rollback()
        return problem(422, _("入力内容に誤りがあります。"),
                       errors=[{"field": FIELD_NAMES.get(err.field, err.field or ""),
                                "message": str(err)}])

    @bp.errorhandler(DomainError)
    def _domain(err):
        db.session.rollback()
        return problem(409, str(err))

    @bp.errorhandler(HTTPException)
    def _http(err):
        return http_problem(err)

    @bp.errorhandler(CSRFError)
    def _csrf(err):
        # A browser-session caller without a valid CSRF token: same wording as the UI's 400 page.
        return problem(400, _("リクエストが正しくありません。"),
                       _("画面の有効期限が切れた可能性があります。前の画面に戻り、再読み込みしてからもう一度お試しください。"))


class Problem(BaseModel):
    type: str
    title: str
    status: int
    instance: str | None = None
    detail: str | None = None
    errors: list[dict] | None = None
    current_version: int | None = None
    reference: str | None = None
