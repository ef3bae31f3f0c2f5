"""Autoplay (GLI-19 §4.9.2): switchable per jurisdiction, stoppable, stops at the player's
thresholds.

A player starts an autoplay with one bet (title, stake, parameters), a number of rounds and
the thresholds it stops at: a net loss (required) and, if they like, a single win. The client
then asks for each round in turn with its own round key; the server plays it with the stored
bet, counts it, and stops the autoplay when a threshold is reached, so a client that misbehaves
cannot play on. Every round is still a round of :func:`service.play_round`: policy decides each
stake, the jurisdiction's minimum game cycle holds, and the money moves through the ledger.

- Where the jurisdiction allows no autoplay (Great Britain, Sweden, Germany, Ontario) it cannot
  be started, and a running one plays no further round there.
- Only titles that need no choices within a round: single-draw games, and slots (whose free
  spins play on by themselves within the same request).
- The loss threshold is never crossed: the autoplay stops as soon as the next stake could
  take the net loss past it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.kernel.clock import Clock
from croupier.kernel.crypto import Keyring
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import jurisdiction
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
from croupier.products.rgs import errors, service
from croupier.products.rgs.games.catalogue import is_multi_step
from croupier.products.rgs.games.catalogue import title as title_of
from croupier.products.rgs.models import RgsAutoplay, RgsRound

MAX_ROUNDS: Final = 1_000
RUNNING: Final = "running"
STOPPED: Final = "stopped"

# Why an autoplay stopped: stable codes a client can show.
BY_PLAYER: Final = "player"
ROUNDS_DONE: Final = "rounds_done"
LOSS_LIMIT: Final = "loss_limit"
SINGLE_WIN: Final = "single_win"


@dataclass(frozen=True, slots=True)
class AutoplayRequest:
    title: str
    stake: int
    params: dict[str, Any]
    rounds: int
    loss_limit: int
    single_win_limit: int | None = None


@dataclass(frozen=True, slots=True)
class AutoplayView:
    id: str
    title: str
    params: dict[str, Any]
    currency: str
    stake: int
    rounds: int
    rounds_played: int
    loss_limit: int
    single_win_limit: int | None
    staked: int
    returned: int
    state: str
    stop_reason: str | None
    created_at: datetime
    stopped_at: datetime | None

    @property
    def net(self) -> int:
        """What the autoplay has won (positive) or lost (negative) so far."""
        return self.returned - self.staked


def _view(row: RgsAutoplay) -> AutoplayView:
    return AutoplayView(
        id=row.id,
        title=row.title,
        params=json.loads(row.params),
        currency=row.currency,
        stake=row.stake,
        rounds=row.rounds,
        rounds_played=row.rounds_played,
        loss_limit=row.loss_limit,
        single_win_limit=row.single_win_limit,
        staked=row.staked,
        returned=row.returned,
        state=row.state,
        stop_reason=row.stop_reason,
        created_at=row.created_at,
        stopped_at=row.stopped_at,
    )


def _check_amount(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise errors.InvalidAutoplay(f"{name} is a positive whole number of ledger units.",
                                     parameter=name)  # fmt: skip
    return value


def _allowed_here(jurisdiction_code: str) -> None:
    if not jurisdiction(jurisdiction_code).autoplay_allowed:
        raise errors.AutoplayNotAllowed(
            "Autoplay is not allowed in your jurisdiction.", jurisdiction=jurisdiction_code
        )


def start_autoplay(
    session: Session, clock: Clock, player_id: str, request: AutoplayRequest
) -> AutoplayView:
    """Start an autoplay; bad settings, a title with choices or a jurisdiction without
    autoplay are refused and nothing is stored. One runs at a time per player."""
    player = get_player(session, player_id, brand_scope=None)
    _allowed_here(player.jurisdiction)
    game = title_of(request.title)
    if getattr(game, "play_at", None) is not None:  # crash: the rounds are shared, not paced
        raise errors.AutoplayNotAllowed(
            f"{game.name} is played in shared rounds: set an auto cash-out instead.",
            title=game.code,
        )
    if is_multi_step(game) and game.mechanic != "slots":
        raise errors.AutoplayNotAllowed(
            f"{game.name} asks for choices within a round: no autoplay.", title=game.code
        )
    params = dict(game.check(request.params))
    stake = service.check_stake(request.stake, player.currency)
    rounds = request.rounds
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise errors.InvalidAutoplay(f"rounds is 1 to {MAX_ROUNDS}.", parameter="rounds")
    loss_limit = _check_amount(request.loss_limit, "loss_limit")
    if stake > loss_limit:
        raise errors.InvalidAutoplay(
            "loss_limit is below one stake: the autoplay could not play a round.",
            parameter="loss_limit",
        )
    single_win = (
        None
        if request.single_win_limit is None
        else _check_amount(request.single_win_limit, "single_win_limit")
    )
    row = RgsAutoplay(
        id=new_id("apl"),
        player_id=player_id,
        title=game.code,
        params=json.dumps(params, sort_keys=True),
        currency=player.currency,
        stake=stake,
        rounds=rounds,
        rounds_played=0,
        loss_limit=loss_limit,
        single_win_limit=single_win,
        staked=0,
        returned=0,
        state=RUNNING,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise errors.AutoplayRunning("Stop your running autoplay first.") from None
    return _view(row)


def _own(session: Session, player_id: str, autoplay_id: str, *, lock: bool) -> RgsAutoplay:
    stmt = select(RgsAutoplay).where(RgsAutoplay.id == autoplay_id)
    row = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if row is None or row.player_id != player_id:
        raise errors.AutoplayNotFound(f"No autoplay {autoplay_id!r} of yours.",
                                      autoplay_id=autoplay_id)  # fmt: skip
    return row


def get_autoplay(session: Session, player_id: str, autoplay_id: str) -> AutoplayView:
    return _view(_own(session, player_id, autoplay_id, lock=False))


def running_autoplay(session: Session, player_id: str) -> AutoplayView | None:
    """The player's running autoplay, if any."""
    row = session.scalars(
        select(RgsAutoplay).where(RgsAutoplay.player_id == player_id, RgsAutoplay.state == RUNNING)
    ).one_or_none()
    return None if row is None else _view(row)


