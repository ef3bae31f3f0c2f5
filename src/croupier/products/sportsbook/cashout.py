"""Cash-out: a player settles an accepted bet early, in whole or in part, at a value priced from
today's offered prices less a cash-out margin; and automatic cash-out rules.

Value. For each unsettled leg, the probability that it wins comes from its market's offered
prices with the market's own margin removed (:func:`pricing.remove_margin`, by the market's
method), so the only margin the player pays on a cash-out is the cash-out margin, stated once
and the same on every market; the book's margin would otherwise be charged twice, once when
the bet was priced and again on the way out. Where the prices cannot be de-margined — a
market whose selections overlap (double chance, an outright paying several places), one that
does not list every outcome, or prices that imply less than 1 in total — the leg's implied
probability ``1 / odds`` is used instead, which still holds the book's margin and so errs on
the house's side. A leg already settled counts by its return factor (``bets.return_factor``).
Legs of a multiple are on different events (``betting`` refuses related selections), so
they are taken as independent: a line's expected return is its stake times the product of
its legs' expected factors (``p × price`` for a leg in play), and the bet's is their sum.
The value is that expected return times ``1 − margin``, never more than what the bet could
still return, exact (``Fraction``) until it is floored once to a ledger unit.

A cash-out is refused (``sportsbook.cash_out_unavailable``, with a ``reason``) unless the bet
is accepted, every unsettled leg's market is open (not suspended, not closed), its event is
neither suspended nor cancelled, and the value is above 0. A bet builder (several selections
of one event, priced jointly) is not offered cash-out: its legs are not independent, and the
joint price is not re-quoted here. The player sends the value they
were shown: a lower value now is refused (``sportsbook.cash_out_value_changed``, 409, with
the new value); a higher one is paid.

Money. The stake still in play is held by one pending transfer, ``bet.hold_id``
(``sb:{bet}:stake`` when placed). Cash-out number ``n`` of a bet is one linked chain:

- full: ``sb:{bet}:cashout:{n}:post`` posts the hold (the stake goes to the house) and
  ``sb:{bet}:cashout:{n}:pay`` pays the value from the house; the bet is ``cashed_out``;
- partial: ``sb:{bet}:cashout:{n}:post`` posts only the part of the stake cashed out (the
  ledger releases the rest of the hold), ``sb:{bet}:cashout:{n}:stake`` holds the rest again
  as a new pending transfer, and ``sb:{bet}:cashout:{n}:pay`` pays the part's value. The
  bet stays accepted with the smaller stake and potential return; its ``stake_hold_id`` names
  the new hold, which settlement posts or voids as it would the first.

Each pending transfer is thus resolved once, the chain commits whole or not at all, and
``croupier ledger verify`` holds. The part is a whole number of ledger units per line
(``floor(stake per line × fraction)``, at least 1 and below the stake per line), so the stake
left in play still divides evenly among the bet's lines.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from threading import Event

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    TransferKind,
    create_transfers,
    platform_account,
)
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.ids import SYSTEM_ID_PREFIX, is_valid_caller_id
from croupier.kernel.money import MAX_AMOUNT
from croupier.products.sportsbook import bets as bet_math
from croupier.products.sportsbook import errors, exposure, pricing
from croupier.products.sportsbook import markets as market_rules
from croupier.products.sportsbook.betting import HOUSE, BetView, bet_view
from croupier.products.sportsbook.catalogue import offered
from croupier.products.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    CashOut,
    EventStatus,
    Market,
    MarketStatus,
    Selection,
    SportEvent,
)
from croupier.products.sportsbook.odds import Odds
from croupier.products.sportsbook.settlement_errors import UnknownBetType

log = structlog.get_logger("croupier.sportsbook.cashout")

# What the house keeps of a bet's fair value on a cash-out, unless the deployment sets another
# (``CROUPIER_SPORTSBOOK_CASH_OUT_MARGIN``).
DEFAULT_MARGIN = Fraction(5, 100)
# The client id of the cash-out an automatic rule makes (one per bet: it cashes out in full);
# in the system namespace, which a player's ids cannot use.
AUTO_CLIENT_ID = f"{SYSTEM_ID_PREFIX}auto"


@dataclass(frozen=True, slots=True)
class CashOutQuote:
    """What cashing out ``fraction`` of the stake in play would pay now."""

    bet_id: str
    currency: str
    fraction: Fraction  # of the stake in play, as it will be taken (whole units per line)
    stake_part: int
    value: int
    potential_return: int  # what the part could still return if it ran


@dataclass(frozen=True, slots=True)
class CashOutView:
    bet_id: str
    client_id: str
    seq: int
    fraction: Fraction
    stake_part: int
    amount: int
    automatic: bool
    at: datetime
    bet: BetView


@dataclass(frozen=True, slots=True)
class AutoCashOutView:
    bet_id: str
    at_value: int | None


@dataclass(frozen=True, slots=True)
class _LegNow:
    leg: BetLeg
    selection: Selection
    market: Market
    event: SportEvent


def _legs(session: Session, bet: Bet) -> list[_LegNow]:
    rows = session.execute(
        select(BetLeg, Selection, Market, SportEvent)
        .join(Selection, Selection.id == BetLeg.selection_id)
        .join(Market, Market.id == Selection.market_id)
        .join(SportEvent, SportEvent.id == Market.event_id)
        .where(BetLeg.bet_id == bet.id)
        .order_by(BetLeg.id)
    )
    return [_LegNow(leg, selection, market, event) for leg, selection, market, event in rows]


def _unavailable(reason: str, detail: str) -> errors.CashOutUnavailable:
    return errors.CashOutUnavailable(detail, reason=reason)


def _check_leg_in_play(leg: _LegNow) -> None:
    if leg.event.status == EventStatus.CANCELLED:
        raise _unavailable("event_cancelled", "The event was cancelled.")
    if leg.event.status == EventStatus.SUSPENDED:
        raise _unavailable("event_suspended", "The event is suspended.")
    if leg.market.status == MarketStatus.SUSPENDED:
        raise _unavailable("market_suspended", "A market of the bet is suspended.")
    if leg.market.status != MarketStatus.OPEN:
        raise _unavailable("market_closed", f"A market of the bet is {leg.market.status}.")


def _partitions(market: Market, codes: set[str]) -> bool:
    """True if the market's selections are every outcome, each excluding the others: only
    then do its prices' probabilities, margin removed, sum to 1."""
    definition = market_rules.market_from_params(market.kind, json.loads(market.params))
    if isinstance(definition, market_rules.DoubleChance):
        return False
    if isinstance(definition, market_rules.Outright) and definition.places > 1:
        return False
    return codes == set(definition.selections)


