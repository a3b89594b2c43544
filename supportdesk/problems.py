"""problem+json answers (RFC 9457) for the API, shared by the API blueprint and the app-wide
error handlers (views/errors.py), which must answer problem+json under /api/v1 even for a path
that never reached the blueprint. Below both api/ and views/, so neither imports the other."""
import json

from flask import current_app, request
from flask_babel import gettext as _

PROBLEM = "application/problem+json"


def problem(status, title, detail=None, errors=None, headers=None, extra=None):
    body = {"type": "about:blank", "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    resp = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                      mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def is_api_request():
    """Whether the current request is addressed to the API, routed or not (an unknown path or a
    non-integer id under /api/v1 never reaches the blueprint, yet must answer problem+json)."""
    prefix = current_app.blueprints["api"].url_prefix
    return request.path == prefix or request.path.startswith(prefix + "/")


def _http_titles():
    return {
        400: _("リクエストが正しくありません。"),
        401: _("認証が必要です。"),
        403: _("この操作の権限がありません。"),
        404: _("見つかりません。"),
        405: _("このメソッドは使えません。"),
        409: _("操作できませんでした。"),
        413: _("ファイルが大きすぎます。"),
        415: _("リクエストの形式が正しくありません。"),
        422: _("入力内容に誤りがあります。"),
        429: _("リクエストが多すぎます。しばらく待ってから再度お試しください。"),
    }


def http_problem(err):
    """Any HTTPException (routing 404/405, abort(), 413, the rate limit's 429) as problem+json."""
    status = err.code or 500
    headers = {}
    if status == 405:
        headers["Allow"] = ", ".join(sorted(getattr(err, "valid_methods", None) or []))
    if status == 429:
        headers["Retry-After"] = str(int(getattr(err, "retry_after", None) or 60))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    title = _http_titles().get(status) or _("リクエストを処理できませんでした。")
    detail = getattr(err, "description", None) if status == 400 else None
    return problem(status, title, detail, headers=headers)


def server_error_problem(reference):
    """The 500 answer of the API: problem+json with the reference id written to the log."""
    return problem(500, _("サーバーでエラーが発生しました。"),
                   _("時間をおいてもう一度お試しください。解決しない場合は、参照番号 %(ref)s を添えて"
                     "支援デスクへご連絡ください。", ref=reference), extra={"reference": reference})
