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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, cast

import structlog
from sqlalchemy import Connection, Table, bindparam, insert, select, union_all, update
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import PlayCheck, controls_query, judge_plays
from croupier.core.wallet import (
    AccountKind,
    Balance,
    NewTransfer,
    TransferResult,
    create_transfers,
    platform_account_id,
)
from croupier.core.wallet import errors as ledger_errors
from croupier.kernel.clock import Clock
from croupier.kernel.db import AnySelect, one_of, pipelined, read_together
from croupier.kernel.errors import DomainError
from croupier.kernel.ids import new_id
from croupier.policy.compliance import may_bet, may_play
from croupier.products.aggregation import sessions
from croupier.products.aggregation.models import (
    GameProvider,
    ProviderGame,
    ProviderRound,
    ProviderTransaction,
)
from croupier.products.aggregation.sessions import GameRef, ProviderRef

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
    """Stops ``balance`` or ``check`` with an answer; nothing was written."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WalletCall:
    """A bet, win or rollback of a provider, as :func:`process` takes it."""

    provider: ProviderRef
    kind: Kind
    request: Movement | Rollback


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


# -- who calls, for which game --------------------------------------------------------------


_Caller = sessions.ResolvedSession


def _token_refusal(
    clock: Clock,
    provider: ProviderRef,
    caller: _Caller | None,
    *,
    any_age: bool,
    user: str | None,
) -> str | None:
    """Why the token cannot make this call, or None. Unknown and expired tokens are refused
    alike, except that ``any_age`` accepts an expired one (wins and rollbacks); a token of
    another provider, or of another user than the one the request names, is invalid here."""
    if caller is None or (not any_age and caller.session.expires_at <= clock.now()):
        return "unknown or expired token"
    if caller.session.provider != provider.name:
        return "token of another provider"
    if user is not None and user != caller.player_id:
        return "token of another user"
    return None


def _caller(
    session: Session,
    clock: Clock,
    provider: ProviderRef,
    token: str,
    *,
    any_age: bool,
    user: str | None = None,
) -> _Caller:
    caller = sessions.lookup_sessions(session, [token]).get(token)
    refusal = _token_refusal(clock, provider, caller, any_age=any_age, user=user)
    if refusal is not None or caller is None:
        raise _Refused(Status.INVALID_TOKEN, refusal or "unknown or expired token")
    return caller


def _game(session: Session, provider: ProviderRef, caller: _Caller, code: str) -> GameRef:
    """The game a call names: the usual case is the token's own, which came with it."""
    if code == caller.game.code:
        return caller.game
    game = session.scalar(
        select(ProviderGame).where(
            ProviderGame.provider_id == provider.id, ProviderGame.code == code
        )
    )
    if game is None:
        raise _Refused(Status.INVALID_GAME, f"no game {code!r}")
    return GameRef.of(game)


def _run(verb: Callable[[], Answer]) -> Answer:
    """A verb's answer; a refusal raised on the way becomes its answer (nothing was written)."""
    try:
        return verb()
    except _Refused as refused:
        return Answer(status=refused.status, reason=refused.reason)


# -- balance and check ------------------------------------------------------------------------


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
            balance=caller.cash_available,  # read with the token
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


# -- bets, wins and rollbacks -----------------------------------------------------------------


