"""The in-house game server: provably fair seed pairs and rounds through the wallet.

A round, in one unit of work: the title checks the bet; game control may refuse it (a disabled
title, the kill switch, the title's stake cap); policy decides (``may_bet``: account,
exclusions, limits, stake caps, location, reality check); the jurisdiction's minimum time
between games holds; the player's active seed pair is locked and its next nonce taken; the
outcome is drawn from the provably fair stream; the stake and the win move through the ledger
as one linked chain with ids derived from the round (``rgs:<round>:stake``, ``rgs:<round>:win``),
so the round and its money commit together or not at all. The caller names the round
(``round_key``): sending the same request again answers the same round and moves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import (
    IN_HOUSE_PROVIDER,
    RtpSums,
    check_play,
    rtp_sum_columns,
    rtp_sums,
)
from croupier.core.players import PlayerView, get_player
from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    create_transfers,
    get_balance,
    platform_account,
)
from croupier.kernel.clock import Clock
from croupier.kernel.crypto import Keyring
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import Product, jurisdiction
from croupier.kernel.money import Money
from croupier.policy.compliance import Decision, may_bet
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
from croupier.products.rgs import errors
from croupier.products.rgs.crash.errors import PlayedInSharedRounds
from croupier.products.rgs.crash.models import RgsCrashBet
from croupier.products.rgs.fair import (
    NumberStream,
    RoundSeeds,
    check_client_seed,
    commitment,
    default_client_seed,
    new_server_seed,
)
from croupier.products.rgs.games.base import Action, Step
from croupier.products.rgs.games.catalogue import TITLES, is_multi_step, par_sheets
from croupier.products.rgs.games.catalogue import title as title_of
from croupier.products.rgs.games.crash import CRASH
from croupier.products.rgs.models import RgsRound, RgsSeedPair

# Stake bounds in units of the player's currency (a jurisdiction's cap may be lower).
MIN_STAKE: Final = "0.10"
MAX_STAKE: Final = "1000"
HOUSE_ACCOUNT: Final = "rgs"  # the house account of in-house games, per currency
ROUND_KEY_MAX: Final = 64


# -- seed pairs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedPairView:
    id: str
    server_seed_hash: str  # the commitment
    client_seed: str
    next_nonce: int  # rounds played with this pair
    created_at: datetime
    revealed_at: datetime | None
    server_seed: str | None  # only once revealed


def _pair_view(row: RgsSeedPair) -> SeedPairView:
    return SeedPairView(
        id=row.id,
        server_seed_hash=row.server_seed_hash,
        client_seed=row.client_seed,
        next_nonce=row.next_nonce,
        created_at=row.created_at,
        revealed_at=row.revealed_at,
        server_seed=row.revealed_server_seed,
    )


def _new_pair(
    session: Session, clock: Clock, keyring: Keyring, player_id: str, client_seed: str
) -> RgsSeedPair:
    pair_id = new_id("sdp")
    server_seed = new_server_seed()
    row = RgsSeedPair(
        id=pair_id,
        player_id=player_id,
        server_seed_sealed=keyring.seal(server_seed.encode("ascii"), pair_id),
        server_seed_hash=commitment(server_seed),
        client_seed=client_seed,
        next_nonce=0,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def _active_pair(
    session: Session, clock: Clock, keyring: Keyring, player_id: str, *, lock: bool
) -> RgsSeedPair:
    stmt = select(RgsSeedPair).where(
        RgsSeedPair.player_id == player_id, RgsSeedPair.revealed_at.is_(None)
    )
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        row = _new_pair(session, clock, keyring, player_id, default_client_seed())
    return row


def active_seeds(session: Session, clock: Clock, keyring: Keyring, player_id: str) -> SeedPairView:
    """The player's seed pair in play: the commitment, the client seed, the next nonce (a
    pair is made, with a random client seed, the first time a player asks or plays)."""
    get_player(session, player_id, brand_scope=None)
    return _pair_view(_active_pair(session, clock, keyring, player_id, lock=False))


def rotate_seeds(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    client_seed: str | None = None,
) -> tuple[SeedPairView, SeedPairView]:
    """Retire the pair in play and reveal its server seed; start a new pair with a new server
    seed and ``client_seed`` (or a random one). Returns (revealed, new)."""
    get_player(session, player_id, brand_scope=None)
    chosen = check_client_seed(client_seed) if client_seed is not None else default_client_seed()
    old = _active_pair(session, clock, keyring, player_id, lock=True)
    open_round = session.scalar(
        select(RgsRound.id).where(RgsRound.seed_pair_id == old.id, RgsRound.state == "open")
    )
    if open_round is not None:
        raise errors.RoundOpen(
            "A round played with these seeds is still open: finish it first.",
            round_id=open_round,
        )
    old.revealed_server_seed = keyring.open(old.server_seed_sealed, old.id).decode("ascii")
    old.revealed_at = clock.now()
    session.flush()
    new = _new_pair(session, clock, keyring, player_id, chosen)
    return _pair_view(old), _pair_view(new)


def revealed_seeds(session: Session, player_id: str, *, limit: int = 50) -> list[SeedPairView]:
    """The player's retired pairs, newest first, with their server seeds."""
    rows = session.scalars(
        select(RgsSeedPair)
        .where(RgsSeedPair.player_id == player_id, RgsSeedPair.revealed_at.is_not(None))
        .order_by(RgsSeedPair.revealed_at.desc())
        .limit(limit)
    ).all()
    return [_pair_view(r) for r in rows]


