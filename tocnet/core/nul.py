"""NUL characters never reach the database.

PostgreSQL refuses U+0000 in text and in jsonb ("unsupported Unicode escape sequence"), so one
NUL in a search box, a form field, a CSV cell or a LINE message used to answer 500. Requests
are cleaned by NulStripMiddleware; anything else (webhooks, imports, jobs) is cleaned by a
database execute wrapper installed on every connection, the last line before the database.
Lone surrogates (valid in JSON, not in UTF-8) are replaced the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict

NUL = "\x00"


def text_clean(value: str) -> str:
    """The string without NUL characters and with lone surrogates replaced."""
    if NUL in value:
        value = value.replace(NUL, "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def deep_clean(value: Any) -> Any:
    """text_clean applied to every string (and key) inside lists, tuples and dicts."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {deep_clean(k): deep_clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_clean(v) for v in value]
    if isinstance(value, tuple):
        return tuple(deep_clean(v) for v in value)
    return value


def _param_clean(value: Any) -> Any:
    if isinstance(value, str):
        return text_clean(value)
    obj = getattr(value, "obj", None)  # psycopg's Json/Jsonb wrappers
    if obj is not None and type(value).__name__ in {"Json", "Jsonb"}:
        value.obj = deep_clean(obj)
    return value


_PLAIN_PARAMS = frozenset({str, int, bool, float, type(None)})


def _is_clean_row(params: list[Any] | tuple[Any, ...]) -> bool:
    """True when no value needs cleaning: plain values only, their text (joined, one test
    for the row) without NUL and encodable (an executemany of 10,000 import rows)."""
    if not _PLAIN_PARAMS.issuperset(map(type, params)):
        return False
    joined = "".join([value for value in params if type(value) is str])
    if NUL in joined:
        return False
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _params_clean(params: Any, many: bool) -> Any:
    if params is None:
        return None
    if many:
        return [
            p if isinstance(p, list | tuple) and _is_clean_row(p) else _params_clean(p, False)
            for p in params
        ]
    if isinstance(params, dict):
        return {k: _param_clean(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [_param_clean(v) for v in params]
    return params


def nul_guard(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Execute wrapper: strips NUL from every string parameter of every query."""
    return execute(sql, _params_clean(params, many), many, context)


def install_on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if nul_guard not in connection.execute_wrappers:
        connection.execute_wrappers.append(nul_guard)


def _querydict_clean(data: QueryDict) -> QueryDict:
    if not any(NUL in k or any(NUL in v for v in data.getlist(k)) for k in data):
        return data
    cleaned = QueryDict(mutable=True)
    for key in data:
        cleaned.setlist(text_clean(key), [text_clean(v) for v in data.getlist(key)])
    cleaned._mutable = False
    return cleaned


class NulStripMiddleware:
    """Removes NUL from query strings and form fields before any view reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.GET = _querydict_clean(request.GET)  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _querydict_clean(request.POST)  # type: ignore[assignment]
        return self.get_response(request)
