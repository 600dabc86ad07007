"""Exceptions that stop an extraction from outside and must never become a verdict.

A Celery worker's soft time limit raises its own exception inside whatever code is running; the
engine's catch-alls would otherwise report it as a damaged file. The host registers such types
(the engine names none, so it stays free of Celery and Django), and every catch-all lets them by.
"""

from __future__ import annotations

_registered: tuple[type[BaseException], ...] = ()


def register(*types: type[BaseException]) -> None:
    global _registered
    _registered = tuple(dict.fromkeys((*_registered, *types)))


def reraise_if_interrupt(exc: BaseException) -> None:
    if isinstance(exc, _registered):
        raise exc