def win_probability(session: Session, market: Market, selection: Selection) -> Fraction:
    """The probability that ``selection`` wins, from its market's offered prices with the
    market's margin removed; the implied probability where that cannot be done (module
    docstring)."""
    siblings = list(
        session.scalars(
            select(Selection).where(Selection.market_id == market.id).order_by(Selection.id)
        )
    )
    implied = Odds.parse(offered(selection)).implied_probability
    if not _partitions(market, {s.code for s in siblings}):
        return implied
    try:
        fair = pricing.remove_margin(
            [Odds.parse(offered(s)) for s in siblings], market.margin_method
        )
    except errors.SportsbookError:  # prices below an overround of 1, an unknown method
        return implied
    return fair[[s.id for s in siblings].index(selection.id)]


def _expected_and_potential(
    session: Session, bet: Bet, legs: list[_LegNow]
) -> tuple[Fraction, Fraction]:
    """The exact expected return of the stake in play and the most it could still return."""
    expected: list[Fraction] = []
    best: list[Fraction] = []
    for item in legs:
        price = Fraction(item.leg.odds)
        if item.leg.outcome is not None:
            factor_text = item.leg.dead_heat_factor
            outcome = market_rules.Outcome(
                market_rules.OutcomeKind(item.leg.outcome),
                Fraction(factor_text) if factor_text else None,
            )
            factor = bet_math.return_factor(price, outcome)
            expected.append(factor)
            best.append(factor)
            continue
        _check_leg_in_play(item)
        expected.append(win_probability(session, item.market, item.selection) * price)
        best.append(price)
    stake_per_line = bet.stake // bet.lines
    lines = bet_math.lines(bet.kind, len(legs))
    total = Fraction(0)
    most = Fraction(0)
    for line in lines:
        total += stake_per_line * math.prod((expected[i] for i in line), start=Fraction(1))
        most += stake_per_line * math.prod((best[i] for i in line), start=Fraction(1))
    return total, most


