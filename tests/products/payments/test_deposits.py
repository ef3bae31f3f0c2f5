"""Deposits against simulated PSPs on real sockets: the state machine, exactly-once credit,
policy first, failover on retryable errors only, the janitor for unknown outcomes,
chargebacks and refunds."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from croupier.core.wallet import AccountKind, get_balance, platform_account
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.policy.compliance.errors import SelfExcluded
from croupier.policy.rg import service as rg
from croupier.products.payments import errors, orchestration
from croupier.products.payments.models import Payment, PaymentAttempt, PaymentInstrument
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.simulators.psp import RunningPsp
from tests.policy.policy_fixtures import player_in
from tests.products.payments.payment_fixtures import (
    CENT,
    UNIT,
    Janitor,
    balance,
    config_for,
    counts,
    deposit,
    deposit_request,
    ledger_ok,
    next_id,
    psps,
)


@pytest.fixture
def card_psps() -> Iterator[list[RunningPsp]]:
    with psps(("card-a", "card"), ("card-b", "card")) as running:
        yield running


@pytest.fixture
def runtime(card_psps: list[RunningPsp]) -> Iterator[PaymentsRuntime]:
    primary, backup = card_psps
    built = PaymentsRuntime.build(
        config_for([(primary, "card"), (backup, "card")], timeout_seconds=1.0)
    )
    yield built
    built.close()


def test_card_deposit_is_captured_and_credited_exactly_once(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 25 * UNIT, client_id="first-deposit")
    assert view.status == "captured"
    assert view.amount_minor == 2500
    assert [t.to_status for t in view.transitions] == ["created", "captured"]
    assert view.psp == "card-a"
    assert balance(db, player) == 25 * UNIT
    # The same id again: the same deposit, nothing credited twice.
    again = deposit(db, clock, runtime, player, 25 * UNIT, client_id="first-deposit")
    assert again.id == view.id
    assert balance(db, player) == 25 * UNIT
    with db.read_only() as s:
        clearing = platform_account(
            s, clock, kind=AccountKind.PSP_CLEARING, currency_code="EUR", name="psp:card-a"
        )
        assert get_balance(s, clearing.id).posted == -25 * UNIT
        instrument = s.scalar(select(PaymentInstrument))
        assert instrument is not None
        assert instrument.verified_at is not None
        assert "4111111111111111" not in instrument.display
    assert ledger_ok(db)


def test_same_id_with_another_amount_is_a_conflict_and_changes_nothing(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player = player_in(db, clock, "MT")
    deposit(db, clock, runtime, player, 10 * UNIT, client_id="dup")
    before = counts(db)
    with pytest.raises(errors.IdConflict):
        deposit(db, clock, runtime, player, 11 * UNIT, client_id="dup")
    assert counts(db) == before
    assert balance(db, player) == 10 * UNIT


@pytest.mark.parametrize(
    ("amount", "code"),
    [(0, "payments.invalid_amount"), (CENT // 2, "payments.invalid_amount")],
)
def test_bad_amounts_are_refused_and_nothing_is_recorded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, amount: int, code: str
) -> None:
    player = player_in(db, clock, "MT")
    before = counts(db)
    with pytest.raises(errors.InvalidAmount) as refused:
        deposit(db, clock, runtime, player, amount)
    assert refused.value.code == code
    assert counts(db) == before


def test_a_bad_card_number_is_refused_before_anything_is_recorded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player = player_in(db, clock, "MT")
    before = counts(db)
    with pytest.raises(errors.InvalidInstrument):
        deposit(db, clock, runtime, player, 10 * UNIT, card="4111111111111112")
    assert counts(db) == before


def test_a_self_excluded_player_cannot_deposit_and_nothing_is_recorded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        rg.self_exclude(s, clock, player.id, months=6, actor="test")
    before = counts(db)
    with pytest.raises(SelfExcluded):
        deposit(db, clock, runtime, player, 10 * UNIT)
    assert counts(db) == before
    assert balance(db, player) == 0


def test_a_decline_rule_declines_with_its_reason_and_credits_nothing(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    card_psps[0].set_faults(decline_rules=[{"card_prefix": "4000000000000002", "code": "stolen"}])
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 10 * UNIT, card="4000000000000002")
    assert view.status == "declined"
    assert view.reason is not None
    assert "stolen" in view.reason
    assert balance(db, player) == 0
    # A decline is an answer: no failover to the backup.
    assert card_psps[1].stats()["payments_created"] == 0
    assert ledger_ok(db)


def test_an_unavailable_primary_fails_over_to_the_backup(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    card_psps[0].set_faults(down=True)
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 10 * UNIT)
    assert view.status == "captured"
    assert view.psp == "card-b"
    assert balance(db, player) == 10 * UNIT
    with db.read_only() as s:
        attempts = [(a.psp, a.outcome) for a in s.scalars(select(PaymentAttempt))]
    assert attempts == [("card-a", "retryable"), ("card-b", "ok")]


def test_with_every_psp_down_the_deposit_fails_with_the_reason(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    for psp in card_psps:
        psp.set_faults(down=True)
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 10 * UNIT)
    assert view.status == "failed"
    assert view.reason is not None
    assert "card-a" in view.reason
    assert "card-b" in view.reason
    assert balance(db, player) == 0


def test_an_ambiguous_answer_never_fails_over_and_the_janitor_finds_the_outcome(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    card_psps[0].set_faults(ambiguous_rate=1.0)
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 10 * UNIT)
    assert view.status == "pending"
    assert card_psps[1].stats()["payments_created"] == 0  # never sent elsewhere
    assert balance(db, player) == 0
    card_psps[0].reset_faults()
    assert Janitor(db, clock, runtime).until(view.id, "captured") == "captured"
    assert balance(db, player) == 10 * UNIT
    assert ledger_ok(db)


def test_a_timeout_is_ambiguous_too(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    card_psps[0].set_faults(latency_ms=1500)  # longer than the 1 s timeout
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 10 * UNIT)
    assert view.status == "pending"
    card_psps[0].reset_faults()
    assert Janitor(db, clock, runtime).until(view.id, "captured") == "captured"
    assert balance(db, player) == 10 * UNIT


def test_three_d_secure_waits_for_the_player_then_captures(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 80 * UNIT)  # above the 50.00 3DS threshold
    assert view.status == "pending"
    assert view.redirect_url is not None
    assert balance(db, player) == 0
    # The player's browser completes the challenge at the PSP.
    assert view.psp_reference is not None
    httpx.post(f"{card_psps[0].url}/3ds/{view.psp_reference}", json={"outcome": "pass"})
    assert Janitor(db, clock, runtime).until(view.id, "captured") == "captured"
    assert balance(db, player) == 80 * UNIT


def test_a_failed_three_d_secure_declines(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card_psps: list[RunningPsp]
) -> None:
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 80 * UNIT)
    assert view.psp_reference is not None
    httpx.post(f"{card_psps[0].url}/3ds/{view.psp_reference}", json={"outcome": "fail"})
    assert Janitor(db, clock, runtime).until(view.id, "declined") == "declined"
    assert balance(db, player) == 0


def test_a_refund_gives_the_money_back_through_the_psp(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player = player_in(db, clock, "MT")
    view = deposit(db, clock, runtime, player, 30 * UNIT)
    refunded = orchestration.refund(
        db, clock, runtime, view.id, actor="operator:test", reason="player asked"
    )
    assert refunded.status == "refunded"
    assert balance(db, player) == 0
    with pytest.raises(errors.InvalidState):
        orchestration.refund(db, clock, runtime, view.id, actor="operator:test", reason="again")
    assert ledger_ok(db)


def test_a_deposit_never_placed_is_failed_by_the_janitor(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    # A process that stopped between recording a deposit and calling the PSP.
    from croupier.products.payments import service

    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        view, _ = service.create_deposit(
            s, clock, runtime.config, runtime.context, player.id, deposit_request(10 * UNIT)
        )
    assert Janitor(db, clock, runtime).until(view.id, "failed") == "failed"
    with db.read_only() as s:
        payment = s.get(Payment, view.id)
        assert payment is not None
        assert payment.reason == "never placed with a PSP"
    assert balance(db, player) == 0


def test_no_route_is_refused_and_nothing_is_recorded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    from croupier.products.payments import service

    player = player_in(db, clock, "MT")
    before = counts(db)
    with pytest.raises(errors.NoRoute):
        orchestration.deposit(
            db,
            clock,
            runtime,
            player.id,
            service.DepositRequest(
                client_id=next_id(),
                amount=10 * UNIT,
                currency="EUR",
                instrument=service.InstrumentIn(method="ewallet", wallet_id="a@b.example"),
            ),
        )
    assert counts(db) == before


def test_a_player_deposits_only_in_their_currency(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    from croupier.products.payments import service

    player = player_in(db, clock, "MT")
    with pytest.raises(errors.WrongCurrency):
        orchestration.deposit(
            db,
            clock,
            runtime,
            player.id,
            service.DepositRequest(
                client_id=next_id(),
                amount=10 * UNIT,
                currency="GBP",
                instrument=service.InstrumentIn(method="card", card_number="4111111111111111"),
            ),
        )
    assert counts(db)[0] == 0


def test_a_deposit_over_the_players_limit_is_refused_and_nothing_is_recorded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    from croupier.kernel.jurisdictions import LimitKind, LimitPeriod
    from croupier.policy.compliance.errors import DepositLimitExceeded

    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        rg.set_limit(
            s, clock, player.id, LimitKind.DEPOSIT, LimitPeriod.DAY, 50 * UNIT, actor="test"
        )
    assert deposit(db, clock, runtime, player, 30 * UNIT).status == "captured"
    before = counts(db)
    with pytest.raises(DepositLimitExceeded):
        deposit(db, clock, runtime, player, 30 * UNIT)
    assert counts(db) == before
    assert balance(db, player) == 30 * UNIT


def test_where_partial_acceptance_is_allowed_a_deposit_is_cut_to_the_limit_and_says_so(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No shipped jurisdiction allows it (each says why in its file); GLI-19 §2.5.6 does if the
    # player is told. A jurisdiction that does:
    from croupier.kernel.jurisdictions import LimitKind, LimitPeriod, jurisdiction
    from croupier.policy.compliance import service as policy

    lenient = jurisdiction("MT").model_copy(update={"partial_acceptance_at_limit": True})
    monkeypatch.setattr(policy, "jurisdiction", lambda _code: lenient)
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        rg.set_limit(
            s, clock, player.id, LimitKind.DEPOSIT, LimitPeriod.DAY, 25 * UNIT, actor="test"
        )

    view = deposit(db, clock, runtime, player, 40 * UNIT)

    assert (view.status, view.amount, view.partial) == ("captured", 25 * UNIT, True)
    assert view.reason is None
    assert balance(db, player) == 25 * UNIT
    with db.read_only() as s:  # and it stays so, read back later
        assert orchestration.service.payment_view(s, view.id).partial is True
