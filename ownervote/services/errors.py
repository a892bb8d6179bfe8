"""Refusals of the service layer itself (the domain's own errors pass through unchanged)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class of the errors the service layer raises itself."""


class NotFound(ServiceError):
    """The thing asked for does not exist (a view answers 404, a command exits 2)."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"no {what} {key}")