# -- rounds ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundView:
    id: str
    round_key: str
    title: str
    params: dict[str, Any]
    currency: str
    stake: int
    payout: int
    multiplier: str  # exact, "p/q" or "p"
    outcome: dict[str, Any]
    state: str
    seed_pair_id: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    server_seed: str | None  # once the pair is rotated
    balance_before: int
    balance_after: int
    created_at: datetime
    actions: list[dict[str, Any]]  # a multi-step round's moves so far
    allowed: list[str]  # the moves open now (empty once settled)
    steps: list[dict[str, Any]] | None = None  # recall of a settled multi-step round
    replayed: bool = False  # this answer repeats a round already played with this key


@dataclass(frozen=True, slots=True)
class RoundRequest:
    title: str
    round_key: str
    stake: int  # ledger units of the player's currency
    params: dict[str, Any]


def _round_view(
    row: RgsRound,
    pair: RgsSeedPair,
    *,
    replayed: bool = False,
    steps: list[dict[str, Any]] | None = None,
) -> RoundView:
    outcome = json.loads(row.outcome)
    allowed = outcome.pop("allowed", []) if row.state == "open" else []
    return RoundView(
        id=row.id,
        round_key=row.round_key,
        title=row.title,
        params=json.loads(row.params),
        currency=row.currency,
        stake=row.stake,
        payout=row.payout,
        multiplier=row.multiplier,
        outcome=outcome,
        state=row.state,
        seed_pair_id=row.seed_pair_id,
        server_seed_hash=pair.server_seed_hash,
        client_seed=pair.client_seed,
        nonce=row.nonce,
        server_seed=pair.revealed_server_seed,
        balance_before=row.balance_before,
        balance_after=row.balance_after,
        created_at=row.created_at,
        actions=json.loads(row.actions),
        allowed=list(allowed),
        steps=steps,
        replayed=replayed,
    )


def _check_round_key(key: object) -> str:
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= ROUND_KEY_MAX
        or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in key)
    ):
        raise errors.InvalidBet(
            f"round_key is 1 to {ROUND_KEY_MAX} characters of A-Z a-z 0-9 - _ .",
            parameter="round_key",
        )
    return key


