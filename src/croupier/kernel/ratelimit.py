"""Rate limits for registration, login, MFA and password reset, per IP and per account.

A :class:`Limit` names a rule ("at most 5 login attempts per account in 15 minutes"); a
:class:`RateLimiter` counts hits against it for one key (an IP address, an account id) and
decides whether this hit may go ahead. Callers define their limits next to the rule they
protect and call :func:`enforce`, which raises :class:`RateLimited` (HTTP 429 with
``retry_after``) when the limit is reached.

Semantics: a sliding window log. A hit is allowed when fewer than ``max_hits`` allowed hits
happened in the last ``window_s`` seconds. Refused hits are not recorded, so a client that keeps
hammering a locked door is let through again as soon as its oldest counted hit leaves the
window; the lockout never grows with the hammering (it is a throttle, not a punishment; account
lock-out after failed logins is a separate rule of the identity domain).

Two implementations:

- :class:`InMemoryRateLimiter` keeps the counts in this process. It is what the embedded mode
  (one process, SQLite) uses, and what unit tests use with a fake time source.
- :class:`RedisRateLimiter` keeps the counts in Redis so that every process of a production
  deployment shares them; otherwise an attacker would get ``max_hits`` per worker. The whole
  decision runs in one Lua script and reads the Redis server's clock, so processes whose own
  clocks drift still agree. When Redis cannot be reached it fails closed with
  :class:`RateLimiterUnavailable` (503): on a money platform a brute-force door left open is
  worse than a login that has to be retried.

:func:`rate_limiter_for` picks one from the configuration.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

import redis

from croupier.kernel.errors import DomainError, ServiceUnavailable

__all__ = [
    "Decision",
    "InMemoryRateLimiter",
    "Limit",
    "RateLimited",
    "RateLimiter",
    "RateLimiterUnavailable",
    "RedisRateLimiter",
    "enforce",
    "rate_limiter_for",
]

REDIS_KEY_PREFIX = "croupier:rl"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        super().__init__(detail, retry_after=retry_after_s)
        self.retry_after_s = retry_after_s


class RateLimiterUnavailable(ServiceUnavailable):
    """The shared rate-limit store cannot be reached; the request is refused (fail closed)."""

    code = "service.unavailable"
    status = 503
    title = "Temporarily unavailable"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_hits`` allowed hits per key in any ``window_s`` seconds."""

    name: str
    max_hits: int
    window_s: int

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a rate limit needs a name")
        if self.max_hits < 1:
            raise ValueError(f"rate limit {self.name!r}: max_hits must be at least 1")
        if self.window_s < 1:
            raise ValueError(f"rate limit {self.name!r}: window_s must be at least 1")


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one hit.

    ``remaining`` is how many more hits the window allows after this one; ``retry_after_s`` is 0
    when allowed, else the whole seconds (at least 1) until a new hit would be allowed.
    """

    allowed: bool
    remaining: int
    retry_after_s: int


class RateLimiter(Protocol):
    # Whether a hit waits on the network (a shared store): an async caller then counts it
    # from a worker thread; one kept in process may be counted in the event loop.
    blocking: bool

    def hit(self, limit: Limit, key: str) -> Decision:
        """Count one hit of ``key`` against ``limit`` and decide whether it may go ahead."""
        ...

    def reset(self, limit: Limit, key: str) -> None:
        """Forget every hit of ``key`` against ``limit`` (e.g. after a successful login)."""
        ...


def enforce(limiter: RateLimiter, limit: Limit, key: str, *, what: str = "attempts") -> None:
    """Count one hit and raise :class:`RateLimited` if the limit is reached.

    ``what`` names the counted thing in the message ("login attempts", "password reset requests").
    """
    decision = limiter.hit(limit, key)
    if not decision.allowed:
        raise RateLimited(
            decision.retry_after_s,
            f"Too many {what}; try again in {decision.retry_after_s} s.",
        )


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class InMemoryRateLimiter:
    """Sliding window log per (limit, key), held in this process.

    Memory is bounded: keys whose hits have all left their window are dropped as they are met,
    and beyond ``max_keys`` the least recently hit key is evicted (an attacker spraying keys
    can at worst make us forget old counts, never exhaust memory).
    """

    blocking = False

    def __init__(
        self, now: Callable[[], float] = time.monotonic, *, max_keys: int = 100_000
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._now = now
        self._max_keys = max_keys
        self._lock = threading.Lock()
        # Least recently hit first; the value keeps the window so stale entries can be swept.
        self._hits: OrderedDict[tuple[str, str], tuple[int, deque[float]]] = OrderedDict()

    def hit(self, limit: Limit, key: str) -> Decision:
        with self._lock:
            now = self._now()
            self._sweep(now)
            slot = (limit.name, key)
            entry = self._hits.pop(slot, None)
            log: deque[float] = deque() if entry is None else entry[1]
            self._hits[slot] = (limit.window_s, log)  # re-inserted: now the most recent
            _prune(log, now - limit.window_s)
            if len(log) < limit.max_hits:
                log.append(now)
                decision = Decision(True, limit.max_hits - len(log), 0)
            else:
                decision = Decision(False, 0, _whole_seconds(log[0] + limit.window_s - now))
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
            return decision

    def reset(self, limit: Limit, key: str) -> None:
        with self._lock:
            self._hits.pop((limit.name, key), None)

    def __len__(self) -> int:
        """How many keys are tracked (for tests and metrics)."""
        with self._lock:
            return len(self._hits)

    def _sweep(self, now: float) -> None:
        # Amortised O(1): drop expired keys from the least recently hit end until a live one.
        while self._hits:
            slot, (window_s, log) = next(iter(self._hits.items()))
            _prune(log, now - window_s)
            if log:
                return
            del self._hits[slot]


def _prune(log: deque[float], cutoff: float) -> None:
    while log and log[0] <= cutoff:
        log.popleft()


# KEYS[1] the counter; ARGV[1] max hits, ARGV[2] window in ms, ARGV[3] a random member suffix.
# Returns {allowed (1/0), hits counted in the window, retry after in ms (0 when allowed)}.
# TIME is the Redis server's clock so that every app process agrees on the window.
_SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local max_hits = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now_ms - window_ms)
local count = redis.call('ZCARD', key)
if count < max_hits then
  redis.call('ZADD', key, now_ms, now_ms .. ':' .. ARGV[3])
  redis.call('PEXPIRE', key, window_ms)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry_ms = tonumber(oldest[2]) + window_ms - now_ms
if retry_ms < 1 then
  retry_ms = 1
end
return {0, count, retry_ms}
"""

