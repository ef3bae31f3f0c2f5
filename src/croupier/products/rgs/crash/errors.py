"""Errors of crash, each with a stable code (in the ``rgs.`` namespace of the game server)."""

from __future__ import annotations

from croupier.kernel.errors import DomainError
from croupier.products.rgs.errors import RgsError


class PlayedInSharedRounds(RgsError):
    # The per-player round endpoint plays a round of one player; crash is one round for all.
    code = "rgs.played_in_shared_rounds"
    title = "This title is played in shared rounds, not one round per request"


class CrashBettingClosed(DomainError):
    code = "rgs.crash_betting_closed"
    status = 409
    title = "Bets are taken only while the next round's betting phase lasts"


class CrashNotRunning(DomainError):
    code = "rgs.crash_not_running"
    status = 409
    title = "A cash-out is taken only while the round runs, before it crashes"


class CrashBetExists(DomainError):
    code = "rgs.crash_bet_exists"
    status = 409
    title = "You already have a bet on this round"


class BetNotFound(DomainError):
    code = "rgs.bet_not_found"
    status = 404
    title = "There is no such bet of yours"


class CrashRoundNotFound(DomainError):
    code = "rgs.crash_round_not_found"
    status = 404
    title = "There is no such crash round (yet)"


class CrashNoChain(DomainError):
    # Nothing to play without a published commitment: the operator creates the next chain.
    code = "rgs.crash_no_chain"
    status = 503
    title = "No published hash chain with a salt covers the next crash round"


class CrashChainNotFound(DomainError):
    code = "rgs.crash_chain_not_found"
    status = 404
    title = "There is no such hash chain"


class InvalidCrashChain(RgsError):
    code = "rgs.invalid_crash_chain"
    title = "The hash chain's length or salt is not valid"


class CrashSaltSet(DomainError):
    # Set once: a salt that could be changed after the commitment would let the operator
    # choose among outcomes.
    code = "rgs.crash_salt_set"
    status = 409
    title = "The chain's salt is set already and never changes"
