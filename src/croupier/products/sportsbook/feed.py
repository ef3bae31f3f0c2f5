"""The live feed: its wire format, the adapter interface, and the HTTP (Server-Sent Events) client.

A feed tells the sportsbook about fixtures, live odds (true probabilities), suspensions, goals,
status changes and results. The wire format is documented field by field in
``docs/sportsbook-feed.md``; every message is one JSON object with an envelope

    {"type": ..., "message_id": ..., "event_id": ..., "seq": ..., "sent_at": ..., ...payload}

``seq`` counts the messages of one event from 1 without gaps, ``message_id`` is unique per
message (a duplicate delivery carries the same id). Over HTTP the feed is an SSE stream whose
``id:`` is the stream offset, a number increasing over all events; a client resumes with
``Last-Event-ID`` (or ``?after=``) and gets every message after that offset again.

``HttpFeedClient`` is a ``FeedAdapter``: it holds the stream open in a background thread,
reconnects with exponential backoff, resumes after the last offset it handled, drops
duplicates (by message id, and anything at or below the ``seq`` already handled for its event)
and hands typed messages to one handler, in order, one at a time. The simulator
(``croupier feed-sim``) serves this format; the platform never imports the simulator.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, TypeAlias, cast

import httpx

log = logging.getLogger(__name__)

STREAM_PATH = "/v1/stream"
# Waits between reconnection attempts (seconds); the last repeats.
DEFAULT_BACKOFF: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
# Message ids remembered for deduplication (the oldest are forgotten first).
DEDUP_WINDOW = 100_000


class EventStatus(StrEnum):
    """The life of an event as the feed reports it."""

    NOT_STARTED = "not_started"
    LIVE = "live"
    SUSPENDED = "suspended"
    ENDED = "ended"
    CANCELLED = "cancelled"


class FeedFormatError(ValueError):
    """A message that does not follow the wire format."""


@dataclass(frozen=True)
class Score:
    home: int
    away: int

    def as_json(self) -> dict[str, int]:
        return {"home": self.home, "away": self.away}


# -- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FeedMessage:
    """The envelope every message has. ``sent_at`` is when the feed produced it (UTC)."""

    TYPE: ClassVar[str] = ""

    message_id: str
    event_id: str
    seq: int
    sent_at: datetime

    def payload(self) -> dict[str, Any]:
        return {}

    def as_json(self) -> dict[str, Any]:
        """The message as sent on the wire."""
        return {
            "type": self.TYPE,
            "message_id": self.message_id,
            "event_id": self.event_id,
            "seq": self.seq,
            "sent_at": _format_time(self.sent_at),
            **self.payload(),
        }


@dataclass(frozen=True, kw_only=True)
class FixtureMessage(FeedMessage):
    """An event exists (or its details changed)."""

    TYPE: ClassVar[str] = "fixture"

    sport: str
    competition: str
    home: str
    away: str
    start_time: datetime

    def payload(self) -> dict[str, Any]:
        return {
            "sport": self.sport,
            "competition": self.competition,
            "home": self.home,
            "away": self.away,
            "start_time": _format_time(self.start_time),
        }


@dataclass(frozen=True, kw_only=True)
class OddsMessage(FeedMessage):
    """True probabilities now: market key -> selection -> probability (not odds, no margin;
    keys as in ``match_model``)."""

    TYPE: ClassVar[str] = "odds"

    minute: int
    score: Score
    markets: Mapping[str, Mapping[str, float]]

    def payload(self) -> dict[str, Any]:
        return {
            "minute": self.minute,
            "score": self.score.as_json(),
            "markets": {m: dict(s) for m, s in self.markets.items()},
        }


@dataclass(frozen=True, kw_only=True)
class SuspendMessage(FeedMessage):
    """Stop taking bets on every market of the event (a dangerous moment, a goal)."""

    TYPE: ClassVar[str] = "suspend"

    minute: int
    reason: str

    def payload(self) -> dict[str, Any]:
        return {"minute": self.minute, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class ResumeMessage(FeedMessage):
    """Take bets again (at the odds of the latest ``odds`` message)."""

    TYPE: ClassVar[str] = "resume"

    minute: int
    reason: str

    def payload(self) -> dict[str, Any]:
        return {"minute": self.minute, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class GoalMessage(FeedMessage):
    """A goal; ``score`` is the score after it."""

    TYPE: ClassVar[str] = "goal"

    minute: int
    team: Literal["home", "away"]
    score: Score

    def payload(self) -> dict[str, Any]:
        return {"minute": self.minute, "team": self.team, "score": self.score.as_json()}


@dataclass(frozen=True, kw_only=True)
class StatusMessage(FeedMessage):
    """The event's status changed (not started, live at kick-off, ended, cancelled)."""

    TYPE: ClassVar[str] = "status"

    status: EventStatus
    minute: int
    reason: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"status": self.status.value, "minute": self.minute, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class ResultMessage(FeedMessage):
    """The final score: what settlement uses."""

    TYPE: ClassVar[str] = "result"

    score: Score

    def payload(self) -> dict[str, Any]:
        return {"score": self.score.as_json()}


