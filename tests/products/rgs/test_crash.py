"""Crash through the API and the CLI: a published hash chain fixes every round's crash point;
bets only while betting, cash-outs only while running, auto cash-outs and lazy settlement,
every stake and win through the ledger once, and rounds created on demand by whoever asks
first, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from croupier.app.cli import app as cli
from croupier.core.players import activate_player, get_player
from croupier.core.wallet import get_balance, verify_ledger
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.config import get_settings
from croupier.products.rgs.crash import service
from croupier.products.rgs.crash.chain import (
    MAX_MULTIPLIER,
    crash_point,
    end_multiplier,
    hash_back,
    links_to,
    ms_to_reach,
    multiplier_at,
    previous_hash,
)
from croupier.products.rgs.crash.jobs import settle_crash_rounds
from croupier.products.rgs.crash.models import RgsCrashBet, RgsCrashChain, RgsCrashRound
from croupier.products.rgs.games.catalogue import TITLES
from tests.core.players.player_fixtures import assert_problem, logged_in, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move
from tests.products.rgs.rgs_fixtures import KEYRING

CURRENT = "/api/v1/crash/rounds/current"
BETS = "/api/v1/crash/bets"
MY_BETS = "/api/v1/me/crash/bets"

# A chain the tests know: the seed is fixed, so every round's crash point is known up front.
SEED = hashlib.sha256(b"crash-tests").hexdigest()
SALT = "test-salt"
LENGTH = 20
HASHES = {i: hash_back(SEED, LENGTH - i) for i in range(LENGTH + 1)}
POINTS = {i: crash_point(HASHES[i], SALT) for i in range(1, LENGTH + 1)}


def _first_round(condition) -> int:
    return next(n for n in sorted(POINTS) if condition(POINTS[n]))


INSTANT = _first_round(lambda p: p == 100)  # crashes at 1.00x
HIGH = _first_round(lambda p: p >= 400)  # room to cash out at 2x and 3x
LOW = _first_round(lambda p: 120 <= p < 200)  # crashes before 2x


def _make_chain(db, clock, **overrides):
    arguments = {
        "length": LENGTH, "salt": SALT, "seed": SEED, "checkpoint_every": 7, "actor": "test",
        **overrides,
    }  # fmt: skip
    with db.unit_of_work() as s:
        return service.create_chain(s, clock, KEYRING, **arguments)


@pytest.fixture
def chain(db, clock):
    return _make_chain(db, clock)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _ends_at(round_view: dict) -> datetime:
    point = POINTS[round_view["number"]]
    return _at(round_view["running_at"]) + timedelta(
        milliseconds=ms_to_reach(end_multiplier(point))
    )


def _betting_on(client, clock, number: int) -> dict:
    """Let rounds crash, one after the other, until round ``number`` takes bets."""
    while True:
        current = client.get(CURRENT)
        assert current.status_code == 200, current.text
        view = current.json()
        if view["number"] == number:
            assert view["phase"] == "betting"
            return view
        assert view["number"] < number
        clock.advance(_ends_at(view) + service.PAUSE - clock.now())


def _run_to(clock, round_view: dict, ms: int) -> None:
    clock.advance(_at(round_view["running_at"]) + timedelta(milliseconds=ms) - clock.now())


def _after_crash(clock, round_view: dict) -> None:
    clock.advance(_ends_at(round_view) - clock.now())


def _state(db, view):
    """Balance, transfers and bets: equal means nothing moved."""
    with db.read_only() as s:
        return (
            get_balance(s, view.cash_account_id).posted,
            s.scalar(select(func.count()).select_from(LedgerTransfer)),
            s.scalar(select(func.count()).select_from(RgsCrashBet)),
        )


def _bet(client, key="b1", stake=UNIT, **extra):
    return client.post(BETS, json={"key": key, "stake": stake, "currency": "EUR", **extra})


def _ledger_holds(db) -> None:
    with db.read_only() as s:
        assert verify_ledger(s) == []


@contextmanager
def _other_player(db, clock, *, funds: int = 0):
    """A second player, logged in (verified and funded when ``funds``)."""
    with make_client(db, clock) as other:
        registered = register(
            other, email="grace@example.com", legal_name="Grace Hopper", postcode="X1"
        )
        if funds:
            with db.unit_of_work() as s:
                activate_player(s, clock, registered["id"], actor="test", reason="verified")
                grace = get_player(s, registered["id"], brand_scope=None)
            move(db, clock, grace, "deposit", funds)
        other.headers.update(logged_in(other, email="grace@example.com"))
        yield other


# -- the chain -------------------------------------------------------------------------------


def test_every_revealed_hash_hashes_to_the_previous_one_and_the_first_to_the_published_h0(
    db, clock, player, chain
):
    client, _ = player
    published = client.get("/api/v1/crash/chain").json()
    revealed = []
    for number in range(1, 7):
        view = _betting_on(client, clock, number)
        assert view["hash"] is None
        assert view["crash_point"] is None
        _after_crash(clock, view)
        revealed.append(client.get(f"/api/v1/crash/rounds/{number}").json())

    assert published["chains"][0]["terminating_hash"] == HASHES[0] == chain.terminating_hash
    assert published["chains"][0]["salt"] == SALT
    assert (published["chains"][0]["first_round"], published["chains"][0]["last_round"]) == (
        1,
        LENGTH,
    )
    assert revealed[0]["previous_hash"] == HASHES[0]
    for earlier, later in itertools.pairwise(revealed):
        assert hashlib.sha256(later["hash"].encode()).hexdigest() == earlier["hash"]
        assert later["previous_hash"] == earlier["hash"]
    for r in revealed:
        assert r["phase"] == "crashed"
        assert r["hash"] == HASHES[r["chain_index"]]
        assert links_to(r["hash"], r["chain_index"], r["terminating_hash"])
        assert r["crash_point"] == POINTS[r["number"]]


def test_each_crash_point_is_what_fair_verify_limbo_prints_for_the_round(db, clock, player, chain):
    client, _ = player
    for number in range(1, 5):
        _after_crash(clock, _betting_on(client, clock, number))
        revealed = client.get(f"/api/v1/crash/rounds/{number}").json()
        out = CliRunner().invoke(
            cli,
            ["fair", "verify", "limbo", "--server-seed", revealed["hash"],
             "--client-seed", revealed["salt"], "--nonce", "0", "--json"],
        )  # fmt: skip
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout) == {"multiplier": revealed["crash_point"] / 100}
        assert revealed["verify"]["command"].startswith(
            f"croupier fair verify limbo --server-seed {revealed['hash']} --client-seed {SALT}"
        )
        via_endpoint = client.get(revealed["verify"]["endpoint"]).json()
        assert via_endpoint["outcome"] == {"multiplier": revealed["crash_point"] / 100}


def test_a_round_hash_comes_from_any_checkpoint_of_the_chain(db, clock):
    chain = _make_chain(db, clock, checkpoint_every=3)
    with db.read_only() as s:
        row = s.get(RgsCrashChain, chain.id)
        computed = {i: service.chain_hash(s, KEYRING, row, i) for i in range(1, LENGTH + 1)}
        sealed = [row.seed_sealed]
    assert computed == {i: HASHES[i] for i in range(1, LENGTH + 1)}
    assert SEED not in sealed[0]
    assert all(previous_hash(HASHES[i]) == HASHES[i - 1] for i in range(1, LENGTH + 1))


def test_the_next_chain_covers_the_rounds_after_the_last_one(db, clock):
    first = _make_chain(db, clock)
    second = _make_chain(db, clock, length=5, seed=None, salt=None)
    assert (second.first_round, second.last_round) == (first.last_round + 1, first.last_round + 5)
    assert second.salt
    assert second.salt != SALT
    assert second.terminating_hash != first.terminating_hash


# -- rounds ----------------------------------------------------------------------------------


def test_a_round_bets_then_runs_along_the_curve_then_crashes_and_the_next_follows(
    db, clock, player, chain
):
    client, _ = player
    first = client.get(CURRENT).json()
    assert (first["number"], first["phase"], first["multiplier"]) == (1, "betting", 100)
    assert _at(first["running_at"]) - _at(first["betting_at"]) == service.BETTING_PHASE
    assert first["bets"] == {"count": 0, "cashed_out": 0, "staked": {}, "paid": {}}
    view = _betting_on(client, clock, HIGH)
    _run_to(clock, view, 11_553)  # 2.00x exactly
    running = client.get(CURRENT).json()
    _after_crash(clock, view)
    crashed = client.get(CURRENT).json()
    clock.advance(service.PAUSE - timedelta(milliseconds=1))
    still = client.get(CURRENT).json()
    clock.advance(timedelta(milliseconds=1))
    following = client.get(CURRENT).json()

    assert (running["phase"], running["multiplier"], running["elapsed_ms"]) == (
        "running",
        200,
        11_553,
    )
    assert running["hash"] is None
    assert running["crash_point"] is None
    assert (crashed["phase"], crashed["multiplier"]) == ("crashed", POINTS[HIGH])
    assert _at(crashed["crashed_at"]) == _ends_at(view)
    assert _at(crashed["next_betting_at"]) == _ends_at(view) + service.PAUSE
    assert (still["number"], still["phase"]) == (HIGH, "crashed")
    assert (following["number"], following["phase"]) == (HIGH + 1, "betting")
    assert _at(following["betting_at"]) == _ends_at(view) + service.PAUSE


def test_after_a_quiet_spell_the_next_round_opens_when_someone_comes(db, clock, player, chain):
    client, _ = player
    view = _betting_on(client, clock, 1)
    _after_crash(clock, view)
    clock.advance(timedelta(hours=2))
    following = client.get(CURRENT).json()
    assert (following["number"], following["phase"]) == (2, "betting")
    assert _at(following["betting_at"]) == clock.now()


def test_an_instant_crash_leaves_no_moment_to_cash_out(db, clock, player, chain):
    client, view = player
    round_view = _betting_on(client, clock, INSTANT)
    bet = _bet(client).json()
    _run_to(clock, round_view, 0)
    before = _state(db, view)
    refused = client.post(f"{BETS}/{bet['id']}/cashout")
    assert_problem(refused, 409, "rgs.crash_not_running")
    assert _state(db, view) == before
    assert client.get(f"/api/v1/crash/rounds/{INSTANT}").json()["crash_point"] == 100


def test_the_round_endpoint_refuses_a_round_that_does_not_exist(db, clock, player, chain):
    client, _ = player
    client.get(CURRENT)
    assert_problem(client.get("/api/v1/crash/rounds/2"), 404, "rgs.crash_round_not_found")


def test_without_a_published_chain_there_is_no_round(db, clock, player):
    client, view = player
    before = _state(db, view)
    assert_problem(client.get(CURRENT), 503, "rgs.crash_no_chain")
    assert_problem(_bet(client), 503, "rgs.crash_no_chain")
    assert _state(db, view) == before


def test_a_chain_waiting_for_its_salt_plays_once_the_salt_is_set_and_never_again(db, clock, player):
    client, _ = player
    waiting = _make_chain(db, clock, salt=None, salt_later=True)
    refused = client.get(CURRENT)
    with db.unit_of_work() as s:
        salted = service.set_salt(s, clock, waiting.id, SALT, actor="test")
    first = client.get(CURRENT)
    with pytest.raises(Exception) as again, db.unit_of_work() as s:
        service.set_salt(s, clock, waiting.id, "another", actor="test")
    assert_problem(refused, 503, "rgs.crash_no_chain")
    assert salted.salt == SALT
    assert first.status_code == 200
    assert again.value.code == "rgs.crash_salt_set"


# -- bets and cash-outs ----------------------------------------------------------------------


def test_a_cash_out_below_the_crash_pays_the_multiplier_of_that_moment_once(
    db, clock, player, chain
):
    client, view = player
    round_view = _betting_on(client, clock, HIGH)
    placed = _bet(client, stake=3 * UNIT, round=HIGH)
    _run_to(clock, round_view, 18_310)  # 2.99x: floor(100 * e^(0.00006 * 18310)) = 299
    expected = multiplier_at(18_310)
    cashed = client.post(f"{BETS}/{placed.json()['id']}/cashout")
    after_cash_out = _state(db, view)
    clock.advance(timedelta(seconds=1))
    again = client.post(f"{BETS}/{placed.json()['id']}/cashout")

    assert placed.status_code == 201, placed.text
    assert placed.json()["balance_after"] == placed.json()["balance_before"] - 3 * UNIT
    assert cashed.status_code == 200, cashed.text
    body = cashed.json()
    assert (body["state"], body["cashout"], body["cashout_kind"]) == (
        "cashed_out",
        expected,
        "manual",
    )
    assert body["payout"] == 3 * UNIT * expected // 100
    assert body["balance_after"] == 100 * UNIT - 3 * UNIT + body["payout"]
    assert body["crash_point"] is None  # the round still runs
    assert again.json()["replayed"] is True
    assert again.json()["payout"] == body["payout"]
    assert _state(db, view) == after_cash_out  # the retry paid nothing more
    with db.read_only() as s:
        wins = s.scalars(
            select(LedgerTransfer.amount).where(LedgerTransfer.id.like("rgs:crash:%:win"))
        ).all()
    assert wins == [body["payout"]]
    _ledger_holds(db)


def test_a_cash_out_after_the_crash_is_refused_and_the_bet_is_lost(db, clock, player, chain):
    client, view = player
    round_view = _betting_on(client, clock, LOW)
    bet = _bet(client).json()
    _after_crash(clock, round_view)
    before = _state(db, view)
    late = client.post(f"{BETS}/{bet['id']}/cashout")
    unchanged = _state(db, view) == before
    recalled = client.get(f"{MY_BETS}/{bet['id']}").json()

    body = assert_problem(late, 409, "rgs.crash_not_running")
    assert body["crash_point"] == POINTS[LOW]
    assert unchanged
    assert (recalled["state"], recalled["payout"], recalled["crash_point"]) == (
        "lost",
        0,
        POINTS[LOW],
    )
    assert recalled["balance_after"] == recalled["balance_before"] - UNIT
    _ledger_holds(db)


def test_a_cash_out_before_the_start_is_refused(db, clock, player, chain):
    client, view = player
    _betting_on(client, clock, 1)
    bet = _bet(client).json()
    before = _state(db, view)
    assert_problem(client.post(f"{BETS}/{bet['id']}/cashout"), 409, "rgs.crash_not_running")
    assert _state(db, view) == before


def test_auto_cash_outs_pay_their_target_when_the_crash_point_reaches_it(db, clock, player, chain):
    client, view = player
    won_view = _betting_on(client, clock, HIGH)
    reached = _bet(client, key="reached", stake=2 * UNIT, auto_cashout=POINTS[HIGH]).json()
    _after_crash(clock, won_view)
    lost_view = _betting_on(client, clock, LOW)
    missed = _bet(client, key="missed", auto_cashout=POINTS[LOW] + 1).json()
    _after_crash(clock, lost_view)
    history = {b["key"]: b for b in client.get(MY_BETS).json()}

    won = history["reached"]
    assert (won["state"], won["cashout"], won["cashout_kind"]) == (
        "cashed_out",
        POINTS[HIGH],
        "auto",
    )
    assert won["payout"] == 2 * UNIT * POINTS[HIGH] // 100
    assert (history["missed"]["state"], history["missed"]["payout"]) == ("lost", 0)
    assert [b["id"] for b in client.get(MY_BETS).json()] == [missed["id"], reached["id"]]
    assert _state(db, view)[0] == 100 * UNIT - 3 * UNIT + won["payout"]
    _ledger_holds(db)


def test_a_cash_out_past_the_auto_cash_out_is_paid_the_auto_cash_out(db, clock, player, chain):
    client, _ = player
    round_view = _betting_on(client, clock, HIGH)
    bet = _bet(client, auto_cashout=150).json()
    _run_to(clock, round_view, 11_553)  # 2.00x, past 1.50x
    cashed = client.post(f"{BETS}/{bet['id']}/cashout").json()
    assert (cashed["cashout"], cashed["cashout_kind"], cashed["payout"]) == (
        150,
        "auto",
        UNIT * 3 // 2,
    )


def test_a_bet_never_cashed_out_rides_to_the_cap_when_the_crash_point_is_above_it(
    db, clock, player
):
    # A one-hash chain whose round crashes at 1,572,491.72x (found by search: about one
    # round in a million goes above the cap).
    seed = hashlib.sha256(b"cap-126353").hexdigest()
    assert crash_point(seed, "cap") == 157_249_172
    _make_chain(db, clock, length=1, seed=seed, salt="cap")
    client, view = player
    round_view = _betting_on(client, clock, 1)
    riding = _bet(client, key="riding", stake=UNIT // 10).json()
    _run_to(clock, round_view, ms_to_reach(MAX_MULTIPLIER) - 1)
    running = client.get(CURRENT).json()
    clock.advance(timedelta(milliseconds=1))
    ended = client.get(CURRENT).json()
    paid = client.get(f"{MY_BETS}/{riding['id']}").json()

    # Up there the curve climbs 0.006 % a millisecond: 60x between two milliseconds.
    last = multiplier_at(ms_to_reach(MAX_MULTIPLIER) - 1)
    assert (running["phase"], running["multiplier"]) == ("running", last)
    assert MAX_MULTIPLIER - 6_000 < last < MAX_MULTIPLIER
    assert (ended["phase"], ended["multiplier"], ended["crash_point"]) == (
        "crashed",
        MAX_MULTIPLIER,
        157_249_172,
    )
    assert ended["next_betting_at"] is None  # the chain is used up: the operator makes the next
    assert (paid["cashout"], paid["cashout_kind"]) == (MAX_MULTIPLIER, "cap")
    assert paid["payout"] == UNIT // 10 * 1_000_000
    assert _state(db, view)[0] == 100 * UNIT - UNIT // 10 + paid["payout"]
    clock.advance(service.PAUSE)
    assert_problem(_bet(client, key="next"), 503, "rgs.crash_no_chain")
    _ledger_holds(db)


def test_the_same_key_answers_the_same_bet_and_moves_nothing_more(db, clock, player, chain):
    client, view = player
    _betting_on(client, clock, 1)
    first = _bet(client, auto_cashout=250)
    after_first = _state(db, view)
    again = _bet(client, auto_cashout=250)
    other = _bet(client, auto_cashout=300)
    second = _bet(client, key="b2")
    clock.advance(service.BETTING_PHASE)
    late_retry = _bet(client, auto_cashout=250)

    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    assert_problem(other, 409, "rgs.round_key_reused")
    assert_problem(second, 409, "rgs.crash_bet_exists")
    assert late_retry.json()["id"] == first.json()["id"]  # a retry is answered in any phase
    assert _state(db, view) == after_first


def test_bets_are_taken_only_in_the_betting_phase_of_the_round_named(db, clock, player, chain):
    client, view = player
    round_view = _betting_on(client, clock, HIGH)
    wrong_round = _bet(client, key="w", round=HIGH + 1)
    _run_to(clock, round_view, 0)
    before = _state(db, view)
    running = _bet(client, key="r")
    _after_crash(clock, round_view)
    crashed = _bet(client, key="c")

    body = assert_problem(wrong_round, 409, "rgs.crash_betting_closed")
    assert body["round"] == HIGH
    assert_problem(running, 409, "rgs.crash_betting_closed")
    assert_problem(crashed, 409, "rgs.crash_betting_closed")
    assert _state(db, view) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"stake": 99_999}, 422, "rgs.invalid_stake"),
        ({"stake": 1_000 * UNIT + 1}, 422, "rgs.invalid_stake"),
        ({"stake": 200 * UNIT}, 422, "ledger.insufficient_funds"),
        ({"currency": "GBP"}, 422, "rgs.invalid_bet"),
        ({"auto_cashout": 100}, 422, "rgs.invalid_bet"),
        ({"auto_cashout": MAX_MULTIPLIER + 1}, 422, "rgs.invalid_bet"),
        ({"key": "has space"}, 422, "rgs.invalid_bet"),
        ({"stake": "1000000"}, 422, "request.invalid"),
        ({"auto_cashout": 2.5}, 422, "request.invalid"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_moves_nothing(
    db, clock, player, chain, body, status, code
):
    client, view = player
    _betting_on(client, clock, 1)
    before = _state(db, view)
    response = client.post(BETS, json={"key": "bad", "stake": UNIT, "currency": "EUR", **body})
    assert_problem(response, status, code)
    assert _state(db, view) == before


def test_a_self_excluded_player_cannot_bet_and_nothing_moves(db, clock, player, chain):
    client, view = player
    _betting_on(client, clock, 1)
    assert client.post("/api/v1/me/self-exclusion", json={"months": 6}).status_code in (200, 201)
    before = _state(db, view)
    assert_problem(_bet(client), 403, "rg.self_excluded")
    assert _state(db, view) == before


def test_another_players_bet_can_be_neither_cashed_out_nor_seen(db, clock, player, chain):
    client, view = player
    round_view = _betting_on(client, clock, HIGH)
    mine = _bet(client).json()
    _run_to(clock, round_view, 11_553)
    before = _state(db, view)
    with _other_player(db, clock) as other:
        theirs_cash_out = other.post(f"{BETS}/{mine['id']}/cashout")
        theirs_recall = other.get(f"{MY_BETS}/{mine['id']}")
        their_list = other.get(MY_BETS).json()
    with make_client(db, clock) as anonymous_client:
        anonymous = anonymous_client.post(f"{BETS}/{mine['id']}/cashout")

    assert_problem(theirs_cash_out, 404, "rgs.bet_not_found")
    assert_problem(theirs_recall, 404, "rgs.bet_not_found")
    assert their_list == []
    assert anonymous.status_code == 401
    assert _state(db, view) == before
    assert client.get(f"{MY_BETS}/{mine['id']}").json()["state"] == "active"


def test_the_round_shows_a_summary_of_the_bets_without_players(db, clock, player, chain):
    client, _ = player
    round_view = _betting_on(client, clock, HIGH)
    mine = _bet(client, stake=2 * UNIT).json()
    with _other_player(db, clock, funds=10 * UNIT) as other:
        assert _bet(other, stake=UNIT, auto_cashout=150).status_code == 201
    _run_to(clock, round_view, 11_553)
    client.post(f"{BETS}/{mine['id']}/cashout")
    summary = client.get(CURRENT).json()["bets"]
    assert summary == {
        "count": 2,
        "cashed_out": 2,
        "staked": {"EUR": 3 * UNIT},
        "paid": {"EUR": 2 * UNIT * 2 + UNIT * 3 // 2},
    }


# -- settlement ------------------------------------------------------------------------------


def test_settlement_is_lazy_and_the_job_settles_what_nobody_read(db, clock, player, chain):
    client, view = player
    round_view = _betting_on(client, clock, HIGH)
    _bet(client, auto_cashout=200)
    _after_crash(clock, round_view)
    with db.read_only() as s:
        row = s.get(RgsCrashRound, HIGH)
        stored_before = (row.state, row.hash, row.crash_point, row.ended_at)
        active = s.scalar(select(RgsCrashBet.state))
    settled = settle_crash_rounds(db, clock, KEYRING)
    again = settle_crash_rounds(db, clock, KEYRING)
    with db.read_only() as s:
        row = s.get(RgsCrashRound, HIGH)
        stored_after = (row.state, row.hash, row.crash_point)
        bet = s.scalars(select(RgsCrashBet)).one()
        settled_bet = (bet.state, bet.cashout, bet.payout)

    # Until the crash nothing in the table tells the outcome: only the sealed hash.
    assert stored_before == ("open", None, None, None)
    assert active == "active"
    assert settled == [HIGH]
    assert again == []
    assert stored_after == ("settled", HASHES[HIGH], POINTS[HIGH])
    assert settled_bet == ("cashed_out", 200, 2 * UNIT)
    assert _state(db, view)[0] == 100 * UNIT + UNIT
    _ledger_holds(db)


def test_reading_a_crashed_round_settles_it(db, clock, player, chain):
    client, _ = player
    round_view = _betting_on(client, clock, HIGH)
    _bet(client, auto_cashout=200)
    _after_crash(clock, round_view)
    shown = client.get(f"/api/v1/crash/rounds/{HIGH}").json()
    with db.read_only() as s:
        state = s.scalars(select(RgsCrashBet.state)).one()
    assert shown["bets"]["paid"] == {"EUR": 2 * UNIT}
    assert state == "cashed_out"


# -- races -----------------------------------------------------------------------------------


def test_two_workers_creating_the_same_round_agree_on_one(db, clock, chain):
    # The first holds its transaction open after inserting round 1; the second, asking at
    # the same moment, waits on the row (PostgreSQL) or the write lock (SQLite), then finds
    # the first's round instead of making another.
    inserted, release = threading.Event(), threading.Event()
    answers: dict[str, int] = {}

    def first() -> None:
        with db.unit_of_work() as s:
            answers["first"] = service.current_round(s, clock, KEYRING).number
            inserted.set()
            release.wait(10)

    def second() -> None:
        inserted.wait(10)
        with db.unit_of_work() as s:
            answers["second"] = service.current_round(s, clock, KEYRING).number

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    for w in workers:
        w.start()
    inserted.wait(10)
    time.sleep(0.3)  # the second is now blocked behind the first
    release.set()
    for w in workers:
        w.join(20)
    with db.read_only() as s:
        rounds = s.scalars(select(RgsCrashRound.number)).all()
    assert answers == {"first": 1, "second": 1}
    assert rounds == [1]


def test_the_same_bet_sent_twice_at_once_is_one_bet_and_one_stake(db, clock, player, chain):
    client, view = player
    _betting_on(client, clock, 1)
    barrier = threading.Barrier(2)
    responses = []

    def send() -> None:
        barrier.wait(10)
        responses.append(_bet(client, key="twice"))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(r.status_code for r in responses) == [201, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert _state(db, view)[2] == 1
    with db.read_only() as s:
        stakes = s.scalar(select(func.count()).where(LedgerTransfer.id.like("rgs:crash:%:stake")))
    assert stakes == 1
    _ledger_holds(db)


# -- the catalogue and the per-player round endpoint -----------------------------------------


def test_crash_is_listed_with_its_math_and_refused_by_the_per_player_round_endpoint(
    db, clock, player
):
    client, view = player
    crash = client.get("/api/v1/games/crash").json()
    before = _state(db, view)
    refused = client.post(
        "/api/v1/games/crash/rounds", json={"round_key": "x", "stake": UNIT, "params": {}}
    )
    body = assert_problem(refused, 422, "rgs.played_in_shared_rounds")
    assert body["play_at"] == "/api/v1/crash"
    assert _state(db, view) == before
    assert "crash" in TITLES  # so in the games list
    assert (crash["mechanic"], crash["max_multiplier"]) == ("crash", 1_000_000)
    assert 0.99 <= crash["rtp_min"] <= crash["rtp_max"] < 0.9903


# -- the operator's commands -----------------------------------------------------------------


@pytest.fixture
def croupier_env(db, monkeypatch):
    monkeypatch.setenv("CROUPIER_DATABASE_URL", db.url)
    monkeypatch.setenv("CROUPIER_ENV", "test")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_operator_creates_a_chain_and_publishes_its_terminating_hash(db, clock, croupier_env):
    runner = CliRunner()
    created = runner.invoke(cli, ["crash", "chain", "create", "--length", "2500", "--json"])
    assert created.exit_code == 0, created.output
    chain = json.loads(created.stdout)
    shown = json.loads(runner.invoke(cli, ["crash", "chain", "show", "--json"]).stdout)
    later = runner.invoke(cli, ["crash", "chain", "create", "--length", "10", "--salt-later"])
    later_id = later.stdout.split()[1].rstrip(":")
    salted = runner.invoke(cli, ["crash", "chain", "salt", later_id, "block-123", "--json"])
    resalted = runner.invoke(cli, ["crash", "chain", "salt", later_id, "other"])
    bad = runner.invoke(cli, ["crash", "chain", "create", "--length", "5", "--salt", "a:b"])

    assert (chain["first_round"], chain["last_round"]) == (1, 2500)
    assert len(chain["terminating_hash"]) == 64
    assert chain["salt"]
    assert shown["chains"] == [chain]
    assert later.exit_code == 0, later.output
    assert json.loads(salted.stdout)["salt"] == "block-123"
    assert json.loads(salted.stdout)["first_round"] == 2501
    assert resalted.exit_code == 2
    assert "rgs.crash_salt_set" in resalted.stderr
    assert bad.exit_code == 2
    assert "rgs.invalid_client_seed" in bad.stderr
    with db.read_only() as s:
        row = s.get(RgsCrashChain, chain["id"])
        # The seed, hashed 2500 times, gives the published h_0; checkpoints every 1,000.
        seed = KEYRING.open(row.seed_sealed, row.id).decode()
        h_1000 = service.chain_hash(s, KEYRING, row, 1000)
    assert hash_back(seed, 2500) == chain["terminating_hash"]
    assert hash_back(seed, 1500) == h_1000
    assert links_to(h_1000, 1000, chain["terminating_hash"])
