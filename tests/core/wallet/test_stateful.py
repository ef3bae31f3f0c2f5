"""Random sequences of ledger operations checked against a plain in-memory model.

Hypothesis drives transfers (good and bad), pending/post/void with timeouts and expiry, linked
batches, replays and conflicting replays. After every step the database must agree with the
model on every account and every result, and every ledger invariant must hold. Runs on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from croupier.app.tables import metadata
from croupier.core.wallet.models import AccountKind, TransferKind
from croupier.core.wallet.service import (
    NewTransfer,
    create_transfers,
    expire_pending_transfers,
    get_account,
    open_account,
    verify_ledger,
)
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.kernel.models import ensure_reference_data
from croupier.kernel.money import MAX_AMOUNT
from tests.conftest import _truncate_all

AMOUNTS = st.one_of(
    st.integers(min_value=1, max_value=500),
    st.sampled_from([0, -5, MAX_AMOUNT, MAX_AMOUNT + 1]),
)


@dataclass
class ModelAccount:
    currency: str
    guarded: bool
    dp: int = 0
    dpo: int = 0
    cp: int = 0
    cpo: int = 0


@dataclass
class ModelPending:
    debit: str
    credit: str
    amount: int
    expires_at: datetime | None
    status: str = "pending"


@dataclass
class Model:
    accounts: dict[str, ModelAccount] = field(default_factory=dict)
    transfers: dict[str, NewTransfer] = field(default_factory=dict)
    pendings: dict[str, ModelPending] = field(default_factory=dict)


def _fails_shape(t: NewTransfer) -> str | None:
    if t.amount is not None and (t.amount <= 0):
        return "ledger.amount_must_be_positive"
    if t.amount is not None and t.amount > MAX_AMOUNT:
        return "ledger.amount_too_large"
    if (
        t.kind in (TransferKind.SINGLE, TransferKind.PENDING)
        and t.debit_account_id == t.credit_account_id
    ):
        return "ledger.accounts_must_differ"
    return None


def _same(t: NewTransfer, old: NewTransfer) -> bool:
    return replace(t, linked=False) == replace(old, linked=False)


def model_apply(m: Model, t: NewTransfer, now: datetime) -> str | None:
    """Apply one transfer to the model; returns the error code or None. Mutates ``m`` on success."""
    code = _fails_shape(t)
    if code:
        return code
    if t.id in m.transfers:
        return None if _same(t, m.transfers[t.id]) else "ledger.transfer_id_conflict"
    if t.kind in (TransferKind.SINGLE, TransferKind.PENDING):
        assert t.debit_account_id is not None
        assert t.credit_account_id is not None
        assert t.amount is not None
        d = m.accounts.get(t.debit_account_id)
        c = m.accounts.get(t.credit_account_id)
        if d is None or c is None:
            return "ledger.account_not_found"
        if d.currency != c.currency:
            return "ledger.currency_mismatch"
        if t.kind is TransferKind.PENDING:
            d.dp += t.amount
            c.cp += t.amount
        else:
            d.dpo += t.amount
            c.cpo += t.amount
        for acc in (d, c):
            if acc.dpo + acc.dp > MAX_AMOUNT or acc.cpo + acc.cp > MAX_AMOUNT:
                return "ledger.overflow"
        if d.guarded and d.dpo + d.dp > d.cpo:
            return "ledger.insufficient_funds"
        if t.kind is TransferKind.PENDING:
            expires = now + timedelta(seconds=t.timeout_seconds) if t.timeout_seconds else None
            m.pendings[t.id] = ModelPending(
                t.debit_account_id, t.credit_account_id, t.amount, expires
            )
        m.transfers[t.id] = t
        return None
    assert t.pending_id is not None
    p = m.pendings.get(t.pending_id)
    if p is None:
        return (
            "ledger.not_a_pending_transfer"
            if t.pending_id in m.transfers
            else "ledger.pending_transfer_not_found"
        )
    if p.status != "pending":
        return {
            "posted": "ledger.pending_transfer_already_posted",
            "voided": "ledger.pending_transfer_already_voided",
            "expired": "ledger.pending_transfer_expired",
        }[p.status]
    if p.expires_at is not None and p.expires_at <= now:
        return "ledger.pending_transfer_expired"
    amount = p.amount
    if t.kind is TransferKind.POST_PENDING and t.amount is not None:
        if t.amount > p.amount:
            return "ledger.post_exceeds_pending_amount"
        amount = t.amount
    d, c = m.accounts[p.debit], m.accounts[p.credit]
    d.dp -= p.amount
    c.cp -= p.amount
    if t.kind is TransferKind.POST_PENDING:
        d.dpo += amount
        c.cpo += amount
        p.status = "posted"
    else:
        p.status = "voided"
    m.transfers[t.id] = t
    return None


def model_batch(m: Model, batch: list[NewTransfer], now: datetime) -> list[str | None]:
    """Apply a batch: each unlinked transfer alone, each linked chain all or nothing."""
    out: list[str | None] = []
    i = 0
    while i < len(batch):
        j = i
        while batch[j].linked and j + 1 < len(batch):
            j += 1
        chain = batch[i : j + 1]
        trial = copy.deepcopy(m)
        codes = [None] * len(chain)
        failed = None
        for k, t in enumerate(chain):
            code = model_apply(trial, t, now)
            if code:
                failed = k
                codes[k] = code
                break
        if failed is None and chain[-1].linked:
            failed = len(chain) - 1
            codes[failed] = "ledger.linked_chain_open"
        if failed is None:
            m.accounts, m.transfers, m.pendings = trial.accounts, trial.transfers, trial.pendings
        else:
            codes = [
                c if k == failed else "ledger.linked_transfer_failed" for k, c in enumerate(codes)
            ]
        out.extend(codes)
        i = j + 1
    return out


def make_machine(database_factory):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def open_accounts(self) -> None:
            self.db: Database = database_factory()
            self.clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
            self.model = Model()
            self.counter = 0
            specs = [
                (AccountKind.PLAYER_CASH, "EUR"),
                (AccountKind.PLAYER_CASH, "EUR"),
                (AccountKind.PLAYER_BONUS, "EUR"),
                (AccountKind.PLAYER_CASH, "USD"),
                (AccountKind.HOUSE, "EUR"),
                (AccountKind.HOUSE, "USD"),
                (AccountKind.SANDBOX_FUNDING, "EUR"),
                (AccountKind.SANDBOX_FUNDING, "USD"),
            ]
            with self.db.unit_of_work() as s:
                for i, (kind, cur) in enumerate(specs):
                    acc = open_account(s, self.clock, kind=kind, currency_code=cur, name=f"a{i}")
                    self.model.accounts[acc.id] = ModelAccount(
                        cur, kind in (AccountKind.PLAYER_CASH, AccountKind.PLAYER_BONUS)
                    )
            # creation order, not sorted: ids are random, and draws must mean the same each run
            self.ids = [*self.model.accounts, "acc_UNKNOWN"]
            # fund the player accounts so that bets, holds and posts mostly succeed
            funding = {"EUR": self.ids[6], "USD": self.ids[7]}
            self.run(
                [
                    NewTransfer(
                        id=f"fund-{i}",
                        debit_account_id=funding[self.model.accounts[a].currency],
                        credit_account_id=a,
                        amount=2_000,
                    )
                    for i, a in enumerate(self.ids[:4])
                ]
            )

        def new_id(self) -> str:
            self.counter += 1
            return f"t{self.counter}"

        def run(self, batch: list[NewTransfer]) -> None:
            expected = model_batch(self.model, batch, self.clock.now())
            with self.db.unit_of_work() as s:
                results = create_transfers(s, self.clock, batch)
            got = [r.error.code if r.error else None for r in results]
            assert got == expected, (batch, got, expected)

        def account_id(self, data: st.DataObject) -> str:
            return data.draw(st.sampled_from(self.ids))

        def plain(self, data: st.DataObject, **kw: object) -> NewTransfer:
            return NewTransfer(
                id=self.new_id(),
                debit_account_id=self.account_id(data),
                credit_account_id=self.account_id(data),
                amount=data.draw(AMOUNTS),
                **kw,  # type: ignore[arg-type]
            )

        @rule(data=st.data())
        def single(self, data: st.DataObject) -> None:
            self.run([self.plain(data)])

        @rule(data=st.data(), timeout=st.sampled_from([0, 0, 30, 120]))
        def pending(self, data: st.DataObject, timeout: int) -> None:
            self.run([self.plain(data, kind=TransferKind.PENDING, timeout_seconds=timeout)])

        @rule(data=st.data())
        def resolve(self, data: st.DataObject) -> None:
            open_ = sorted(k for k, p in self.model.pendings.items() if p.status == "pending")
            targets = open_ * 3 + sorted(self.model.pendings) + sorted(self.model.transfers)[:2]
            pending_id = data.draw(st.sampled_from([*targets, "unknown"]))
            kind = data.draw(
                st.sampled_from([TransferKind.POST_PENDING, TransferKind.VOID_PENDING])
            )
            amount = None
            held = (
                self.model.pendings[pending_id].amount if pending_id in self.model.pendings else 50
            )
            if kind is TransferKind.POST_PENDING:
                amount = data.draw(
                    st.one_of(
                        st.none(),
                        st.integers(min_value=1, max_value=held),  # partial or full
                        st.integers(min_value=held + 1, max_value=held + 10),  # too much
                    )
                )
            self.run(
                [NewTransfer(id=self.new_id(), kind=kind, pending_id=pending_id, amount=amount)]
            )

        @rule(data=st.data(), size=st.integers(min_value=2, max_value=4))
        def linked_batch(self, data: st.DataObject, size: int) -> None:
            batch = [self.plain(data, linked=True) for _ in range(size)]
            if data.draw(st.booleans()):
                batch[-1] = replace(batch[-1], linked=False)
            self.run(batch)

        @rule(data=st.data())
        def replay(self, data: st.DataObject) -> None:
            if not self.model.transfers:
                return
            original = self.model.transfers[
                data.draw(st.sampled_from(sorted(self.model.transfers)))
            ]
            self.run([replace(original, linked=False)])

        @rule(data=st.data())
        def conflicting_replay(self, data: st.DataObject) -> None:
            if not self.model.transfers:
                return
            original = self.model.transfers[
                data.draw(st.sampled_from(sorted(self.model.transfers)))
            ]
            self.run([replace(original, linked=False, reference="changed")])

        @rule(seconds=st.integers(min_value=1, max_value=90))
        def time_passes_and_expiry_runs(self, seconds: int) -> None:
            self.clock.advance(timedelta(seconds=seconds))
            now = self.clock.now()
            expected = 0
            for p in self.model.pendings.values():
                if p.status == "pending" and p.expires_at is not None and p.expires_at <= now:
                    p.status = "expired"
                    self.model.accounts[p.debit].dp -= p.amount
                    self.model.accounts[p.credit].cp -= p.amount
                    expected += 1
            with self.db.unit_of_work() as s:
                assert expire_pending_transfers(s, self.clock) == expected

        @invariant()
        def database_agrees_with_model_and_ledger_verifies(self) -> None:
            if not hasattr(self, "db"):
                return
            with self.db.read_only() as s:
                for acc_id, want in self.model.accounts.items():
                    got = get_account(s, acc_id)
                    assert (
                        got.debits_pending,
                        got.debits_posted,
                        got.credits_pending,
                        got.credits_posted,
                    ) == (
                        want.dp,
                        want.dpo,
                        want.cp,
                        want.cpo,
                    ), acc_id
                assert verify_ledger(s) == []

        def teardown(self) -> None:
            if hasattr(self, "db"):
                self.db.dispose()

    return LedgerMachine


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_random_operation_sequences_agree_with_the_model(backend, request, tmp_path: Path):
    counter = iter(range(10**6))
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_database_url")

        def factory() -> Database:
            db = Database(url, pool_size=2)
            _truncate_all(db)
            with db.unit_of_work() as s:
                ensure_reference_data(s)
            return db
    else:

        def factory() -> Database:
            db = Database(f"sqlite:///{tmp_path / f'stateful-{next(counter)}.db'}", pool_size=2)
            metadata.create_all(db.engine)
            with db.unit_of_work() as s:
                ensure_reference_data(s)
            return db

    machine = make_machine(factory)
    machine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
