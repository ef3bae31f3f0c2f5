"""Every table of croupier, for migrations and for building test schemas."""

from croupier.backoffice.operators import models as operator_models
from croupier.core.gamecontrol import models as gamecontrol_models
from croupier.core.players import models as player_models
from croupier.core.wallet import models as wallet_models
from croupier.kernel import models as kernel_models
from croupier.kernel.db import Base
from croupier.policy.compliance import models as compliance_models
from croupier.policy.rg import models as rg_models
from croupier.policy.risk import models as risk_models
from croupier.products.aggregation import models as aggregation_models
from croupier.products.payments import models as payments_models
from croupier.products.rgs import models as rgs_models
from croupier.products.rgs.crash import models as crash_models
from croupier.products.sportsbook import models as sportsbook_models

metadata = Base.metadata

__all__ = [
    "aggregation_models",
    "compliance_models",
    "crash_models",
    "gamecontrol_models",
    "kernel_models",
    "metadata",
    "operator_models",
    "payments_models",
    "player_models",
    "rg_models",
    "rgs_models",
    "risk_models",
    "sportsbook_models",
    "wallet_models",
]
