"""Operator endpoints to read ledger accounts, balances, statements and transfers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from croupier.core.wallet import errors, service
from croupier.core.wallet.models import AccountKind
from croupier.core.wallet.schemas import (
    AccountOut,
    AccountPage,
    BalanceOut,
    StatementLineOut,
    StatementPage,
    TransferOut,
)
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    Permission,
    ReadSession,
    problem_responses,
    require_permission,
)

router = APIRouter(
    prefix="/api/v1/backoffice/ledger",
    tags=["ledger (operator)"],
    # Ledger reads are for finance staff and auditors of the whole platform: ledger accounts
    # are not kept per brand, so an operator tied to one brand may not read them.
    dependencies=[Depends(require_permission(Permission.LEDGER_READ, every_brand=True))],
    responses=problem_responses(*PERMISSION_ERRORS),
)

AccountId = Annotated[str, Path(max_length=40, description="Ledger account id (acc_...)")]


@router.get("/accounts", response_model=AccountPage)
def list_accounts(
    session: ReadSession,
    owner_id: Annotated[str | None, Query(max_length=40)] = None,
    kind: AccountKind | None = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=8)] = None,
    after: Annotated[
        str | None, Query(max_length=40, description="Last id of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AccountPage:
    """List ledger accounts, filtered by owner, kind and currency, in id order."""
    accounts = service.list_accounts(
        session, owner_id=owner_id, kind=kind, currency_code=currency, after_id=after, limit=limit
    )
    return AccountPage(
        accounts=[AccountOut.of(a) for a in accounts],
        next_after=accounts[-1].id if len(accounts) == limit else None,
    )


@router.get(
    "/accounts/{account_id}",
    response_model=AccountOut,
    responses=problem_responses(errors.AccountNotFound),
)
def get_account(session: ReadSession, account_id: AccountId) -> AccountOut:
    """One account with its running sums and balance."""
    return AccountOut.of(service.get_account(session, account_id))


@router.get(
    "/accounts/{account_id}/balance",
    response_model=BalanceOut,
    responses=problem_responses(errors.AccountNotFound),
)
def get_balance(session: ReadSession, account_id: AccountId) -> BalanceOut:
    """The account's posted, pending and available balance (read in O(1))."""
    return BalanceOut.of(service.get_balance(session, account_id))


@router.get(
    "/accounts/{account_id}/statement",
    response_model=StatementPage,
    responses=problem_responses(errors.AccountNotFound),
)
def get_statement(
    session: ReadSession,
    account_id: AccountId,
    before: Annotated[
        int | None, Query(ge=1, description="`next_before` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> StatementPage:
    """The account's transfers, newest first, a page at a time (GLI-19 §2.5.7 statements)."""
    account = service.get_account(session, account_id)
    lines = service.get_statement(session, account_id, before_seq=before, limit=limit)
    return StatementPage(
        account=AccountOut.of(account),
        lines=[StatementLineOut.of(line) for line in lines],
        next_before=lines[-1].seq if len(lines) == limit else None,
    )


@router.get(
    # ":path": caller-chosen ids may contain '/' (kernel/ids.py), encoded as %2F or not.
    "/transfers/{transfer_id:path}",
    response_model=TransferOut,
    responses=problem_responses(errors.TransferNotFound),
)
def get_transfer(
    session: ReadSession, transfer_id: Annotated[str, Path(max_length=128)]
) -> TransferOut:
    """One transfer by its caller-chosen id."""
    return TransferOut.of(service.get_transfer(session, transfer_id))