def bet(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    """Debit a stake (or draw a free bet from promotions) into the round."""
    return process(session, clock, [WalletCall(provider, Kind.BET, request)])[0]


def win(session: Session, clock: Clock, provider: ProviderRef, request: Movement) -> Answer:
    """Pay a win of a bet into the player's cash; always accepted for a bet that stands."""
    return process(session, clock, [WalletCall(provider, Kind.WIN, request)])[0]


def rollback(session: Session, clock: Clock, provider: ProviderRef, request: Rollback) -> Answer:
    """Undo a bet or a win; remember a rollback of a transaction we never saw."""
    return process(session, clock, [WalletCall(provider, Kind.ROLLBACK, request)])[0]


@dataclass(slots=True)
class _Tx:
    """A stored transaction, as the batch reads it."""

    id: str
    provider_id: str
    transaction_uuid: str
    kind: str
    player_id: str
    round_id: str | None
    round: str
    game_id: str
    amount: int
    is_free: bool
    reference_uuid: str | None
    rolled_back: bool


@dataclass(slots=True)
class _Round:
    """A round as the batch reads and changes it; ``new`` ones are inserted, ``changed``
    ones updated, when the batch writes."""

    id: str
    provider_id: str
    round: str
    player_id: str
    game_id: str
    currency: str
    status: str
    staked: int
    won: int
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    new: bool = False
    changed: bool = False

    def close(self, now: datetime) -> None:
        if self.status == "open":
            self.status, self.closed_at, self.closed_by = "closed", now, "provider"
            self.changed = True


@dataclass(slots=True)
class _Open:
    """A call of the wave with its caller and game, and what the wave found for it."""

    index: int
    call: WalletCall
    caller: _Caller
    game: GameRef
    target: _Tx | None = None  # a win's bet, a rollback's transaction
    round: _Round | None = None


@dataclass(slots=True)
class _Move:
    """A call that passed every check: its transaction, its transfer (None for zero) and
    what it changes of its round and its target."""

    open: _Open
    tx_id: str
    amount: int
    is_free: bool
    reference_uuid: str | None
    transfer: NewTransfer | None
    round_delta: tuple[int, int] = (0, 0)  # staked, won
    undoes: _Tx | None = None  # a rollback's target, marked rolled back


_TX_COLUMNS = (
    ProviderTransaction.id,
    ProviderTransaction.provider_id,
    ProviderTransaction.transaction_uuid,
    ProviderTransaction.kind,
    ProviderTransaction.player_id,
    ProviderTransaction.round_id,
    ProviderTransaction.round,
    ProviderTransaction.game_id,
    ProviderTransaction.amount,
    ProviderTransaction.is_free,
    ProviderTransaction.reference_uuid,
    ProviderTransaction.rolled_back,
)
_ROUND_COLUMNS = (
    ProviderRound.id,
    ProviderRound.provider_id,
    ProviderRound.round,
    ProviderRound.player_id,
    ProviderRound.game_id,
    ProviderRound.currency,
    ProviderRound.status,
    ProviderRound.staked,
    ProviderRound.won,
    ProviderRound.opened_at,
    ProviderRound.closed_at,
    ProviderRound.closed_by,
)
_transactions = cast(Table, ProviderTransaction.__table__)
_rounds = cast(Table, ProviderRound.__table__)
_UPDATE_ROUND = (
    update(_rounds)
    .where(_rounds.c.id == bindparam("b_id"))
    .values(
        staked=bindparam("b_staked"),
        won=bindparam("b_won"),
        status=bindparam("b_status"),
        closed_at=bindparam("b_closed_at"),
        closed_by=bindparam("b_closed_by"),
    )
)


def process(
    session: Session,
    clock: Clock,
    calls: Sequence[WalletCall],
    *,
    found: Mapping[str, _Caller] | None = None,
) -> list[Answer]:
    """Bets, wins and rollbacks of many calls at once (a group commit of providers'
    requests): one answer per call, in order; a refused call writes nothing.

    The rules are those of one call at a time, applied set-wise. The tokens of the batch are
    read in one statement (``found``, if the caller read them already), which also locks
    their players' rows: every write of one player's wallet serializes there, so that across
    processes a retry racing its original, or a bet racing its rollback, never interleave.
    Then a wave takes at most one call of each player, of each transaction id (sent or
    referenced) and of each round, so that no two calls of a wave can see each other; it
    reads their transactions, rounds and game controls in one round trip, makes every
    transfer in one ledger batch and writes the transactions and rounds in that batch's
    write round trip. A call that shares any of these with an earlier one waits for a later
    wave, as does every later call sharing one with it: a player's calls, a retry and its
    original, a bet and its rollback are decided in the order they came, each seeing what
    the earlier wrote."""
    answers: list[Answer | None] = [None] * len(calls)
    if found is None:
        found = sessions.lookup_sessions(
            session, {c.request.token for c in calls}, lock_players=True
        )
    # The players' available cash as read with their sessions, then as each wave's ledger
    # batch leaves it: the answers' balances without reading them again.
    cash = {s.cash_account_id: s.cash_available for s in found.values()}
    opened: list[_Open] = []
    for i, call in enumerate(calls):
        request = call.request
        caller = found.get(request.token)
        refusal = _token_refusal(
            clock, call.provider, caller, any_age=call.kind is not Kind.BET, user=request.user
        )
        if refusal is not None or caller is None:
            answers[i] = Answer(Status.INVALID_TOKEN, reason=refusal or "")
            continue
        try:
            game = _game(session, call.provider, caller, request.game_code)
        except _Refused as refused:
            answers[i] = Answer(refused.status, reason=refused.reason)
            continue
        opened.append(_Open(i, call, caller, game))
    waiting = opened
    while waiting:
        wave: list[_Open] = []
        later: list[_Open] = []
        taken: set[tuple[str, ...]] = set()
        for o in waiting:
            keys = _keys(o)
            (wave if taken.isdisjoint(keys) else later).append(o)
            taken.update(keys)
        _process_wave(session, clock, wave, answers, cash)
        waiting = later
    done = [answer for answer in answers if answer is not None]
    if len(done) != len(calls):  # every path answers; a call left out is a bug
        raise RuntimeError("A wallet call of the batch was left without an answer.")
    return done


def _keys(o: _Open) -> set[tuple[str, ...]]:
    """What a call must not share with another call of its wave."""
    provider, request = o.call.provider.id, o.call.request
    keys = {
        ("player", o.caller.player_id),
        ("tx", provider, request.transaction_uuid),
        ("round", provider, request.round),
    }
    if request.reference_uuid is not None:
        keys.add(("tx", provider, request.reference_uuid))
    return keys


@dataclass(slots=True)
class _Wave:
    """What a wave read, and the answers it owes: ``said`` waits for the balances."""

    session: Session
    clock: Clock
    answers: list[Answer | None]
    transactions: dict[tuple[str, str], _Tx] = field(default_factory=dict)
    unseen: set[tuple[str, str]] = field(default_factory=set)  # rolled back before seen
    rounds_by_id: dict[str, _Round] = field(default_factory=dict)
    rounds: dict[tuple[str, str], _Round] = field(default_factory=dict)
    said: list[tuple[_Open, Status, str]] = field(default_factory=list)
    controls: list[Any] = field(default_factory=list)  # the game controls that may apply
    # Balances after the wave's ledger batch (create_transfers reports the accounts it
    # locked).
    balances: dict[str, Balance] = field(default_factory=dict)

    def say(self, o: _Open, status: Status = Status.OK, reason: str = "") -> None:
        self.said.append((o, status, reason))

    def transaction(self, o: _Open, uuid: str) -> _Tx | None:
        return self.transactions.get((o.call.provider.id, uuid))

    def rolled_back_unseen(self, o: _Open, uuid: str) -> bool:
        return (o.call.provider.id, uuid) in self.unseen


def _process_wave(
    session: Session,
    clock: Clock,
    wave: list[_Open],
    answers: list[Answer | None],
    cash: dict[str, int],
) -> None:
    w = _Wave(session, clock, answers)
    conn = session.connection()
    # The transactions, the rounds and the game controls: one round trip on PostgreSQL.
    bets = [o for o in wave if o.call.kind is Kind.BET]
    reads = [_transactions_query(conn, wave), _rounds_query(conn, wave)]
    if bets:
        reads.append(controls_query(conn, [_play_check(o) for o in bets]))
    results = read_together(conn, reads)
    _index_transactions(w, results[0])
    _index_rounds(w, results[1])
    w.controls = results[2] if bets else []
    after_reads = [o for o in wave if _check_before_round(w, o)]
    _attach_rounds(conn, w, after_reads)
    moves = _decide(w, after_reads)
    session.flush()  # anything pending of the unit of work goes first, on its own
    moves = _transfer_and_write(w, conn, moves)
    for move in moves:
        w.say(move.open)
    cash.update((account_id, b.available) for account_id, b in w.balances.items())
    for o, status, reason in w.said:
        answers[o.index] = Answer(
            status=status,
            player_id=o.caller.player_id,
            currency=o.caller.currency,
            balance=cash[o.caller.cash_account_id],
            reason=reason,
        )


def _transactions_query(conn: Connection, wave: list[_Open]) -> AnySelect:
    """The transactions the wave's calls name, and the rollbacks of any of them that we
    never saw."""
    uuids: dict[str, set[str]] = {}
    for o in wave:
        named = uuids.setdefault(o.call.provider.id, set())
        named.add(o.call.request.transaction_uuid)
        if o.call.request.reference_uuid is not None:
            named.add(o.call.request.reference_uuid)
    table = ProviderTransaction
    # One SELECT per index, glued by UNION ALL, so that each part can use its own index
    # (by id; by the id a rollback names). On fresh, unanalysed tables PostgreSQL still
    # scanned the provider's range of one index for either form (1.3-1.6 ms a batch in the
    # bench); with statistics, as in service, it reads the ids.
    parts = []
    for k, (provider_id, named) in enumerate(sorted(uuids.items())):
        parts.append(
            select(*_TX_COLUMNS).where(
                table.provider_id == provider_id,
                one_of(conn, table.transaction_uuid, named, name=f"tx{k}"),
            )
        )
        parts.append(
            select(*_TX_COLUMNS).where(
                table.provider_id == provider_id,
                one_of(conn, table.reference_uuid, named, name=f"ref{k}"),
                table.kind == Kind.ROLLBACK.value,
            )
        )
    return union_all(*parts)


def _index_transactions(w: _Wave, rows: list[Any]) -> None:
    # A rollback both named and naming one of the ids comes twice: once by id.
    txs = [_Tx(*row) for row in {row[0]: row for row in rows}.values()]
    w.transactions = {(t.provider_id, t.transaction_uuid): t for t in txs}
    w.unseen = {
        (t.provider_id, t.reference_uuid)
        for t in txs
        if t.kind == Kind.ROLLBACK.value
        and t.reference_uuid is not None
        and (t.provider_id, t.reference_uuid) not in w.transactions
    }


def _check_before_round(w: _Wave, o: _Open) -> bool:
    """The checks that need no round: a replay, a transaction rolled back before it came,
    the currency, a superseded token, a win's bet or a rollback's transaction. False when
    the call is answered."""
    call, caller = o.call, o.caller
    request = call.request
    existing = w.transaction(o, request.transaction_uuid)
    if existing is not None:
        _replay(w, o, existing)
        return False
    if call.kind is Kind.BET and w.rolled_back_unseen(o, request.transaction_uuid):
        w.say(o, Status.TRANSACTION_ROLLED_BACK, "rolled back before it arrived")
        return False
    if isinstance(request, Movement) and request.currency != caller.currency:
        w.say(o, Status.WRONG_CURRENCY, "not the player's currency")
        return False
    if call.kind is Kind.BET:
        if caller.session.superseded_at is not None:
            w.say(o, Status.TOKEN_EXPIRED, "a newer token takes the bets")
            return False
        return True
    reference = request.reference_uuid
    assert reference is not None
    target = w.transaction(o, reference)
    if call.kind is Kind.WIN:
        if target is None:
            if w.rolled_back_unseen(o, reference):
                w.say(o, Status.TRANSACTION_ROLLED_BACK, "bet rolled back")
            else:
                w.say(o, Status.TRANSACTION_DOES_NOT_EXIST, "no such bet")
            return False
        if (
            target.kind != Kind.BET.value
            or target.player_id != caller.player_id
            or target.round != request.round
            or target.game_id != o.game.id
        ):
            w.say(o, Status.TRANSACTION_DOES_NOT_EXIST, "no such bet in this round")
            return False
        if target.rolled_back:
            w.say(o, Status.TRANSACTION_ROLLED_BACK, "bet rolled back")
            return False
    elif target is not None and (
        target.player_id != caller.player_id or target.kind == Kind.ROLLBACK.value
    ):
        w.say(o, Status.TRANSACTION_DOES_NOT_EXIST, "no bet or win of the player")
        return False
    o.target = target
    return True


def _replay(w: _Wave, o: _Open, existing: _Tx) -> None:
    """The answer to a transaction id seen before: the same request again, or a conflict.
    The spec compares player, round and game; the kind, amount and reference are compared
    too, because a retry never changes them."""
    request = o.call.request
    same = (
        existing.kind == o.call.kind.value
        and existing.player_id == o.caller.player_id
        and existing.round == request.round
        and existing.game_id == o.game.id
        and existing.reference_uuid == request.reference_uuid
        and (not isinstance(request, Movement) or existing.amount == request.amount)
    )
    if same:
        w.say(o, reason="replay")
    else:
        w.say(o, Status.DUPLICATE_TRANSACTION, "transaction id used for another")


def _rounds_query(conn: Connection, wave: list[_Open]) -> AnySelect:
    """The rounds the wave's calls name. A win's bet is in the round the win names (or the
    win is refused); a rollback's transaction usually is too, and :func:`_attach_rounds`
    reads the rare one that is not."""
    named: dict[str, set[str]] = {}
    for o in wave:
        named.setdefault(o.call.provider.id, set()).add(o.call.request.round)
    table = ProviderRound
    return union_all(
        *(
            select(*_ROUND_COLUMNS).where(
                table.provider_id == provider_id, one_of(conn, table.round, rounds, name=f"r{k}")
            )
            for k, (provider_id, rounds) in enumerate(sorted(named.items()))
        )
    )


def _index_rounds(w: _Wave, rows: list[Any]) -> None:
    for row in rows:
        r = _Round(*row)
        w.rounds_by_id[r.id] = r
        w.rounds[(r.provider_id, r.round)] = r


def _attach_rounds(conn: Connection, w: _Wave, wave: list[_Open]) -> None:
    """Each call's round: by the provider's round id (a bet, a rollback of a transaction we
    never saw) or as its target's (a win, a rollback), read now if the wave's read did not
    bring it."""
    missing = {
        o.target.round_id
        for o in wave
        if o.target is not None and o.target.round_id and o.target.round_id not in w.rounds_by_id
    }
    if missing:
        statement = select(*_ROUND_COLUMNS).where(
            one_of(conn, ProviderRound.id, missing, name="ids")
        )
        _index_rounds(w, [tuple(row) for row in conn.execute(statement)])
    for o in wave:
        if o.target is not None:
            o.round = w.rounds_by_id.get(o.target.round_id or "")
        else:
            o.round = w.rounds.get((o.call.provider.id, o.call.request.round))


def _decide(w: _Wave, wave: list[_Open]) -> list[_Move]:
    """Each call's transaction and transfer, or its refusal: bets by the round's state and
    policy, wins and rollbacks always."""
    bets = [o for o in wave if o.call.kind is Kind.BET]
    refusals = _bet_policies(w, bets)
    moves: list[_Move] = []
    for o in wave:
        if o.call.kind is Kind.BET:
            move = _bet_move(w, o, refusals.get(o.index))
        elif o.call.kind is Kind.WIN:
            move = _win_move(w, o)
        else:
            move = _rollback_move(w, o)
        if move is not None:
            moves.append(move)
    return moves


def _bet_policies(w: _Wave, bets: list[_Open]) -> dict[int, DomainError]:
    """Why each bet must be refused, by index (those allowed are left out). A new round
    needs the catalogue to offer the game to the player; game control may have switched it
    off (new rounds only) or capped its stake (every stake), asked for all the bets in one
    statement; every stake of cash goes through ``may_bet`` (limits, caps, exclusion), and a
    free bet through ``may_play`` (a blocked player plays no free spins)."""
    asked = [o for o in bets if _bet_round_refusal(o) is None]
    controls = judge_plays([_play_check(o) for o in asked], w.controls)
    refusals: dict[int, DomainError] = {}
    for o, control in zip(asked, controls, strict=True):
        try:
            if o.round is None:
                sessions.check_offered(o.call.provider, o.game, o.caller)
            if control is not None:
                raise control
            product = sessions.product_of(o.game.category)
            stake = _policy_stake(o.call.request)
            if stake is None:
                decision = may_play(w.session, w.clock, o.caller.player_id, product)
            else:
                decision = may_bet(w.session, w.clock, o.caller.player_id, product, stake)
        except DomainError as error:
            refusals[o.index] = error
            continue
        if decision.refusal is not None:
            refusals[o.index] = decision.refusal
    return refusals


def _play_check(o: _Open) -> PlayCheck:
    return PlayCheck(
        provider=o.call.provider.name,
        game_code=o.game.code,
        brand_id=o.caller.brand_id,
        jurisdiction=o.caller.jurisdiction,
        currency=o.caller.currency,
        stake=_policy_stake(o.call.request),
        new_round=o.round is None,
    )


def _policy_stake(request: Movement | Rollback) -> int | None:
    """The stake policy judges: none for a free bet or a stake of zero."""
    assert isinstance(request, Movement)
    return None if request.is_free or request.amount == 0 else request.amount


def _bet_round_refusal(o: _Open) -> str | None:
    r = o.round
    if r is None:
        return None
    if r.player_id != o.caller.player_id or r.game_id != o.game.id:
        return "round of another player or game"
    if r.status != "open":
        return "round closed"
    return None


def _account(w: _Wave, o: _Open, kind: AccountKind, name: str) -> str:
    return platform_account_id(
        w.session, w.clock, kind=kind, currency_code=o.caller.currency, name=name
    )


def _house(w: _Wave, o: _Open) -> str:
    return _account(w, o, AccountKind.HOUSE, house_account_name(o.call.provider.name))


def _funding(w: _Wave, o: _Open, is_free: bool) -> str:
    """Where a stake comes from: the free-bet promotions account, or the player's cash."""
    if is_free:
        name = free_bets_account_name(o.call.provider.name)
        return _account(w, o, AccountKind.PROMOTIONS, name)
    return o.caller.cash_account_id


def _transfer_of(
    o: _Open, tx_id: str, *, debit: str, credit: str, amount: int, code: str, reference: str
) -> NewTransfer | None:
    """The transaction's transfer; none for zero."""
    if amount == 0:
        return None
    return NewTransfer(
        id=f"gal:{tx_id}",
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        currency=o.caller.currency,
        code=code,
        reference=reference,
    )


def _bet_move(w: _Wave, o: _Open, refusal: DomainError | None) -> _Move | None:
    request = o.call.request
    assert isinstance(request, Movement)
    reason = _bet_round_refusal(o)
    if reason is not None:
        w.say(o, Status.UNKNOWN, reason)
        return None
    if refusal is not None:
        w.say(o, _policy_status(refusal), refusal.code)
        return None
    if o.round is None:
        o.round = _Round(
            id=new_id("prd"),
            provider_id=o.call.provider.id,
            round=request.round,
            player_id=o.caller.player_id,
            game_id=o.game.id,
            currency=o.caller.currency,
            status="open",
            staked=0,
            won=0,
            opened_at=w.clock.now(),
            new=True,
        )
    tx_id = new_id("ptx")
    transfer = _transfer_of(
        o,
        tx_id,
        debit=_funding(w, o, request.is_free),
        credit=_house(w, o),
        amount=request.amount,
        code="free_bet" if request.is_free else "bet",
        reference=o.round.id,
    )
    return _Move(
        o, tx_id, request.amount, request.is_free, None, transfer, round_delta=(request.amount, 0)
    )


def _win_move(w: _Wave, o: _Open) -> _Move:
    request, placed = o.call.request, o.target
    assert isinstance(request, Movement)
    assert placed is not None
    tx_id = new_id("ptx")
    transfer = _transfer_of(
        o,
        tx_id,
        debit=_house(w, o),
        credit=o.caller.cash_account_id,
        amount=request.amount,
        code="win",
        reference=placed.round_id or "",
    )
    return _Move(
        o,
        tx_id,
        request.amount,
        request.is_free,
        request.reference_uuid,
        transfer,
        round_delta=(0, request.amount),
    )


def _rollback_move(w: _Wave, o: _Open) -> _Move:
    request, target = o.call.request, o.target
    tx_id = new_id("ptx")
    if target is None:
        # Never seen: answer OK and keep this row, so that the transaction arriving late
        # finds it and moves nothing.
        log.info(
            "provider_wallet.rollback_of_unseen_transaction",
            provider=o.call.provider.name,
            transaction=request.reference_uuid,
        )
        return _Move(o, tx_id, 0, False, request.reference_uuid, None)
    amount = 0 if target.rolled_back else target.amount  # a second rollback moves nothing
    was_bet = target.kind == Kind.BET.value
    house = _house(w, o)
    cash = o.caller.cash_account_id
    transfer = _transfer_of(
        o,
        tx_id,
        debit=house if was_bet else cash,
        credit=_funding(w, o, target.is_free) if was_bet else house,
        amount=amount,
        code="rollback",
        reference=target.round_id or "",
    )
    delta = (0, 0) if target.rolled_back else ((-amount, 0) if was_bet else (0, -amount))
    return _Move(
        o,
        tx_id,
        amount,
        target.is_free,
        request.reference_uuid,
        transfer,
        round_delta=delta,
        undoes=None if target.rolled_back else target,
    )


def _transfer_and_write(w: _Wave, conn: Connection, moves: list[_Move]) -> list[_Move]:
    """Every transfer of the wave in one ledger batch, and the wave's rows written in the
    same round trip as its writes; a call whose money is not there is refused
    ``NOT_ENOUGH_MONEY`` with nothing moved or written. Returns the calls that went on."""
    with_money = [m for m in moves if m.transfer is not None]
    if not with_money:
        with pipelined(conn):  # sent together (inline: nothing read back)
            _write(conn, w.clock, moves)
        return moves
    kept: list[_Move] = []

    def write(results: list[TransferResult]) -> None:
        refused: set[int] = set()
        for move, result in zip(with_money, results, strict=True):
            if isinstance(result.error, ledger_errors.InsufficientFunds):
                w.say(move.open, Status.NOT_ENOUGH_MONEY, "insufficient funds")
                refused.add(move.open.index)
            else:
                result.unwrap()  # anything else is not a refusal: the batch goes back
        kept.extend(m for m in moves if m.open.index not in refused)
        _write(conn, w.clock, kept)

    transfers = [m.transfer for m in with_money if m.transfer is not None]
    create_transfers(w.session, w.clock, transfers, balances=w.balances, then=write)
    return kept


def _write(conn: Connection, clock: Clock, moves: list[_Move]) -> None:
    """The wave's transactions, its new rounds, the changes of the others and the
    transactions rolled back: one statement each, queued in the caller's pipeline on
    PostgreSQL (inline: nothing read back)."""
    if not moves:
        return
    now = clock.now()
    transactions: list[dict[str, object]] = []
    touched: dict[str, _Round] = {}
    undone: list[str] = []
    for m in moves:
        o, r = m.open, m.open.round
        request = o.call.request
        staked, won = m.round_delta
        if r is not None:
            if staked or won:
                r.staked, r.won, r.changed = r.staked + staked, r.won + won, True
            if request.round_closed:
                r.close(now)
            touched[r.id] = r
        if m.undoes is not None:
            undone.append(m.undoes.id)
        transactions.append(
            {
                "id": m.tx_id, "provider_id": o.call.provider.id,
                "transaction_uuid": request.transaction_uuid, "kind": o.call.kind.value,
                "player_id": o.caller.player_id, "round_id": r.id if r is not None else None,
                "round": request.round, "game_id": o.game.id, "session_id": o.caller.session.id,
                "amount": m.amount, "is_free": m.is_free, "reference_uuid": m.reference_uuid,
                "transfer_id": m.transfer.id if m.transfer is not None else None,
                "rolled_back": False, "created_at": now,
            }
        )  # fmt: skip
    new = [_round_row(r) for r in touched.values() if r.new]
    changed = [
        {
            "b_id": r.id, "b_staked": r.staked, "b_won": r.won, "b_status": r.status,
            "b_closed_at": r.closed_at, "b_closed_by": r.closed_by,
        }
        for r in touched.values()
        if r.changed and not r.new
    ]  # fmt: skip
    if new:
        conn.execute(insert(_rounds).inline(), new)
    conn.execute(insert(_transactions).inline(), transactions)
    if changed:
        conn.execute(_UPDATE_ROUND, changed)
    if undone:
        conn.execute(
            update(_transactions).where(_transactions.c.id.in_(undone)).values(rolled_back=True)
        )


def _round_row(r: _Round) -> dict[str, object]:
    return {
        "id": r.id, "provider_id": r.provider_id, "round": r.round, "player_id": r.player_id,
        "game_id": r.game_id, "currency": r.currency, "status": r.status, "staked": r.staked,
        "won": r.won, "opened_at": r.opened_at, "closed_at": r.closed_at,
        "closed_by": r.closed_by,
    }  # fmt: skip
