"""API shapes of the ledger. Amounts are integers of ledger units (fiat: 6 decimals)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from croupier.core.wallet.models import AccountKind, TransferKind
from croupier.core.wallet.service import Account, Balance, StatementLine, Transfer
from croupier.kernel.money import currency


class BalanceOut(BaseModel):
    account_id: str
    currency: str
    scale: int = Field(description="Decimals of the ledger units of this currency")
    posted: int = Field(description="credits_posted - debits_posted")
    pending_debits: int
    pending_credits: int
    available: int = Field(description="posted - pending_debits")

    @classmethod
    def of(cls, balance: Balance) -> BalanceOut:
        return cls(
            account_id=balance.account_id,
            currency=balance.currency,
            scale=currency(balance.currency).ledger_scale,
            posted=balance.posted,
            pending_debits=balance.pending_debits,
            pending_credits=balance.pending_credits,
            available=balance.available,
        )


class AccountOut(BaseModel):
    id: str
    kind: AccountKind
    currency: str
    owner_id: str | None
    name: str | None
    debits_must_not_exceed_credits: bool
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    created_at: datetime
    balance: BalanceOut

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            kind=account.kind,
            currency=account.currency,
            owner_id=account.owner_id,
            name=account.name,
            debits_must_not_exceed_credits=account.debits_must_not_exceed_credits,
            debits_pending=account.debits_pending,
            debits_posted=account.debits_posted,
            credits_pending=account.credits_pending,
            credits_posted=account.credits_posted,
            created_at=account.created_at,
            balance=BalanceOut.of(account.balance),
        )


class AccountPage(BaseModel):
    accounts: list[AccountOut]
    next_after: str | None = Field(description="Pass as `after` for the next page")


class TransferOut(BaseModel):
    id: str
    kind: TransferKind
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    pending_id: str | None
    timeout_seconds: int
    code: str
    reference: str
    created_at: datetime

    @classmethod
    def of(cls, t: Transfer) -> TransferOut:
        return cls(
            id=t.id,
            kind=t.kind,
            debit_account_id=t.debit_account_id,
            credit_account_id=t.credit_account_id,
            amount=t.amount,
            currency=t.currency,
            pending_id=t.pending_id,
            timeout_seconds=t.timeout_seconds,
            code=t.code,
            reference=t.reference,
            created_at=t.created_at,
        )


class StatementLineOut(BaseModel):
    seq: int
    change: int = Field(description="Effect on this account (credit positive); 0 for a void")
    transfer: TransferOut

    @classmethod
    def of(cls, line: StatementLine) -> StatementLineOut:
        return cls(seq=line.seq, change=line.change, transfer=TransferOut.of(line.transfer))


class StatementPage(BaseModel):
    account: AccountOut
    lines: list[StatementLineOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")
