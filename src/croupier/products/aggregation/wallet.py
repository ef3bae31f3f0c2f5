"""The seamless wallet that third-party game servers call: rounds and transactions, whatever
the protocol.

A protocol adapter (:mod:`.caleta`, :mod:`.hub88`) checks the signature, decodes the body and
converts the amounts into ledger units; it then calls one of the five verbs here and translates
the :class:`Answer` back. Everything that decides money lives here, once:

- A transaction is processed at most once per provider, by the provider's id for it. A repeat
  with the same player, round, game, kind and amount answers ``OK`` with the current balance;
  any other repeat is ``DUPLICATE_TRANSACTION``.
- A bet debits the player's cash, or for a free bet (``is_free``) the provider's free-bet
  promotions account, and credits the provider's house account. A win pays the player's cash
  from the house account. A rollback moves its transaction's money back.
- A rollback of a transaction we never saw answers ``OK`` and is kept: the transaction
  arriving late is refused (``TRANSACTION_ROLLED_BACK``) and never moves money.
- Policy decides every bet (GLI-19 §4.15): a blocked player is ``USER_DISABLED``, a stake over
  a limit or cap ``BET_LIMIT_EXCEEDED``, a game not offered or disabled ``INVALID_GAME``.
  Wins and rollbacks are always accepted: an open round finishes whatever happened since.
- A superseded token takes no bets (``TOKEN_EXPIRED``); its wins and rollbacks, and those of
  an expired token, are still accepted: they only ever settle bets that exist.

Each verb runs in the caller's unit of work and serializes on the player's row, so two
requests of one player (a retry racing its original, a bet racing its rollback) never
interleave; a refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import structlog
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import check_play
from croupier.core.players.models import Player
from croupier.core.wallet import (
    AccountKind,
    Balance,
    NewTransfer,
    create_transfers,
    get_balance,
    platform_account_id,
)
from croupier.core.wallet import errors as ledger_errors
from croupier.kernel.clock import Clock
from croupier.kernel.errors import DomainError
from croupier.kernel.ids import new_id
from croupier.policy.compliance import may_bet, may_play
from croupier.products.aggregation import errors, sessions
from croupier.products.aggregation.models import (
    GameProvider,
    ProviderGame,
    ProviderRound,
    ProviderTransaction,
)

log = structlog.get_logger(__name__)

MAX_ID_LENGTH: Final = 100


class Status(StrEnum):
    """What the wallet answers; adapters spell these in their protocol."""

    OK = "OK"
    UNKNOWN = "UNKNOWN"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105
    INVALID_GAME = "INVALID_GAME"
    WRONG_CURRENCY = "WRONG_CURRENCY"
    NOT_ENOUGH_MONEY = "NOT_ENOUGH_MONEY"
    USER_DISABLED = "USER_DISABLED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105
    DUPLICATE_TRANSACTION = "DUPLICATE_TRANSACTION"
    TRANSACTION_DOES_NOT_EXIST = "TRANSACTION_DOES_NOT_EXIST"
    TRANSACTION_ROLLED_BACK = "TRANSACTION_ROLLED_BACK"
    BET_LIMIT_EXCEEDED = "BET_LIMIT_EXCEEDED"


class Kind(StrEnum):
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class ProviderRef:
    id: str
    name: str
    protocol: str
    public_key_pem: str
    public_key_sha256: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a wallet call. ``balance`` is the player's available cash in ledger
    units (None when the token named nobody); ``reason`` is for logs, never for the provider."""

    status: Status
    player_id: str | None = None
    currency: str | None = None
    balance: int | None = None
    token: str | None = None  # a fresh token, from ``check``
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Movement:
    """A bet or a win as the provider sent it, with the amount in ledger units."""

    token: str
    transaction_uuid: str
    round: str
    game_code: str
    amount: int
    currency: str
    is_free: bool
    round_closed: bool
    reference_uuid: str | None = None  # a win: its bet
    user: str | None = None  # the operator's user id, where the protocol sends it


@dataclass(frozen=True, slots=True)
class Rollback:
    token: str
    transaction_uuid: str
    reference_uuid: str
    round: str
    game_code: str
    round_closed: bool
    user: str | None = None