def parse_fraction(text: str) -> Fraction:
    """A fraction of the stake as sent: decimal text (``"0.5"``) or a ratio (``"1/3"``),
    above 0 and at most 1."""
    try:
        value = Fraction(text.strip()) if isinstance(text, str) and len(text) <= 40 else None
    except (ValueError, ZeroDivisionError):
        value = None
    if value is None:
        raise errors.InvalidCashOut("The fraction is decimal text such as 0.5, or 1/3.")
    return _check_fraction(value)


def _check_fraction(fraction: object) -> Fraction:
    if isinstance(fraction, bool) or not isinstance(fraction, Fraction | int):
        raise errors.InvalidCashOut("The fraction cashed out is an exact fraction.")
    value = Fraction(fraction)
    if not 0 < value <= 1:
        raise errors.InvalidCashOut("The fraction cashed out is above 0 and at most 1.")
    return value


def quote_cash_out(
    session: Session,
    bet: Bet,
    fraction: Fraction = Fraction(1),
    *,
    margin: Fraction = DEFAULT_MARGIN,
) -> CashOutQuote:
    """What cashing out ``fraction`` of the bet's stake in play pays now (module docstring);
    refused with ``sportsbook.cash_out_unavailable`` and a reason when it cannot be done."""
    wanted = _check_fraction(fraction)
    if not 0 <= margin < 1:
        raise errors.InvalidCashOut("The cash-out margin is from 0 to below 1.")
    if bet.status != BetStatus.ACCEPTED:
        raise _unavailable("not_accepted", f"The bet is {bet.status}, not accepted.")
    try:
        bet_math.bet_type(bet.kind)
    except UnknownBetType:  # a bet builder: its legs are not independent (one event)
        raise _unavailable("not_offered", "Cash-out is not offered on this kind of bet.") from None
    stake_per_line = bet.stake // bet.lines
    part_per_line = stake_per_line if wanted == 1 else math.floor(stake_per_line * wanted)
    if part_per_line < 1:
        raise errors.InvalidCashOut("That part of the stake is less than a ledger unit per line.")
    taken = Fraction(part_per_line, stake_per_line)
    expected, most = _expected_and_potential(session, bet, _legs(session, bet))
    value = max(0, math.floor(min(expected * (1 - margin), most) * taken))
    if value == 0:
        raise _unavailable("no_value", "The bet has nothing to cash out.")
    return CashOutQuote(
        bet_id=bet.id,
        currency=bet.currency,
        fraction=taken,
        stake_part=part_per_line * bet.lines,
        value=value,
        potential_return=math.floor(most * taken),
    )


def cash_out_value(session: Session, bet: Bet, *, margin: Fraction = DEFAULT_MARGIN) -> int:
    """The value of cashing out the whole of an accepted, unsettled bet now (module
    docstring); refused with ``sportsbook.cash_out_unavailable`` and a reason."""
    return quote_cash_out(session, bet, Fraction(1), margin=margin).value


def _players_bet(session: Session, player_id: str, bet_id: str) -> Bet:
    bet = session.get(Bet, bet_id)
    if bet is None or bet.player_id != player_id:
        raise errors.BetNotFound()
    return bet


def quote_for_player(
    session: Session,
    player_id: str,
    bet_id: str,
    fraction: Fraction = Fraction(1),
    *,
    margin: Fraction = DEFAULT_MARGIN,
) -> CashOutQuote:
    """What the player's bet would pay if cashed out now (``fraction`` of its stake in play)."""
    return quote_cash_out(
        session, _players_bet(session, player_id, bet_id), fraction, margin=margin
    )


def _view(session: Session, bet: Bet, row: CashOut) -> CashOutView:
    return CashOutView(
        bet_id=bet.id,
        client_id=row.client_id,
        seq=row.seq,
        fraction=Fraction(row.fraction),
        stake_part=row.stake_part,
        amount=row.amount,
        automatic=row.automatic,
        at=row.at,
        bet=bet_view(session, bet),
    )


