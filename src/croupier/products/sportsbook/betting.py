"""Placing sportsbook bets: singles, accumulators and system bets.

Checks, in order: the request is well formed; every selection's market takes bets now (open,
and for a pre-match market the event has not started — GLI-33, AGCO 4.25); the prices the
player saw against the prices now, by the player's odds-change policy (``none``: refused if
any changed; ``higher``: taken if none went down; ``any``: taken at the new prices); policy
(``may_bet`` for sports: exclusion, limits, licence, location); the most the player may stake
(the selection's liability limit left, times the player's stake factor). The stake is then
held by a pending ledger transfer ``sb:{bet}:stake`` from the player's cash to the
sportsbook's house account, resolved at settlement. In play a bet waits for the delay and is
accepted only if its markets are still open and its prices still acceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from threading import Event
from typing import Any, cast

import structlog
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.orm import Session

from croupier.core.players import get_player, write_sessions_used
from croupier.core.players.errors import PlayerNotFound
from croupier.core.players.models import Player
from croupier.core.wallet import (
    AccountKind,
    LockedAhead,
    NewTransfer,
    TransferKind,
    TransferResult,
    create_transfers,
    lock_ahead,
    platform_account_id,
)
from croupier.core.wallet import errors as ledger_errors
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.db import AnySelect, Database, insert_rows, one_of, read_together
from croupier.kernel.errors import DomainError
from croupier.kernel.ids import is_valid_caller_id, new_id
from croupier.kernel.jurisdictions import Product
from croupier.kernel.money import MAX_AMOUNT
from croupier.policy import compliance
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
from croupier.products.sportsbook import bet_builder, errors, exposure
from croupier.products.sportsbook import bets as bet_math
from croupier.products.sportsbook.catalogue import odds_text, parse_odds
from croupier.products.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    EventStatus,
    Market,
    MarketStatus,
    PlayerStakeFactor,
    Selection,
    SelectionExposure,
    SportEvent,
    hold_id_of,
)

HOUSE = "sportsbook"

log = structlog.get_logger("croupier.sportsbook")


class OddsPolicy(StrEnum):
    NONE = "none"
    HIGHER = "higher"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class BetRequest:
    client_id: str
    kind: str  # single, accumulator, or a system bet: trixie, patent, yankee, lucky15, ...
    selections: tuple[str, ...]
    stake_per_line: int  # ledger units
    # The prices the player saw: selection id → decimal text.
    prices: dict[str, str]
    odds_policy: OddsPolicy = OddsPolicy.NONE


@dataclass(frozen=True, slots=True)
class LegView:
    selection_id: str
    odds: str
    outcome: str | None


@dataclass(frozen=True, slots=True)
class BetView:
    id: str
    client_id: str
    kind: str
    currency: str
    stake: int
    lines: int
    status: str
    potential_return: int
    returned: int | None
    placed_at: datetime
    accept_at: datetime | None
    void_reason: str | None
    legs: tuple[LegView, ...]
    cashed_out: int = 0  # what cash-outs paid (part of ``returned``)
    auto_cash_out_at: int | None = None


def bet_view(session: Session, bet: Bet) -> BetView:
    legs = session.scalars(select(BetLeg).where(BetLeg.bet_id == bet.id).order_by(BetLeg.id))
    return _view(bet, legs)


def _view(bet: Bet, legs: Iterable[BetLeg]) -> BetView:
    return BetView(
        id=bet.id,
        client_id=bet.client_id,
        kind=bet.kind,
        currency=bet.currency,
        stake=bet.stake,
        lines=bet.lines,
        status=bet.status,
        potential_return=bet.potential_return,
        returned=bet.returned,
        placed_at=bet.placed_at,
        accept_at=bet.accept_at,
        void_reason=bet.void_reason,
        legs=tuple(LegView(leg.selection_id, leg.odds, leg.outcome) for leg in legs),
        cashed_out=bet.cashed_out or 0,
        auto_cash_out_at=bet.auto_cash_out_at,
    )


def _house(session: Session, clock: Clock, currency: str) -> str:
    """The sportsbook's house account (read once per unit of work: a batch of bets shares
    one)."""
    return platform_account_id(
        session, clock, kind=AccountKind.HOUSE, currency_code=currency, name=HOUSE
    )


@dataclass(frozen=True, slots=True)
class _Leg:
    """What placing reads of a selection, its market and its event (one row of
    :func:`_selections_query`)."""

    selection_id: str
    odds: str  # offered: the trader's override, else the computed price (exact text)
    market_id: str
    market_status: str
    in_play: bool
    liability_limit: int
    event_id: str
    event_status: str
    starts_at: datetime
    price: Fraction


def _takes_bets(leg: _Leg, now: datetime) -> None:
    """GLI-33 / AGCO 4.25: no bet on a pre-match market once the event has started, none on
    a suspended or closed market."""
    if leg.market_status != MarketStatus.OPEN:
        raise errors.MarketNotOpen(f"The market is {leg.market_status}.", market_id=leg.market_id)
    if leg.event_status in (EventStatus.ENDED, EventStatus.CANCELLED, EventStatus.SUSPENDED):
        raise errors.MarketNotOpen(f"The event is {leg.event_status}.", market_id=leg.market_id)
    if not leg.in_play and (now >= leg.starts_at or leg.event_status != EventStatus.NOT_STARTED):
        raise errors.EventStarted(market_id=leg.market_id)
    if leg.in_play and leg.event_status != EventStatus.LIVE:
        raise errors.MarketNotOpen("The market opens when the event is live.")


def _load_legs(session: Session, selection_ids: tuple[str, ...]) -> list[_Leg]:
    return _legs_of(_load_selections(session, set(selection_ids)), selection_ids)


def _legs_of(loaded: Mapping[str, _Leg], selection_ids: tuple[str, ...]) -> list[_Leg]:
    """The legs of ``selection_ids`` in order, from those loaded; an unknown one refused."""
    legs = []
    for selection_id in selection_ids:
        leg = loaded.get(selection_id)
        if leg is None:
            raise errors.UnknownSelection(selection_id=selection_id)
        legs.append(leg)
    return legs


def _check_prices(legs: list[_Leg], seen: dict[str, str], policy: OddsPolicy) -> None:
    changed = {}
    for leg in legs:
        saw = seen.get(leg.selection_id)
        if saw is None:
            raise errors.InvalidBet("Send the price you saw for every selection.")
        if parse_odds(saw) != leg.price:
            changed[leg.selection_id] = (parse_odds(saw), leg.price)
    if not changed or policy is OddsPolicy.ANY:
        return
    if policy is OddsPolicy.HIGHER and all(now > was for was, now in changed.values()):
        return
    raise errors.OddsChanged(
        "The price changed; accept the new prices or change your odds policy.",
        prices={sid: odds_text(now) for sid, (_, now) in changed.items()},
    )


def _stake_factor(session: Session, player_id: str) -> Fraction:
    row = session.get(PlayerStakeFactor, player_id)
    return Fraction(Decimal(row.factor)) if row is not None else Fraction(1)


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: str
    lines: int
    return_per_unit: Fraction


def _plan(
    session: Session,
    kind: str,
    legs: list[_Leg],
    seen: dict[str, str] | None,
    policy: OddsPolicy,
) -> _Plan:
    """Lines and all-win return per unit of a bet on ``legs``, after the price check. A bet
    builder (one event) is priced from the joint distribution (``bet_builder``); its price
    seen is sent as ``prices["bet_builder"]``. Other multiples take one selection per event."""
    if kind == bet_builder.KIND:
        quoted = bet_builder.price(session, tuple(leg.selection_id for leg in legs))
        if seen is not None and policy is not OddsPolicy.ANY:
            saw = seen.get(bet_builder.KIND)
            if saw is None:
                raise errors.InvalidBet(
                    "Send the bet builder's price you saw as prices.bet_builder."
                )
            was, now = parse_odds(saw), quoted.odds.value
            if was != now and not (policy is OddsPolicy.HIGHER and now > was):
                raise errors.OddsChanged(
                    "The bet builder's price changed.", prices={bet_builder.KIND: str(quoted.odds)}
                )
        return _Plan(bet_builder.KIND, 1, quoted.odds.value)
    if len(legs) > 1 and len({leg.event_id for leg in legs}) != len(legs):
        raise errors.RelatedSelections()
    if seen is not None:
        _check_prices(legs, seen, policy)
    plan = bet_math.plan(kind, [leg.price for leg in legs])
    return _Plan(plan.kind.value, plan.lines, plan.return_per_unit)


def max_stake_per_line(
    session: Session, player_id: str, legs: list[_Leg], lines: int, potential_per_unit: Fraction
) -> int:
    """The most the player may stake per line now: the liability left on the tightest
    selection over what one unit of stake could win, times the player's stake factor."""
    if potential_per_unit <= lines:
        return MAX_AMOUNT
    held = exposure.open_liability(session, (leg.selection_id for leg in legs))
    return _most_per_line(legs, lines, potential_per_unit, held, _stake_factor(session, player_id))


