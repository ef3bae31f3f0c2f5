"""The wallet: a double-entry, append-only ledger with TigerBeetle's semantics.

Public names are the service functions and values; other modules call these and nothing else.
"""

from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.models import AccountKind, PendingStatus, TransferKind
from croupier.core.wallet.receivables import receivable_account, take_back
from croupier.core.wallet.service import (
    Account,
    Balance,
    LedgerViolation,
    NewTransfer,
    StatementLine,
    Transfer,
    TransferResult,
    available_of,
    create_transfers,
    expire_pending_transfers,
    find_platform_account,
    get_account,
    get_balance,
    get_statement,
    get_transfer,
    list_accounts,
    open_account,
    platform_account,
    platform_account_id,
    posted_amounts,
    sum_posted,
    sums_posted,
    transfer,
    transfers_between,
    verify_ledger,
)

__all__ = [
    "Account",
    "AccountKind",
    "Balance",
    "GroupCommitter",
    "LedgerViolation",
    "NewTransfer",
    "PendingStatus",
    "StatementLine",
    "Transfer",
    "TransferKind",
    "TransferResult",
    "available_of",
    "create_transfers",
    "expire_pending_transfers",
    "find_platform_account",
    "get_account",
    "get_balance",
    "get_statement",
    "get_transfer",
    "list_accounts",
    "open_account",
    "platform_account",
    "platform_account_id",
    "posted_amounts",
    "receivable_account",
    "sum_posted",
    "sums_posted",
    "take_back",
    "transfer",
    "transfers_between",
    "verify_ledger",
]