def _lock(session: Session, bet_id: str) -> Bet:
    """Lock the bet's markets (sorted, as settlement locks a market before its bets) and then
    the bet, so a cash-out and a settlement of the same bet run one after the other."""
    market_ids = sorted(
        session.scalars(
            select(Selection.market_id)
            .join(BetLeg, BetLeg.selection_id == Selection.id)
            .where(BetLeg.bet_id == bet_id)
        )
    )
    if market_ids:
        list(
            session.scalars(
                select(Market.id)
                .where(Market.id.in_(market_ids))
                .order_by(Market.id)
                .with_for_update()
            )
        )
    bet = session.scalar(
        select(Bet)
        .where(Bet.id == bet_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert bet is not None
    return bet


def cash_out(
    session: Session,
    clock: Clock,
    player_id: str,
    bet_id: str,
    *,
    fraction: Fraction = Fraction(1),
    expected_value: int,
    client_id: str,
    margin: Fraction = DEFAULT_MARGIN,
    automatic: bool = False,
) -> CashOutView:
    """Cash out ``fraction`` of the bet's stake in play (1: the whole bet) at its value now,
    if that is at least ``expected_value`` (the value the player was shown). A retry with the
    same ``client_id`` returns the first result. Ledger movements: module docstring."""
    if not (automatic and client_id == AUTO_CLIENT_ID) and not is_valid_caller_id(client_id):
        raise errors.InvalidCashOut("The id must be 1-128 letters, digits and . _ : - / @ + =.")
    if (
        isinstance(expected_value, bool)
        or not isinstance(expected_value, int)
        or not 0 <= expected_value <= MAX_AMOUNT
    ):
        raise errors.InvalidCashOut("The expected value is a whole number of ledger units.")
    wanted = _check_fraction(fraction)
    _players_bet(session, player_id, bet_id)
    bet = _lock(session, bet_id)
    done = session.scalar(
        select(CashOut).where(CashOut.bet_id == bet.id, CashOut.client_id == client_id)
    )
    if done is not None:
        return _view(session, bet, done)
    quote = quote_cash_out(session, bet, wanted, margin=margin)
    if quote.value < expected_value:
        raise errors.CashOutValueChanged(
            f"The cash-out value is now {quote.value}.", value=quote.value
        )
    seq = int(session.scalar(select(func.count()).where(CashOut.bet_id == bet.id)) or 0) + 1
    player = get_player(session, bet.player_id, brand_scope=None)
    house = platform_account(
        session, clock, kind=AccountKind.HOUSE, currency_code=bet.currency, name=HOUSE
    ).id
    prefix = f"sb:{bet.id}:cashout:{seq}"
    full = quote.stake_part == bet.stake
    moves = [
        NewTransfer(
            id=f"{prefix}:post",
            kind=TransferKind.POST_PENDING,
            pending_id=bet.hold_id,
            amount=quote.stake_part,
            code="bet",
            reference=bet.id,
            linked=True,
        )
    ]
    remaining = bet.stake - quote.stake_part
    if not full:
        moves.append(
            NewTransfer(
                id=f"{prefix}:stake",
                debit_account_id=player.cash_account_id,
                credit_account_id=house,
                amount=remaining,
                currency=bet.currency,
                kind=TransferKind.PENDING,
                code="bet",
                reference=bet.id,
                linked=True,
            )
        )
    moves.append(
        NewTransfer(
            id=f"{prefix}:pay",
            debit_account_id=house,
            credit_account_id=player.cash_account_id,
            amount=quote.value,
            currency=bet.currency,
            code="cash_out",
            reference=bet.id,
        )
    )
    for result in create_transfers(session, clock, moves):
        result.unwrap()
    now = clock.now()
    selection_ids = list(
        session.scalars(select(BetLeg.selection_id).where(BetLeg.bet_id == bet.id))
    )
    deltas = exposure.of_bet(selection_ids, bet.stake, bet.potential_return, sign=-1)
    bet.cashed_out += quote.value
    if full:
        bet.status = BetStatus.CASHED_OUT.value
        bet.returned = bet.cashed_out
        bet.settled_at = now
        bet.auto_cash_out_at = None
    else:
        per_line = remaining // bet.lines
        prices = [
            Fraction(leg.odds)
            for leg in session.scalars(
                select(BetLeg).where(BetLeg.bet_id == bet.id).order_by(BetLeg.id)
            )
        ]
        bet.stake = remaining
        bet.stake_hold_id = f"{prefix}:stake"
        bet.potential_return = math.floor(
            bet_math.plan(bet.kind, prices).return_per_unit * per_line
        )
        exposure.add(
            deltas, exposure.of_bet(selection_ids, bet.stake, bet.potential_return, sign=1)
        )
    exposure.change(session, deltas)
    row = CashOut(
        bet_id=bet.id,
        client_id=client_id,
        seq=seq,
        fraction=str(quote.fraction),
        stake_part=quote.stake_part,
        amount=quote.value,
        automatic=automatic,
        at=now,
    )
    session.add(row)
    session.flush()
    log.info("sportsbook.cashed_out", bet=bet.id, seq=seq, amount=quote.value, full=full)
    return _view(session, bet, row)


def set_auto_cash_out(
    session: Session, clock: Clock, player_id: str, bet_id: str, *, at_value: int | None
) -> AutoCashOutView:
    """The player's automatic cash-out rule for a bet: cash it out in full as soon as its
    value is at least ``at_value`` (None removes the rule). Audited."""
    bet = _players_bet(session, player_id, bet_id)
    if bet.status not in (BetStatus.PENDING, BetStatus.ACCEPTED):
        raise _unavailable("not_accepted", f"The bet is {bet.status}.")
    if at_value is not None and (
        isinstance(at_value, bool)
        or not isinstance(at_value, int)
        or not 0 < at_value <= bet.potential_return
    ):
        raise errors.InvalidCashOut(
            "The value to cash out at is above 0 and at most the bet's potential return.",
            potential_return=bet.potential_return,
        )
    before = bet.auto_cash_out_at
    bet.auto_cash_out_at = at_value
    session.flush()
    record_event(
        session,
        clock,
        actor=f"player:{player_id}",
        action="sportsbook.auto_cash_out",
        subject_type="bet",
        subject_id=bet.id,
        before={"at_value": before},
        after={"at_value": at_value},
    )
    return AutoCashOutView(bet.id, at_value)


def run_auto_cash_outs(
    session: Session, clock: Clock, *, margin: Fraction = DEFAULT_MARGIN, limit: int = 1000
) -> int:
    """Cash out in full every accepted bet whose automatic rule's value is reached now (call
    it after prices change); bets that cannot be cashed out now are left for a later run.
    Returns how many were cashed out."""
    ids = list(
        session.scalars(
            select(Bet.id)
            .where(Bet.status == BetStatus.ACCEPTED.value, Bet.auto_cash_out_at.is_not(None))
            .order_by(Bet.id)
            .limit(limit)
        )
    )
    done = 0
    for bet_id in ids:
        bet = session.get(Bet, bet_id)
        if bet is None or bet.auto_cash_out_at is None:
            continue
        try:
            value = cash_out_value(session, bet, margin=margin)
        except errors.SportsbookError:
            continue
        if value < bet.auto_cash_out_at:
            continue
        try:
            with session.begin_nested():
                cash_out(
                    session,
                    clock,
                    bet.player_id,
                    bet.id,
                    expected_value=bet.auto_cash_out_at,
                    client_id=AUTO_CLIENT_ID,
                    margin=margin,
                    automatic=True,
                )
        except errors.SportsbookError as refusal:  # the value fell between the two reads
            log.info("sportsbook.auto_cash_out_skipped", bet=bet_id, code=refusal.code)
            continue
        done += 1
    return done


def auto_cash_out_loop(
    database: Database,
    clock: Clock,
    *,
    every_seconds: float,
    stop: Event,
    margin: Fraction = DEFAULT_MARGIN,
) -> None:
    """Run the players' automatic cash-out rules every ``every_seconds`` (each serving
    process runs it; the bet's row lock makes two runs at once cash a bet out once)."""
    while not stop.wait(every_seconds):
        try:
            with database.unit_of_work() as session:
                run_auto_cash_outs(session, clock, margin=margin)
        except Exception:
            log.exception("sportsbook.auto_cash_out_loop_failed")
