"""Rate limits behave the same in process and in Redis.

Each behaviour runs against :class:`InMemoryRateLimiter` with a fake time source and against a
real Redis server given by ``CROUPIER_TEST_REDIS_URL`` (skipped without it, unless
``CROUPIER_TEST_REQUIRE_SERVICES=1``). Redis reads its own clock, so there the tests wait for
real; windows are 1 s to keep that short. Every test uses limit names of its own, so parallel
xdist workers never share a counter, and deletes its Redis keys at the end.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import redis

from croupier.kernel.ratelimit import (
    InMemoryRateLimiter,
    Limit,
    RateLimited,
    RateLimiter,
    RateLimiterUnavailable,
    RedisRateLimiter,
    enforce,
    rate_limiter_for,
)

REDIS_URL = os.environ.get("CROUPIER_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("CROUPIER_TEST_REQUIRE_SERVICES") == "1"

# A hair over the window: Redis counts in whole milliseconds of its own clock.
PAST_THE_WINDOW_S = 1.1


class FakeTime:
    """A monotonic time source that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    limiter: RateLimiter
    wait: Callable[[float], None]
    limit_names: list[str] = field(default_factory=list)

    def limit(self, max_hits: int, window_s: int = 1) -> Limit:
        """A limit no other test (or xdist worker) uses."""
        name = f"test-{uuid.uuid4().hex}"
        self.limit_names.append(name)
        return Limit(name, max_hits, window_s)


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("CROUPIER_TEST_REDIS_URL is not set but services are required")
        pytest.skip("CROUPIER_TEST_REDIS_URL is not set")
    return REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {redis_url} is unreachable: {exc}")
    yield client
    client.close()


