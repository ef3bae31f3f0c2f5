"""Crash: one shared round at a time, its crash point fixed in advance by a published hash chain.

A round has three phases, all computed from the server's clock and the round's row:

- **betting** (5 s from ``betting_at``): players place bets (``place_bet``);
- **running** from ``running_at``: the multiplier grows along the curve of :mod:`.chain`
  until it reaches the crash point (capped at 1,000,000x); a bet cashed out before then is
  paid the multiplier of that moment (``cash_out``), a bet whose auto cash-out the crash
  point reaches is paid its auto cash-out;
- **crashed**: the hash is revealed; 3 s later the next round's betting opens.

No process leads. Whoever first needs round ``n + 1`` after round ``n`` crashed (a player
polling, a bet, the settle job) inserts it, keyed by its number: a concurrent creator's insert
fails on the key and it reads the winner's row. Its betting opens 3 s after round ``n``'s
crash, or, after a quiet spell in which nobody asked, at the moment it is created.

Settlement is a function of the crash point, so it happens lazily: on any read of the round
or of a bet after the crash, and by ``croupier crash settle``. Bets and wins move through the
ledger with ids derived from the bet (``rgs:crash:<bet>:stake``, ``rgs:crash:<bet>:win``), so
a retry, a cash-out racing an auto cash-out, or two settlers never pay twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    create_transfers,
    get_balance,
    platform_account,
)
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.crypto import Keyring
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import Product
from croupier.policy.compliance import may_bet
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
from croupier.products.rgs import errors as rgs_errors
from croupier.products.rgs.crash import errors
from croupier.products.rgs.crash.chain import (
    CHECKPOINT_EVERY,
    MAX_CHAIN_LENGTH,
    MAX_MULTIPLIER,
    MIN_AUTO_CASHOUT,
    crash_point,
    end_multiplier,
    hash_back,
    ms_to_reach,
    multiplier_at,
    previous_hash,
    settle_multiplier,
    walk_chain,
)
from croupier.products.rgs.crash.models import (
    RgsCrashBet,
    RgsCrashChain,
    RgsCrashCheckpoint,
    RgsCrashRound,
)
from croupier.products.rgs.fair import (
    check_client_seed,
    default_client_seed,
    format_hundredths,
    new_server_seed,
)
from croupier.products.rgs.games.crash import CRASH
from croupier.products.rgs.service import HOUSE_ACCOUNT, check_game_control, check_stake

BETTING_PHASE: Final = timedelta(seconds=5)
PAUSE: Final = timedelta(seconds=3)  # between a crash and the next round's betting
BET_KEY_MAX: Final = 64
_MS: Final = timedelta(milliseconds=1)


# -- chains ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainView:
    id: str
    first_round: int
    last_round: int
    length: int
    terminating_hash: str  # h_0, published before the chain's first round
    salt: str | None  # the rounds' client seed; rounds wait until it is set
    created_at: datetime
    salt_set_at: datetime | None


def _chain_view(row: RgsCrashChain) -> ChainView:
    return ChainView(
        id=row.id,
        first_round=row.first_round,
        last_round=row.first_round + row.length - 1,
        length=row.length,
        terminating_hash=row.terminating_hash,
        salt=row.salt,
        created_at=row.created_at,
        salt_set_at=row.salt_set_at,
    )


def create_chain(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    *,
    length: int,
    actor: str,
    salt: str | None = None,
    salt_later: bool = False,
    checkpoint_every: int = CHECKPOINT_EVERY,
    progress: Callable[[int], None] | None = None,
    seed: str | None = None,
) -> ChainView:
    """Create the hash chain for the ``length`` rounds after every chain made so far.

    The seed ``h_length`` is drawn from the health-tested RNG unless ``seed`` is given (tests
    and reproductions). Only ``h_0`` and the salt are public; the seed and every
    ``checkpoint_every``-th hash are stored sealed. The salt is ``salt``, or a random one, or,
    with ``salt_later``, set afterwards by :func:`set_salt` (so that it can be a value nobody
    knew when ``h_0`` was published, such as a future Bitcoin block hash). ``progress(n)`` is
    told each time ``n`` more hashes are done. Audited.
    """
    if (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 1 <= length <= MAX_CHAIN_LENGTH
    ):
        raise errors.InvalidCrashChain(
            f"A chain has 1 to {MAX_CHAIN_LENGTH:,} hashes.", parameter="length"
        )
    if checkpoint_every < 1:
        raise errors.InvalidCrashChain("Checkpoints are at least 1 apart.", parameter="every")
    if salt is not None and salt_later:
        raise errors.InvalidCrashChain("Give a salt or set it later, not both.", parameter="salt")
    chosen_salt = None if salt_later else (default_client_seed() if salt is None else salt)
    if chosen_salt is not None:
        check_client_seed(chosen_salt)
    chain_id = new_id("chn")
    secret = new_server_seed() if seed is None else seed
    first_round = session.scalar(select(func.max(RgsCrashChain.first_round + RgsCrashChain.length)))
    checkpoints: list[RgsCrashCheckpoint] = []
    terminating = ""
    done = length
    for index, value in walk_chain(secret, length, checkpoint_every):
        if progress is not None and index < done:
            progress(done - index)
            done = index
        if index == 0:
            terminating = value
        elif index < length:
            checkpoints.append(
                RgsCrashCheckpoint(
                    chain_id=chain_id,
                    chain_index=index,
                    hash_sealed=keyring.seal(value.encode("ascii"), f"{chain_id}:{index}"),
                )
            )
    now = clock.now()
    row = RgsCrashChain(
        id=chain_id,
        first_round=first_round or 1,
        length=length,
        terminating_hash=terminating,
        salt=chosen_salt,
        seed_sealed=keyring.seal(secret.encode("ascii"), chain_id),
        checkpoint_every=checkpoint_every,
        created_at=now,
        salt_set_at=now if chosen_salt is not None else None,
    )
    session.add(row)
    session.flush()
    session.add_all(checkpoints)
    session.flush()
    view = _chain_view(row)
    record_event(
        session,
        clock,
        actor=actor,
        action="rgs.crash_chain_created",
        subject_type="rgs_crash_chain",
        subject_id=chain_id,
        after={
            "first_round": view.first_round,
            "last_round": view.last_round,
            "terminating_hash": view.terminating_hash,
            "salt": view.salt,
        },
    )
    return view


def set_salt(session: Session, clock: Clock, chain_id: str, salt: str, *, actor: str) -> ChainView:
    """Set a chain's salt, once (``rgs.crash_salt_set`` afterwards). Audited."""
    row = session.get(RgsCrashChain, chain_id, with_for_update=True)
    if row is None:
        raise errors.CrashChainNotFound(f"No chain {chain_id!r}.", chain_id=chain_id)
    if row.salt is not None:
        raise errors.CrashSaltSet(f"The salt of {chain_id} is {row.salt!r}.", chain_id=chain_id)
    row.salt = check_client_seed(salt)
    row.salt_set_at = clock.now()
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="rgs.crash_salt_set",
        subject_type="rgs_crash_chain",
        subject_id=chain_id,
        before={"salt": None},
        after={"salt": salt},
    )
    return _chain_view(row)


