"""Settling sportsbook bets from results, voids and corrections.

A market's result is recorded by version. Settling it gives each leg on its selections an
outcome (``markets.settle``); a bet whose legs all have one is settled (``bets`` computes the
return exactly and floors it to a ledger unit; the remainder stays with the house). Money:

- first settlement: ``sb:{bet}:stake`` is posted (the stake goes to the house) and, when the
  bet returns anything, ``sb:{bet}:return`` pays it from the house, linked with the post;
- a bet whose every leg is void is refunded by voiding the hold (``sb:{bet}:void``);
- a bet partly cashed out (``cashout``) settles the stake still in play only: its hold is
  ``bet.hold_id`` (the one the last partial cash-out made) and its stake, potential return
  and return are those of that part; ``returned`` adds what the cash-outs paid;
- a corrected result settles again: the difference between the new return and what was paid
  moves as ``sb:{bet}:v{version}`` (to the player, or back from them: from their cash as far
  as it goes, the rest on their receivable account);
- past-posting (GLI-33; Ontario AGCO 4.25; West Virginia 179-9-6): a leg on a pre-match market
  of a bet placed at or after the event's actual start is void, whoever settles it, and the
  void is recorded with who and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    TransferKind,
    create_transfers,
    get_balance,
    platform_account,
)
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.products.sportsbook import bet_builder, errors
from croupier.products.sportsbook import bets as bet_math
from croupier.products.sportsbook import markets as market_rules
from croupier.products.sportsbook.betting import HOUSE
from croupier.products.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    Market,
    MarketResult,
    MarketStatus,
    Selection,
    SportEvent,
)

log = structlog.get_logger("croupier.sportsbook.settlement")

PAST_POSTED = "past-posted: placed at or after the event's start"


@dataclass(frozen=True, slots=True)
class SettlementReport:
    market_id: str
    version: int
    legs: int
    bets_settled: int
    paid: int  # ledger units paid out by this settlement (net of corrections)


def _house(session: Session, clock: Clock, currency: str) -> str:
    return platform_account(
        session, clock, kind=AccountKind.HOUSE, currency_code=currency, name=HOUSE
    ).id


def settle_market(
    session: Session,
    clock: Clock,
    market_id: str,
    result: dict[str, Any],
    *,
    actor: str,
    reason: str = "result",
) -> SettlementReport:
    """Record ``result`` for the market (a new version if it had one: a correction) and
    settle every bet it completes. Audited."""
    market = session.scalar(select(Market).where(Market.id == market_id).with_for_update())
    if market is None:
        raise errors.MarketNotFound()
    if market.status == MarketStatus.VOID:
        raise errors.InvalidMarket("The market was voided.")
    event = session.get(SportEvent, market.event_id)
    assert event is not None
    version = (
        int(
            session.scalar(
                select(func.coalesce(func.max(MarketResult.version), 0)).where(
                    MarketResult.market_id == market.id
                )
            )
            or 0
        )
        + 1
    )
    outcomes: dict[str, market_rules.Outcome] = {}
    for selection in session.scalars(select(Selection).where(Selection.market_id == market.id)):
        outcomes[selection.id] = market_rules.settle_selection(
            market.kind, json.loads(market.params), selection.code, result
        )
    session.add(
        MarketResult(
            market_id=market.id,
            version=version,
            result=json.dumps(result, sort_keys=True),
            entered_by=actor[:80],
            reason=reason[:200],
            at=clock.now(),
        )
    )
    market.status = MarketStatus.SETTLED.value
    market.updated_at = clock.now()
    report = _apply(session, clock, market, event, outcomes, version, actor)
    record_event(
        session,
        clock,
        actor=actor,
        action="sportsbook.market_settled",
        subject_type="market",
        subject_id=market.id,
        after={"version": version, "result": result, "bets": report.bets_settled},
        reason=reason,
    )
    return report


def void_market(
    session: Session, clock: Clock, market_id: str, *, actor: str, reason: str
) -> SettlementReport:
    """Void every leg of a market (a cancelled event, an error in the market): legs at odds
    1, singles refunded. Audited; the void report lists each bet with who and why."""
    market = session.scalar(select(Market).where(Market.id == market_id).with_for_update())
    if market is None:
        raise errors.MarketNotFound()
    event = session.get(SportEvent, market.event_id)
    assert event is not None
    outcomes = {
        s.id: market_rules.Outcome.void()
        for s in session.scalars(select(Selection).where(Selection.market_id == market.id))
    }
    market.status = MarketStatus.VOID.value
    report = _apply(session, clock, market, event, outcomes, 1, actor, void_reason=reason)
    record_event(
        session,
        clock,
        actor=actor,
        action="sportsbook.market_voided",
        subject_type="market",
        subject_id=market.id,
        reason=reason,
    )
    return report


def _apply(
    session: Session,
    clock: Clock,
    market: Market,
    event: SportEvent,
    outcomes: dict[str, market_rules.Outcome],
    version: int,
    actor: str,
    void_reason: str | None = None,
) -> SettlementReport:
    # Set-wise: the market's bets and all their legs in two statements (a market may carry
    # 100,000 bets: one query per bet would take minutes).
    on_market = select(BetLeg.bet_id).where(BetLeg.selection_id.in_(list(outcomes)))
    bets = {b.id: b for b in session.scalars(select(Bet).where(Bet.id.in_(on_market)))}
    legs_of: dict[str, list[BetLeg]] = {}
    for leg in session.scalars(
        select(BetLeg).where(BetLeg.bet_id.in_(on_market)).order_by(BetLeg.id)
    ):
        legs_of.setdefault(leg.bet_id, []).append(leg)
    legs = sorted(
        (leg for bet_legs in legs_of.values() for leg in bet_legs if leg.selection_id in outcomes),
        key=lambda leg: leg.id,
    )
    touched: dict[str, Bet] = {}
    for leg in legs:
        bet = bets[leg.bet_id]
        if bet.status in (BetStatus.REFUSED, BetStatus.CASHED_OUT, BetStatus.PENDING):
            continue
        outcome = outcomes[leg.selection_id]
        started = event.started_at
        if not market.in_play and started is not None and bet.placed_at >= started:
            outcome = market_rules.Outcome.void()
            bet.void_reason = PAST_POSTED
            bet.voided_by = "system:past-posting"
        elif void_reason is not None:
            bet.void_reason = void_reason[:200]
            bet.voided_by = actor[:80]
        leg.outcome = outcome.kind.value
        leg.dead_heat_factor = str(outcome.dead_heat) if outcome.dead_heat is not None else None
        touched[bet.id] = bet
    session.flush()
    settled = 0
    paid = 0
    cash: dict[str, str] = {}
    houses: dict[str, str] = {}
    moves: list[NewTransfer] = []  # first settlements' transfers, made together below
    for bet in touched.values():
        if bet.player_id not in cash:
            cash[bet.player_id] = get_player(
                session, bet.player_id, brand_scope=None
            ).cash_account_id
        if bet.currency not in houses:
            houses[bet.currency] = _house(session, clock, bet.currency)
        delta = _settle_bet(
            session, clock, bet, version,
            leg_rows=legs_of[bet.id], cash_account_id=cash[bet.player_id],
            house=houses[bet.currency], deferred=moves,
        )  # fmt: skip
        if delta is not None:
            settled += 1
            paid += delta
    _make_transfers(session, clock, moves)
    session.flush()
    return SettlementReport(market.id, version, len(legs), settled, paid)


# Transfers per create_transfers call when settling in bulk: bounded statements and memory.
SETTLEMENT_BATCH = 10_000


def _make_transfers(session: Session, clock: Clock, moves: list[NewTransfer]) -> None:
    """Make the deferred transfers in a few large batches; any refusal fails the settlement
    (the unit of work rolls back). A linked chain is never split across batches."""
    start = 0
    while start < len(moves):
        end = min(start + SETTLEMENT_BATCH, len(moves))
        while end < len(moves) and moves[end - 1].linked:
            end += 1
        for result in create_transfers(session, clock, moves[start:end]):
            result.unwrap()
        start = end
    moves.clear()


def _leg_outcomes(
    session: Session, bet: Bet, legs: list[BetLeg] | None = None
) -> list[tuple[Fraction, market_rules.Outcome]] | None:
    if legs is None:
        legs = list(
            session.scalars(select(BetLeg).where(BetLeg.bet_id == bet.id).order_by(BetLeg.id))
        )
    out = []
    for leg in legs:
        if leg.outcome is None:
            return None
        factor = Fraction(leg.dead_heat_factor) if leg.dead_heat_factor else None
        out.append(
            (
                Fraction(leg.odds),
                market_rules.Outcome(market_rules.OutcomeKind(leg.outcome), factor),
            )
        )
    return out


def _settle_bet(
    session: Session,
    clock: Clock,
    bet: Bet,
    version: int,
    *,
    leg_rows: list[BetLeg] | None = None,
    cash_account_id: str | None = None,
    house: str | None = None,
    deferred: list[NewTransfer] | None = None,
) -> int | None:
    """Settle (or settle again) a bet whose legs all have outcomes; returns what it paid
    now, or None if it still waits for other markets.

    Bulk settlement passes the bet's legs, the player's cash account and the house account
    it has already read, and ``deferred``: a first settlement's transfers are appended there
    for the caller to make together (a correction's are made at once, after them)."""
    legs = _leg_outcomes(session, bet, leg_rows)
    if legs is None:
        return None
    cash = cash_account_id or get_player(session, bet.player_id, brand_scope=None).cash_account_id
    stake_per_line = bet.stake // bet.lines
    if bet.kind == bet_builder.KIND:  # one event, priced jointly: all win, or nothing
        kinds = [o.kind for _, o in legs]
        returned = bet_builder.settle_builder(kinds, bet.stake, bet.potential_return)
        all_void = any(k is market_rules.OutcomeKind.VOID for k in kinds)
    else:
        returned = bet_math.settle(bet.kind, legs, stake_per_line)
        all_void = all(o.kind == "void" for _, o in legs)
    now = clock.now()
    if bet.status == BetStatus.ACCEPTED:
        if all_void:
            moves = [
                NewTransfer(
                    id=f"sb:{bet.id}:void",
                    kind=TransferKind.VOID_PENDING,
                    pending_id=bet.hold_id,
                    code="bet_void",
                    reference=bet.id,
                )
            ]
            bet.status = BetStatus.VOID.value
        else:
            moves = [
                NewTransfer(
                    id=f"sb:{bet.id}:post",
                    kind=TransferKind.POST_PENDING,
                    pending_id=bet.hold_id,
                    code="bet",
                    reference=bet.id,
                    linked=returned > 0,
                )
            ]
            if returned > 0:
                moves.append(
                    NewTransfer(
                        id=f"sb:{bet.id}:return",
                        debit_account_id=house or _house(session, clock, bet.currency),
                        credit_account_id=cash,
                        amount=returned,
                        currency=bet.currency,
                        code="win",
                        reference=bet.id,
                    )
                )
            bet.status = BetStatus.SETTLED.value
        if deferred is not None:
            deferred.extend(moves)
        else:
            for result in create_transfers(session, clock, moves):
                result.unwrap()
        paid = returned if not all_void else bet.stake
        bet.returned = bet.cashed_out + paid
        bet.settled_at = now
        bet.settlement_version = version
        if deferred is None:
            session.flush()
        return paid
    # Settled before: a correction pays or takes back the difference (cash-outs stand).
    before = (bet.returned or 0) - bet.cashed_out
    after = bet.stake if all_void else returned
    diff = after - before
    bet.returned = bet.cashed_out + after
    bet.settlement_version = version
    bet.settled_at = now
    if diff == 0:
        return 0
    if deferred:  # a correction reads the balance: the transfers before it come first
        _make_transfers(session, clock, deferred)
    _correct(session, clock, bet, cash, diff, version)
    log.info("sportsbook.bet_resettled", bet=bet.id, before=before, after=after)
    return diff


def _correct(session: Session, clock: Clock, bet: Bet, cash: str, diff: int, version: int) -> None:
    house = _house(session, clock, bet.currency)
    if diff > 0:
        create_transfers(
            session,
            clock,
            [
                NewTransfer(
                    id=f"sb:{bet.id}:v{version}",
                    debit_account_id=house,
                    credit_account_id=cash,
                    amount=diff,
                    currency=bet.currency,
                    code="win_correction",
                    reference=bet.id,
                )
            ],
        )[0].unwrap()
        return
    owed = -diff
    from_cash = min(max(get_balance(session, cash).available, 0), owed)
    moves = []
    if from_cash:
        moves.append(
            NewTransfer(
                id=f"sb:{bet.id}:v{version}",
                debit_account_id=cash,
                credit_account_id=house,
                amount=from_cash,
                currency=bet.currency,
                code="win_correction",
                reference=bet.id,
                linked=from_cash < owed,
            )
        )
    if from_cash < owed:
        receivable = platform_account(
            session,
            clock,
            kind=AccountKind.PLAYER_RECEIVABLE,
            currency_code=bet.currency,
            name=f"receivable:{bet.player_id}",
        ).id
        moves.append(
            NewTransfer(
                id=f"sb:{bet.id}:v{version}:receivable",
                debit_account_id=receivable,
                credit_account_id=house,
                amount=owed - from_cash,
                currency=bet.currency,
                code="win_correction_receivable",
                reference=bet.id,
            )
        )
    for result in create_transfers(session, clock, moves):
        result.unwrap()


@dataclass(frozen=True, slots=True)
class VoidLine:
    bet_id: str
    player_id: str
    stake: int
    returned: int | None
    reason: str
    voided_by: str
    settled_at: datetime | None


def void_report(session: Session, day: datetime) -> list[VoidLine]:
    """Every bet with a void (whole or a leg) settled on ``day`` (UTC), with who and why
    (Louisiana VI-909; GLI-33)."""
    since = day.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.scalars(
        select(Bet)
        .where(
            Bet.void_reason.is_not(None),
            Bet.settled_at >= since,
            Bet.settled_at < since + timedelta(days=1),
        )
        .order_by(Bet.settled_at)
    )
    return [
        VoidLine(
            b.id,
            b.player_id,
            b.stake,
            b.returned,
            b.void_reason or "",
            b.voided_by or "",
            b.settled_at,
        )
        for b in rows
    ]