def check_stake(stake: object, currency: str) -> int:
    low, high = Money.parse(MIN_STAKE, currency).amount, Money.parse(MAX_STAKE, currency).amount
    if isinstance(stake, bool) or not isinstance(stake, int) or not low <= stake <= high:
        raise errors.InvalidStake(
            f"A stake is from {Money(low, currency)} to {Money(high, currency)}.",
            min_stake=low,
            max_stake=high,
        )
    return stake


def _product(mechanic: str) -> Product:
    """What policy licenses and caps: slots are their own product (UK stake caps apply)."""
    return Product.SLOTS if mechanic == "slots" else Product.CASINO


def _game_speed(
    session: Session, clock: Clock, player_id: str, jurisdiction_code: str, product: Product
) -> None:
    """The jurisdiction's minimum time between the starts of two games, enforced on the
    server whatever the client does: UKGC RTS 14C (a slot game cycle at least 2.5 s) for
    slots, RTS 14G (5 s between casino game starts) for the others."""
    rules = jurisdiction(jurisdiction_code)
    interval_ms = (
        rules.slot_min_cycle_ms if product is Product.SLOTS else rules.other_game_min_interval_ms
    )
    if not interval_ms:
        return
    last = session.scalar(
        select(func.max(RgsRound.created_at)).where(RgsRound.player_id == player_id)
    )
    if last is None:
        return
    wait = last + timedelta(milliseconds=interval_ms) - clock.now()
    if wait > timedelta(0):
        raise errors.TooFast(
            f"The next game may start in {wait.total_seconds():.1f} s.",
            retry_after_ms=int(wait.total_seconds() * 1000) + 1,
        )


def _no_open_round(session: Session, player_id: str, title: str) -> None:
    """GLI-19 §4.16: an interrupted round is resolved before the same game starts again."""
    open_round = session.scalar(
        select(RgsRound.id)
        .where(RgsRound.player_id == player_id, RgsRound.title == title, RgsRound.state == "open")
        .limit(1)
    )
    if open_round is not None:
        raise errors.UnfinishedRound(
            f"Your round {open_round} of {title} is still open: finish it first.",
            round_id=open_round,
        )


def check_game_control(
    session: Session,
    clock: Clock,
    player: PlayerView,
    title_code: str,
    stake: int,
    *,
    new_round: bool,
) -> None:
    """Game control for a stake on an in-house title (provider ``croupier``): a disabled
    title, or the kill switch, refuses a new round but not a stake inside an open one (GLI-19
    §2.4.1, §4.15); the title's stake cap in the player's jurisdiction holds for every stake."""
    check_play(
        session,
        clock,
        provider=IN_HOUSE_PROVIDER,
        game_code=title_code,
        brand_id=player.brand_id,
        jurisdiction=player.jurisdiction,
        currency=player.currency,
        stake=stake,
        new_round=new_round,
    )


def _multiplier_text(m: Fraction) -> str:
    return str(m)  # "99/50", "0", "3"


