"""Placing sportsbook bets: the stake held, prices by the odds-change policy, past-posting
refused, liability, policy, in-play delay. A refusal holds nothing and records nothing."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from croupier.core.wallet import get_balance, verify_ledger
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database, read_together
from croupier.policy.compliance.errors import SelfExcluded
from croupier.policy.rg import service as rg
from croupier.products.sportsbook import betting, catalogue, errors, exposure
from croupier.products.sportsbook.betting import BetRequest, OddsPolicy
from croupier.products.sportsbook.models import Bet, EventStatus, MarketStatus
from tests.policy.policy_fixtures import UNIT, move, player_in
from tests.products.sportsbook.book_fixtures import Fixture, bettor, fixture


def place(
    db: Database,
    clock: ManualClock,
    player_id: str,
    fx: Fixture | list[Fixture],
    codes: list[str] | str = "1",
    *,
    kind: str = "single",
    stake: int = 10 * UNIT,
    prices: dict[str, str] | None = None,
    policy: OddsPolicy = OddsPolicy.NONE,
    client_id: str | None = None,
) -> betting.BetView:
    fixtures = fx if isinstance(fx, list) else [fx]
    picks = codes if isinstance(codes, list) else [codes] * len(fixtures)
    selections = tuple(f.sel(c) for f, c in zip(fixtures, picks, strict=True))
    seen = prices or {f.sel(c): f.price(c) for f, c in zip(fixtures, picks, strict=True)}
    with db.unit_of_work() as s:
        view, _ = betting.place_bet(
            s,
            clock,
            player_id,
            BetRequest(
                client_id=client_id or f"slip-{next(_slips)}",
                kind=kind,
                selections=selections,
                stake_per_line=stake,
                prices=seen,
                odds_policy=policy,
            ),
        )
    return view


_slips = itertools.count()


def footprint(db: Database) -> tuple[int, int]:
    with db.read_only() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Bet)) or 0),
            int(s.scalar(select(func.count()).select_from(LedgerTransfer)) or 0),
        )


def available(db: Database, account: str) -> int:
    with db.read_only() as s:
        return get_balance(s, account).available


def test_a_single_holds_the_stake_and_shows_its_potential_return(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    assert bet.status == "accepted"
    assert bet.potential_return == 25 * UNIT  # 10.00 at 2.5
    assert available(db, player.cash_account_id) == 90 * UNIT
    with db.read_only() as s:
        assert get_balance(s, player.cash_account_id).posted == 100 * UNIT  # held, not taken


def test_the_same_id_answers_the_same_bet(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    first = place(db, clock, player.id, fx, client_id="slip-1")
    again = place(db, clock, player.id, fx, client_id="slip-1")
    assert again.id == first.id
    assert available(db, player.cash_account_id) == 90 * UNIT


def test_a_yankee_has_eleven_lines_and_holds_eleven_stakes(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock, 500 * UNIT)
    fixtures = [fixture(db, clock, prices=("2", "3.5", "4")) for _ in range(4)]
    bet = place(db, clock, player.id, fixtures, kind="yankee", stake=1 * UNIT)
    assert (bet.lines, bet.stake) == (11, 11 * UNIT)
    # 6 doubles at 4, 4 trebles at 8, a fourfold at 16.
    assert bet.potential_return == (6 * 4 + 4 * 8 + 16) * UNIT


def test_no_bet_on_a_pre_match_market_at_or_after_the_start(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock, starts_in=timedelta(minutes=1))
    clock.advance(timedelta(minutes=1))  # the start instant
    before = footprint(db)
    with pytest.raises(errors.EventStarted):
        place(db, clock, player.id, fx)
    assert footprint(db) == before
    assert available(db, player.cash_account_id) == 100 * UNIT


def test_no_bet_on_a_suspended_market(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    with db.unit_of_work() as s:
        catalogue.set_market_status(
            s,
            clock,
            fx.match_odds.id,
            MarketStatus.SUSPENDED,
            actor="operator:t",
            reason="team news",
        )
    before = footprint(db)
    with pytest.raises(errors.MarketNotOpen):
        place(db, clock, player.id, fx)
    assert footprint(db) == before


@pytest.mark.parametrize(
    ("policy", "new_price", "taken"),
    [
        (OddsPolicy.NONE, "2.6", None),
        (OddsPolicy.HIGHER, "2.6", "2.6"),
        (OddsPolicy.HIGHER, "2.4", None),
        (OddsPolicy.ANY, "2.4", "2.4"),
    ],
)
def test_a_changed_price_follows_the_odds_policy(
    db: Database, clock: ManualClock, policy: OddsPolicy, new_price: str, taken: str | None
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    seen = {fx.sel("1"): fx.price("1")}  # 2.5
    with db.unit_of_work() as s:
        catalogue.set_prices(s, clock, fx.match_odds.id, {"1": new_price})
    if taken is None:
        before = footprint(db)
        with pytest.raises(errors.OddsChanged) as refused:
            place(db, clock, player.id, fx, prices=seen, policy=policy)
        assert refused.value.extra["prices"] == {fx.sel("1"): new_price}
        assert footprint(db) == before
    else:
        bet = place(db, clock, player.id, fx, prices=seen, policy=policy)
        assert bet.legs[0].odds == taken


def test_two_selections_of_one_event_do_not_make_a_double(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    with pytest.raises(errors.RelatedSelections):
        place(db, clock, player.id, [fx, fx], ["1", "X"], kind="double")


def test_the_stake_is_capped_by_the_liability_left_and_the_stake_factor(
    db: Database, clock: ManualClock
) -> None:
    from croupier.products.sportsbook.models import PlayerStakeFactor

    player = bettor(db, clock, 1000 * UNIT)
    fx = fixture(db, clock, liability=30 * UNIT)  # at 2.5 a stake of 20.00 wins 30.00
    with pytest.raises(errors.StakeTooHigh) as refused:
        place(db, clock, player.id, fx, stake=21 * UNIT)
    assert refused.value.extra["max_stake_per_line"] == 20 * UNIT
    place(db, clock, player.id, fx, stake=10 * UNIT)  # 15.00 of liability left
    with db.unit_of_work() as s:
        s.add(
            PlayerStakeFactor(
                player_id=player.id, factor="0.5", set_by="t", reason="sharp", at=clock.now()
            )
        )
    with pytest.raises(errors.StakeTooHigh) as again:
        place(db, clock, player.id, fx, stake=6 * UNIT)
    assert again.value.extra["max_stake_per_line"] == 5 * UNIT


def test_a_second_process_on_the_same_selection_waits_for_the_first_and_reads_its_bet(
    postgresql_db: Database, clock: ManualClock
) -> None:
    # Two serving processes, each with its own group commit, place on one selection at the
    # same time. The second must not take the liability left that the first one's bet, not
    # yet committed, has taken: it waits for the first's lock on the exposure and reads it.
    # The players bet in different currencies: no ledger account is shared, so only the
    # exposure's own lock can make the second one wait.
    db = postgresql_db
    euro = bettor(db, clock)
    pound = player_in(db, clock, "MT", currency="GBP")
    move(db, clock, pound, "deposit", 100 * UNIT)
    fx = fixture(db, clock, liability=30 * UNIT)  # at 2.5 a stake of 20.00 wins 30.00

    def second_process() -> betting.BetView:
        with db.unit_of_work() as s:
            return betting.place_bet(s, clock, pound.id, _slip(fx, "second", 15 * UNIT))[0]

    def waiting_for_a_lock() -> int:
        with db.engine.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                or 0
            )

    with ThreadPoolExecutor(1) as pool:
        with db.unit_of_work() as s:
            betting.place_bet(
                s, clock, euro.id, _slip(fx, "first", 15 * UNIT)
            )  # 22.50 of the 30.00 taken
            second = pool.submit(second_process)
            deadline = time.monotonic() + 30
            while not waiting_for_a_lock():
                assert not second.done(), "the second bet was decided without waiting"
                assert time.monotonic() < deadline, "the second bet neither waited nor ended"
                time.sleep(0.01)
        with pytest.raises(errors.StakeTooHigh) as refused:  # after the first one's commit
            second.result(timeout=30)
    assert refused.value.extra["max_stake_per_line"] == 5 * UNIT  # 7.50 left at 2.5
    with db.read_only() as s:
        assert exposure.drift(s) == []
        assert exposure.open_liability(s, [fx.sel("1")]) == {fx.sel("1"): 22 * UNIT + UNIT // 2}
        assert verify_ledger(s) == []


def test_a_batchs_first_round_locks_what_its_later_rounds_need(
    db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ada's second slip waits for a second round. The first round already locks its
    # selection and ada's account with everything else of the batch, so that the second
    # round takes no new lock (a lock taken later, out of order, could wait in a cycle on
    # another process's batch).
    ada, bob = bettor(db, clock), bettor(db, clock)
    fx, other = fixture(db, clock), fixture(db, clock)
    locked: list[set[str]] = []
    placing_reads = exposure.placing_reads

    def recorded(conn, selection_ids):  # type: ignore[no-untyped-def]
        locked.append(set(selection_ids))
        return placing_reads(conn, selection_ids)

    monkeypatch.setattr(exposure, "placing_reads", recorded)
    with db.unit_of_work() as s:
        answers = betting.place_bets(
            s,
            clock,
            [
                betting.Slip(ada.id, _slip(fx, "a1"), None, ada.cash_account_id, ada.currency),
                betting.Slip(ada.id, _slip(other, "a2"), None, ada.cash_account_id, ada.currency),
                betting.Slip(
                    bob.id, _slip(fx, "b1", code="X"), None, bob.cash_account_id, bob.currency
                ),
            ],
        )
    assert all(isinstance(a, tuple) and a[1] for a in answers)
    assert len(locked) == 2  # two rounds
    assert locked[0] == {fx.sel("1"), fx.sel("X"), other.sel("1")} == locked[0] | locked[1]


def test_a_stake_above_the_balance_is_refused_and_nothing_is_held(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock, 5 * UNIT)
    fx = fixture(db, clock)
    before = footprint(db)
    with pytest.raises(errors.InsufficientFunds):
        place(db, clock, player.id, fx, stake=6 * UNIT)
    assert footprint(db) == before


def test_policy_first_a_self_excluded_player_cannot_bet(db: Database, clock: ManualClock) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    with db.unit_of_work() as s:
        rg.self_exclude(s, clock, player.id, months=6, actor="test")
    before = footprint(db)
    with pytest.raises(SelfExcluded):
        place(db, clock, player.id, fx)
    assert footprint(db) == before


def test_an_in_play_bet_waits_for_the_delay_and_is_refused_if_suspended_meanwhile(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock, starts_in=timedelta(minutes=1))
    with db.unit_of_work() as s:
        live = catalogue.create_market(
            s,
            clock,
            event_id=fx.event_id,
            kind="1x2",
            params={},
            in_play=True,
            prices={"1": "1.8", "X": "3.5", "2": "5"},
            liability_limit=10_000 * UNIT,
        )
    clock.advance(timedelta(minutes=2))
    with db.unit_of_work() as s:
        catalogue.set_event_state(s, clock, fx.event_id, EventStatus.LIVE, minute=1)
    home = next(sel for sel in live.selections if sel.code == "1")
    with db.unit_of_work() as s:
        kept, _ = betting.place_bet(
            s,
            clock,
            player.id,
            BetRequest("live-1", "single", (home.id,), 10 * UNIT, {home.id: "1.8"}),
        )
        dropped, _ = betting.place_bet(
            s,
            clock,
            player.id,
            BetRequest("live-2", "single", (home.id,), 10 * UNIT, {home.id: "1.8"}),
        )
    assert kept.status == "pending"
    with db.unit_of_work() as s:
        assert betting.accept_due_bets(s, clock) == 0  # the delay is not over
    clock.advance(timedelta(seconds=5))
    with db.unit_of_work() as s:
        assert betting.accept_due_bets(s, clock) == 2
    with db.unit_of_work() as s:
        views = {b.client_id: b for b in betting.list_bets(s, player.id)}
    assert views["live-1"].status == "accepted"
    # The second, after a dangerous moment during its delay:
    with db.unit_of_work() as s:
        _third, _ = betting.place_bet(
            s,
            clock,
            player.id,
            BetRequest("live-3", "single", (home.id,), 10 * UNIT, {home.id: "1.8"}),
        )
        catalogue.set_market_status(
            s, clock, live.id, MarketStatus.SUSPENDED, actor="feed", reason="dangerous attack"
        )
    clock.advance(timedelta(seconds=5))
    with db.unit_of_work() as s:
        betting.accept_due_bets(s, clock)
        refused = {b.client_id: b for b in betting.list_bets(s, player.id)}["live-3"]
    assert refused.status == "refused"
    assert available(db, player.cash_account_id) == 80 * UNIT  # two accepted, one released
    assert dropped.status == "pending"


def test_a_house_account_opened_by_a_refused_bet_is_not_remembered_by_the_batch(
    db: Database, clock: ManualClock
) -> None:
    # The first bet ever opens the sportsbook's house account, then is refused (no funds): its
    # savepoint takes the account back with it. The next bets of the same unit of work (as
    # the group committer runs them) must not use the account that is gone.
    poor, rich = bettor(db, clock, funds=UNIT), bettor(db, clock)
    fx = fixture(db, clock)

    placed = []
    with db.unit_of_work() as s:
        with pytest.raises(errors.InsufficientFunds), s.begin_nested():
            betting.place_bet(s, clock, poor.id, _slip(fx, "a"))
        for client_id in ("b", "c"):
            with s.begin_nested():
                placed.append(betting.place_bet(s, clock, rich.id, _slip(fx, client_id))[0])
    assert [view.status for view in placed] == ["accepted", "accepted"]
    with db.read_only() as s:
        assert get_balance(s, rich.cash_account_id).available == 80 * UNIT
        assert verify_ledger(s) == []


def test_a_slip_refused_for_funds_writes_nothing_even_without_a_savepoint(
    db: Database, clock: ManualClock
) -> None:
    # The group commit runs slips without a savepoint each: every refusal must come before
    # the bet's first write. The last one, no funds, is the stake hold's own refusal.
    poor = bettor(db, clock, funds=UNIT)
    fx = fixture(db, clock)
    request = BetRequest(
        client_id="too-much", kind="single", selections=(fx.sel("1"),),
        stake_per_line=10 * UNIT, prices={fx.sel("1"): fx.price("1")},
        odds_policy=OddsPolicy.NONE,
    )  # fmt: skip
    with db.read_only() as s:
        transfers_before = s.scalar(select(func.count()).select_from(LedgerTransfer))
    with db.unit_of_work() as s, pytest.raises(errors.InsufficientFunds):
        betting.place_bet(s, clock, poor.id, request)  # the unit of work commits after this
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(Bet)) == 0
        assert s.scalar(select(func.count()).select_from(LedgerTransfer)) == transfers_before
        assert get_balance(s, poor.cash_account_id).available == UNIT
        assert verify_ledger(s) == []


# -- many slips at once (the group commit's batch) ------------------------------------------


def _slip(fx: Fixture, client_id: str, stake: int = 10 * UNIT, code: str = "1") -> BetRequest:
    return BetRequest(
        client_id=client_id, kind="single", selections=(fx.sel(code),), stake_per_line=stake,
        prices={fx.sel(code): fx.price(code)}, odds_policy=OddsPolicy.NONE,
    )  # fmt: skip


def test_a_batch_of_slips_answers_each_as_if_placed_one_by_one(
    db: Database, clock: ManualClock
) -> None:
    ada, bob, poor = bettor(db, clock), bettor(db, clock), bettor(db, clock, funds=UNIT)
    fx = fixture(db, clock)
    unknown = BetRequest(
        client_id="nowhere", kind="single", selections=("sel_missing",), stake_per_line=UNIT,
        prices={"sel_missing": "2.0"}, odds_policy=OddsPolicy.NONE,
    )  # fmt: skip
    slips = [
        betting.Slip(ada.id, _slip(fx, "a1")),
        betting.Slip(poor.id, _slip(fx, "p1")),  # no funds
        betting.Slip(ada.id, _slip(fx, "a1")),  # the same id again: the same bet
        betting.Slip(bob.id, unknown),
        betting.Slip(ada.id, _slip(fx, "a2", code="X")),  # a second bet of ada's
        betting.Slip(bob.id, _slip(fx, "b1", stake=0)),  # invalid
        betting.Slip(bob.id, _slip(fx, "b2", code="2")),
    ]
    with db.unit_of_work() as s:
        answers = betting.place_bets(s, clock, slips)

    first, again = answers[0], answers[2]
    assert isinstance(first, tuple)
    assert first[1] is True
    assert again == (first[0], False)
    assert isinstance(answers[1], errors.InsufficientFunds)
    assert isinstance(answers[3], errors.UnknownSelection)
    assert isinstance(answers[5], errors.InvalidBet)
    placed = [a for a in answers if isinstance(a, tuple) and a[1]]
    assert [(v.client_id, v.legs[0].selection_id) for v, _ in placed] == [
        ("a1", fx.sel("1")), ("a2", fx.sel("X")), ("b2", fx.sel("2")),
    ]  # fmt: skip
    assert footprint(db)[0] == 3
    assert available(db, ada.cash_account_id) == 80 * UNIT
    assert available(db, bob.cash_account_id) == 90 * UNIT
    assert available(db, poor.cash_account_id) == UNIT
    with db.read_only() as s:
        assert verify_ledger(s) == []
        assert exposure.drift(s) == []
        assert {b.id for b in s.scalars(select(Bet))} == {v.id for v, _ in placed}


def test_in_a_batch_a_slip_is_refused_only_for_liability_already_written(
    db: Database, clock: ManualClock
) -> None:
    """Two slips on one selection that each fit the liability left but not together: the
    first is placed and the second refused with the maximum that is left after it, as one by
    one (it waits for the next round of the batch, which reads the exposure again)."""
    ada, bob, cy = bettor(db, clock), bettor(db, clock), bettor(db, clock)
    fx = fixture(db, clock, liability=30 * UNIT)  # at 2.5 a stake of 20.00 wins 30.00
    with db.unit_of_work() as s:
        answers = betting.place_bets(
            s,
            clock,
            [
                betting.Slip(ada.id, _slip(fx, "a", stake=15 * UNIT)),
                betting.Slip(bob.id, _slip(fx, "b", stake=10 * UNIT)),
                betting.Slip(cy.id, _slip(fx, "c", stake=5 * UNIT)),
            ],
        )
    placed = [a[1] if isinstance(a, tuple) else type(a).__name__ for a in answers]
    assert placed == [True, "StakeTooHigh", True]
    assert isinstance(answers[1], errors.StakeTooHigh)
    assert answers[1].extra["max_stake_per_line"] == 5 * UNIT  # 7.50 of liability left
    with db.read_only() as s:
        assert exposure.drift(s) == []
        by_code = {row.code: row.liability for row in betting.liability(s, fx.event_id)}
    assert by_code == {"1": 30 * UNIT, "X": 0, "2": 0}


def test_a_batch_reads_and_writes_set_wise(db: Database, clock: ManualClock) -> None:
    """The statements of a batch do not grow with its number of slips (one player each),
    once the players are in the process's policy cache (as after their first bet)."""
    from sqlalchemy import event

    fx = fixture(db, clock)
    players = [bettor(db, clock) for _ in range(12)]
    with db.unit_of_work() as s:  # the house account and the policy cache's entries
        betting.place_bets(s, clock, [betting.Slip(p.id, _slip(fx, "first")) for p in players])

    def count(batch: list[betting.Slip]) -> int:
        statements: list[str] = []

        def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            with db.unit_of_work() as s:
                answers = betting.place_bets(s, clock, batch)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert all(isinstance(a, tuple) and a[1] for a in answers)
        return len(statements)

    two = count([betting.Slip(p.id, _slip(fx, "two")) for p in players[:2]])
    ten = count([betting.Slip(p.id, _slip(fx, "ten")) for p in players[2:]])
    assert ten == two