AnyFeedMessage: TypeAlias = (
    FixtureMessage
    | OddsMessage
    | SuspendMessage
    | ResumeMessage
    | GoalMessage
    | StatusMessage
    | ResultMessage
)
MESSAGE_TYPES: dict[str, type[FeedMessage]] = {
    cls.TYPE: cls
    for cls in (
        FixtureMessage,
        OddsMessage,
        SuspendMessage,
        ResumeMessage,
        GoalMessage,
        StatusMessage,
        ResultMessage,
    )
}


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _field(data: Mapping[str, Any], name: str, kind: type[Any]) -> Any:
    value = data.get(name)
    if kind is int and isinstance(value, bool):
        raise FeedFormatError(f"{name} must be an integer")
    if not isinstance(value, kind):
        raise FeedFormatError(f"{name} must be {kind.__name__}, not {value!r}")
    return value


def _int(data: Mapping[str, Any], name: str) -> int:
    return cast(int, _field(data, name, int))


def _str(data: Mapping[str, Any], name: str) -> str:
    return cast(str, _field(data, name, str))


def _time(data: Mapping[str, Any], name: str) -> datetime:
    text = _str(data, name)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FeedFormatError(f"{name} is not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise FeedFormatError(f"{name} has no time zone: {text!r}")
    return moment.astimezone(UTC)


def _score(data: Mapping[str, Any], name: str) -> Score:
    value = _field(data, name, dict)
    home, away = _int(value, "home"), _int(value, "away")
    if home < 0 or away < 0:
        raise FeedFormatError(f"{name} cannot be negative")
    return Score(home, away)


def _markets(data: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    markets: dict[str, dict[str, float]] = {}
    for market, selections in _field(data, "markets", dict).items():
        if not isinstance(selections, dict):
            raise FeedFormatError(f"market {market!r} is not an object")
        parsed: dict[str, float] = {}
        for name, value in selections.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FeedFormatError(f"{market} {name} is not a number")
            if not 0.0 <= value <= 1.0:
                raise FeedFormatError(f"{market} {name} is not a probability: {value}")
            parsed[str(name)] = float(value)
        markets[str(market)] = parsed
    return markets


def parse_message(data: Mapping[str, Any]) -> AnyFeedMessage:
    """A wire message (decoded JSON) as its typed message; ``FeedFormatError`` if malformed."""
    kind = data.get("type")
    envelope: dict[str, Any] = {
        "message_id": _str(data, "message_id"),
        "event_id": _str(data, "event_id"),
        "seq": _int(data, "seq"),
        "sent_at": _time(data, "sent_at"),
    }
    if envelope["seq"] < 1:
        raise FeedFormatError("seq starts at 1")
    if kind == "fixture":
        return FixtureMessage(
            **envelope,
            sport=_str(data, "sport"),
            competition=_str(data, "competition"),
            home=_str(data, "home"),
            away=_str(data, "away"),
            start_time=_time(data, "start_time"),
        )
    if kind == "odds":
        return OddsMessage(
            **envelope,
            minute=_int(data, "minute"),
            score=_score(data, "score"),
            markets=_markets(data),
        )
    if kind in ("suspend", "resume"):
        cls = SuspendMessage if kind == "suspend" else ResumeMessage
        return cls(**envelope, minute=_int(data, "minute"), reason=_str(data, "reason"))
    if kind == "goal":
        team = _str(data, "team")
        if team not in ("home", "away"):
            raise FeedFormatError(f"team is home or away, not {team!r}")
        return GoalMessage(
            **envelope,
            minute=_int(data, "minute"),
            team=cast(Literal["home", "away"], team),
            score=_score(data, "score"),
        )
    if kind == "status":
        try:
            status = EventStatus(_str(data, "status"))
        except ValueError:
            raise FeedFormatError(f"unknown status {data.get('status')!r}") from None
        reason = data.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise FeedFormatError("reason must be a string or null")
        return StatusMessage(**envelope, status=status, minute=_int(data, "minute"), reason=reason)
    if kind == "result":
        return ResultMessage(**envelope, score=_score(data, "score"))
    raise FeedFormatError(f"unknown message type {kind!r}")


def encode_message(message: FeedMessage) -> str:
    """The message as one line of JSON (what an SSE ``data:`` line and a NATS payload carry)."""
    return json.dumps(message.as_json(), separators=(",", ":"))


def decode_message(text: str | bytes) -> AnyFeedMessage:
    try:
        data = json.loads(text)
    except ValueError:
        raise FeedFormatError("not JSON") from None
    if not isinstance(data, dict):
        raise FeedFormatError("a message is a JSON object")
    return parse_message(data)


# -- the adapter interface -----------------------------------------------------------------------

FeedHandler: TypeAlias = Callable[[AnyFeedMessage], None]


class FeedAdapter(Protocol):
    """A source of feed messages. ``start`` begins delivering to ``handler`` (from a thread of
    the adapter's own, one message at a time, each event's messages in ``seq`` order, each
    message once); ``stop`` ends it. ``position`` is an opaque token: give it back to a new
    adapter to resume where this one stopped."""

    def start(self, handler: FeedHandler) -> None: ...

    def stop(self) -> None: ...

    @property
    def position(self) -> str: ...


# -- the HTTP client -----------------------------------------------------------------------------


@dataclass
class FeedClientStats:
    """What the client has seen (read with ``HttpFeedClient.stats``)."""

    connections: int = 0
    received: int = 0
    delivered: int = 0
    duplicates: int = 0
    gaps: int = 0
    malformed: int = 0
    handler_errors: int = 0


@dataclass(frozen=True)
class _Frame:
    offset: int | None
    data: str


def iter_sse(lines: Iterator[str]) -> Iterator[_Frame]:
    """Server-Sent Events frames (``id`` and ``data`` fields; comments and other fields are
    skipped) from a stream's lines (WHATWG HTML §9.2.6)."""
    offset: int | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield _Frame(offset, "\n".join(data))
            offset, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "id" and value.isdigit():
            offset = int(value)


@dataclass(eq=False)
class HttpFeedClient:
    """Follows a feed's SSE stream (``GET {url}/v1/stream``) from a background thread.

    Guarantees to the handler: messages of one event arrive in ``seq`` order and each message
    (by ``message_id``) at most once; after a dropped connection the stream resumes after the
    offset of the last message handled, so nothing is lost while the feed keeps its log. A
    handler that raises is retried: the client reconnects and the message comes again (so the
    handler should itself be idempotent, e.g. record the message ids it applied in the same
    transaction). ``after`` resumes from an offset kept from an earlier run (``position``)."""

    url: str
    after: int = 0
    event_id: str | None = None
    backoff: tuple[float, ...] = DEFAULT_BACKOFF
    read_timeout: float = 10.0
    dedup_window: int = DEDUP_WINDOW
    stats: FeedClientStats = field(default_factory=FeedClientStats)
    _offset: int = field(init=False, default=0)
    _seen_ids: OrderedDict[str, None] = field(init=False, default_factory=OrderedDict)
    _last_seq: dict[str, int] = field(init=False, default_factory=dict)
    _stopping: threading.Event = field(init=False, default_factory=threading.Event)
    _thread: threading.Thread | None = field(init=False, default=None)
    _response: httpx.Response | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._offset = self.after
        self.url = self.url.rstrip("/")

    @property
    def position(self) -> str:
        """The offset of the last message handled, as text."""
        return str(self._offset)

    @property
    def offset(self) -> int:
        return self._offset

    def start(self, handler: FeedHandler) -> None:
        """Start following the stream; ``handler`` is called from the client's thread."""
        if self._thread is not None:
            raise RuntimeError("the feed client is already started")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(handler,), name="feed-client", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the stream and wait for the thread (the handler finishes its message)."""
        self._stopping.set()
        with self._lock:
            response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # closing from another thread may race with the reader's close
                log.debug("closing the feed stream raised", exc_info=True)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __enter__(self) -> HttpFeedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, handler: FeedHandler) -> None:
        failures = 0
        timeout = httpx.Timeout(5.0, read=self.read_timeout)
        with httpx.Client(timeout=timeout) as http:
            while not self._stopping.is_set():
                progressed = False
                try:
                    progressed = self._follow(http, handler)
                except (httpx.HTTPError, OSError) as exc:
                    if not self._stopping.is_set():
                        log.info("feed stream interrupted: %s", exc)
                except _HandlerFailed:
                    pass
                if progressed:
                    failures = 0
                wait = self.backoff[min(failures, len(self.backoff) - 1)]
                failures += 1
                self._stopping.wait(wait)

    def _follow(self, http: httpx.Client, handler: FeedHandler) -> bool:
        """One connection, until it ends. True when at least one message was handled."""
        params: dict[str, str] = {"after": str(self._offset)}
        if self.event_id is not None:
            params["event_id"] = self.event_id
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(self._offset)}
        progressed = False
        with http.stream("GET", self.url + STREAM_PATH, params=params, headers=headers) as response:
            with self._lock:
                self._response = response
            try:
                response.raise_for_status()
                self.stats.connections += 1
                for frame in iter_sse(response.iter_lines()):
                    if self._stopping.is_set():
                        break
                    self._take(frame, handler)
                    progressed = True
            finally:
                with self._lock:
                    self._response = None
        return progressed

    def _take(self, frame: _Frame, handler: FeedHandler) -> None:
        self.stats.received += 1
        try:
            message = decode_message(frame.data)
        except FeedFormatError as exc:
            self.stats.malformed += 1
            log.warning("malformed feed message at offset %s: %s", frame.offset, exc)
            self._advance(frame)
            return
        last_seq = self._last_seq.get(message.event_id, 0)
        if message.message_id in self._seen_ids or message.seq <= last_seq:
            self.stats.duplicates += 1
            self._advance(frame)
            return
        if message.seq != last_seq + 1:
            # Nothing the feed keeps is skipped on resume, so this is the feed's own loss.
            self.stats.gaps += 1
            log.warning("feed gap on %s: seq %d after %d", message.event_id, message.seq, last_seq)
        try:
            handler(message)
        except Exception as exc:
            self.stats.handler_errors += 1
            log.exception("feed handler failed on %s; retrying", message.message_id)
            raise _HandlerFailed from exc
        self._seen_ids[message.message_id] = None
        if len(self._seen_ids) > self.dedup_window:
            self._seen_ids.popitem(last=False)
        self._last_seq[message.event_id] = message.seq
        self.stats.delivered += 1
        self._advance(frame)

    def _advance(self, frame: _Frame) -> None:
        if frame.offset is not None and frame.offset > self._offset:
            self._offset = frame.offset


class _HandlerFailed(Exception):
    """The handler raised: reconnect, and the message comes again."""