def _most_per_line(
    legs: list[_Leg],
    lines: int,
    potential_per_unit: Fraction,
    held: Mapping[str, int],
    factor: Fraction,
) -> int:
    """:func:`max_stake_per_line` from the liability ``held`` on each selection."""
    if potential_per_unit <= lines:
        return MAX_AMOUNT
    room = min(leg.liability_limit - held.get(leg.selection_id, 0) for leg in legs)
    per_unit_win = potential_per_unit - lines  # winnings per unit staked on each line
    return max(0, int(Fraction(max(room, 0)) / per_unit_win * factor))


def place_bet(
    session: Session,
    clock: Clock,
    player_id: str,
    request: BetRequest,
    *,
    in_play_delay: timedelta = timedelta(seconds=5),
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> tuple[BetView, bool]:
    """Place a bet after every check (module docstring); returns it and whether it is new.
    A refusal records nothing and holds nothing."""
    placed = place_bets(
        session,
        clock,
        [Slip(player_id, request, ip)],
        in_play_delay=in_play_delay,
        registers=registers,
        geolocation=geolocation,
    )[0]
    if isinstance(placed, DomainError):
        raise placed
    return placed


@dataclass(frozen=True, slots=True)
class Slip:
    """A bet slip as sent by a player (from ``ip``, for the location check)."""

    player_id: str
    request: BetRequest
    ip: str | None = None
    # The player's cash account and currency when the caller has them (the authentication
    # read them): not read again.
    cash_account_id: str | None = None
    currency: str | None = None


Placed = tuple[BetView, bool] | DomainError


def place_bets(
    session: Session,
    clock: Clock,
    slips: Sequence[Slip],
    *,
    in_play_delay: timedelta = timedelta(seconds=5),
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ahead: RoundReads | None = None,
) -> list[Placed]:
    """:func:`place_bet` for many slips at once (a group commit of players' requests): one
    result per slip, in order, each the bet and whether it is new, or the refusal. A refused
    slip records and holds nothing. The checks are those of one bet, done set-wise: a round
    reads its slips' existing bets, selections, exposure, players and stake factors in one
    statement each, holds every stake in one ledger batch and writes the bets, their legs and
    the exposure in one statement each.

    A round takes at most one slip of each player, so that a player's second slip is checked
    (``may_bet``'s limits, an id sent twice) with the first one written. A slip whose maximum
    stake is exceeded only because of bets placed earlier in the same round on its selections
    waits for the next round, which reads the exposure again: a refusal is always against
    what is written.

    ``ahead``: the first round's reads, made by the caller (:func:`round_reads`) in a round
    trip of its own reads; used if they cover that round's slips, else read again."""
    results: list[Placed | None] = [None] * len(slips)
    waiting = list(range(len(slips)))
    while waiting:
        this_round: list[int] = []
        later: list[int] = []
        players: set[str] = set()
        held_back: set[str] = set()  # selections of slips left for a later round
        for i in waiting:
            player_id, selections = slips[i].player_id, slips[i].request.selections
            if player_id in players or any(sid in held_back for sid in selections):
                # After the player's first slip; or after a slip on the same selection that
                # waits: the liability left goes to the slips in the order they came.
                later.append(i)
                held_back.update(selections)
            else:
                this_round.append(i)
            players.add(player_id)
        deferred = _place_round(
            session,
            clock,
            slips,
            this_round,
            results,
            in_play_delay=in_play_delay,
            registers=registers,
            geolocation=geolocation,
            ahead=ahead,
        )
        ahead = None  # a later round reads what this one wrote
        waiting = sorted(deferred + later)
    answered = [placed for placed in results if placed is not None]
    if len(answered) != len(slips):  # every path answers; a slip left out is a bug
        raise RuntimeError("A bet slip of the batch was left without an answer.")
    return answered


def _slip_error(request: BetRequest) -> errors.InvalidBet | None:
    if not is_valid_caller_id(request.client_id):
        return errors.InvalidBet("The id must be 1-128 letters, digits and . _ : - / @ + =.")
    if (
        isinstance(request.stake_per_line, bool)
        or not isinstance(request.stake_per_line, int)
        or not 0 < request.stake_per_line <= MAX_AMOUNT
    ):
        return errors.InvalidBet("The stake is a positive whole number of ledger units.")
    if len(set(request.selections)) != len(request.selections) or not request.selections:
        return errors.InvalidBet("Each selection once, at least one.")
    return None


@dataclass(slots=True)
class _Candidate:
    index: int
    legs: list[_Leg]
    plan: _Plan
    bet_id: str
    stake: int = 0
    cash_account_id: str = ""
    currency: str = ""


def _place_round(
    session: Session,
    clock: Clock,
    slips: Sequence[Slip],
    indexes: list[int],
    results: list[Placed | None],
    *,
    in_play_delay: timedelta,
    registers: Registers | None,
    geolocation: Geolocation | None,
    ahead: RoundReads | None,
) -> list[int]:
    """Place the slips at ``indexes`` (one per player), writing each one's result; returns
    the slips that wait for the next round (see :func:`place_bets`)."""
    live = []
    for i in indexes:
        invalid = _slip_error(slips[i].request)
        if invalid is None:
            live.append(i)
        else:
            results[i] = invalid
    if not live:
        return []
    round_slips = [slips[i] for i in live]
    reads = (
        ahead
        if ahead is not None and _covers(ahead, round_slips)
        else _read_round(session, clock, round_slips, slips)
    )
    bet_ids = {i: reads.bet_ids[slips[i].player_id, slips[i].request.client_id] for i in live}
    for i in live:
        bet_id = reads.existing.get((slips[i].player_id, slips[i].request.client_id))
        if bet_id is not None:  # a retry: the bet placed with this id
            bet = session.get(Bet, bet_id)
            assert bet is not None
            results[i] = (bet_view(session, bet), False)
    live = [i for i in live if results[i] is None]
    now = clock.now()
    candidates: list[_Candidate] = []
    for i in live:
        request = slips[i].request
        try:
            legs = _legs_of(reads.legs, request.selections)
            for leg in legs:
                _takes_bets(leg, now)
            plan = _plan(session, request.kind, legs, request.prices, request.odds_policy)
        except DomainError as refusal:
            results[i] = refusal
            continue
        stake = request.stake_per_line * plan.lines
        candidates.append(_Candidate(i, legs, plan, bet_ids[i], stake=stake))
    allowed = []
    for c in candidates:
        slip = slips[c.index]
        player = reads.players.get(slip.player_id)
        if player is None:
            results[c.index] = PlayerNotFound(
                f"No player {slip.player_id!r}.", player_id=slip.player_id
            )
            continue
        try:
            decision = compliance.may_bet(
                session,
                clock,
                slip.player_id,
                Product.SPORTS,
                c.stake,
                registers=registers,
                geolocation=geolocation,
                ip=slip.ip,
            )
        except DomainError as refusal:  # a stake beyond any amount, say: that slip's answer
            results[c.index] = refusal
            continue
        if decision.refusal is not None:
            results[c.index] = decision.refusal
            continue
        c.cash_account_id, c.currency = player
        allowed.append(c)
    deferred, holding = _within_limits(slips, allowed, reads, results)
    _hold_and_write(session, clock, slips, holding, results, now, in_play_delay, reads.locked)
    return deferred


@dataclass(frozen=True, slots=True)
class RoundReads:
    """What a round of slips reads before it decides, in one round trip."""

    existing: dict[tuple[str, str], str]  # (player, the slip's id) → the bet placed with it
    bet_ids: dict[tuple[str, str], str]  # (player, the slip's id) → its bet's id if placed
    locked: LockedAhead | None  # the stakes' accounts, locked in the same round trip
    legs: dict[str, _Leg]
    held: dict[str, int]  # selection → what its open bets could win beyond their stakes
    factors: dict[str, Fraction]  # player → a trader's stake factor (1 when none)
    players: dict[str, tuple[str, str]]  # player → cash account and currency


def _covers(reads: RoundReads, slips: Sequence[Slip]) -> bool:
    """Were ``reads`` made for these slips (their ids, players and cash accounts)?"""
    return all(
        (s.player_id, s.request.client_id) in reads.bet_ids
        and reads.players.get(s.player_id) == (s.cash_account_id, s.currency)
        for s in slips
    )


def _read_round(
    session: Session, clock: Clock, slips: Sequence[Slip], batch: Sequence[Slip]
) -> RoundReads:
    """A round's reads (:func:`round_reads`), sent together (``read_together``). The cash
    accounts of slips that do not carry them are read first, in a round trip of their own:
    the round's reads lock the accounts before the exposure (see :func:`round_reads`)."""
    conn = session.connection()
    unknown = {s.player_id for s in slips if _cash_of(s) is None}
    if unknown:
        found = {
            row.id: row
            for row in conn.execute(
                select(Player.id, Player.cash_account_id, Player.currency).where(
                    one_of(conn, Player.id, unknown, name="player_ids")
                )
            )
        }
        slips = [
            replace(s, cash_account_id=row.cash_account_id, currency=row.currency)
            if s.player_id in unknown and (row := found.get(s.player_id)) is not None
            else s
            for s in slips
        ]
    statements, finish = round_reads(session, clock, slips, batch=batch)
    return finish(read_together(conn, statements))


def round_reads(
    session: Session, clock: Clock, slips: Sequence[Slip], *, batch: Sequence[Slip] = ()
) -> tuple[list[AnySelect], Callable[[list[list[Any]]], RoundReads]]:
    """What a round of ``slips`` reads before it decides: the bets already placed with the
    slips' ids (retries), their selections with markets and events, the players' stake
    factors, the ledger's lock of the stakes' accounts (the players' cash and the house:
    ``lock_ahead``) and then the selections' exposure, after placing's lock on them
    (``exposure.placing_reads``: a second process placing on the same selections waits
    for this round's bets, and reads them).
    Every slip must carry its player's cash account and currency: one that does not is
    refused as an unknown player (:func:`_read_round` reads them first). Returns the
    statements, to send together with others (the caller's own reads may go in the same
    round trip), and what makes their rows, in the same order, into the round's reads:
    ``place_bets(ahead=...)`` takes them for its first round.

    ``batch``: the slips of the whole batch, of which these are the first round. Their
    accounts and selections are locked now with the round's, so that a later round takes
    no new lock: locks taken in one sorted statement cannot wait in a cycle on another
    process's, where a second round's could (PostgreSQL would end one of the two)."""
    conn = session.connection()
    bet_ids = {(slip.player_id, slip.request.client_id): new_id("bet") for slip in slips}
    player_ids = {slip.player_id for slip in slips}
    selection_ids = {sid for slip in slips for sid in slip.request.selections}
    players = {slip.player_id: cash for slip in slips if (cash := _cash_of(slip)) is not None}
    stakes = set(players.values()) | {c for slip in batch if (c := _cash_of(slip)) is not None}
    accounts_ahead = frozenset(
        {account for account, _ in stakes}
        | {_house(session, clock, currency) for currency in {c for _, c in stakes}}
    )
    locked_selections = selection_ids | {sid for slip in batch for sid in slip.request.selections}
    holds = frozenset(map(hold_id_of, bet_ids.values()))
    statements: list[AnySelect] = [
        select(Bet.id, Bet.player_id, Bet.client_id).where(
            one_of(conn, Bet.player_id, player_ids, name="player_ids"),
            one_of(conn, Bet.client_id, {s.request.client_id for s in slips}, name="client_ids"),
        ),
        _selections_query(conn, selection_ids),
        select(PlayerStakeFactor.player_id, PlayerStakeFactor.factor).where(
            one_of(conn, PlayerStakeFactor.player_id, player_ids, name="player_ids")
        ),
        *lock_ahead(conn, accounts_ahead, holds),
        *exposure.placing_reads(conn, locked_selections),  # after the accounts, as the writes
    ]

    def finish(rows: list[list[Any]]) -> RoundReads:
        bets, selections, factors, accounts, transfers = rows[:5]
        held = rows[-1]
        return RoundReads(
            existing={(row.player_id, row.client_id): row.id for row in bets},
            bet_ids=bet_ids,
            locked=LockedAhead(accounts_ahead, holds, accounts, transfers),
            legs=_legs_from(selections),
            held={row.selection_id: int(row.open_liability) for row in held},
            factors={row.player_id: Fraction(Decimal(row.factor)) for row in factors},
            players=players,
        )

    return statements, finish


def _cash_of(slip: Slip) -> tuple[str, str] | None:
    """The slip's player's cash account and currency, if the slip carries them."""
    if slip.cash_account_id is None or slip.currency is None:
        return None
    return slip.cash_account_id, slip.currency


def _selections_query(conn: Connection, selection_ids: Iterable[str]) -> AnySelect:
    """The selections with what placing reads of their markets and events."""
    return (
        select(
            Selection.id,
            func.coalesce(Selection.odds_override, Selection.odds).label("odds"),
            Market.id.label("market_id"),
            Market.status.label("market_status"),
            Market.in_play,
            Market.liability_limit,
            SportEvent.id.label("event_id"),
            SportEvent.status.label("event_status"),
            SportEvent.starts_at,
        )
        .join(Market, Market.id == Selection.market_id)
        .join(SportEvent, SportEvent.id == Market.event_id)
        .where(one_of(conn, Selection.id, selection_ids, name="selection_ids"))
    )


def _legs_from(rows: Iterable[Any]) -> dict[str, _Leg]:
    return {
        row.id: _Leg(
            row.id,
            row.odds,
            row.market_id,
            row.market_status,
            bool(row.in_play),
            int(row.liability_limit),
            row.event_id,
            row.event_status,
            row.starts_at,
            parse_odds(row.odds),
        )
        for row in rows
    }


def _load_selections(session: Session, selection_ids: set[str]) -> dict[str, _Leg]:
    if not selection_ids:
        return {}
    conn = session.connection()
    return _legs_from(conn.execute(_selections_query(conn, selection_ids)))


def _within_limits(
    slips: Sequence[Slip],
    candidates: list[_Candidate],
    reads: RoundReads,
    results: list[Placed | None],
) -> tuple[list[int], list[_Candidate]]:
    """The maximum stake of each slip, from the exposure written so far and this round's
    earlier bets: taken within it; above it, refused if no earlier bet of the round shares a
    selection with it (the maximum quoted is then what is written), else deferred to the next
    round, which reads the exposure again; every later slip of the round on a deferred
    slip's selections is deferred too (they are decided in the order they came). Returns the
    deferred slips' indexes and the candidates within their limits."""
    if not candidates:
        return [], []
    held, factors = reads.held, reads.factors
    added: dict[str, int] = {}
    waiting: set[str] = set()  # the selections of deferred slips: the later ones wait too
    deferred, within = [], []
    for c in candidates:
        request = slips[c.index].request
        selections = [leg.selection_id for leg in c.legs]
        if any(sid in waiting for sid in selections):
            deferred.append(c.index)
            waiting.update(selections)
            continue
        factor = factors.get(slips[c.index].player_id, Fraction(1))
        shared = any(sid in added for sid in selections)
        now_held = {sid: held.get(sid, 0) + added.get(sid, 0) for sid in selections}
        most = _most_per_line(c.legs, c.plan.lines, c.plan.return_per_unit, now_held, factor)
        if request.stake_per_line > most:
            if shared:  # refused only against what is written: the next round reads it
                deferred.append(c.index)
                waiting.update(selections)
            else:
                results[c.index] = errors.StakeTooHigh(max_stake_per_line=most)
            continue
        liability = int(c.plan.return_per_unit * request.stake_per_line) - c.stake
        for leg in c.legs:
            added[leg.selection_id] = added.get(leg.selection_id, 0) + liability
        within.append(c)
    return deferred, within


def _hold_and_write(
    session: Session,
    clock: Clock,
    slips: Sequence[Slip],
    candidates: list[_Candidate],
    results: list[Placed | None],
    now: datetime,
    in_play_delay: timedelta,
    locked: LockedAhead | None,
) -> None:
    """Hold every candidate's stake in one ledger batch (pending transfers from the player's
    cash to the house); a slip without the funds is refused. The held ones' bets, their legs,
    the exposure they add and the unit of work's sessions' use are written in the ledger's
    own write pipeline (``then``): on PostgreSQL one round trip for all of it."""
    if not candidates:
        return
    bet_ids = [c.bet_id for c in candidates]

    def write(holds: list[TransferResult]) -> None:
        placed = []
        for c, bet_id, hold in zip(candidates, bet_ids, holds, strict=True):
            if isinstance(hold.error, ledger_errors.InsufficientFunds):
                results[c.index] = errors.InsufficientFunds()
            elif hold.error is not None:  # refused by the ledger: nothing of it was written
                results[c.index] = hold.error
            else:
                placed.append((c, bet_id))
        _write_bets(session, slips, placed, results, now, in_play_delay)
        write_sessions_used(session)

    transfers = [
        NewTransfer(
            id=hold_id_of(bet_id),
            debit_account_id=c.cash_account_id,
            credit_account_id=_house(session, clock, c.currency),
            amount=c.stake,
            currency=c.currency,
            kind=TransferKind.PENDING,
            code="bet",
            reference=bet_id,
        )
        for c, bet_id in zip(candidates, bet_ids, strict=True)
    ]
    session.flush()  # anything pending of the unit of work goes first, on its own
    create_transfers(session, clock, transfers, then=write, locked=locked)


def _write_bets(
    session: Session,
    slips: Sequence[Slip],
    placed: list[tuple[_Candidate, str]],
    results: list[Placed | None],
    now: datetime,
    in_play_delay: timedelta,
) -> None:
    """The bets, their legs and the exposure they add: one statement each (queued in the
    ledger's pipeline on PostgreSQL: nothing is read back)."""
    if not placed:
        return
    bets: list[dict[str, object]] = []
    legs: list[dict[str, object]] = []
    deltas: dict[str, tuple[int, int]] = {}
    for c, bet_id in placed:
        slip = slips[c.index]
        in_play = any(leg.in_play for leg in c.legs)
        status = (BetStatus.PENDING if in_play else BetStatus.ACCEPTED).value
        accept_at = now + in_play_delay if in_play else None
        potential = int(c.plan.return_per_unit * slip.request.stake_per_line)
        bets.append(
            {
                "id": bet_id, "player_id": slip.player_id, "client_id": slip.request.client_id,
                "kind": slip.request.kind, "currency": c.currency, "stake": c.stake,
                "lines": c.plan.lines, "odds_policy": slip.request.odds_policy.value,
                "status": status, "placed_at": now, "accept_at": accept_at,
                "potential_return": potential, "settlement_version": 0, "cashed_out": 0,
            }
        )  # fmt: skip
        taken = [(leg.selection_id, leg.odds) for leg in c.legs]
        legs.extend({"bet_id": bet_id, "selection_id": sid, "odds": odds} for sid, odds in taken)
        exposure.add(deltas, exposure.of_bet((sid for sid, _ in taken), c.stake, potential, sign=1))
        view = BetView(
            id=bet_id, client_id=slip.request.client_id, kind=slip.request.kind,
            currency=c.currency, stake=c.stake, lines=c.plan.lines, status=status,
            potential_return=potential, returned=None, placed_at=now, accept_at=accept_at,
            void_reason=None, legs=tuple(LegView(sid, odds, None) for sid, odds in taken),
        )  # fmt: skip
        results[c.index] = (view, True)
    conn = session.connection()
    insert_rows(conn, _bets, bets)
    insert_rows(conn, _legs, legs)
    exposure.change(session, deltas)


_bets = cast(Table, Bet.__table__)
_legs = cast(Table, BetLeg.__table__)


def accept_due_bets(session: Session, clock: Clock, *, limit: int = 500) -> int:
    """Accept in-play bets whose delay is over if their markets are still open and prices
    still acceptable; refuse (and release the stake of) the others. Returns how many."""
    now = clock.now()
    due = list(
        session.scalars(
            select(Bet)
            .where(Bet.status == BetStatus.PENDING.value, Bet.accept_at <= now)
            .limit(limit)
        )
    )
    for bet in due:
        legs = session.scalars(select(BetLeg).where(BetLeg.bet_id == bet.id)).all()
        try:
            loaded = _load_legs(session, tuple(leg.selection_id for leg in legs))
            for leg in loaded:
                if leg.market_status != MarketStatus.OPEN:
                    raise errors.MarketNotOpen("suspended during the in-play delay")
            _check_prices(
                loaded, {leg.selection_id: leg.odds for leg in legs}, OddsPolicy(bet.odds_policy)
            )
        except errors.SportsbookError as refusal:
            bet.status = BetStatus.REFUSED.value
            bet.void_reason = refusal.detail[:200]
            create_transfers(
                session,
                clock,
                [
                    NewTransfer(
                        id=f"sb:{bet.id}:refused",
                        kind=TransferKind.VOID_PENDING,
                        pending_id=bet.hold_id,
                        code="bet_refused",
                        reference=bet.id,
                    )
                ],
            )[0].unwrap()
            exposure.change(  # after the accounts, as placing writes them (no deadlock)
                session,
                exposure.of_bet(
                    (leg.selection_id for leg in legs), bet.stake, bet.potential_return, sign=-1
                ),
            )
            continue
        bet.status = BetStatus.ACCEPTED.value
    session.flush()
    return len(due)


def list_bets(session: Session, player_id: str, *, limit: int = 50) -> list[BetView]:
    rows = session.scalars(
        select(Bet).where(Bet.player_id == player_id).order_by(Bet.placed_at.desc()).limit(limit)
    )
    return [bet_view(session, b) for b in rows]


@dataclass(frozen=True, slots=True)
class Quote:
    kind: str
    lines: int
    stake: int
    potential_return: int
    max_stake_per_line: int
    prices: dict[str, str]


def quote(
    session: Session,
    clock: Clock,
    player_id: str,
    kind: str,
    selections: tuple[str, ...],
    stake_per_line: int,
) -> Quote:
    """The bet slip before placing: lines, total stake, potential return at the prices now,
    and the most the player may stake per line. Checks the markets take bets; places
    nothing."""
    if not selections or len(set(selections)) != len(selections):
        raise errors.InvalidBet("Each selection once, at least one.")
    if isinstance(stake_per_line, bool) or not 0 < stake_per_line <= MAX_AMOUNT:
        raise errors.InvalidBet("The stake is a positive whole number of ledger units.")
    legs = _load_legs(session, selections)
    now = clock.now()
    for leg in legs:
        _takes_bets(leg, now)
    plan = _plan(session, kind, legs, None, OddsPolicy.ANY)
    return Quote(
        kind=plan.kind,
        lines=plan.lines,
        stake=stake_per_line * plan.lines,
        potential_return=int(plan.return_per_unit * stake_per_line),
        max_stake_per_line=max_stake_per_line(
            session, player_id, legs, plan.lines, plan.return_per_unit
        ),
        prices={leg.selection_id: leg.odds for leg in legs},
    )


@dataclass(frozen=True, slots=True)
class SelectionLiability:
    market_id: str
    selection_id: str
    code: str
    stakes: int  # held on open bets with this selection
    liability: int  # what those bets could win beyond their stakes


def liability(session: Session, event_id: str) -> list[SelectionLiability]:
    """The book's exposure on an event, per selection (traders; a multiple counts whole
    against each of its selections); sum it per market or for the event as needed. Read from
    the kept counters (``exposure``), one row per selection."""
    rows = session.execute(
        select(
            Selection.market_id,
            Selection.id,
            Selection.code,
            func.coalesce(SelectionExposure.open_stakes, 0),
            func.coalesce(SelectionExposure.open_liability, 0),
        )
        .join(Market, Market.id == Selection.market_id)
        .outerjoin(SelectionExposure, SelectionExposure.selection_id == Selection.id)
        .where(Market.event_id == event_id)
        .order_by(Selection.market_id, Selection.id)
    )
    return [SelectionLiability(m, sid, code, int(st), int(li)) for m, sid, code, st, li in rows]


def set_stake_factor(
    session: Session, clock: Clock, player_id: str, factor: str, *, actor: str, reason: str
) -> None:
    """A trader's stake factor for a player (``"0.5"`` halves their maximum stakes); audited."""
    try:
        value = Decimal(factor)
    except ArithmeticError:
        raise errors.InvalidBet("A stake factor is a decimal such as 0.5.") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise errors.InvalidBet("A stake factor is between 0 and 100.")
    get_player(session, player_id, brand_scope=None)
    row = session.get(PlayerStakeFactor, player_id)
    before = row.factor if row else None
    if row is None:
        row = PlayerStakeFactor(
            player_id=player_id,
            factor=str(value),
            set_by=actor[:80],
            reason=reason[:200],
            at=clock.now(),
        )
        session.add(row)
    else:
        row.factor, row.set_by, row.reason, row.at = (
            str(value),
            actor[:80],
            reason[:200],
            clock.now(),
        )
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="sportsbook.stake_factor",
        subject_type="player",
        subject_id=player_id,
        before={"factor": before},
        after={"factor": str(value)},
        reason=reason,
    )


def accept_loop(database: Database, clock: Clock, *, every_seconds: float, stop: Event) -> None:
    """Accept or refuse in-play bets whose delay is over, every ``every_seconds`` (each
    serving process runs it; two processes doing it at once lock the same rows in turn)."""
    while not stop.wait(every_seconds):
        try:
            with database.unit_of_work() as session:
                accept_due_bets(session, clock)
        except Exception:
            log.exception("sportsbook.accept_loop_failed")
