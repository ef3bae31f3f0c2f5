"""Errors of the remote game server, each with a stable code."""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class RgsError(DomainError):
    code = "rgs.error"
    status = 422


class InvalidSeed(RgsError):
    code = "rgs.invalid_seed"
    title = "The seed is not valid"


class InvalidServerSeed(InvalidSeed):
    # PROTOCOLS.md §1: the HMAC key is the hex *text*, so "AB…" and "ab…" would give different
    # outcomes for the same 32 bytes; only the one canonical spelling is accepted.
    code = "rgs.invalid_server_seed"
    title = "A server seed is 64 lower-case hexadecimal characters"


class InvalidClientSeed(InvalidSeed):
    code = "rgs.invalid_client_seed"
    title = "A client seed is 1 to 64 visible ASCII characters other than ':'"


class InvalidFairParameter(RgsError):
    code = "rgs.invalid_fair_parameter"
    title = "A parameter of the provably fair draw is out of range"


class InvalidBet(RgsError):
    code = "rgs.invalid_bet"
    title = "The bet's parameters are not valid for this game"


class TitleNotFound(DomainError):
    code = "rgs.title_not_found"
    status = 404
    title = "There is no such game"


class InvalidStake(RgsError):
    code = "rgs.invalid_stake"
    title = "The stake is below the game's minimum or above its maximum"


class RoundKeyReused(DomainError):
    code = "rgs.round_key_reused"
    status = 409
    title = "This round key was used for a different bet"


class TooFast(DomainError):
    # UKGC RTS 14C (slots: 2.5 s per game cycle) and RTS 14G (5 s between casino game starts).
    code = "rgs.too_fast"
    status = 429
    title = "The jurisdiction's minimum time between games has not passed"


class RoundNotFound(DomainError):
    code = "rgs.round_not_found"
    status = 404
    title = "There is no such round of yours"


class InvalidAction(RgsError):
    code = "rgs.invalid_action"
    title = "This action is not open in the round now"


class ActionOutOfTurn(DomainError):
    code = "rgs.action_out_of_turn"
    status = 409
    title = "The round has moved on: act on its current step"


class RoundFinished(DomainError):
    code = "rgs.round_finished"
    status = 409
    title = "The round is over"


class RoundOpen(DomainError):
    code = "rgs.round_open"
    status = 409
    title = "Finish the open round first: rotating now would reveal its outcome"


class UnfinishedRound(DomainError):
    # GLI-19 §4.16: an interrupted game is resolved before the same game can start again.
    code = "rgs.unfinished_round"
    status = 409
    title = "Finish your open round of this game before starting another"


class AutoplayNotAllowed(DomainError):
    # GLI-19 §4.9.2: autoplay is switchable per jurisdiction (UKGC RTS 8C, Sweden, Germany,
    # Ontario: none).
    code = "rgs.autoplay_not_allowed"
    status = 403
    title = "Autoplay is not allowed where you play, or not for this game"


class InvalidAutoplay(RgsError):
    code = "rgs.invalid_autoplay"
    title = "The autoplay settings are not valid"


class AutoplayNotFound(DomainError):
    code = "rgs.autoplay_not_found"
    status = 404
    title = "There is no such autoplay of yours"


class AutoplayRunning(DomainError):
    code = "rgs.autoplay_running"
    status = 409
    title = "An autoplay of yours is already running: stop it first"


class AutoplayStopped(DomainError):
    code = "rgs.autoplay_stopped"
    status = 409
    title = "The autoplay has stopped"
