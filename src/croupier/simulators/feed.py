"""A live football feed, simulated: a real HTTP server that plays matches minute by minute.

Each match is played in accelerated time (one match minute every ``minute_ms`` milliseconds)
by a thread of its own: every minute it draws each team's goals from the Poisson model of
``croupier.products.sportsbook.match_model`` (or takes them from a script), suspends the
event's markets before a goal is revealed and at random "dangerous moments", and publishes the
new true probabilities. The wire format, shared with the platform's client, is defined in
``croupier.products.sportsbook.feed`` and documented in ``docs/sportsbook-feed.md``; in short:

- ``GET /v1/stream`` (Server-Sent Events): every message since ``?after=<offset>`` (or the
  ``Last-Event-ID`` header), then live ones; ``id:`` is the stream offset, ``event:`` the type,
  ``data:`` the JSON message. ``?event_id=`` keeps one event. A comment line every
  ``heartbeat_ms`` keeps an idle stream alive.
- ``GET /v1/events``: the events as they are now.
- Optionally every message is also published to NATS, subject ``<prefix>.<event_id>.<type>``
  with the header ``Nats-Msg-Id`` = message id (so a JetStream stream deduplicates).
- The fault panel (``/admin/...``, no auth: bind to 127.0.0.1): delay every message, send
  messages twice, end each stream after N messages or all streams now, add a scripted match
  (fixed goal minutes, dangerous minutes), cancel a match.

    croupier feed-sim --port 8811 --matches 4 --minute-ms 1000
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import Body, FastAPI, Header, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from croupier.products.sportsbook.feed import (
    EventStatus,
    FeedMessage,
    FixtureMessage,
    GoalMessage,
    OddsMessage,
    ResultMessage,
    ResumeMessage,
    Score,
    StatusMessage,
    SuspendMessage,
    encode_message,
)
from croupier.products.sportsbook.match_model import (
    MATCH_MINUTES,
    MarketLines,
    MatchState,
    Team,
    live_probabilities,
)
from croupier.simulators.serving import BackgroundServer

log = logging.getLogger(__name__)

SPORT = "football"
COMPETITION = "Simulated League"
# Fictional clubs; a match draws two of them.
TEAMS = (
    "Ashford Rovers",
    "Brackley Town",
    "Calder Vale",
    "Dunmore Athletic",
    "Eastwick United",
    "Fenwick City",
    "Glenmoor FC",
    "Harrowgate Albion",
    "Ivybridge Wanderers",
    "Kingsmead Rangers",
    "Larkhill Borough",
    "Millbrook Villa",
)
# Where random matches draw their expected goals from.
HOME_RATE_RANGE = (0.9, 2.2)
AWAY_RATE_RANGE = (0.6, 1.8)
DEFAULT_DANGER_RATE = 0.04
DEFAULT_HEARTBEAT_MS = 1000
# Entries sent per wake-up of a stream, so one slow client does not hold the loop.
STREAM_BATCH = 500


# -- the fault panel and request bodies ----------------------------------------------------------


class Faults(BaseModel):
    """The knobs of the fault panel, replaced whole on every change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Every message waits this long before it is written to a stream.
    delay_ms: int = Field(default=0, ge=0, le=60_000)
    # The share of messages written twice in a row (same id, same offset).
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # End every stream after it has written this many messages (0: never).
    drop_every: int = Field(default=0, ge=0)


class ScriptedGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minute: int = Field(ge=1, le=MATCH_MINUTES)
    team: Literal["home", "away"]