class _Refused(Exception):
    """Stops a verb with an answer; nothing was written. With the call under way, the answer
    tells the player's balance."""

    def __init__(self, status: Status, reason: str, *, call: _Call | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.call = call


def house_account_name(provider: str) -> str:
    return f"provider:{provider}"


def free_bets_account_name(provider: str) -> str:
    return f"free-bets:{provider}"


def provider_by_name(session: Session, name: str) -> ProviderRef | None:
    row = session.scalar(select(GameProvider).where(GameProvider.name == name))
    if row is None:
        return None
    return ProviderRef(
        id=row.id,
        name=row.name,
        protocol=row.protocol,
        public_key_pem=row.public_key_pem,
        public_key_sha256=row.public_key_sha256,
        enabled=row.enabled,
    )


# -- policy -----------------------------------------------------------------------------------

# Refusals of policy by what the provider is told; anything else blocks the player.
_LIMIT_CODES: Final = frozenset(
    {
        "rg.wager_limit_exceeded",
        "rg.loss_limit_exceeded",
        "rg.session_time_limit_reached",
        "rg.reality_check_due",
        "compliance.stake_above_cap",
        "gamecontrol.stake_above_game_cap",
    }
)
_GAME_CODES: Final = frozenset(
    {
        "compliance.product_not_offered",
        "gamecontrol.game_disabled",
        "gamecontrol.gaming_suspended",
        "aggregation.provider_disabled",
        "aggregation.game_not_offered_in_jurisdiction",
        "aggregation.game_blocked_in_country",
    }
)


def _policy_status(error: DomainError) -> Status:
    if error.code in _LIMIT_CODES:
        return Status.BET_LIMIT_EXCEEDED
    if error.code in _GAME_CODES:
        return Status.INVALID_GAME
    return Status.USER_DISABLED


# -- one call under way -------------------------------------------------------------------------


_Caller = sessions.ResolvedSession
_LOCK_PLAYER = select(Player.id).where(Player.id == bindparam("player_id")).with_for_update()


def _caller(
    session: Session,
    clock: Clock,
    provider: ProviderRef,
    token: str,
    *,
    any_age: bool,
    user: str | None = None,
) -> _Caller:
    """Who the token stands for. Unknown and expired tokens are refused alike, except that
    ``any_age`` accepts an expired one (wins and rollbacks); a token of another provider, or
    of another user than the one the request names, is invalid here."""
    try:
        caller = sessions.resolve_session(session, clock, token, for_bet=False, any_age=any_age)
    except errors.GameSessionInvalid:
        raise _Refused(Status.INVALID_TOKEN, "unknown or expired token") from None
    if caller.session.provider != provider.name:
        raise _Refused(Status.INVALID_TOKEN, "token of another provider")
    if user is not None and user != caller.player_id:
        raise _Refused(Status.INVALID_TOKEN, "token of another user")
    return caller


def _game(
    session: Session, provider: ProviderRef, caller: _Caller | None, code: str
) -> ProviderGame:
    # The session's own game is the usual case: by primary key, read once per transaction (a
    # batch of calls shares it; the identity map alone keeps only weak references).
    if caller is not None and code == caller.session.game_code:
        games: dict[str, ProviderGame | None] = session.info.setdefault("provider_games", {})
        game_id = caller.session.game_id
        if game_id not in games:
            games[game_id] = session.get(ProviderGame, game_id)
        game = games[game_id]
    else:
        game = session.scalar(
            select(ProviderGame).where(
                ProviderGame.provider_id == provider.id, ProviderGame.code == code
            )
        )
    if game is None:
        raise _Refused(Status.INVALID_GAME, f"no game {code!r}")
    return game


@dataclass(frozen=True, slots=True)
class _Found:
    by_uuid: dict[str, ProviderTransaction]
    rolled_back_unseen: set[str | None]


@dataclass(slots=True)
class _Call:
    """A bet, win or rollback under way: who calls, for which game, and what it names."""

    session: Session
    clock: Clock
    provider: ProviderRef
    caller: _Caller
    game: ProviderGame
    transaction_uuid: str
    round_id: str
    # Balances after the call's own transfer (create_transfers reports the accounts it
    # locked): the answer's balance without reading it back.
    balances: dict[str, Balance] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        session: Session,
        clock: Clock,
        provider: ProviderRef,
        request: Movement | Rollback,
        *,
        any_age: bool,
    ) -> _Call:
        caller = _caller(
            session, clock, provider, request.token, any_age=any_age, user=request.user
        )
        game = _game(session, provider, caller, request.game_code)
        # Every write of one player's wallet serializes here (SQLite has one writer anyway):
        # a retry racing its original, or a bet racing its rollback, never interleave.
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_LOCK_PLAYER, {"player_id": caller.player_id})
        return cls(session, clock, provider, caller, game, request.transaction_uuid, request.round)

    def answer(self, status: Status = Status.OK, reason: str = "") -> Answer:
        cash = self.caller.cash_account_id
        known = self.balances.get(cash)  # as the call's own transfer left it, if it had one
        return Answer(
            status=status,
            player_id=self.caller.player_id,
            currency=self.caller.currency,
            balance=(known if known is not None else get_balance(self.session, cash)).available,
            reason=reason,
        )

    def find(self, *uuids: str) -> _Found:
        """The transactions with these ids, and which of them were rolled back before we saw
        them: one statement, as every call needs it."""
        table = ProviderTransaction
        rows = self.session.scalars(
            select(table).where(
                table.provider_id == self.provider.id,
                or_(
                    table.transaction_uuid.in_(uuids),
                    and_(table.reference_uuid.in_(uuids), table.kind == Kind.ROLLBACK.value),
                ),
            )
        ).all()
        by_uuid = {r.transaction_uuid: r for r in rows if r.transaction_uuid in uuids}
        unseen = {
            r.reference_uuid
            for r in rows
            if r.kind == Kind.ROLLBACK.value and r.reference_uuid not in by_uuid
        }
        return _Found(by_uuid, unseen)

    def round(self) -> ProviderRound | None:
        return self.session.scalar(
            select(ProviderRound).where(
                ProviderRound.provider_id == self.provider.id,
                ProviderRound.round == self.round_id,
            )
        )

    def replay(
        self, existing: ProviderTransaction, kind: Kind, amount: int, reference_uuid: str | None
    ) -> Answer:
        """The answer to a transaction id seen before: the same request again, or a conflict.
        The spec compares player, round and game; the kind, amount and reference are compared
        too, because a retry never changes them."""
        same = (
            existing.kind == kind.value
            and existing.player_id == self.caller.player_id
            and existing.round == self.round_id
            and existing.game_id == self.game.id
            and existing.reference_uuid == reference_uuid
            and (kind is Kind.ROLLBACK or existing.amount == amount)
        )
        if not same:
            return self.answer(Status.DUPLICATE_TRANSACTION, "transaction id used for another")
        return self.answer(reason="replay")

    def account(self, kind: AccountKind, name: str) -> str:
        return platform_account_id(
            self.session, self.clock, kind=kind, currency_code=self.caller.currency, name=name
        )

    def house(self) -> str:
        return self.account(AccountKind.HOUSE, house_account_name(self.provider.name))

    def funding(self, is_free: bool) -> str:
        """Where a stake comes from: the free-bet promotions account, or the player's cash."""
        if is_free:
            return self.account(AccountKind.PROMOTIONS, free_bets_account_name(self.provider.name))
        return self.caller.cash_account_id

    def move(
        self, tx_id: str, *, debit: str, credit: str, amount: int, code: str, reference: str
    ) -> str | None:
        """Make the transaction's transfer (none for zero); refuse ``NOT_ENOUGH_MONEY`` with
        nothing moved when the player's cash cannot pay it."""
        if amount == 0:
            return None
        transfer_id = f"gal:{tx_id}"
        result = create_transfers(
            self.session,
            self.clock,
            [
                NewTransfer(
                    id=transfer_id,
                    debit_account_id=debit,
                    credit_account_id=credit,
                    amount=amount,
                    currency=self.caller.currency,
                    code=code,
                    reference=reference,
                )
            ],
            balances=self.balances,
        )[0]
        if isinstance(result.error, ledger_errors.InsufficientFunds):
            raise _Refused(Status.NOT_ENOUGH_MONEY, "insufficient funds", call=self)
        result.unwrap()
        return transfer_id

    def record(
        self,
        tx_id: str,
        kind: Kind,
        round_row: ProviderRound | None,
        *,
        amount: int,
        is_free: bool,
        reference_uuid: str | None,
        transfer_id: str | None,
        round_closed: bool,
    ) -> Answer:
        self.session.add(
            ProviderTransaction(
                id=tx_id,
                provider_id=self.provider.id,
                transaction_uuid=self.transaction_uuid,
                kind=kind.value,
                player_id=self.caller.player_id,
                round_id=round_row.id if round_row is not None else None,
                round=self.round_id,
                game_id=self.game.id,
                session_id=self.caller.session.id,
                amount=amount,
                is_free=is_free,
                reference_uuid=reference_uuid,
                transfer_id=transfer_id,
                rolled_back=False,
                created_at=self.clock.now(),
            )
        )
        if round_closed and round_row is not None and round_row.status == "open":
            round_row.status = "closed"
            round_row.closed_at = self.clock.now()
            round_row.closed_by = "provider"
        self.session.flush()
        return self.answer()


