"""Every table of croupier, for migrations and for building test schemas."""

from croupier.core.wallet import models as wallet_models
from croupier.kernel import models as kernel_models
from croupier.kernel.db import Base

metadata = Base.metadata

__all__ = ["kernel_models", "metadata", "wallet_models"]