def test_in_a_batch_the_liability_left_goes_to_the_slips_in_the_order_they_came(
    db: Database, clock: ManualClock
) -> None:
    """A player's second slip waits for the next round; another player's later slip on the
    same selection waits with it, and a refusal quotes the maximum left after the earlier
    slips, as one by one."""
    ada, bob, cy = bettor(db, clock), bettor(db, clock), bettor(db, clock)
    fx = fixture(db, clock, liability=30 * UNIT)  # at 2.5 a stake of 20.00 wins 30.00
    with db.unit_of_work() as s:
        answers = betting.place_bets(
            s,
            clock,
            [
                betting.Slip(ada.id, _slip(fx, "a-draw", code="X")),
                betting.Slip(ada.id, _slip(fx, "a-home", stake=15 * UNIT)),
                betting.Slip(bob.id, _slip(fx, "b-home", stake=15 * UNIT)),
                betting.Slip(cy.id, _slip(fx, "c-home", stake=25 * UNIT)),
            ],
        )
    outcome = [a[0].client_id if isinstance(a, tuple) else type(a).__name__ for a in answers]
    assert outcome == ["a-draw", "a-home", "StakeTooHigh", "StakeTooHigh"]
    for refused in answers[2:]:
        assert isinstance(refused, errors.StakeTooHigh)
        assert refused.extra["max_stake_per_line"] == 5 * UNIT  # what ada's 15.00 left