_UNAVAILABLE_DETAIL = "Rate limiting is unavailable right now; please try again shortly."


class RedisRateLimiter:
    """Sliding window log in a Redis sorted set, shared by every process of the deployment."""

    blocking = True

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._script = client.register_script(_SLIDING_WINDOW_LUA)

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimiter:
        """A limiter on the Redis server at ``url`` (short timeouts: a login must not hang)."""
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return cls(client)

    @staticmethod
    def redis_key(limit: Limit, key: str) -> str:
        return f"{REDIS_KEY_PREFIX}:{limit.name}:{key}"

    def hit(self, limit: Limit, key: str) -> Decision:
        try:
            raw = self._script(
                keys=[self.redis_key(limit, key)],
                args=[limit.max_hits, limit.window_s * 1000, secrets.token_hex(8)],
            )
        except redis.RedisError as exc:
            # The exception text may carry the host; the problem document must not.
            raise RateLimiterUnavailable(_UNAVAILABLE_DETAIL) from exc
        allowed, count, retry_after_ms = (int(v) for v in cast("list[int]", raw))
        if allowed:
            return Decision(True, max(0, limit.max_hits - count), 0)
        return Decision(False, 0, _whole_seconds(retry_after_ms / 1000))

    def reset(self, limit: Limit, key: str) -> None:
        try:
            self._client.delete(self.redis_key(limit, key))
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(_UNAVAILABLE_DETAIL) from exc


def rate_limiter_for(redis_url: str | None) -> RateLimiter:
    """Redis when a URL is configured (production), else counts kept in this process."""
    if redis_url:
        return RedisRateLimiter.from_url(redis_url)
    return InMemoryRateLimiter()
