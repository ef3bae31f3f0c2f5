"""The random number generator every game draws from (GLI-19 §3).

The certification battery lives in :mod:`croupier.kernel.rng.certify` and is not imported
here: it needs numpy and scipy, which a game server has no reason to load.
"""

from croupier.kernel.rng.errors import RngHealthFailure
from croupier.kernel.rng.generator import ByteSource, Rng, default_rng, reset, status
from croupier.kernel.rng.health import HealthState, HealthStatus

__all__ = [
    "ByteSource",
    "HealthState",
    "HealthStatus",
    "Rng",
    "RngHealthFailure",
    "default_rng",
    "reset",
    "status",
]