class MatchIn(BaseModel):
    """A match to play. ``goals`` given: exactly those goals (a scripted match); absent: goals
    drawn from the model. ``danger_minutes`` always suspend; ``danger_rate`` is the chance of a
    dangerous moment in any other minute (default: the simulator's)."""

    model_config = ConfigDict(extra="forbid")

    event_id: StrictStr | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    competition: StrictStr = Field(default=COMPETITION, min_length=1, max_length=200)
    home: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    away: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    home_rate: float | None = Field(default=None, ge=0.0, le=10.0)
    away_rate: float | None = Field(default=None, ge=0.0, le=10.0)
    kickoff_in_ms: int = Field(default=0, ge=0, le=7 * 86_400_000)
    minute_ms: int | None = Field(default=None, ge=1, le=600_000)
    goals: list[ScriptedGoal] | None = None
    danger_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    danger_minutes: list[Annotated[int, Field(ge=1, le=MATCH_MINUTES)]] = []


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(default="cancelled", min_length=1, max_length=200)


# -- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One message in the log: ``offset`` is its position in the stream (from 1)."""

    offset: int
    event_id: str
    type: str
    text: str


@dataclass(eq=False)
class SimMatch:
    """One match being played. Changed only under the feed's lock."""

    event_id: str
    competition: str
    home: str
    away: str
    start_time: datetime
    model: MatchState
    minute_ms: int
    danger_rate: float
    danger_minutes: frozenset[int]
    scripted_goals: dict[int, list[Team]] | None
    rng: random.Random
    status: EventStatus = EventStatus.NOT_STARTED
    seq: int = 0
    finished: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def score(self) -> Score:
        return Score(self.model.home_goals, self.model.away_goals)

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "sport": SPORT,
            "competition": self.competition,
            "home": self.home,
            "away": self.away,
            "start_time": self.start_time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "status": self.status.value,
            "minute": self.model.minute,
            "score": self.score.as_json(),
            "home_rate": self.model.home_rate,
            "away_rate": self.model.away_rate,
            "seq": self.seq,
        }

    def goals_in(self, minute: int) -> list[Team]:
        """The goals of ``minute``, in the order they are revealed."""
        if self.scripted_goals is not None:
            return list(self.scripted_goals.get(minute, []))
        home_mean, away_mean = self.model.minute_rates
        goals: list[Team] = ["home"] * _poisson(self.rng, home_mean)
        goals += ["away"] * _poisson(self.rng, away_mean)
        self.rng.shuffle(goals)
        return goals

    def dangerous(self, minute: int) -> bool:
        roll = self.rng.random()  # drawn every minute, so a script does not shift the dice
        return minute in self.danger_minutes or roll < self.danger_rate


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by inversion (the means here are a few hundredths)."""
    u = rng.random()
    k = 0
    p = math.exp(-mean)
    cumulative = p
    while u > cumulative and k < 50:
        k += 1
        p *= mean / k
        cumulative += p
    return k


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event

    def notify(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: the stream is gone
            self.loop.call_soon_threadsafe(self.wake.set)


@dataclass(eq=False)
class FeedState:
    """Everything the simulated feed knows: the matches and the log of every message sent."""

    seed: int = 0
    minute_ms: int = 1000
    danger_rate: float = DEFAULT_DANGER_RATE
    heartbeat_ms: int = DEFAULT_HEARTBEAT_MS
    nats_url: str | None = None
    nats_subject_prefix: str = "feed"
    lines: MarketLines = field(default_factory=MarketLines)
    clock: Callable[[], float] = time.time
    faults: Faults = field(default_factory=Faults)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    entries: list[_Entry] = field(default_factory=list, repr=False)
    matches: dict[str, SimMatch] = field(default_factory=dict, repr=False)
    disconnects: int = 0
    stats: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("streams_opened", "streams_dropped", "duplicates_sent", "nats_published"), 0
        )
    )
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    rng: random.Random = field(init=False, repr=False)
    run_id: str = field(init=False)
    _subscribers: set[_Subscriber] = field(default_factory=set, repr=False)
    _match_count: int = field(default=0, repr=False)
    _nats: NatsPublisher | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (a simulation, reproducible by seed)
        self.run_id = f"{self.rng.getrandbits(32):08x}"
        if self.nats_url is not None:
            self._nats = NatsPublisher(self.nats_url)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- matches

    def add_match(self, spec: MatchIn | None = None) -> SimMatch:
        """Announce a match (``fixture``, ``status`` not_started, pre-match ``odds``) and start
        playing it in a thread of its own."""
        spec = spec or MatchIn()
        with self.lock:
            if self.stopping.is_set():
                raise RuntimeError("the feed is stopping")
            self._match_count += 1
            number = self._match_count
            event_id = spec.event_id or f"sim-{self.run_id}-{number}"
            if event_id in self.matches:
                raise ValueError(f"event {event_id} exists")
            # Each match has dice of its own, so its goals do not depend on other matches.
            match_rng = random.Random(f"{self.seed}:{number}")  # noqa: S311
            home, away = match_rng.sample(TEAMS, 2)
            home_rate = spec.home_rate
            if home_rate is None:
                home_rate = round(match_rng.uniform(*HOME_RATE_RANGE), 2)
            away_rate = spec.away_rate
            if away_rate is None:
                away_rate = round(match_rng.uniform(*AWAY_RATE_RANGE), 2)
            scripted: dict[int, list[Team]] | None = None
            if spec.goals is not None:
                scripted = {}
                for goal in spec.goals:
                    scripted.setdefault(goal.minute, []).append(goal.team)
            match = SimMatch(
                event_id=event_id,
                competition=spec.competition,
                home=spec.home or home,
                away=spec.away or away,
                start_time=self.now() + timedelta(milliseconds=spec.kickoff_in_ms),
                model=MatchState(home_rate, away_rate),
                minute_ms=spec.minute_ms or self.minute_ms,
                danger_rate=self.danger_rate if spec.danger_rate is None else spec.danger_rate,
                danger_minutes=frozenset(spec.danger_minutes),
                scripted_goals=scripted,
                rng=match_rng,
            )
            self.matches[event_id] = match
            self.publish(
                match,
                FixtureMessage,
                sport=SPORT,
                competition=match.competition,
                home=match.home,
                away=match.away,
                start_time=match.start_time,
            )
            self._publish_status(match, EventStatus.NOT_STARTED)
            self._publish_odds(match)
            match.thread = threading.Thread(
                target=self._play, args=(match,), name=f"feed-sim-{event_id}", daemon=True
            )
            match.thread.start()
        return match

    def cancel(self, event_id: str, reason: str = "cancelled") -> SimMatch:
        """Cancel a match that has not ended: ``status`` cancelled is its last message."""
        with self.lock:
            match = self.matches.get(event_id)
            if match is None:
                raise KeyError(event_id)
            if match.finished:
                raise ValueError(f"event {event_id} is already {match.status.value}")
            match.cancel.set()
            self._publish_status(match, EventStatus.CANCELLED, reason=reason)
        return match

    def _wait(self, match: SimMatch, seconds: float) -> bool:
        """Sleep; False when the match was cancelled or the feed is stopping."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if match.cancel.is_set() or self.stopping.is_set():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            match.cancel.wait(min(left, 0.05))

    def _play(self, match: SimMatch) -> None:
        try:
            kickoff_in = (match.start_time - self.now()).total_seconds()
            if not self._wait(match, kickoff_in):
                return
            with self.lock:
                self._publish_status(match, EventStatus.LIVE)
            half = match.minute_ms / 2000
            for minute in range(1, MATCH_MINUTES + 1):
                with self.lock:
                    goals = match.goals_in(minute)
                    suspended = match.dangerous(minute) or bool(goals)
                    if suspended:
                        self._publish_suspend(match, minute, "dangerous_attack")
                if not self._wait(match, half):
                    return
                with self.lock:
                    for team in goals:
                        match.model = match.model.after_goal(team)
                        self.publish(
                            match, GoalMessage, minute=minute, team=team, score=match.score
                        )
                    match.model = match.model.at_minute(minute)
                    self._publish_odds(match)
                    if suspended:
                        self._publish_resume(match, minute, "goal" if goals else "danger_over")
                if not self._wait(match, half):
                    return
            with self.lock:
                self.publish(match, ResultMessage, score=match.score)
                self._publish_status(match, EventStatus.ENDED)
        except Exception:  # one broken match must not take the others down
            log.exception("feed simulator: match %s failed", match.event_id)

    # -- publishing

    def publish(self, match: SimMatch, kind: type[FeedMessage], **payload: Any) -> None:
        """Number a message of ``kind`` (``seq`` of the event, stream offset), log it and wake
        the streams. Nothing is published for a match that has ended or was cancelled."""
        with self.lock:
            if match.finished:
                return
            match.seq += 1
            message = kind(
                message_id=uuid.uuid4().hex,
                event_id=match.event_id,
                seq=match.seq,
                sent_at=self.now(),
                **payload,
            )
            offset = len(self.entries) + 1
            entry = _Entry(offset, match.event_id, message.TYPE, encode_message(message))
            self.entries.append(entry)
            subscribers = list(self._subscribers)
            if self._nats is not None:
                subject = f"{self.nats_subject_prefix}.{match.event_id}.{message.TYPE}"
                self._nats.publish(subject, entry.text.encode(), message.message_id)
                self.stats["nats_published"] += 1
        for subscriber in subscribers:
            subscriber.notify()

    def _publish_status(
        self, match: SimMatch, status: EventStatus, reason: str | None = None
    ) -> None:
        if match.finished:
            return
        self.publish(match, StatusMessage, status=status, minute=match.model.minute, reason=reason)
        match.status = status
        if status in (EventStatus.ENDED, EventStatus.CANCELLED):
            match.finished = True

    def _publish_odds(self, match: SimMatch) -> None:
        markets = live_probabilities(match.model, self.lines)
        self.publish(
            match, OddsMessage, minute=match.model.minute, score=match.score, markets=markets
        )

    def _publish_suspend(self, match: SimMatch, minute: int, reason: str) -> None:
        self.publish(match, SuspendMessage, minute=minute, reason=reason)
        if not match.finished:
            match.status = EventStatus.SUSPENDED

    def _publish_resume(self, match: SimMatch, minute: int, reason: str) -> None:
        self.publish(match, ResumeMessage, minute=minute, reason=reason)
        if not match.finished:
            match.status = EventStatus.LIVE

    # -- streams

    def entries_after(self, offset: int, limit: int = STREAM_BATCH) -> list[_Entry]:
        with self.lock:
            start = max(0, offset)
            return self.entries[start : start + limit]

    def subscribe(self, subscriber: _Subscriber) -> None:
        with self.lock:
            self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        with self.lock:
            self._subscribers.discard(subscriber)

    def disconnect_all(self) -> int:
        """End every open stream now (clients reconnect and resume)."""
        with self.lock:
            self.disconnects += 1
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.notify()
        return len(subscribers)

    def close(self) -> None:
        """Stop the matches (nothing more is published) and end the streams."""
        self.stopping.set()
        self.disconnect_all()
        with self.lock:
            threads = [m.thread for m in self.matches.values() if m.thread is not None]
        for thread in threads:
            thread.join(timeout=5)
        if self._nats is not None:
            self._nats.close()