def _run(verb: Callable[[], Answer]) -> Answer:
    """A verb's answer; a refusal raised on the way becomes its answer (nothing was written)."""
    try:
        return verb()
    except _Refused as refused:
        if refused.call is not None:
            return refused.call.answer(refused.status, refused.reason)
        return Answer(status=refused.status, reason=refused.reason)


# -- the verbs --------------------------------------------------------------------------------


def balance(
    session: Session,
    clock: Clock,
    provider: ProviderRef,
    *,
    token: str,
    game_code: str,
    user: str | None = None,
) -> Answer:
    """The player's available cash, for a live token."""

    def run() -> Answer:
        caller = _caller(session, clock, provider, token, any_age=False, user=user)
        _game(session, provider, caller, game_code)
        return Answer(
            status=Status.OK,
            player_id=caller.player_id,
            currency=caller.currency,
            balance=get_balance(session, caller.cash_account_id).available,
        )

    return _run(run)


def check(session: Session, clock: Clock, provider: ProviderRef, *, token: str) -> Answer:
    """Exchange a live token for a fresh one of the same player and game; the new one takes
    the bets from now on (Caleta ``/wallet/check``)."""

    def run() -> Answer:
        caller = _caller(session, clock, provider, token, any_age=False)
        issued = sessions.reissue(session, clock, caller.session.id)
        return Answer(status=Status.OK, player_id=caller.player_id, token=issued.token)

    return _run(run)