def play_round(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    request: RoundRequest,
    *,
    login_session_id: str | None = None,
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
    autoplay_id: str | None = None,
) -> RoundView:
    """Play one single-draw round (see the module docstring). Bad input, a refusal by policy,
    too little money or a game started too soon raise a domain error and move nothing."""
    game = title_of(request.title)
    play_at = getattr(game, "play_at", None)  # crash: one round shared by every player
    if play_at is not None:
        raise PlayedInSharedRounds(f"{game.name} is played at {play_at}.", play_at=play_at)
    round_key = _check_round_key(request.round_key)
    player = get_player(session, player_id, brand_scope=None)
    existing = session.scalars(
        select(RgsRound).where(RgsRound.player_id == player_id, RgsRound.round_key == round_key)
    ).one_or_none()
    params = dict(game.check(request.params))
    if existing is not None:
        if (existing.title, existing.stake, json.loads(existing.params)) != (
            game.code,
            request.stake,
            params,
        ):
            raise errors.RoundKeyReused(
                "This round key was used for another bet.", round_id=existing.id
            )
        pair = session.get(RgsSeedPair, existing.seed_pair_id)
        assert pair is not None
        return _round_view(existing, pair, replayed=True)
    stake = check_stake(request.stake, player.currency)
    if is_multi_step(game):
        _no_open_round(session, player_id, game.code)
    check_game_control(session, clock, player, game.code, stake, new_round=True)
    product = _product(game.mechanic)
    decision: Decision = may_bet(
        session,
        clock,
        player_id,
        product,
        stake,
        registers=registers,
        login_session_id=login_session_id,
        geolocation=geolocation,
        ip=ip,
    )
    decision.raise_if_refused()
    _game_speed(session, clock, player_id, player.jurisdiction, product)

    pair = _active_pair(session, clock, keyring, player_id, lock=True)
    nonce = pair.next_nonce
    pair.next_nonce = nonce + 1
    server_seed = keyring.open(pair.server_seed_sealed, pair.id).decode("ascii")
    stream = NumberStream(RoundSeeds(server_seed, pair.client_seed, nonce))
    if is_multi_step(game):
        step = game.replay(stream, params, [])
    else:
        play = game.play(stream, params)
        step = Step(finished=True, view=play.outcome, multiplier=play.multiplier)
    multiplier = step.multiplier if step.finished and step.multiplier is not None else None
    payout = int(stake * multiplier) if multiplier is not None else 0  # floor: units are whole

    round_id = new_id("rnd")
    house = platform_account(
        session, clock, kind=AccountKind.HOUSE, currency_code=player.currency, name=HOUSE_ACCOUNT
    )
    before = get_balance(session, player.cash_account_id).posted
    transfers = [
        NewTransfer(
            id=f"rgs:{round_id}:stake",
            debit_account_id=player.cash_account_id,
            credit_account_id=house.id,
            amount=stake,
            currency=player.currency,
            code="bet",
            reference=round_id,
            linked=payout > 0,
        )
    ]
    if payout > 0:
        transfers.append(
            NewTransfer(
                id=f"rgs:{round_id}:win",
                debit_account_id=house.id,
                credit_account_id=player.cash_account_id,
                amount=payout,
                currency=player.currency,
                code="win",
                reference=round_id,
            )
        )
    for result in create_transfers(session, clock, transfers):
        result.unwrap()  # insufficient funds and the like: the whole unit of work rolls back
    now = clock.now()
    row = RgsRound(
        id=round_id,
        player_id=player_id,
        round_key=round_key,
        title=game.code,
        params=json.dumps(params, sort_keys=True),
        currency=player.currency,
        stake=stake,
        staked=stake,
        payout=payout,
        multiplier=_multiplier_text(multiplier) if multiplier is not None else "",
        seed_pair_id=pair.id,
        nonce=nonce,
        outcome=_outcome_json(step),
        actions="[]",
        state="settled" if step.finished else "open",
        balance_before=before,
        balance_after=before - stake + payout,
        created_at=now,
        settled_at=now if step.finished else None,
        moved_at=now,
        autoplay_id=autoplay_id,
    )
    session.add(row)
    session.flush()
    return _round_view(row, pair)


def _outcome_json(step: Step) -> str:
    view = dict(step.view)
    if not step.finished:
        view["allowed"] = list(step.allowed)
    return json.dumps(view, sort_keys=True)


def _with_house(
    session: Session,
    clock: Clock,
    row: RgsRound,
    transfer_id: str,
    cash_account_id: str,
    amount: int,
    *,
    stake: bool,
) -> None:
    """A stake (player to the rgs house account) or a win (the other way) of ``row``."""
    house = platform_account(
        session, clock, kind=AccountKind.HOUSE, currency_code=row.currency, name=HOUSE_ACCOUNT
    )
    debit, credit = (cash_account_id, house.id) if stake else (house.id, cash_account_id)
    create_transfers(
        session,
        clock,
        [
            NewTransfer(
                id=transfer_id,
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                currency=row.currency,
                code="bet" if stake else "win",
                reference=row.id,
            )
        ],
    )[0].unwrap()