def test_a_slip_refused_by_a_raised_check_is_answered_alone_in_its_batch(
    db: Database, clock: ManualClock
) -> None:
    """A stake beyond any amount is refused by the policy check raising, not by a result:
    that slip gets the refusal and the batch goes on."""
    from croupier.kernel.money import MAX_AMOUNT
    from croupier.policy.compliance.errors import InvalidAmount

    ada, bob = bettor(db, clock), bettor(db, clock)
    fixtures = [fixture(db, clock) for _ in range(3)]
    trixie = BetRequest(
        client_id="huge", kind="trixie", selections=tuple(f.sel("1") for f in fixtures),
        stake_per_line=MAX_AMOUNT // 2, prices={f.sel("1"): f.price("1") for f in fixtures},
        odds_policy=OddsPolicy.NONE,
    )  # fmt: skip
    with db.unit_of_work() as s:
        answers = betting.place_bets(
            s, clock, [betting.Slip(ada.id, trixie), betting.Slip(bob.id, _slip(fixtures[0], "b"))]
        )
    assert isinstance(answers[0], InvalidAmount)
    assert isinstance(answers[1], tuple)
    assert answers[1][1] is True
    assert footprint(db)[0] == 1


def test_reads_made_ahead_serve_the_first_round_only_for_the_slips_they_were_made_for(
    db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``place_bets(ahead=...)`` takes a round's reads made by the caller (the route sends
    them with the sessions' read) when they were made for its slips; for other slips it
    reads again, and places them all the same."""
    fx = fixture(db, clock)
    ada = bettor(db, clock)

    def slip(client_id: str) -> betting.Slip:
        return betting.Slip(ada.id, _slip(fx, client_id), None, ada.cash_account_id, ada.currency)

    with db.unit_of_work() as s:  # the house account is opened
        betting.place_bets(s, clock, [slip("first")])
    reads: list[int] = []
    read_round = betting._read_round
    monkeypatch.setattr(
        betting,
        "_read_round",
        lambda *a: reads.append(1) or read_round(*a),  # type: ignore[func-returns-value]
    )
    placed = []
    for made_for, sent in (("a", "a"), ("x", "b")):
        reads.clear()
        with db.unit_of_work() as s:
            statements, finish = betting.round_reads(s, clock, [slip(made_for)])
            ahead = finish(read_together(s.connection(), statements))
            (answer,) = betting.place_bets(s, clock, [slip(sent)], ahead=ahead)
        assert isinstance(answer, tuple)
        assert answer[1]
        placed.append((sent, len(reads)))
    assert placed == [("a", 0), ("b", 1)]
    with db.read_only() as s:
        assert exposure.drift(s) == []
        assert get_balance(s, ada.cash_account_id).available == 70 * UNIT
        assert verify_ledger(s) == []