def bet(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    """Debit a stake (or draw a free bet from promotions) into the round."""
    return _run(lambda: _bet(session, clock, provider, request))


def _bet(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    call = _Call.open(session, clock, provider, request, any_age=False)
    found = call.find(request.transaction_uuid)
    existing = found.by_uuid.get(request.transaction_uuid)
    if existing is not None:
        return call.replay(existing, Kind.BET, request.amount, None)
    if request.transaction_uuid in found.rolled_back_unseen:
        return call.answer(Status.TRANSACTION_ROLLED_BACK, "rolled back before it arrived")
    if request.currency != call.caller.currency:
        return call.answer(Status.WRONG_CURRENCY, "not the player's currency")
    if call.caller.session.superseded_at is not None:
        return call.answer(Status.TOKEN_EXPIRED, "a newer token takes the bets")
    round_row = call.round()
    if round_row is not None:
        if round_row.player_id != call.caller.player_id or round_row.game_id != call.game.id:
            return call.answer(Status.UNKNOWN, "round of another player or game")
        if round_row.status != "open":
            return call.answer(Status.UNKNOWN, "round closed")
    refusal = _bet_policy(
        call, stake=request.amount, is_free=request.is_free, new_round=round_row is None
    )
    if refusal is not None:
        return call.answer(_policy_status(refusal), refusal.code)

    round_key = round_row.id if round_row is not None else new_id("prd")
    tx_id = new_id("ptx")
    # The money first: a refusal must leave nothing behind.
    transfer_id = call.move(
        tx_id,
        debit=call.funding(request.is_free),
        credit=call.house(),
        amount=request.amount,
        code="free_bet" if request.is_free else "bet",
        reference=round_key,
    )
    if round_row is None:
        round_row = ProviderRound(
            id=round_key,
            provider_id=provider.id,
            round=request.round,
            player_id=call.caller.player_id,
            game_id=call.game.id,
            currency=call.caller.currency,
            status="open",
            staked=0,
            won=0,
            opened_at=clock.now(),
        )
        session.add(round_row)
    round_row.staked += request.amount
    return call.record(
        tx_id,
        Kind.BET,
        round_row,
        amount=request.amount,
        is_free=request.is_free,
        reference_uuid=None,
        transfer_id=transfer_id,
        round_closed=request.round_closed,
    )


def _bet_policy(call: _Call, *, stake: int, is_free: bool, new_round: bool) -> DomainError | None:
    """Why this bet must be refused, or None. A new round needs the catalogue to offer the
    game to the player; game control may have switched it off (new rounds only) or capped
    its stake (every stake); every stake of cash goes through ``may_bet`` (limits, caps,
    exclusion), and a free bet through ``may_play`` (a blocked player plays no free spins)."""
    session, clock, caller = call.session, call.clock, call.caller
    try:
        if new_round:
            sessions.check_offered(session, call.provider.id, call.game, caller)
        check_play(
            session,
            clock,
            provider=call.provider.name,
            game_code=call.game.code,
            brand_id=caller.brand_id,
            jurisdiction=caller.jurisdiction,
            currency=caller.currency,
            stake=None if is_free or stake == 0 else stake,
            new_round=new_round,
        )
        product = sessions.product_of(call.game.category)
        if is_free or stake == 0:
            decision = may_play(session, clock, caller.player_id, product)
        else:
            decision = may_bet(session, clock, caller.player_id, product, stake)
    except DomainError as error:
        return error
    return decision.refusal


def win(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    """Pay a win of a bet into the player's cash; always accepted for a bet that stands."""
    return _run(lambda: _win(session, clock, provider, request))


def _win(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    reference = request.reference_uuid
    assert reference is not None
    call = _Call.open(session, clock, provider, request, any_age=True)
    found = call.find(request.transaction_uuid, reference)
    existing = found.by_uuid.get(request.transaction_uuid)
    if existing is not None:
        return call.replay(existing, Kind.WIN, request.amount, reference)
    if request.currency != call.caller.currency:
        return call.answer(Status.WRONG_CURRENCY, "not the player's currency")
    placed = found.by_uuid.get(reference)
    if placed is None:
        if reference in found.rolled_back_unseen:
            return call.answer(Status.TRANSACTION_ROLLED_BACK, "bet rolled back")
        return call.answer(Status.TRANSACTION_DOES_NOT_EXIST, "no such bet")
    if (
        placed.kind != Kind.BET.value
        or placed.player_id != call.caller.player_id
        or placed.round != request.round
        or placed.game_id != call.game.id
    ):
        return call.answer(Status.TRANSACTION_DOES_NOT_EXIST, "no such bet in this round")
    if placed.rolled_back:
        return call.answer(Status.TRANSACTION_ROLLED_BACK, "bet rolled back")
    round_row = session.get(ProviderRound, placed.round_id) if placed.round_id else None
    tx_id = new_id("ptx")
    transfer_id = call.move(
        tx_id,
        debit=call.house(),
        credit=call.caller.cash_account_id,
        amount=request.amount,
        code="win",
        reference=placed.round_id or "",
    )
    if round_row is not None:
        round_row.won += request.amount
    return call.record(
        tx_id,
        Kind.WIN,
        round_row,
        amount=request.amount,
        is_free=request.is_free,
        reference_uuid=reference,
        transfer_id=transfer_id,
        round_closed=request.round_closed,
    )


def rollback(session: Session, clock: Clock, provider: ProviderRef, request: Rollback) -> Answer:
    """Undo a bet or a win; remember a rollback of a transaction we never saw."""
    return _run(lambda: _rollback(session, clock, provider, request))


def _rollback(session: Session, clock: Clock, provider: ProviderRef, request: Rollback) -> Answer:
    call = _Call.open(session, clock, provider, request, any_age=True)
    found = call.find(request.transaction_uuid, request.reference_uuid)
    existing = found.by_uuid.get(request.transaction_uuid)
    if existing is not None:
        return call.replay(existing, Kind.ROLLBACK, 0, request.reference_uuid)
    target = found.by_uuid.get(request.reference_uuid)
    tx_id = new_id("ptx")
    if target is None:
        # Never seen: answer OK and keep this row, so that the transaction arriving late
        # finds it and moves nothing.
        log.info(
            "provider_wallet.rollback_of_unseen_transaction",
            provider=provider.name,
            transaction=request.reference_uuid,
        )
        return call.record(
            tx_id,
            Kind.ROLLBACK,
            call.round(),
            amount=0,
            is_free=False,
            reference_uuid=request.reference_uuid,
            transfer_id=None,
            round_closed=request.round_closed,
        )
    if target.player_id != call.caller.player_id or target.kind == Kind.ROLLBACK.value:
        return call.answer(Status.TRANSACTION_DOES_NOT_EXIST, "no bet or win of the player")
    round_row = session.get(ProviderRound, target.round_id) if target.round_id else None
    amount = 0 if target.rolled_back else target.amount  # a second rollback moves nothing
    was_bet = target.kind == Kind.BET.value
    house, back = call.house(), (call.funding(target.is_free) if was_bet else None)
    transfer_id = call.move(
        tx_id,
        debit=house if was_bet else call.caller.cash_account_id,
        credit=back if back is not None else house,
        amount=amount,
        code="rollback",
        reference=target.round_id or "",
    )
    if not target.rolled_back:
        target.rolled_back = True
        if round_row is not None and was_bet:
            round_row.staked -= target.amount
        elif round_row is not None:
            round_row.won -= target.amount
    return call.record(
        tx_id,
        Kind.ROLLBACK,
        round_row,
        amount=amount,
        is_free=target.is_free,
        reference_uuid=request.reference_uuid,
        transfer_id=transfer_id,
        round_closed=request.round_closed,
    )