def _units(view: dict[str, Any]) -> Fraction:
    """Stakes committed so far, in units of the round's first stake (a title that lets the
    player stake more, by doubling or splitting, says so with ``units_staked``)."""
    return Fraction(str(view.get("units_staked", 1)))


def _action_of(data: dict[str, Any]) -> Action:
    return Action(data["name"], data.get("args", {}))


def act(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    round_id: str,
    step_number: int,
    action: Action,
) -> RoundView:
    """A move in the player's open multi-step round.

    ``step_number`` is how many moves the round has had: a move sent for a step that is past
    is refused (``rgs.action_out_of_turn``), except the same move sent again, which answers the
    round as it is (a retry). A move on a settled round is ``rgs.round_finished``. When the move
    ends the round, the win is credited through the ledger (``rgs:<round>:win``). A move that
    stakes nothing more needs no policy decision: a round already open may always finish
    (GLI-19 §4.15); one that stakes more (a double) is a new wager: policy decides again and
    the title's stake cap holds, but not its disabling (the round finishes).
    """
    row = session.scalars(
        select(RgsRound).where(RgsRound.id == round_id).with_for_update()
    ).one_or_none()
    if row is None or row.player_id != player_id:
        raise errors.RoundNotFound(f"No round {round_id!r} of yours.", round_id=round_id)
    pair = session.get(RgsSeedPair, row.seed_pair_id)
    assert pair is not None
    done: list[dict[str, Any]] = json.loads(row.actions)
    move = {"name": action.name, "args": dict(action.args)}
    if step_number == len(done) - 1 and done[-1] == move:
        return _round_view(row, pair, replayed=True)  # the same move again: a retry
    if row.state != "open":
        raise errors.RoundFinished("The round is over.", round_id=round_id)
    if step_number != len(done):
        raise errors.ActionOutOfTurn(
            f"The round is at step {len(done)}.", expected_step=len(done), round_id=round_id
        )
    game = title_of(row.title)
    assert is_multi_step(game)
    server_seed = keyring.open(pair.server_seed_sealed, pair.id).decode("ascii")
    stream = NumberStream(RoundSeeds(server_seed, pair.client_seed, row.nonce))
    actions = [*done, move]
    step = game.replay(stream, json.loads(row.params), [_action_of(a) for a in actions])
    player = get_player(session, player_id, brand_scope=None)
    raised = _units(step.view) - _units(json.loads(row.outcome))
    if raised > 0:
        # A double, a split or insurance stakes more: a new wager, so policy decides again,
        # and the extra stake moves before anything else of this move. Inside a round already
        # open, so a game disabled since lets it finish (§4.15); its stake cap still holds.
        extra = int(row.stake * raised)
        check_game_control(session, clock, player, game.code, extra, new_round=False)
        product = _product(game.mechanic)
        may_bet(session, clock, player_id, product, extra).raise_if_refused()
        _with_house(
            session, clock, row, f"rgs:{row.id}:stake:{len(actions)}",
            player.cash_account_id, extra, stake=True,
        )  # fmt: skip
        row.staked += extra
    row.actions = json.dumps(actions, sort_keys=True)
    row.outcome = _outcome_json(step)
    row.moved_at = clock.now()
    if step.finished:
        multiplier = step.multiplier if step.multiplier is not None else Fraction(0)
        row.payout = int(row.stake * multiplier)
        row.multiplier = _multiplier_text(multiplier)
        row.state = "settled"
        row.settled_at = clock.now()
        if row.payout > 0:
            _with_house(
                session, clock, row, f"rgs:{row.id}:win", player.cash_account_id, row.payout,
                stake=False,
            )  # fmt: skip
    row.balance_after = get_balance(session, player.cash_account_id).posted
    session.flush()
    return _round_view(row, pair)


