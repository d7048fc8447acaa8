"""The OpenAPI 3.1 document, generated from the same `Operation` list the routes are made of
and the same pydantic models the bodies are read with: never written by hand."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kanvaro.api.endpoint import Operation
from kanvaro.api.problems import MEDIA_TYPE, TITLES
from kanvaro.api.schemas import Problem

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
ERRORS = {"GET": (400, 401, 404, 422, 429), "POST": (400, 401, 403, 404, 413, 415, 422, 429),
          "PATCH": (400, 401, 403, 404, 409, 413, 415, 422, 429), "DELETE": (401, 403, 404, 429)}


def _schemas(operations: tuple[Operation, ...]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], str]] = [(Problem, "serialization")]
    for op in operations:
        if op.answer is not None and (op.answer, "serialization") not in wanted:
            wanted.append((op.answer, "serialization"))
        if op.body is not None and (op.body, "validation") not in wanted:
            wanted.append((op.body, "validation"))
    refs, top = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    return refs, top.get("$defs", {})


def _parameters(op: Operation) -> list[dict[str, Any]]:
    found = [{"name": name, "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1}} for name in _PARAM.findall(op.path)]
    found += [{"name": q.name, "in": "query", "required": False, "schema": q.schema,
               **({"description": q.description} if q.description else {})} for q in op.query]
    return found


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    problem = {"content": {MEDIA_TYPE: {"schema": refs[(Problem, "serialization")]}}}
    responses: dict[str, Any] = {}
    if op.answer is None:
        responses[str(op.status)] = {"description": "Done."}
    else:
        ok: dict[str, Any] = {"description": "Done.",
                              "content": {"application/json": {"schema": refs[(op.answer, "serialization")]}}}
        if op.status == 201:
            ok["headers"] = {"Location": {"schema": {"type": "string"}, "description": "The new object's URL."}}
        responses[str(op.status)] = ok
    for status in ERRORS[op.method]:
        entry = {"description": TITLES[status], **problem}
        if status == 429:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        responses[str(status)] = entry
    doc: dict[str, Any] = {"operationId": op.name, "summary": op.summary, "tags": [op.tag],
                           "parameters": _parameters(op), "responses": responses}
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    return doc


def document(operations: tuple[Operation, ...], base: str = "/api/v1") -> dict[str, Any]:
    refs, components = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        path = _PARAM.sub(r"{\1}", op.path)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kanvaro API", "version": "1",
                 "description": "Projects, stories, tasks, comments and people of one "
                                "organization, as a personal access token's person sees them. "
                                "See docs/api.md."},
        "servers": [{"url": base}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer",
                      "description": "A personal access token (kvp_...), made at /account/tokens."}}},
    }