# -- NATS ----------------------------------------------------------------------------------------


class NatsPublisher:
    """Publishes to NATS from a thread of its own (nats-py is asyncio), in the order given."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[tuple[str, bytes, str] | None] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="feed-sim-nats", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"cannot connect to NATS at {url}: {self._error}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        import nats  # imported here: only a feed that publishes to NATS needs nats-py

        try:
            connection = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=-1)
        except Exception as exc:
            self._error = exc
            self._ready.set()
            return
        self._queue = asyncio.Queue()
        self._ready.set()
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    break
                subject, payload, message_id = item
                await connection.publish(subject, payload, headers={"Nats-Msg-Id": message_id})
        finally:
            await connection.drain()

    def publish(self, subject: str, payload: bytes, message_id: str) -> None:
        queue = self._queue
        if queue is not None:
            self._loop.call_soon_threadsafe(queue.put_nowait, (subject, payload, message_id))

    def close(self) -> None:
        queue = self._queue
        if queue is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(queue.put_nowait, None)
        self._thread.join(timeout=10)


# -- the HTTP API --------------------------------------------------------------------------------


def _sse(entry: _Entry) -> bytes:
    return f"id: {entry.offset}\nevent: {entry.type}\ndata: {entry.text}\n\n".encode()


def build_app(state: FeedState) -> FastAPI:
    """The simulator's HTTP API over ``state``."""
    app = FastAPI(title="croupier feed simulator")

    async def stream_entries(after: int, event_id: str | None) -> AsyncIterator[bytes]:
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Event())
        state.subscribe(subscriber)
        with state.lock:
            state.stats["streams_opened"] += 1
            generation = state.disconnects
        dice = random.Random(f"{state.seed}:stream:{state.stats['streams_opened']}")  # noqa: S311
        position = after
        written = 0
        heartbeat = state.heartbeat_ms / 1000
        try:
            yield b": feed-sim stream\n\n"
            while True:
                subscriber.wake.clear()
                if state.disconnects != generation or state.stopping.is_set():
                    with state.lock:
                        state.stats["streams_dropped"] += 1
                    return
                batch = state.entries_after(position)
                if not batch:
                    try:
                        await asyncio.wait_for(subscriber.wake.wait(), heartbeat)
                    except TimeoutError:
                        yield b": keepalive\n\n"
                    continue
                for entry in batch:
                    faults = state.faults
                    position = entry.offset
                    if event_id is not None and entry.event_id != event_id:
                        continue
                    if faults.delay_ms:
                        await asyncio.sleep(faults.delay_ms / 1000)
                    frame = _sse(entry)
                    yield frame
                    if faults.duplicate_rate and dice.random() < faults.duplicate_rate:
                        with state.lock:
                            state.stats["duplicates_sent"] += 1
                        yield frame
                    written += 1
                    if faults.drop_every and written >= faults.drop_every:
                        with state.lock:
                            state.stats["streams_dropped"] += 1
                        return
                    if state.disconnects != generation:
                        break
        finally:
            state.unsubscribe(subscriber)

    @app.get("/v1/stream")
    async def stream(
        after: Annotated[int, Query(ge=0)] = 0,
        event_id: str | None = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Server-Sent Events: every message after the offset ``Last-Event-ID`` (or ``after``),
        then live ones as they are published."""
        if last_event_id is not None:
            if not last_event_id.isdigit():
                raise HTTPException(400, "Last-Event-ID is a stream offset")
            after = int(last_event_id)
        return StreamingResponse(
            stream_entries(after, event_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.get("/v1/events")
    def events() -> dict[str, Any]:
        """The events as they are now (status, minute, score) and the stream's last offset."""
        with state.lock:
            return {
                "offset": len(state.entries),
                "events": [m.as_json() for m in state.matches.values()],
            }

    # -- the fault panel

    @app.get("/admin/faults")
    def get_faults() -> dict[str, Any]:
        """The faults in force."""
        return state.faults.model_dump()

    @app.post("/admin/faults")
    def post_faults(patch: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Change the knobs named in the body; the others keep their value."""
        with state.lock:
            try:
                state.faults = Faults.model_validate({**state.faults.model_dump(), **patch})
            except ValidationError as exc:
                raise HTTPException(422, exc.errors(include_url=False)) from None
            return state.faults.model_dump()

    @app.post("/admin/faults/reset")
    def reset_faults() -> dict[str, Any]:
        """Every knob back to its default."""
        with state.lock:
            state.faults = Faults()
            return state.faults.model_dump()

    @app.post("/admin/disconnect")
    def disconnect() -> dict[str, Any]:
        """End every open stream now."""
        return {"streams": state.disconnect_all()}

    @app.post("/admin/matches", status_code=201)
    def add_match(body: MatchIn) -> dict[str, Any]:
        """Add a match: scripted with ``goals``, else drawn from the model."""
        try:
            return state.add_match(body).as_json()
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None

    @app.get("/admin/matches")
    def list_matches() -> dict[str, Any]:
        """Every match, with its expected goals."""
        with state.lock:
            return {"matches": [m.as_json() for m in state.matches.values()]}

    @app.post("/admin/matches/{event_id}/cancel")
    def cancel_match(event_id: str, body: CancelIn | None = None) -> dict[str, Any]:
        """Cancel a match that has not ended."""
        try:
            return state.cancel(event_id, (body or CancelIn()).reason).as_json()
        except KeyError:
            raise HTTPException(404, f"no event {event_id}") from None
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None

    @app.get("/admin/stats")
    def get_stats() -> dict[str, Any]:
        """Counters since start."""
        with state.lock:
            return {
                **state.stats,
                "messages": len(state.entries),
                "streams_open": len(state._subscribers),
                "matches": len(state.matches),
            }

    return app


# -- in tests ------------------------------------------------------------------------------------


class RunningFeed:
    """A simulated feed serving on 127.0.0.1 (a free port) in a background thread."""

    def __init__(
        self,
        *,
        matches: int = 0,
        minute_ms: int = 1000,
        seed: int = 0,
        danger_rate: float = DEFAULT_DANGER_RATE,
        heartbeat_ms: int = 100,
        kickoff_in_ms: int = 0,
        nats_url: str | None = None,
    ) -> None:
        self.state = FeedState(
            seed=seed,
            minute_ms=minute_ms,
            danger_rate=danger_rate,
            heartbeat_ms=heartbeat_ms,
            nats_url=nats_url,
        )
        self._initial_matches = matches
        self._kickoff_in_ms = kickoff_in_ms
        self._served = BackgroundServer(
            build_app(self.state), "the simulated feed", graceful_shutdown_seconds=2
        )
        self._admin_client: httpx.Client | None = None

    def __enter__(self) -> RunningFeed:
        self._served.start()
        for _ in range(self._initial_matches):
            self.state.add_match(MatchIn(kickoff_in_ms=self._kickoff_in_ms))
        return self

    def __exit__(self, *exc: object) -> None:
        self.state.close()
        self._served.stop()
        if self._admin_client is not None:
            self._admin_client.close()

    @property
    def url(self) -> str:
        return self._served.url

    @property
    def _admin(self) -> httpx.Client:
        if self._admin_client is None:
            self._admin_client = httpx.Client(timeout=10)
        return self._admin_client

    def _admin_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._admin.post(f"{self.url}{path}", json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def set_faults(self, **faults: Any) -> Faults:
        """Change fault knobs through the admin API (``set_faults(duplicate_rate=1)``)."""
        return Faults.model_validate(self._admin_post("/admin/faults", faults))

    def reset_faults(self) -> None:
        self._admin_post("/admin/faults/reset", {})

    def disconnect(self) -> int:
        """End every open stream now; how many there were."""
        return int(self._admin_post("/admin/disconnect", {})["streams"])

    def add_match(self, **spec: Any) -> dict[str, Any]:
        """Add a match through the admin API (``add_match(goals=[{"minute": 3, "team":
        "home"}], minute_ms=20)``)."""
        return self._admin_post("/admin/matches", spec)

    def cancel(self, event_id: str, reason: str = "cancelled") -> dict[str, Any]:
        return self._admin_post(f"/admin/matches/{event_id}/cancel", {"reason": reason})

    def stats(self) -> dict[str, Any]:
        response = self._admin.get(f"{self.url}/admin/stats")
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer
