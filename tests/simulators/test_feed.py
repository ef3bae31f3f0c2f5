"""The feed simulator and the platform's feed client over a real HTTP stream: a scripted match
arrives whole and in order (suspend before the goal, odds that move, the result), dropped
connections resume without loss or duplicates, duplicates are dropped, cancelled matches end
cancelled; the wire format; ``croupier feed-sim`` as a process of its own; NATS."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from croupier.products.sportsbook.feed import (
    AnyFeedMessage,
    EventStatus,
    FeedAdapter,
    FeedFormatError,
    FixtureMessage,
    GoalMessage,
    HttpFeedClient,
    OddsMessage,
    ResultMessage,
    ResumeMessage,
    Score,
    StatusMessage,
    SuspendMessage,
    decode_message,
    encode_message,
)
from croupier.simulators.feed import RunningFeed

FAST = 8  # milliseconds per match minute
NATS_URL = os.environ.get("CROUPIER_TEST_NATS_URL")
REQUIRE_SERVICES = os.environ.get("CROUPIER_TEST_REQUIRE_SERVICES") == "1"


class Inbox:
    """What a handler received, with a way to wait for more."""

    def __init__(self) -> None:
        self.messages: list[AnyFeedMessage] = []
        self._condition = threading.Condition()

    def __call__(self, message: AnyFeedMessage) -> None:
        with self._condition:
            self.messages.append(message)
            self._condition.notify_all()

    def wait_for(
        self, predicate: Callable[[list[AnyFeedMessage]], bool], timeout: float = 10
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    kinds = [m.TYPE for m in self.messages[-5:]]
                    raise TimeoutError(f"{len(self.messages)} messages, last {kinds}")
                self._condition.wait(left)

    def of(self, event_id: str) -> list[AnyFeedMessage]:
        with self._condition:
            return [m for m in self.messages if m.event_id == event_id]


def ended(event_id: str) -> Callable[[list[AnyFeedMessage]], bool]:
    def check(messages: list[AnyFeedMessage]) -> bool:
        return any(
            isinstance(m, StatusMessage)
            and m.event_id == event_id
            and m.status in (EventStatus.ENDED, EventStatus.CANCELLED)
            for m in messages
        )

    return check


@pytest.fixture
def feed() -> Iterator[RunningFeed]:
    with RunningFeed(minute_ms=FAST, danger_rate=0.0) as running:
        yield running


def follow(url: str, **kwargs: Any) -> tuple[HttpFeedClient, Inbox]:
    inbox = Inbox()
    client = HttpFeedClient(url, backoff=(0.01, 0.05), **kwargs)
    client.start(inbox)
    return client, inbox


def server_log(feed: RunningFeed, event_id: str) -> list[dict[str, Any]]:
    with feed.state.lock:
        return [json.loads(e.text) for e in feed.state.entries if e.event_id == event_id]


def test_a_scripted_match_arrives_whole_and_in_order(feed: RunningFeed) -> None:
    event_id = feed.add_match(
        event_id="derby",
        home="Home FC",
        away="Away FC",
        home_rate=1.6,
        away_rate=1.1,
        minute_ms=FAST,
        goals=[{"minute": 5, "team": "home"}, {"minute": 70, "team": "away"}],
        danger_minutes=[2],
    )["event_id"]
    client, inbox = follow(feed.url)
    adapter: FeedAdapter = client  # the client is the platform's feed adapter
    try:
        inbox.wait_for(ended(event_id))
    finally:
        adapter.stop()
    messages = inbox.of(event_id)

    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    assert len({m.message_id for m in messages}) == len(messages)
    fixture, not_started, pre_match, kick_off = messages[:4]
    assert isinstance(fixture, FixtureMessage)
    assert (fixture.home, fixture.away, fixture.sport) == ("Home FC", "Away FC", "football")
    assert isinstance(not_started, StatusMessage)
    assert not_started.status is EventStatus.NOT_STARTED
    assert isinstance(pre_match, OddsMessage)
    assert pre_match.minute == 0
    assert isinstance(kick_off, StatusMessage)
    assert kick_off.status is EventStatus.LIVE

    goals = [m for m in messages if isinstance(m, GoalMessage)]
    assert [(g.minute, g.team) for g in goals] == [(5, "home"), (70, "away")]
    for goal in goals:
        # suspended just before the goal; new odds, then resumed, just after
        at = messages.index(goal)
        suspend, odds_now, resume = messages[at - 1], messages[at + 1], messages[at + 2]
        assert isinstance(suspend, SuspendMessage)
        assert suspend.minute == goal.minute
        assert isinstance(odds_now, OddsMessage)
        assert odds_now.score == goal.score
        assert isinstance(resume, ResumeMessage)
        assert resume.reason == "goal"

    odds = {m.minute: m for m in messages if isinstance(m, OddsMessage)}
    assert sorted(odds) == list(range(91))
    assert odds[5].markets["1x2"]["home"] > odds[4].markets["1x2"]["home"] + 0.1
    assert odds[70].markets["1x2"]["draw"] > odds[69].markets["1x2"]["draw"] + 0.3
    assert odds[69].score == Score(1, 0)

    # the dangerous moment of minute 2 suspends without a goal
    minute_two = [m for m in messages if getattr(m, "minute", None) == 2]
    assert [type(m) for m in minute_two] == [SuspendMessage, OddsMessage, ResumeMessage]
    assert sum(isinstance(m, SuspendMessage) for m in messages) == 3

    result, last = messages[-2:]
    assert isinstance(result, ResultMessage)
    assert result.score == Score(1, 1)
    assert isinstance(last, StatusMessage)
    assert last.status is EventStatus.ENDED
    assert client.stats.duplicates == 0
    assert client.stats.gaps == 0


def test_dropped_connections_resume_without_loss_or_duplicates(feed: RunningFeed) -> None:
    feed.set_faults(drop_every=7)
    event_id = feed.add_match(minute_ms=FAST, goals=[{"minute": 30, "team": "away"}])["event_id"]
    client, inbox = follow(feed.url)
    try:
        inbox.wait_for(lambda ms: len(ms) > 40)
        assert feed.disconnect() >= 0  # and once more from the panel, mid-match
        inbox.wait_for(ended(event_id))
    finally:
        client.stop()
    received = [m.message_id for m in inbox.of(event_id)]
    assert received == [m["message_id"] for m in server_log(feed, event_id)]
    assert client.stats.connections > len(received) // 7
    assert client.stats.duplicates == 0
    assert feed.stats()["streams_dropped"] >= client.stats.connections - 1


def test_duplicated_messages_are_dropped_by_the_client(feed: RunningFeed) -> None:
    feed.set_faults(duplicate_rate=1.0)
    event_id = feed.add_match(minute_ms=FAST, goals=[])["event_id"]
    client, inbox = follow(feed.url)
    try:
        inbox.wait_for(ended(event_id))
    finally:
        client.stop()
    received = [m.message_id for m in inbox.of(event_id)]
    assert received == [m["message_id"] for m in server_log(feed, event_id)]
    assert client.stats.duplicates == client.stats.delivered == len(received)
    assert feed.stats()["duplicates_sent"] >= len(received)


def test_a_cancelled_match_ends_with_status_cancelled(feed: RunningFeed) -> None:
    event_id = feed.add_match(minute_ms=200, goals=[])["event_id"]
    client, inbox = follow(feed.url)
    try:
        inbox.wait_for(
            lambda ms: any(
                isinstance(m, StatusMessage) and m.status is EventStatus.LIVE for m in ms
            )
        )
        feed.cancel(event_id, reason="floodlight failure")
        inbox.wait_for(ended(event_id))
        time.sleep(0.3)  # a minute and a half: nothing may follow
    finally:
        client.stop()
    last = inbox.of(event_id)[-1]
    assert isinstance(last, StatusMessage)
    assert (last.status, last.reason) == (EventStatus.CANCELLED, "floodlight failure")
    assert not any(isinstance(m, ResultMessage) for m in inbox.of(event_id))
    assert server_log(feed, event_id)[-1]["status"] == "cancelled"
    with pytest.raises(httpx.HTTPStatusError) as refused:
        feed.cancel(event_id)
    assert refused.value.response.status_code == 409


def test_a_client_resumes_after_a_saved_offset(feed: RunningFeed) -> None:
    event_id = feed.add_match(minute_ms=1, goals=[])["event_id"]
    first, inbox = follow(feed.url)
    try:
        inbox.wait_for(ended(event_id))
    finally:
        first.stop()
    saved = first.position
    later = feed.add_match(minute_ms=1, goals=[{"minute": 1, "team": "home"}])["event_id"]
    second, second_inbox = follow(feed.url, after=int(saved))
    try:
        second_inbox.wait_for(ended(later))
    finally:
        second.stop()
    assert {m.event_id for m in second_inbox.messages} == {later}
    assert second_inbox.messages[0].seq == 1

    # Last-Event-ID over plain HTTP: the stream starts right after that offset
    with (
        httpx.Client(timeout=5) as http,
        http.stream("GET", f"{feed.url}/v1/stream", headers={"Last-Event-ID": saved}) as response,
    ):
        first_id = next(line for line in response.iter_lines() if line.startswith("id: "))
    assert first_id == f"id: {int(saved) + 1}"


def test_a_handler_that_fails_gets_the_message_again(feed: RunningFeed) -> None:
    event_id = feed.add_match(minute_ms=FAST, goals=[])["event_id"]
    inbox = Inbox()
    failures = [3]

    def flaky(message: AnyFeedMessage) -> None:
        if message.seq == 5 and failures[0] > 0:
            failures[0] -= 1
            raise RuntimeError("database unavailable")
        inbox(message)

    client = HttpFeedClient(feed.url, backoff=(0.01,))
    client.start(flaky)
    try:
        inbox.wait_for(ended(event_id))
    finally:
        client.stop()
    assert [m.seq for m in inbox.of(event_id)] == list(range(1, len(inbox.of(event_id)) + 1))
    assert client.stats.handler_errors == 3


def test_random_matches_are_reproducible_by_seed() -> None:
    def goals(seed: int) -> list[tuple[int, str]]:
        with RunningFeed(matches=1, minute_ms=1, seed=seed) as running:
            client, inbox = follow(running.url)
            try:
                inbox.wait_for(lambda ms: ended(ms[0].event_id)(ms) if ms else False)
            finally:
                client.stop()
            return [(m.minute, m.team) for m in inbox.messages if isinstance(m, GoalMessage)]

    assert goals(11) == goals(11)


def test_every_message_type_survives_the_wire() -> None:
    envelope: dict[str, Any] = {
        "message_id": "m1",
        "event_id": "e1",
        "seq": 1,
        "sent_at": datetime(2025, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC),
    }
    messages: list[AnyFeedMessage] = [
        FixtureMessage(
            **envelope,
            sport="football",
            competition="League",
            home="A",
            away="B",
            start_time=datetime(2025, 5, 1, 15, tzinfo=UTC),
        ),
        OddsMessage(
            **envelope,
            minute=12,
            score=Score(1, 0),
            markets={"1x2": {"home": 0.7, "draw": 0.2, "away": 0.1}},
        ),
        SuspendMessage(**envelope, minute=13, reason="dangerous_attack"),
        ResumeMessage(**envelope, minute=13, reason="danger_over"),
        GoalMessage(**envelope, minute=13, team="away", score=Score(1, 1)),
        StatusMessage(**envelope, status=EventStatus.CANCELLED, minute=13, reason="weather"),
        ResultMessage(**envelope, score=Score(2, 1)),
    ]
    for message in messages:
        text = encode_message(message)
        assert decode_message(text) == message
        assert json.loads(text)["sent_at"] == "2025-05-01T12:00:00.250Z"
    for broken in [
        "[]",
        '{"type": "goal"}',
        '{"type": "odds", "message_id": "m", "event_id": "e", "seq": 1, '
        '"sent_at": "2025-05-01T12:00:00Z", "minute": 1, "score": {"home": 0, "away": 0}, '
        '"markets": {"1x2": {"home": 1.5}}}',
        '{"type": "later", "message_id": "m", "event_id": "e", "seq": 1, '
        '"sent_at": "2025-05-01T12:00:00Z"}',
    ]:
        with pytest.raises(FeedFormatError):
            decode_message(broken)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_croupier_feed_sim_runs_as_a_process_of_its_own() -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "croupier.app.cli", "feed-sim", "--port", str(port),
        "--matches", "2", "--minute-ms", "2", "--kickoff-ms", "0", "--seed", "3",
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/events", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        client, inbox = follow(f"http://127.0.0.1:{port}")
        try:
            inbox.wait_for(
                lambda ms: sum(isinstance(m, ResultMessage) for m in ms) == 2, timeout=20
            )
        finally:
            client.stop()
        fixtures = [m for m in inbox.messages if isinstance(m, FixtureMessage)]
        assert len(fixtures) == 2
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def nats_url() -> str:
    if not NATS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("CROUPIER_TEST_NATS_URL is not set but services are required")
        pytest.skip("CROUPIER_TEST_NATS_URL is not set")
    return NATS_URL


def test_messages_are_also_published_to_nats_with_their_id(nats_url: str) -> None:
    nats = pytest.importorskip("nats") if not REQUIRE_SERVICES else __import__("nats")
    received: list[tuple[str, str, dict[str, Any]]] = []
    subscribed = threading.Event()
    done = threading.Event()

    async def listen() -> None:
        connection = await nats.connect(nats_url)

        async def on_message(msg: Any) -> None:
            received.append((msg.subject, msg.headers["Nats-Msg-Id"], json.loads(msg.data)))

        await connection.subscribe("feed.>", cb=on_message)
        await connection.flush()
        subscribed.set()
        while not done.is_set():
            await asyncio.sleep(0.02)
        await connection.drain()

    listener = threading.Thread(target=asyncio.run, args=(listen(),), daemon=True)
    listener.start()
    assert subscribed.wait(10)
    with RunningFeed(minute_ms=1, danger_rate=0.0, nats_url=nats_url) as running:
        event_id = running.add_match(goals=[{"minute": 2, "team": "home"}])["event_id"]
        deadline = time.monotonic() + 10
        while not any(r[2]["type"] == "result" for r in received if r[2]["event_id"] == event_id):
            assert time.monotonic() < deadline, "no result over NATS"
            time.sleep(0.02)
        time.sleep(0.1)
        logged = server_log(running, event_id)
    done.set()
    listener.join(5)
    mine = [r for r in received if r[2]["event_id"] == event_id]
    assert [r[1] for r in mine] == [m["message_id"] for m in logged]
    assert all(r[0] == f"feed.{event_id}.{r[2]['type']}" for r in mine)