def _delete_keys(client: redis.Redis, limit_names: list[str]) -> None:
    for name in limit_names:
        keys = list(client.scan_iter(match=f"croupier:rl:{name}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["in_memory", "redis"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "in_memory":
        fake_time = FakeTime()
        yield Harness(InMemoryRateLimiter(now=fake_time), fake_time.advance)
        return
    client: redis.Redis = request.getfixturevalue("redis_client")
    h = Harness(RedisRateLimiter(client), time.sleep)
    yield h
    _delete_keys(client, h.limit_names)


def test_hits_up_to_the_limit_are_allowed_and_count_down(harness: Harness) -> None:
    limit = harness.limit(max_hits=3)

    remaining = [harness.limiter.hit(limit, "203.0.113.7").remaining for _ in range(3)]

    assert remaining == [2, 1, 0]


def test_hit_beyond_the_limit_in_the_window_is_refused_with_retry_after(
    harness: Harness,
) -> None:
    limit = harness.limit(max_hits=2)
    for _ in range(2):
        assert harness.limiter.hit(limit, "203.0.113.7").allowed

    refused = harness.limiter.hit(limit, "203.0.113.7")

    assert not refused.allowed
    assert refused.remaining == 0
    assert 1 <= refused.retry_after_s <= limit.window_s


def test_hits_are_allowed_again_once_the_window_has_passed(harness: Harness) -> None:
    limit = harness.limit(max_hits=2)
    for _ in range(2):
        harness.limiter.hit(limit, "player-1")
    assert not harness.limiter.hit(limit, "player-1").allowed

    harness.wait(PAST_THE_WINDOW_S)

    decision = harness.limiter.hit(limit, "player-1")
    assert decision.allowed
    assert decision.retry_after_s == 0


def test_refused_hits_do_not_extend_the_lockout(harness: Harness) -> None:
    limit = harness.limit(max_hits=1)
    assert harness.limiter.hit(limit, "player-1").allowed
    harness.wait(0.5)
    for _ in range(5):  # hammering the locked door
        assert not harness.limiter.hit(limit, "player-1").allowed

    harness.wait(PAST_THE_WINDOW_S - 0.5)

    assert harness.limiter.hit(limit, "player-1").allowed


def test_two_keys_are_counted_independently(harness: Harness) -> None:
    limit = harness.limit(max_hits=1)
    assert harness.limiter.hit(limit, "198.51.100.1").allowed
    assert not harness.limiter.hit(limit, "198.51.100.1").allowed

    assert harness.limiter.hit(limit, "198.51.100.2").allowed


def test_two_limits_on_the_same_key_are_counted_independently(harness: Harness) -> None:
    login_per_account = harness.limit(max_hits=1)
    mfa_per_account = harness.limit(max_hits=1)
    assert harness.limiter.hit(login_per_account, "player-1").allowed

    assert harness.limiter.hit(mfa_per_account, "player-1").allowed


def test_reset_clears_the_count_of_one_key_only(harness: Harness) -> None:
    limit = harness.limit(max_hits=1)
    harness.limiter.hit(limit, "player-1")
    harness.limiter.hit(limit, "player-2")

    harness.limiter.reset(limit, "player-1")

    assert harness.limiter.hit(limit, "player-1").allowed
    assert not harness.limiter.hit(limit, "player-2").allowed


def test_enforce_raises_rate_limited_with_retry_after_in_the_problem(harness: Harness) -> None:
    limit = harness.limit(max_hits=1)
    enforce(harness.limiter, limit, "player-1", what="login attempts")

    with pytest.raises(RateLimited) as caught:
        enforce(harness.limiter, limit, "player-1", what="login attempts")

    error = caught.value
    assert error.retry_after_s >= 1
    problem = error.to_problem()
    assert problem["code"] == "rate_limited"
    assert problem["status"] == 429
    assert problem["retry_after"] == error.retry_after_s
    assert problem["detail"] == f"Too many login attempts; try again in {error.retry_after_s} s."


def test_two_processes_share_one_count_in_redis(redis_url: str, redis_client: redis.Redis) -> None:
    limit = Limit(f"test-{uuid.uuid4().hex}", max_hits=2, window_s=1)
    web_worker_1 = RedisRateLimiter.from_url(redis_url)
    web_worker_2 = RedisRateLimiter.from_url(redis_url)
    try:
        assert web_worker_1.hit(limit, "player-1").allowed
        assert web_worker_2.hit(limit, "player-1").allowed

        assert not web_worker_1.hit(limit, "player-1").allowed
        assert not web_worker_2.hit(limit, "player-1").allowed
    finally:
        _delete_keys(redis_client, [limit.name])


def test_redis_keys_expire_with_the_window(redis_client: redis.Redis) -> None:
    limit = Limit(f"test-{uuid.uuid4().hex}", max_hits=1, window_s=1)
    RedisRateLimiter(redis_client).hit(limit, "player-1")
    try:
        ttl_ms = redis_client.pttl(RedisRateLimiter.redis_key(limit, "player-1"))
        assert 0 < ttl_ms <= 1000
    finally:
        _delete_keys(redis_client, [limit.name])


def test_unreachable_redis_fails_closed_without_revealing_the_url() -> None:
    url = "redis://:hunter2@127.0.0.1:1/0"
    limiter = RedisRateLimiter.from_url(url)

    with pytest.raises(RateLimiterUnavailable) as caught:
        limiter.hit(Limit("login.ip", max_hits=5, window_s=60), "203.0.113.7")

    problem = caught.value.to_problem()
    assert problem["code"] == "service.unavailable"
    assert problem["status"] == 503
    text = repr(problem)
    assert "127.0.0.1" not in text
    assert "hunter2" not in text
    assert ":1/0" not in text


def test_in_memory_limiter_forgets_keys_whose_hits_have_expired() -> None:
    fake_time = FakeTime()
    limiter = InMemoryRateLimiter(now=fake_time)
    limit = Limit("login.ip", max_hits=1, window_s=1)
    for n in range(100):
        limiter.hit(limit, f"198.51.100.{n}")
    fake_time.advance(PAST_THE_WINDOW_S)

    limiter.hit(limit, "203.0.113.7")

    assert len(limiter) == 1


def test_in_memory_limiter_evicts_the_least_recently_hit_key_beyond_its_cap() -> None:
    limiter = InMemoryRateLimiter(now=FakeTime(), max_keys=2)
    limit = Limit("login.ip", max_hits=1, window_s=60)
    limiter.hit(limit, "first")
    limiter.hit(limit, "second")

    limiter.hit(limit, "third")

    assert len(limiter) == 2
    assert limiter.hit(limit, "first").allowed  # forgotten, so counted afresh
    assert not limiter.hit(limit, "third").allowed


@pytest.mark.parametrize(("max_hits", "window_s"), [(0, 60), (-1, 60), (5, 0)])
def test_limit_refuses_a_rule_that_could_never_allow_a_hit(max_hits: int, window_s: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Limit("login.ip", max_hits=max_hits, window_s=window_s)


def test_configuration_picks_redis_when_a_url_is_given_else_in_memory() -> None:
    assert isinstance(rate_limiter_for("redis://127.0.0.1:1/0"), RedisRateLimiter)
    assert isinstance(rate_limiter_for(None), InMemoryRateLimiter)