def get_round(
    session: Session, player_id: str, round_id: str, keyring: Keyring | None = None
) -> RoundView:
    """One of the player's rounds, for game recall (GLI-19 §4.14). A settled multi-step round
    comes with every intermediate step, replayed from its seeds (given the ``keyring``)."""
    row = session.get(RgsRound, round_id)
    if row is None or row.player_id != player_id:
        raise errors.RoundNotFound(f"No round {round_id!r} of yours.", round_id=round_id)
    pair = session.get(RgsSeedPair, row.seed_pair_id)
    assert pair is not None
    steps = None
    game = title_of(row.title)
    if keyring is not None and row.state == "settled" and is_multi_step(game):
        server_seed = keyring.open(pair.server_seed_sealed, pair.id).decode("ascii")
        actions = [_action_of(a) for a in json.loads(row.actions)]
        params = json.loads(row.params)
        steps = []
        for n in range(len(actions) + 1):
            stream = NumberStream(RoundSeeds(server_seed, pair.client_seed, row.nonce))
            step = game.replay(stream, params, actions[:n])
            steps.append({"after_actions": n, "finished": step.finished, "view": step.view})
    return _round_view(row, pair, steps=steps)


def list_rounds(
    session: Session,
    player_id: str,
    *,
    title: str | None = None,
    before: datetime | None = None,
    limit: int = 50,
) -> list[RoundView]:
    """The player's rounds, newest first."""
    stmt = select(RgsRound, RgsSeedPair).join(RgsSeedPair, RgsSeedPair.id == RgsRound.seed_pair_id)
    stmt = stmt.where(RgsRound.player_id == player_id)
    if title is not None:
        stmt = stmt.where(RgsRound.title == title)
    if before is not None:
        stmt = stmt.where(RgsRound.created_at < before)
    stmt = stmt.order_by(RgsRound.created_at.desc(), RgsRound.id.desc()).limit(limit)
    return [_round_view(r, p) for r, p in session.execute(stmt).all()]


# -- interrupted rounds (GLI-19 §4.16) ---------------------------------------------------------

DEFAULT_INTERRUPTED_AFTER: Final = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class InterruptedRound:
    """An open round that has not moved for a while: its stake is held until it settles."""

    id: str
    player_id: str
    title: str
    currency: str
    stake: int
    created_at: datetime
    moved_at: datetime | None


def interrupted_rounds(
    session: Session,
    clock: Clock,
    *,
    idle_for: timedelta = DEFAULT_INTERRUPTED_AFTER,
    limit: int = 500,
    after_id: str | None = None,
    titles: Collection[str] | None = None,
) -> list[InterruptedRound]:
    """Open rounds (of ``titles``, if given) that have not moved for ``idle_for``, by id (a
    page of ``limit`` after ``after_id``): wagers held in interrupted games (GLI-19 §4.16)."""
    page = _interrupted(clock, idle_for)
    if titles is not None:
        page.append(RgsRound.title.in_(sorted(titles)))
    if after_id is not None:
        page.append(RgsRound.id > after_id)
    rows = session.execute(
        select(
            RgsRound.id,
            RgsRound.player_id,
            RgsRound.title,
            RgsRound.currency,
            RgsRound.stake,
            RgsRound.created_at,
            RgsRound.moved_at,
        )
        .where(*page)
        .order_by(RgsRound.id)
        .limit(limit)
    ).all()
    return [InterruptedRound(*r) for r in rows]


def _interrupted(clock: Clock, idle_for: timedelta) -> list[ColumnElement[bool]]:
    last_move = func.coalesce(RgsRound.moved_at, RgsRound.created_at)
    return [RgsRound.state == "open", last_move < clock.now() - idle_for]