def list_chains(session: Session) -> list[ChainView]:
    """Every chain, the latest rounds first."""
    rows = session.scalars(select(RgsCrashChain).order_by(RgsCrashChain.first_round.desc()))
    return [_chain_view(r) for r in rows]


def _chain_for(session: Session, number: int) -> RgsCrashChain | None:
    return session.scalars(
        select(RgsCrashChain).where(
            RgsCrashChain.first_round <= number,
            RgsCrashChain.first_round + RgsCrashChain.length > number,
        )
    ).first()


def chain_hash(session: Session, keyring: Keyring, chain: RgsCrashChain, index: int) -> str:
    """``h_index`` of the chain, from the nearest sealed checkpoint above it."""
    every = chain.checkpoint_every
    above = min(-(-index // every) * every, chain.length)
    if above == chain.length:
        sealed, context = chain.seed_sealed, chain.id
    else:
        checkpoint = session.get(RgsCrashCheckpoint, (chain.id, above))
        assert checkpoint is not None, f"checkpoint {above} of {chain.id} is missing"
        sealed, context = checkpoint.hash_sealed, f"{chain.id}:{above}"
    return hash_back(keyring.open(sealed, context).decode("ascii"), above - index)


# -- rounds ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BetsSummary:
    count: int = 0
    cashed_out: int = 0
    staked: dict[str, int] = field(default_factory=dict)  # per currency
    paid: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verification:
    command: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class RoundView:
    number: int
    phase: str  # "betting", "running" or "crashed"
    now: datetime
    betting_at: datetime
    running_at: datetime
    multiplier: int  # hundredths, now; where it ended once crashed
    elapsed_ms: int | None
    chain_id: str
    chain_index: int
    terminating_hash: str
    salt: str
    bets: BetsSummary
    crash_point: int | None = None  # once crashed: the verifier's value (uncapped)
    crashed_at: datetime | None = None
    hash: str | None = None
    previous_hash: str | None = None  # sha256(hash): the previous round's hash, or h_0
    next_betting_at: datetime | None = None  # None while the next chain is missing
    verify: Verification | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    hash: str
    point: int  # crash point, hundredths
    ends_at: datetime


def _outcome(session: Session, keyring: Keyring, row: RgsCrashRound) -> _Outcome:
    """The round's hash, crash point and end: opened from the sealed hash while the round is
    open (a reader of the table does not learn them early), read once settled."""
    if row.hash is not None and row.crash_point is not None and row.ended_at is not None:
        return _Outcome(row.hash, row.crash_point, row.ended_at)
    chain = _round_chain(session, row)
    value = keyring.open(row.hash_sealed, _round_context(row.number)).decode("ascii")
    point = crash_point(value, _salt(chain))
    ends = row.running_at + ms_to_reach(end_multiplier(point)) * _MS
    return _Outcome(value, point, ends)


def _round_chain(session: Session, row: RgsCrashRound) -> RgsCrashChain:
    chain = session.get(RgsCrashChain, row.chain_id)
    assert chain is not None, f"round {row.number} has no chain"
    return chain


def _salt(chain: RgsCrashChain) -> str:
    # A round is created only for a chain with a salt, and a salt never changes.
    assert chain.salt is not None, f"chain {chain.id} has no salt"
    return chain.salt


def _round_context(number: int) -> str:
    return f"crash-round:{number}"


def _latest(session: Session) -> RgsCrashRound | None:
    return session.scalars(
        select(RgsCrashRound).order_by(RgsCrashRound.number.desc()).limit(1)
    ).first()


def _current_row(session: Session, clock: Clock, keyring: Keyring) -> RgsCrashRound:
    """The round now: the latest until 3 s after its crash, then the next, created here if
    nobody has yet. Without a chain for the next round the latest stays current (crashed)."""
    now = clock.now()
    latest = _latest(session)
    if latest is None:
        number, opens = 1, now
    else:
        ends = _outcome(session, keyring, latest).ends_at
        if now < ends + PAUSE:
            return latest
        number = latest.number + 1
        # Under traffic the schedule holds (3 s after the crash); after a quiet spell the
        # round opens when someone comes, with a full betting phase.
        opens = ends + PAUSE if now < ends + PAUSE + BETTING_PHASE else now
    chain = _chain_for(session, number)
    if latest is not None and latest.state == "open":
        _settle(session, clock, keyring, latest)
    if chain is None or chain.salt is None:
        if latest is None:
            raise errors.CrashNoChain(
                "No hash chain with a salt has been published yet.", round=number
            )
        return latest
    return _create_round(session, clock, keyring, chain, number, opens)


def _create_round(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    chain: RgsCrashChain,
    number: int,
    opens: datetime,
) -> RgsCrashRound:
    value = chain_hash(session, keyring, chain, number - chain.first_round + 1)
    row = RgsCrashRound(
        number=number,
        chain_id=chain.id,
        chain_index=number - chain.first_round + 1,
        hash_sealed=keyring.seal(value.encode("ascii"), _round_context(number)),
        betting_at=opens,
        running_at=opens + BETTING_PHASE,
        state="open",
        created_at=clock.now(),
    )
    try:
        # Added inside the savepoint: if another process created the round first, the
        # savepoint's rollback takes this row out of the session and we read theirs.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        theirs = session.get(RgsCrashRound, number)
        assert theirs is not None
        return theirs
    return row


def _summary(session: Session, number: int) -> BetsSummary:
    rows = session.execute(
        select(
            RgsCrashBet.currency,
            func.count(),
            func.sum(case((RgsCrashBet.state == "cashed_out", 1), else_=0)),
            func.sum(RgsCrashBet.stake),
            func.sum(RgsCrashBet.payout),
        )
        .where(RgsCrashBet.round_number == number)
        .group_by(RgsCrashBet.currency)
        .order_by(RgsCrashBet.currency)
    ).all()
    return BetsSummary(
        count=sum(r[1] for r in rows),
        cashed_out=sum(int(r[2] or 0) for r in rows),
        staked={r[0]: int(r[3] or 0) for r in rows},
        paid={r[0]: int(r[4] or 0) for r in rows},
    )


def _round_view(session: Session, clock: Clock, keyring: Keyring, row: RgsCrashRound) -> RoundView:
    now = clock.now()
    outcome = _outcome(session, keyring, row)
    chain = _round_chain(session, row)
    salt = _salt(chain)
    if now >= outcome.ends_at and row.state == "open":
        _settle(session, clock, keyring, row)
    betting = RoundView(
        number=row.number,
        phase="betting",
        now=now,
        betting_at=row.betting_at,
        running_at=row.running_at,
        multiplier=100,
        elapsed_ms=None,
        chain_id=chain.id,
        chain_index=row.chain_index,
        terminating_hash=chain.terminating_hash,
        salt=salt,
        bets=_summary(session, row.number),
    )
    if now < row.running_at:
        return betting
    if now < outcome.ends_at:
        elapsed = (now - row.running_at) // _MS
        reached = multiplier_at(elapsed)
        if _cash_out_reached(session, clock, row, reached):
            betting = replace(betting, bets=_summary(session, row.number))
        return replace(betting, phase="running", multiplier=reached, elapsed_ms=elapsed)
    following = _chain_for(session, row.number + 1)
    query = urlencode(
        {"game": "limbo", "server_seed": outcome.hash, "client_seed": salt, "nonce": 0}
    )
    return replace(
        betting,
        phase="crashed",
        multiplier=end_multiplier(outcome.point),
        elapsed_ms=(outcome.ends_at - row.running_at) // _MS,
        crash_point=outcome.point,
        crashed_at=outcome.ends_at,
        hash=outcome.hash,
        previous_hash=previous_hash(outcome.hash),
        next_betting_at=(
            outcome.ends_at + PAUSE if following is not None and following.salt else None
        ),
        verify=Verification(
            command=(
                f"croupier fair verify limbo --server-seed {outcome.hash} "
                f"--client-seed {salt} --nonce 0 --json"
            ),
            endpoint=f"/api/v1/fair/verify?{query}",
        ),
    )


def current_round(session: Session, clock: Clock, keyring: Keyring) -> RoundView:
    """The round now (creating it if this is the first request to need it): its phase, the
    multiplier at the server's now, a summary of the bets; the hash only once it crashed."""
    return _round_view(session, clock, keyring, _current_row(session, clock, keyring))


def get_round(session: Session, clock: Clock, keyring: Keyring, number: int) -> RoundView:
    """Round ``number``; once crashed (and then settled, if nobody had), with its hash, crash
    point and how to verify them."""
    row = session.get(RgsCrashRound, number)
    if row is None:
        raise errors.CrashRoundNotFound(f"No crash round {number}.", round=number)
    return _round_view(session, clock, keyring, row)


# -- settlement ------------------------------------------------------------------------------


def _move(
    session: Session,
    clock: Clock,
    bet: RgsCrashBet,
    cash_account_id: str,
    amount: int,
    *,
    stake: bool,
) -> int:
    """The bet's stake (player to the house account ``rgs``) or its win (back); returns the
    player's balance right after."""
    house = platform_account(
        session, clock, kind=AccountKind.HOUSE, currency_code=bet.currency, name=HOUSE_ACCOUNT
    )
    debit, credit = (cash_account_id, house.id) if stake else (house.id, cash_account_id)
    create_transfers(
        session,
        clock,
        [
            NewTransfer(
                id=f"rgs:crash:{bet.id}:{'stake' if stake else 'win'}",
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                currency=bet.currency,
                code="bet" if stake else "win",
                reference=bet.id,
            )
        ],
    )[0].unwrap()
    return get_balance(session, cash_account_id).posted


def _cash_out(session: Session, clock: Clock, bet: RgsCrashBet, multiplier: int, kind: str) -> None:
    player = get_player(session, bet.player_id, brand_scope=None)
    bet.state = "cashed_out"
    bet.cashout = multiplier
    bet.cashout_kind = kind
    bet.payout = bet.stake * multiplier // 100  # floor: ledger units are whole
    bet.settled_at = clock.now()
    bet.balance_after = _move(session, clock, bet, player.cash_account_id, bet.payout, stake=False)


def _settle_bet(session: Session, clock: Clock, bet: RgsCrashBet, point: int) -> None:
    paid = settle_multiplier(point, bet.auto_cashout)
    if paid:
        _cash_out(session, clock, bet, paid, "cap" if bet.auto_cashout is None else "auto")
    else:
        bet.state = "lost"
        bet.settled_at = clock.now()


def _cash_out_reached(session: Session, clock: Clock, row: RgsCrashRound, reached: int) -> int:
    """Pay now the auto cash-outs the running round has passed (they win whatever the crash
    point, which lies above ``reached``), so players see them paid as the round runs; how
    many were paid."""
    bets = session.scalars(
        select(RgsCrashBet)
        .where(
            RgsCrashBet.round_number == row.number,
            RgsCrashBet.state == "active",
            RgsCrashBet.auto_cashout <= reached,
        )
        .order_by(RgsCrashBet.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for bet in bets:
        if bet.state == "active" and bet.auto_cashout is not None:
            _cash_out(session, clock, bet, bet.auto_cashout, "auto")
    session.flush()
    return len(bets)


def _settle(session: Session, clock: Clock, keyring: Keyring, row: RgsCrashRound) -> None:
    """Settle a crashed round: every bet still active, in id order, locked; then the round's
    hash, crash point and end are written in the clear."""
    outcome = _outcome(session, keyring, row)
    bets = session.scalars(
        select(RgsCrashBet)
        .where(RgsCrashBet.round_number == row.number, RgsCrashBet.state == "active")
        .order_by(RgsCrashBet.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for bet in bets:
        _settle_bet(session, clock, bet, outcome.point)
    row.state = "settled"
    row.hash = outcome.hash
    row.crash_point = outcome.point
    row.ended_at = outcome.ends_at
    row.settled_at = clock.now()
    session.flush()


def ended_open_rounds(session: Session, clock: Clock, keyring: Keyring) -> list[int]:
    """The numbers of rounds that have crashed but are not settled yet."""
    now = clock.now()
    rows = session.scalars(
        select(RgsCrashRound).where(RgsCrashRound.state == "open").order_by(RgsCrashRound.number)
    ).all()
    return [r.number for r in rows if _outcome(session, keyring, r).ends_at <= now]


def settle_round(session: Session, clock: Clock, keyring: Keyring, number: int) -> bool:
    """Settle round ``number`` if it has crashed and nobody has settled it; True if done here."""
    row = session.get(RgsCrashRound, number)
    if row is None or row.state != "open":
        return False
    if _outcome(session, keyring, row).ends_at > clock.now():
        return False
    _settle(session, clock, keyring, row)
    return True


# -- bets ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BetRequest:
    key: str
    stake: int  # ledger units of the player's currency
    currency: str
    auto_cashout: int | None = None  # hundredths
    round: int | None = None  # the round the player saw taking bets, if they say


@dataclass(frozen=True, slots=True)
class BetView:
    id: str
    key: str
    round: int
    currency: str
    stake: int
    auto_cashout: int | None
    state: str  # "active", "cashed_out" or "lost"
    cashout: int | None  # hundredths paid per unit
    cashout_kind: str | None  # "manual", "auto" or "cap"
    payout: int
    balance_before: int
    balance_after: int
    created_at: datetime
    settled_at: datetime | None
    crash_point: int | None  # once the round has crashed
    replayed: bool = False


def _bet_view(session: Session, bet: RgsCrashBet, *, replayed: bool = False) -> BetView:
    row = session.get(RgsCrashRound, bet.round_number)
    assert row is not None
    return BetView(
        id=bet.id,
        key=bet.bet_key,
        round=bet.round_number,
        currency=bet.currency,
        stake=bet.stake,
        auto_cashout=bet.auto_cashout,
        state=bet.state,
        cashout=bet.cashout,
        cashout_kind=bet.cashout_kind,
        payout=bet.payout,
        balance_before=bet.balance_before,
        balance_after=bet.balance_after,
        created_at=bet.created_at,
        settled_at=bet.settled_at,
        crash_point=row.crash_point,
        replayed=replayed,
    )


def _check_key(key: object) -> str:
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= BET_KEY_MAX
        or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in key)
    ):
        raise rgs_errors.InvalidBet(
            f"key is 1 to {BET_KEY_MAX} characters of A-Z a-z 0-9 - _ .", parameter="key"
        )
    return key


def _check_auto_cashout(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise rgs_errors.InvalidBet(
            "auto_cashout is a whole number of hundredths.", parameter="auto_cashout"
        )
    if not MIN_AUTO_CASHOUT <= value <= MAX_MULTIPLIER:
        raise rgs_errors.InvalidBet(
            f"auto_cashout is from {MIN_AUTO_CASHOUT} (1.01x) to {MAX_MULTIPLIER:,} "
            f"({format_hundredths(MAX_MULTIPLIER)}x).",
            parameter="auto_cashout",
        )
    return value


def _settle_if_crashed(session: Session, clock: Clock, keyring: Keyring, bet: RgsCrashBet) -> None:
    if bet.state == "active":
        settle_round(session, clock, keyring, bet.round_number)


def _replay(
    session: Session, clock: Clock, keyring: Keyring, bet: RgsCrashBet, request: BetRequest
) -> BetView:
    same = (bet.stake, bet.currency, bet.auto_cashout) == (
        request.stake,
        request.currency,
        request.auto_cashout,
    )
    if not same or request.round not in (None, bet.round_number):
        raise rgs_errors.RoundKeyReused("This key was used for another bet.", bet_id=bet.id)
    _settle_if_crashed(session, clock, keyring, bet)
    return _bet_view(session, bet, replayed=True)


def _by_key(session: Session, player_id: str, key: str) -> RgsCrashBet | None:
    return session.scalars(
        select(RgsCrashBet).where(RgsCrashBet.player_id == player_id, RgsCrashBet.bet_key == key)
    ).one_or_none()


def place_bet(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    request: BetRequest,
    *,
    login_session_id: str | None = None,
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> BetView:
    """A bet on the round taking bets now: checked, allowed by game control (title ``crash``),
    decided by policy (``may_bet``, casino), and its stake moved to the house account
    (``rgs:crash:<bet>:stake``).

    The same ``key`` again answers the same bet and moves nothing (``replayed``); with other
    terms it is ``rgs.round_key_reused``. Outside a betting phase, or when ``round`` names
    another round than the one taking bets, it is ``rgs.crash_betting_closed``; a second bet
    on a round is ``rgs.crash_bet_exists``. Every refusal moves nothing.
    """
    key = _check_key(request.key)
    player = get_player(session, player_id, brand_scope=None)
    existing = _by_key(session, player_id, key)
    if existing is not None:
        return _replay(session, clock, keyring, existing, request)
    if request.currency != player.currency:
        raise rgs_errors.InvalidBet(
            f"Bets are in your account's currency, {player.currency}.", parameter="currency"
        )
    stake = check_stake(request.stake, player.currency)
    auto_cashout = _check_auto_cashout(request.auto_cashout)
    row = _current_row(session, clock, keyring)
    now = clock.now()
    if now >= row.running_at or request.round not in (None, row.number):
        if row.state == "settled" and now >= (row.ended_at or now) + PAUSE:
            raise errors.CrashNoChain(
                "No hash chain covers the next round yet.", round=row.number + 1
            )
        raise errors.CrashBettingClosed(
            f"Round {row.number} is not taking bets now.", round=row.number
        )
    mine = session.scalar(
        select(RgsCrashBet.id).where(
            RgsCrashBet.round_number == row.number, RgsCrashBet.player_id == player_id
        )
    )
    if mine is not None:
        raise errors.CrashBetExists(
            f"You have a bet on round {row.number} already.", bet_id=mine, round=row.number
        )
    check_game_control(session, clock, player, CRASH.code, stake, new_round=True)
    may_bet(
        session,
        clock,
        player_id,
        Product.CASINO,
        stake,
        registers=registers,
        login_session_id=login_session_id,
        geolocation=geolocation,
        ip=ip,
    ).raise_if_refused()
    bet = RgsCrashBet(
        id=new_id("cbt"),
        round_number=row.number,
        player_id=player_id,
        bet_key=key,
        currency=player.currency,
        stake=stake,
        auto_cashout=auto_cashout,
        state="active",
        payout=0,
        balance_before=0,
        balance_after=0,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(bet)
            session.flush()
    except IntegrityError:
        # The same key, or another bet on this round, placed at the same moment.
        theirs = _by_key(session, player_id, key)
        if theirs is not None:
            return _replay(session, clock, keyring, theirs, request)
        raise errors.CrashBetExists(
            f"You have a bet on round {row.number} already.", round=row.number
        ) from None
    after = _move(session, clock, bet, player.cash_account_id, stake, stake=True)
    bet.balance_before, bet.balance_after = after + stake, after
    session.flush()
    return _bet_view(session, bet)


def _locked_bet(session: Session, player_id: str, bet_id: str) -> RgsCrashBet:
    bet = session.scalars(
        select(RgsCrashBet)
        .where(RgsCrashBet.id == bet_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if bet is None or bet.player_id != player_id:
        raise errors.BetNotFound(f"No bet {bet_id!r} of yours.", bet_id=bet_id)
    return bet


def cash_out(
    session: Session, clock: Clock, keyring: Keyring, player_id: str, bet_id: str
) -> BetView:
    """Cash the bet out at the multiplier of the server's now, while the round runs: paid
    ``floor(stake × multiplier)`` (``rgs:crash:<bet>:win``). If the bet's auto cash-out has
    been reached, that is what it was paid. Asking again answers the cash-out made
    (``replayed``); before the start or after the crash it is ``rgs.crash_not_running``.
    A cash-out needs no policy decision: the wager was made when the bet was placed."""
    bet = _locked_bet(session, player_id, bet_id)
    if bet.state == "cashed_out":
        return _bet_view(session, bet, replayed=True)
    row = session.get(RgsCrashRound, bet.round_number)
    assert row is not None
    outcome = _outcome(session, keyring, row)
    now = clock.now()
    if bet.state == "lost" or now >= outcome.ends_at:
        if bet.state == "active":
            _settle_bet(session, clock, bet, outcome.point)
            if bet.state == "cashed_out":  # its auto cash-out (or the cap) came first
                session.flush()
                return _bet_view(session, bet)
        raise errors.CrashNotRunning(
            f"Round {row.number} crashed at {format_hundredths(end_multiplier(outcome.point))}x.",
            round=row.number,
            phase="crashed",
            crash_point=outcome.point,
        )
    if now < row.running_at:
        raise errors.CrashNotRunning(
            f"Round {row.number} has not started.", round=row.number, phase="betting"
        )
    reached = multiplier_at((now - row.running_at) // _MS)
    if bet.auto_cashout is not None and reached >= bet.auto_cashout:
        _cash_out(session, clock, bet, bet.auto_cashout, "auto")
    else:
        _cash_out(session, clock, bet, reached, "manual")
    session.flush()
    return _bet_view(session, bet)


def get_bet(
    session: Session, clock: Clock, keyring: Keyring, player_id: str, bet_id: str
) -> BetView:
    """One of the player's bets (game recall), settled first if its round has crashed."""
    bet = session.get(RgsCrashBet, bet_id)
    if bet is None or bet.player_id != player_id:
        raise errors.BetNotFound(f"No bet {bet_id!r} of yours.", bet_id=bet_id)
    _settle_if_crashed(session, clock, keyring, bet)
    return _bet_view(session, bet)


def list_bets(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    *,
    before: datetime | None = None,
    limit: int = 50,
) -> list[BetView]:
    """The player's bets, newest first, each with the balance before its stake and after its
    last movement; bets of rounds that have crashed are settled first."""
    stmt = select(RgsCrashBet).where(RgsCrashBet.player_id == player_id)
    if before is not None:
        stmt = stmt.where(RgsCrashBet.created_at < before)
    stmt = stmt.order_by(RgsCrashBet.created_at.desc(), RgsCrashBet.id.desc()).limit(limit)
    bets = session.scalars(stmt).all()
    for number in sorted({b.round_number for b in bets if b.state == "active"}):
        settle_round(session, clock, keyring, number)
    return [_bet_view(session, b) for b in bets]