def _stop(row: RgsAutoplay, clock: Clock, reason: str) -> None:
    row.state = STOPPED
    row.stop_reason = reason
    row.stopped_at = clock.now()


def stop_autoplay(session: Session, clock: Clock, player_id: str, autoplay_id: str) -> AutoplayView:
    """The player stops their autoplay (at once: no further round is played). Stopping one
    that has already stopped answers it as it is."""
    row = _own(session, player_id, autoplay_id, lock=True)
    if row.state == RUNNING:
        _stop(row, clock, BY_PLAYER)
    return _view(row)


def play_autoplay_round(
    session: Session,
    clock: Clock,
    keyring: Keyring,
    player_id: str,
    autoplay_id: str,
    round_key: str,
    *,
    login_session_id: str | None = None,
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> tuple[service.RoundView, AutoplayView]:
    """The autoplay's next round, with its stored bet. A retry (the same round key) answers
    the same round and counts nothing; a stopped autoplay plays nothing
    (``rgs.autoplay_stopped``, with the reason)."""
    row = _own(session, player_id, autoplay_id, lock=True)
    played = session.scalars(
        select(RgsRound).where(RgsRound.player_id == player_id, RgsRound.round_key == round_key)
    ).one_or_none()
    if played is not None:
        if played.autoplay_id != row.id:
            raise errors.RoundKeyReused("This round key was used for another round.",
                                        round_id=played.id)  # fmt: skip
        again = replace(service.get_round(session, player_id, played.id), replayed=True)
        return again, _view(row)
    if row.state != RUNNING:
        raise errors.AutoplayStopped(
            f"The autoplay has stopped ({row.stop_reason}).", reason=row.stop_reason
        )
    player = get_player(session, player_id, brand_scope=None)
    _allowed_here(player.jurisdiction)
    view = service.play_round(
        session,
        clock,
        keyring,
        player_id,
        service.RoundRequest(row.title, round_key, row.stake, json.loads(row.params)),
        login_session_id=login_session_id,
        registers=registers,
        geolocation=geolocation,
        ip=ip,
        autoplay_id=row.id,
    )
    if view.state == "open":  # free spins: they need no choice, so they play on now
        completed = service.complete_interrupted_round(session, clock, keyring, view.id)
        assert completed is not None
        assert completed.state == "settled"
        view = completed
    row.rounds_played += 1
    row.staked += view.stake
    row.returned += view.payout
    lost = row.staked - row.returned
    if row.single_win_limit is not None and view.payout >= row.single_win_limit:
        _stop(row, clock, SINGLE_WIN)
    elif lost + row.stake > row.loss_limit:
        _stop(row, clock, LOSS_LIMIT)  # the next stake could cross the player's threshold
    elif row.rounds_played >= row.rounds:
        _stop(row, clock, ROUNDS_DONE)
    session.flush()
    return view, _view(row)