def held_stakes(
    session: Session, clock: Clock, *, idle_for: timedelta = DEFAULT_INTERRUPTED_AFTER
) -> dict[str, tuple[int, int]]:
    """Per currency, how many rounds are held in interrupted games and the stakes they hold
    (GLI-19 §2.9, funds in interrupted games): one aggregate, no round replayed."""
    rows = session.execute(
        select(RgsRound.currency, func.count(), func.sum(RgsRound.stake))
        .where(*_interrupted(clock, idle_for))
        .group_by(RgsRound.currency)
    ).all()
    return {currency: (int(count), int(staked)) for currency, count, staked in rows}


def complete_interrupted_round(
    session: Session, clock: Clock, keyring: Keyring, round_id: str
) -> RoundView | None:
    """Play on an open round by itself while the player has no choice left (free spins), to
    its end if it can (GLI-19 §4.16: completed automatically where no input is needed).

    Answers the round if it moved, or None if it waits for the player's choice (it stays
    held, resumed with its exact state when the player comes back) or is no longer open.
    Each move goes through :func:`act`, so its money moves once, under its own transfer id.
    """
    row = session.scalars(
        select(RgsRound).where(RgsRound.id == round_id).with_for_update()
    ).one_or_none()
    if row is None or row.state != "open":
        return None
    game = title_of(row.title)
    assert is_multi_step(game)
    pair = session.get(RgsSeedPair, row.seed_pair_id)
    assert pair is not None
    server_seed = keyring.open(pair.server_seed_sealed, pair.id).decode("ascii")
    done = [_action_of(a) for a in json.loads(row.actions)]
    params = json.loads(row.params)
    view: RoundView | None = None
    while True:
        stream = NumberStream(RoundSeeds(server_seed, pair.client_seed, row.nonce))
        step = game.replay(stream, params, done)
        if step.finished or step.automatic is None:
            return view
        view = act(session, clock, keyring, row.player_id, row.id, len(done), step.automatic)
        done.append(step.automatic)


@dataclass(frozen=True, slots=True)
class TitleSummary:
    code: str
    name: str
    mechanic: str


def in_house_titles() -> list[TitleSummary]:
    """Every in-house title by code, name and mechanic, for the game catalogue (cheap: no PAR
    sheet is computed; ``croupier games list`` shows the RTP ranges)."""
    return [TitleSummary(code, t.name, t.mechanic) for code, t in sorted(TITLES.items())]


def title_rtp_range(code: str) -> tuple[Fraction, Fraction] | None:
    """The lowest and the highest RTP of the title's configurations, from its PAR sheets
    (computed once per process; a slot's take seconds); None for a title no longer offered."""
    if code not in TITLES:
        return None
    rtps = [sheet.rtp for sheet in par_sheets(code)]
    return min(rtps), max(rtps)


@dataclass(frozen=True, slots=True)
class TitleRtpSums:
    title: str
    currency: str
    sums: RtpSums


def rtp_sums_by_title(session: Session) -> list[TitleRtpSums]:
    """Per title and currency, the sums the actual RTP needs (GLI-19 A.6): settled rounds by
    everything they staked (doubles and raises too, as the PAR sheets count) and paid; crash
    bets once they are cashed out or lost. One aggregate per table."""
    rounds = session.execute(
        select(
            RgsRound.title, RgsRound.currency, *rtp_sum_columns(RgsRound.staked, RgsRound.payout)
        )
        .where(RgsRound.state == "settled")
        .group_by(RgsRound.title, RgsRound.currency)
    ).all()
    crash = session.execute(
        select(RgsCrashBet.currency, *rtp_sum_columns(RgsCrashBet.stake, RgsCrashBet.payout))
        .where(RgsCrashBet.state != "active")
        .group_by(RgsCrashBet.currency)
    ).all()
    found = [TitleRtpSums(title, currency, rtp_sums(sums)) for title, currency, *sums in rounds]
    found.extend(TitleRtpSums(CRASH.code, currency, rtp_sums(sums)) for currency, *sums in crash)
    return sorted(found, key=lambda t: (t.title, t.currency))
