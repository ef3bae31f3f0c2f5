"""The RNG's domain errors."""

from __future__ import annotations

from croupier.kernel.errors import ServiceUnavailable


class RngHealthFailure(ServiceUnavailable):
    """The random number generator failed a health test; no game may draw until an operator
    has investigated and reset it (GLI-19 §3: live monitoring that stops play on failure)."""

    code = "rng.health_failure"
    status = 503
    title = "Games are paused: the random number generator failed a health test"
