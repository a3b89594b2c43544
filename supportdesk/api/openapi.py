"""The OpenAPI 3.1 document, built from the endpoint registry and the pydantic schemas."""
import typing

from flask import render_template
from pydantic import TypeAdapter

from ..converters import MAX_ROW_ID
from ..services import catalogue
from . import bp
from .core import REGISTRY, Problem, json_response, public

TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden (token scope or role)",
          404: "Not found", 409: "Conflict (stale version or illegal transition)",
          412: "Precondition failed", 422: "Validation error",
          428: "Precondition required (If-Match)",
          429: "Too many requests",
          500: "Server error (the problem's reference is in the server log)"}


def _schema(tp, components):
    adapter = TypeAdapter(tp)
    schema = adapter.json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    origin = typing.get_origin(tp)
    if origin is None and hasattr(tp, "model_json_schema"):
        components[tp.__name__] = schema
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return schema


def _query_parameters(model, components):
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in required,
                       "schema": prop, "description": prop.get("description", "")})
    return params


def build_document():
    components = {"Problem": Problem.model_json_schema()}
    paths = {}
    for ep in REGISTRY:
        op = {"summary": ep.summary, "operationId": ep.endpoint.replace(".", "_"),
              "tags": ep.tags, "responses": {}, "security": [{"bearer": []}, {"session": []}]}
        if "write" == ep.scope:
            op["description"] = "Needs a token with the write scope."
        params = []
        for part in ep.path.split("/"):
            if part.startswith("{"):
                name = part.strip("{}")
                schema = ep.path_schemas.get(name) or (
                    {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
                    if name.endswith("_id") else {"type": "string", "maxLength": 40})
                params.append({"name": name, "in": "path", "required": True, "schema": schema})
        for name, (schema, description, required) in ep.headers.items():
            params.append({"name": name, "in": "header", "required": required, "schema": schema,
                           "description": description})
        if ep.query is not None:
            params += _query_parameters(ep.query, components)
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema(ep.body, components)}}}
        if ep.multipart is not None:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": ep.multipart}}}
        ok = {"description": "Created" if ep.status == 201 else "OK"}
        if ep.response is not None:
            schema = (_schema(ep.response, components) if not isinstance(ep.response, dict)
                      else ep.response)
            ok["content"] = {ep.media: {"schema": schema}}
        if ep.response_headers:
            ok["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                             for name, text in ep.response_headers.items()}
        op["responses"][str(ep.status)] = ok
        for code in ep.errors:
            op["responses"][str(code)] = {"description": TITLES.get(code, "Error"), "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return _with_catalogue_enums({
        "openapi": "3.1.0",
        "info": {"title": "市町DX支援デスク API", "version": "1.0.0",
                 "description": "Personal API tokens: Authorization: Bearer sdk_... . Errors are "
                                "application/problem+json (RFC 9457) with a Japanese title. "
                                "This document and /api/v1/docs need no token (the contract is "
                                "public); every operation below does. Lists return next_cursor: "
                                "pass it as ?cursor= for the next page."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "supportdesk"}}},
    })


def _with_catalogue_enums(node):
    """Fill the enum of every programme catalogue field with the keys the desk offers now."""
    if isinstance(node, dict):
        if "x-catalogue" in node:
            node["enum"] = catalogue.keys(node["x-catalogue"])
        for value in node.values():
            _with_catalogue_enums(value)
    elif isinstance(node, list):
        for value in node:
            _with_catalogue_enums(value)
    return node


@public(bp, "/openapi.json")
def openapi_json():
    return json_response(build_document())


@public(bp, "/docs")
def docs():
    return render_template("api/docs.html", doc=build_document())
