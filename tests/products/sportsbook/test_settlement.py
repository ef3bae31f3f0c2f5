"""Settling bets through the ledger: wins, losses, voids, quarter lines, dead heats, system
bets with a void leg, corrections, cancelled events, past-posting, and the property that
settlement neither makes nor loses money."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from croupier.core.wallet import AccountKind, get_balance, platform_account, verify_ledger
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import catalogue, exposure, settlement
from croupier.products.sportsbook.models import Bet, EventStatus, Sport
from tests.policy.policy_fixtures import UNIT
from tests.products.sportsbook.book_fixtures import bettor, fixture
from tests.products.sportsbook.test_betting import place


def posted(db: Database, account: str) -> int:
    with db.read_only() as s:
        return get_balance(s, account).posted


def ledger_ok(db: Database) -> None:
    with db.read_only() as s:
        assert verify_ledger(s) == []
        assert exposure.drift(s) == []  # the kept exposure is the open bets' sum


def settle(
    db: Database,
    clock: ManualClock,
    market_id: str,
    result: dict[str, object],
    actor: str = "operator:trader",
) -> settlement.SettlementReport:
    with db.unit_of_work() as s:
        return settlement.settle_market(s, clock, market_id, result, actor=actor)


def test_a_winning_single_is_paid_and_a_losing_one_keeps_its_stake(
    db: Database, clock: ManualClock
) -> None:
    winner, loser = bettor(db, clock), bettor(db, clock)
    fx = fixture(db, clock)
    place(db, clock, winner.id, fx, "1", stake=10 * UNIT)
    place(db, clock, loser.id, fx, "2", stake=10 * UNIT)
    report = settle(db, clock, fx.match_odds.id, {"home": 2, "away": 1})
    assert report.bets_settled == 2
    assert posted(db, winner.cash_account_id) == 115 * UNIT  # 100 - 10 + 25
    assert posted(db, loser.cash_account_id) == 90 * UNIT
    ledger_ok(db)


def test_bets_written_in_several_streamed_statements_all_settle(
    db: Database, clock: ManualClock, monkeypatch
) -> None:
    # Rows stream to the database in chunks (pipelined on PostgreSQL); two per chunk here.
    monkeypatch.setattr(settlement, "_STREAMED_ROWS", 2)
    players = [bettor(db, clock) for _ in range(5)]
    fx = fixture(db, clock)
    for n, player in enumerate(players):
        place(db, clock, player.id, fx, "1" if n % 2 == 0 else "2", stake=10 * UNIT)
    report = settle(db, clock, fx.match_odds.id, {"home": 2, "away": 1})
    assert report.bets_settled == 5
    with db.read_only() as s:
        statuses = s.scalars(select(Bet.status)).all()
        assert (len(statuses), set(statuses)) == (5, {"settled"})
    expected = [115 * UNIT if n % 2 == 0 else 90 * UNIT for n in range(5)]
    assert [posted(db, p.cash_account_id) for p in players] == expected
    ledger_ok(db)


def test_quarter_line_minus_075_with_a_one_goal_win_is_half_won(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    with db.unit_of_work() as s:
        ah = catalogue.create_market(
            s,
            clock,
            event_id=fx.event_id,
            kind="asian_handicap",
            params={"handicap": "-0.75"},
            prices={"home": "2", "away": "1.9"},
            liability_limit=10**12,
        )
    home = next(sel.id for sel in ah.selections if sel.code == "home")
    from croupier.products.sportsbook import betting

    with db.unit_of_work() as s:
        betting.place_bet(
            s,
            clock,
            player.id,
            betting.BetRequest("ah-1", "single", (home,), 10 * UNIT, {home: "2"}),
        )
    settle(db, clock, ah.id, {"home": 1, "away": 0})
    # Half the stake wins at 2.0 (10.00), half is returned (5.00).
    assert posted(db, player.cash_account_id) == 105 * UNIT


def test_a_dead_heat_for_the_win_pays_half_at_full_odds(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    with db.unit_of_work() as s:
        competition = catalogue.create_competition(s, clock, sport=Sport.FOOTBALL, name="Cup")
        event = catalogue.create_event(
            s,
            clock,
            competition_id=competition,
            competitors=["a", "b", "c"],
            starts_at=clock.now() + timedelta(days=1),
            name="Winner",
        )
        market = catalogue.create_market(
            s,
            clock,
            event_id=event.id,
            kind="outright",
            params={"competitors": ["a", "b", "c"]},
            prices={"a": "3", "b": "4", "c": "5"},
            liability_limit=10**12,
        )
    a = next(sel.id for sel in market.selections if sel.code == "a")
    from croupier.products.sportsbook import betting

    with db.unit_of_work() as s:
        betting.place_bet(
            s, clock, player.id, betting.BetRequest("o-1", "single", (a,), 10 * UNIT, {a: "3"})
        )
    settle(db, clock, market.id, {"order": [["a", "b"], ["c"]]})
    assert posted(db, player.cash_account_id) == 105 * UNIT  # 5.00 at 3.0 = 15.00


def test_a_lucky_15_with_one_void_leg_pays_that_leg_at_odds_one(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock, 1000 * UNIT)
    fixtures = [fixture(db, clock, prices=("2", "3.5", "4")) for _ in range(4)]
    place(db, clock, player.id, fixtures, kind="lucky15", stake=1 * UNIT)
    for fx in fixtures[:3]:
        settle(db, clock, fx.match_odds.id, {"home": 1, "away": 0})
    with db.unit_of_work() as s:
        settlement.void_market(
            s, clock, fixtures[3].match_odds.id, actor="operator:trader", reason="abandoned"
        )
    # Three winners at 2.0 and one void: singles 2+2+2+1, doubles 3×4 + 3×2, trebles
    # 8 + 3×4, fourfold 8 = 7 + 18 + 20 + 8 = 53 per unit.
    assert posted(db, player.cash_account_id) == (1000 - 15 + 53) * UNIT
    ledger_ok(db)


def test_a_correction_that_flips_a_settled_bet_takes_the_win_back(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    settle(db, clock, fx.match_odds.id, {"home": 1, "away": 0})
    assert posted(db, player.cash_account_id) == 115 * UNIT
    report = settle(db, clock, fx.match_odds.id, {"home": 0, "away": 1})
    assert report.version == 2
    assert report.paid == -25 * UNIT
    assert posted(db, player.cash_account_id) == 90 * UNIT
    ledger_ok(db)


def test_a_correction_of_money_already_spent_leaves_a_receivable(
    db: Database, clock: ManualClock
) -> None:
    from tests.policy.policy_fixtures import move

    player = bettor(db, clock)
    fx = fixture(db, clock)
    place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    settle(db, clock, fx.match_odds.id, {"home": 1, "away": 0})
    move(db, clock, player, "withdrawal", 110 * UNIT)  # 5.00 left
    settle(db, clock, fx.match_odds.id, {"home": 0, "away": 1})
    assert posted(db, player.cash_account_id) == 0
    with db.read_only() as s:
        receivable = platform_account(
            s,
            clock,
            kind=AccountKind.PLAYER_RECEIVABLE,
            currency_code="EUR",
            name=f"receivable:{player.id}",
        )
        assert get_balance(s, receivable.id).posted == -20 * UNIT
    ledger_ok(db)


def test_a_cancelled_event_refunds_every_single(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    with db.unit_of_work() as s:
        catalogue.set_event_state(s, clock, fx.event_id, EventStatus.CANCELLED)
        settlement.void_market(
            s, clock, fx.match_odds.id, actor="operator:trader", reason="event cancelled"
        )
    assert posted(db, player.cash_account_id) == 100 * UNIT
    with db.read_only() as s:
        bet = s.scalar(select(Bet))
        assert bet is not None
        assert (bet.status, bet.void_reason, bet.voided_by) == (
            "void",
            "event cancelled",
            "operator:trader",
        )
    ledger_ok(db)


def test_a_bet_accepted_at_the_start_instant_is_voided_and_refunded(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock, starts_in=timedelta(minutes=10))
    bet = place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    # The feed reports that the match kicked off early: at the instant the bet was taken.
    with db.unit_of_work() as s:
        catalogue.set_event_state(
            s, clock, fx.event_id, EventStatus.LIVE, minute=0, started_at=bet.placed_at
        )
    settle(db, clock, fx.match_odds.id, {"home": 3, "away": 0})
    assert posted(db, player.cash_account_id) == 100 * UNIT  # refunded, not paid 25.00
    with db.read_only() as s:
        lines = settlement.void_report(s, clock.now())
    assert [(line.bet_id, line.reason) for line in lines] == [(bet.id, settlement.PAST_POSTED)]
    ledger_ok(db)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scores=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=3, max_size=3),
    picks=st.lists(st.sampled_from(["1", "X", "2"]), min_size=3, max_size=3),
    kind=st.sampled_from(["single", "treble", "trixie", "patent"]),
)
def test_settlement_neither_makes_nor_loses_money(
    sqlite_db: Database, scores: list[tuple[int, int]], picks: list[str], kind: str
) -> None:
    db = sqlite_db
    clock = ManualClock()
    player = bettor(db, clock, 1000 * UNIT)
    fixtures = [fixture(db, clock, prices=("2.1", "3.3", "3.7")) for _ in range(3)]
    before = posted(db, player.cash_account_id)
    if kind == "single":
        for fx, pick in zip(fixtures, picks, strict=True):
            place(db, clock, player.id, fx, pick, stake=3 * UNIT)
    else:
        place(db, clock, player.id, fixtures, picks, kind=kind, stake=1 * UNIT)
    with db.unit_of_work() as s:  # held stakes are pending: the house's posted sum is as before
        house = platform_account(
            s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="sportsbook"
        ).id
    house_before = posted(db, house)
    for fx, (home, away) in zip(fixtures, scores, strict=True):
        settle(db, clock, fx.match_odds.id, {"home": home, "away": away})
    with db.read_only() as s:
        bets = list(s.scalars(select(Bet).where(Bet.player_id == player.id)))
        staked = sum(b.stake for b in bets)
        paid = sum(b.returned or 0 for b in bets)
        assert all(b.status == "settled" for b in bets)
    house_take = posted(db, house) - house_before
    assert paid + house_take == staked
    assert posted(db, player.cash_account_id) == before - staked + paid
    ledger_ok(db)
