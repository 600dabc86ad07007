"""Bounds on what a request may carry, checked where each kind of input is decoded.

PostgreSQL cannot store a NUL character, nor text with a lone UTF-16 surrogate (it cannot be
encoded as UTF-8): such text reaching a query is a server error, wherever it came from. So it is
refused, with a 400 naming where it was, before any view runs: the URL path (and so every path
parameter), the query string, the headers and the fields of a form are checked by
:class:`RequestInputMiddleware`; a JSON body (where ``"\\u0000"`` decodes to a NUL), and a form
the API parses itself (a PATCH), by the API's parsers below. Files uploaded in a multipart form
legitimately hold NUL bytes: only the form's other fields are checked.

Sizes are bounded too: a body without files by ``REQUEST_MAX_KB`` (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
which Django applies to forms but the API's own reading of a JSON body never consults); a JSON
body by its nesting depth (100,000 nested brackets once raised RecursionError); and the text a
researcher types by each field's limit, which the services check (:func:`check_length`) so the
admin, the API and the commands refuse the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Deeper than any body the API takes (its deepest is a list inside an object), far below the
#: interpreter's recursion limit.
MAX_JSON_DEPTH = 32
# Text PostgreSQL cannot store: NUL, and lone surrogates (from "\ud800" in JSON).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable(text: str) -> str | None:
    """What in ``text`` can never be stored (a NUL character, a lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (\\x00)"
    return f"a lone surrogate (\\u{ord(found.group()):04x}), which is not text"


def check_length(*, field: str, value: str, limit: int) -> None:
    """Refuse ``value`` longer than ``limit`` characters, naming the field.

    Raises ValidationError({field: message}). Used by the services, so every caller gets it.
    """
    if len(value) > limit:
        raise ValidationError(
            {field: f"{len(value):,} characters is too long: at most {limit:,} are kept."}
        )


def _pairs_problem(where: str, pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    for name, values in pairs:
        for text in (name, *values):
            if isinstance(text, str) and (what := unstorable(text)):
                return f"The {where} {name!r} contains {what}, which is never valid input."
    return None


def _body_problem(request: HttpRequest) -> str | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "The Content-Length header is not a number."
    plain_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with_files = request.content_type == "multipart/form-data"
    limit = plain_limit + (
        settings.DATA_UPLOAD_MAX_NUMBER_FILES * settings.UPLOAD_MAX_BYTES if with_files else 0
    )
    if length > limit:
        kind = f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES} files" if with_files else "no files"
        return (
            f"The request body is {length:,} bytes, over the {limit:,} allowed for a request "
            f"with {kind}."
        )
    if request.method != "POST" or request.content_type not in _FORM_TYPES:
        return None
    try:
        return _pairs_problem("form field", request.POST.lists())
    except (SuspiciousOperation, MultiPartParserError) as exc:
        # Django's own limits on forms (too many fields or files, too much non-file data).
        return f"The form could not be read: {exc}"


def request_problem(request: HttpRequest) -> str | None:
    """Why the request's path, query, headers or form can never be served, or None."""
    if what := unstorable(request.path):
        return f"The URL path contains {what}, which is never valid input."
    return (
        _pairs_problem("query parameter", request.GET.lists())
        or _pairs_problem("header", ((k, [v]) for k, v in request.headers.items()))
        or _body_problem(request)
    )


class RequestInputMiddleware:
    """Answers 400, saying what and where, to a request no view could serve (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_problem(request)
        if problem is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": problem}, status=400)
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")


def json_problem(data: object, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why decoded JSON cannot be taken (too deep, unstorable text), naming where; or None."""
    stack: list[tuple[object, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, dict | list):
            if depth >= max_depth:
                return f"The JSON body is nested more than {max_depth} levels deep."
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (what := unstorable(key)):
                    return f"A JSON key in {where or 'the body'} contains {what}."
                name = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"
                stack.append((item, depth + 1, name.lstrip(".")))
        elif isinstance(value, str) and (what := unstorable(value)):
            return f"The JSON field {where or '(the body)'!r} contains {what}."
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in depth and refusing text PostgreSQL cannot store."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        if problem := json_problem(data):
            raise ParseError(problem)
        return data


class FormParser(parsers.FormParser):
    """A form the API parses itself (a PATCH): its fields are checked like any other form's."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if problem := _pairs_problem("form field", data.lists()):
            raise ParseError(problem)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Files may hold anything; the form's other fields are checked like any other form's."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if problem := _pairs_problem("form field", parsed.data.lists()):
            raise ParseError(problem)
        return parsed
