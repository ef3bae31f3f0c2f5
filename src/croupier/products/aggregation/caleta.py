"""The Caleta 1.5 seamless wallet (specs/caleta-wallet-1.5.openapi.yaml): the game server
calls ``/wallet/{check,balance,bet,win,rollback}``, signed in ``X-Auth-Signature``. Every
status of the spec exists here as the wallet names it (``RS_ERROR_TIMEOUT`` is the game
server's own: an operator never answers it)."""

from __future__ import annotations

from typing import Final

from croupier.products.aggregation.protocol import Dialect

CALETA: Final = Dialect(name="caleta", signature_header="X-Auth-Signature")
