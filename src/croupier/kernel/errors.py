"""Domain errors with stable codes, rendered as RFC 9457 problem documents.

A service raises a subclass of :class:`DomainError`; one handler in the app turns it into an
``application/problem+json`` response. The ``code`` is part of the public contract: clients and
operators match on it, so it never changes once released.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    """An expected failure: bad input, a rule that refuses, a conflict.

    Subclasses set ``code`` (stable, dotted, lower case), ``status`` (HTTP) and ``title``.
    ``detail`` is a human sentence for this occurrence; ``extra`` adds machine-readable members.
    """

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request refused"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        problem: dict[str, Any] = {
            "type": f"urn:croupier:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance is not None:
            problem["instance"] = instance
        # An extra member never overwrites one of the problem's own (a game's ``code`` must
        # not replace the error's): such an extra is kept under ``{name}_value``.
        for name, value in self.extra.items():
            problem[f"{name}_value" if name in problem else name] = value
        return problem

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class InvalidRequest(DomainError):
    code = "request.invalid"
    status = 422
    title = "The request is not valid"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class ServiceUnavailable(DomainError):
    code = "service.unavailable"
    status = 503
    title = "Temporarily unavailable"
