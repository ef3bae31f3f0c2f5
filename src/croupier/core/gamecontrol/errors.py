"""Errors of game control, each with a stable code in the ``gamecontrol.`` namespace."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, Forbidden, NotFound


class GamingSuspended(Forbidden):
    # GLI-19 §2.4.1: all gaming disabled (the kill switch). Open rounds still finish (§4.15).
    code = "gamecontrol.gaming_suspended"
    title = "Gaming is suspended: no new rounds can start"


class GameDisabled(Forbidden):
    # GLI-19 §2.4.1: one game disabled. Open rounds still finish (§4.15).
    code = "gamecontrol.game_disabled"
    title = "This game is disabled: no new rounds can start"


class StakeAboveGameCap(DomainError):
    # As compliance.stake_above_cap (the jurisdiction's cap per product), for one game.
    code = "gamecontrol.stake_above_game_cap"
    status = 422
    title = "The stake is above this game's cap in the player's jurisdiction"


class GameControlError(DomainError):
    status = 422


class InvalidGame(GameControlError):
    code = "gamecontrol.invalid_game"
    title = "A game is a provider name and a game code (or * for all of them)"


class InvalidScope(GameControlError):
    code = "gamecontrol.invalid_scope"
    title = "A scope is global (no value), brand (a brand id) or jurisdiction (a code)"


class InvalidStakeCap(GameControlError):
    code = "gamecontrol.invalid_stake_cap"
    title = "A stake cap is a positive whole number of ledger units"


class ReasonRequired(GameControlError):
    code = "gamecontrol.reason_required"
    title = "A change of game control needs a reason of 3 to 500 characters"


class ControlNotFound(NotFound):
    code = "gamecontrol.control_not_found"
    title = "No such control is in force"
