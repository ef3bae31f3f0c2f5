"""The features of a payment attempt, from an in-process store of recent history.

A decision has about a hundred microseconds to spend, so it reads no database: this store
keeps, per player, the attempts of the last hour (velocity), the failed attempts (recent
failures) and running totals per kind (own average); per device and per payment instrument,
which players used it and when each was first seen. The service fills it from risk's tables
and keeps it current (see ``service.RiskEngine``); the fraud simulator fills it from its own
event stream, so that the model is trained on features computed by this very code.

Times are POSIX seconds (floats); amounts are major units of the player's currency (floats:
features, not money). Every feature is a float; "not known" is -1 where 0 would mean something.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

MINUTE = 60.0
DAY = 86_400.0
WINDOWS = (1 * MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE)
FAILURE_WINDOW = 15 * MINUTE
HISTORY = WINDOWS[-1]  # attempts older than this leave the player's recent list
SEEN_RETENTION = 3 * HISTORY  # attempt ids are remembered this long, to count each once

FEATURES: tuple[str, ...] = (
    "attempts_1m",  # the player's attempts (any kind, any outcome) in the last minute, before this
    "attempts_5m",
    "attempts_15m",
    "attempts_60m",
    "amount_1m",  # the sum of those attempts' amounts
    "amount_5m",
    "amount_15m",
    "amount_60m",
    "amount",  # this attempt's amount
    "amount_vs_average",  # this amount / the player's average of this kind (-1: no history)
    "previous_attempts",  # the player's earlier attempts that risk did not decline, ever
    "account_age_days",
    "device_age_days",  # since anyone first used the device (-1: no device)
    "device_other_players",  # other players seen on the device
    "device_new_for_player",  # 1: the player never used it, 0: they did (-1: no device)
    "instrument_other_players",  # other players seen with the payment instrument
    "instrument_new_for_player",  # as for the device (-1: no instrument)
    "country_mismatch",  # 1: IP country is not the registered one, 0: it is (-1: unknown)
    "failures_15m",  # the player's failed or declined attempts in the last 15 minutes
    "is_withdrawal",
    "withdrawal_vs_deposited",  # a withdrawal / all the player deposited (-1: nothing; 0: deposit)
)
F = {name: i for i, name in enumerate(FEATURES)}
ATTEMPTS_1M = F["attempts_1m"]
AMOUNT = F["amount"]
AMOUNT_VS_AVERAGE = F["amount_vs_average"]
ACCOUNT_AGE_DAYS = F["account_age_days"]
DEVICE_OTHER_PLAYERS = F["device_other_players"]
DEVICE_NEW_FOR_PLAYER = F["device_new_for_player"]
INSTRUMENT_OTHER_PLAYERS = F["instrument_other_players"]
INSTRUMENT_NEW_FOR_PLAYER = F["instrument_new_for_player"]
FAILURES_15M = F["failures_15m"]


@dataclass(frozen=True, slots=True)
class PlayerFacts:
    """What risk needs to know of the player from player management."""

    created_at: float  # POSIX seconds
    country: str  # of the registered address


class PlayerHistory:
    """One player's recent attempts, failures and running totals."""

    __slots__ = (
        "base_loaded",
        "deposit_count",
        "deposit_sum",
        "failures",
        "recent",
        "withdrawal_count",
        "withdrawal_sum",
    )

    def __init__(self, base_loaded: bool) -> None:
        self.recent: list[tuple[float, float]] = []  # (at, amount), in time order
        self.failures: dict[str, float] = {}  # attempt id -> when it failed
        self.deposit_count = 0
        self.deposit_sum = 0.0
        self.withdrawal_count = 0
        self.withdrawal_sum = 0.0
        # False until the totals of attempts older than the store's epoch have been added.
        self.base_loaded = base_loaded

    def add_totals(self, is_withdrawal: bool, count: int, amount: float) -> None:
        if is_withdrawal:
            self.withdrawal_count += count
            self.withdrawal_sum += amount
        else:
            self.deposit_count += count
            self.deposit_sum += amount


class Sharing:
    """Who used one device or one payment instrument, and when each first did."""

    __slots__ = ("base_loaded", "first_seen", "players")

    def __init__(self, base_loaded: bool) -> None:
        self.players: dict[str, float] = {}
        self.first_seen = float("inf")
        self.base_loaded = base_loaded

    def add(self, player_id: str, at: float) -> bool:
        """Record a sighting; True if the player is new to it."""
        known = self.players.get(player_id)
        if known is None or at < known:
            self.players[player_id] = at
        self.first_seen = min(self.first_seen, at)
        return known is None


class FeatureStore:
    """Recent history for features, in memory. Not thread-safe: the engine holds a lock.

    ``epoch`` splits history in two: what happened from the epoch on arrives here attempt by
    attempt (``observe_*``); what happened before is added in bulk, per player, device or
    instrument, the first time one is needed (``add_*_base``). With ``epoch=None`` the store
    stands alone (the simulator, the benchmark): everything arrives attempt by attempt.
    """

    def __init__(self, epoch: float | None = None) -> None:
        self.epoch = epoch
        self._standalone = epoch is None
        self.players: dict[str, PlayerHistory] = {}
        self.devices: dict[str, Sharing] = {}
        self.instruments: dict[str, Sharing] = {}
        self.facts: dict[str, PlayerFacts] = {}
        self._seen: dict[str, float] = {}  # attempt id -> at, in arrival order

    # -- what the store holds --------------------------------------------------------------

    def history(self, player_id: str) -> PlayerHistory:
        h = self.players.get(player_id)
        if h is None:
            h = self.players[player_id] = PlayerHistory(self._standalone)
        return h

    def device(self, device_id: str) -> Sharing:
        s = self.devices.get(device_id)
        if s is None:
            s = self.devices[device_id] = Sharing(self._standalone)
        return s

    def instrument(self, fingerprint: str) -> Sharing:
        s = self.instruments.get(fingerprint)
        if s is None:
            s = self.instruments[fingerprint] = Sharing(self._standalone)
        return s

    def knows_attempt(self, attempt_id: str) -> bool:
        return attempt_id in self._seen

    # -- what happened -----------------------------------------------------------------------

    def observe_attempt(
        self,
        attempt_id: str,
        player_id: str,
        *,
        is_withdrawal: bool,
        amount: float,
        at: float,
        declined: bool,
    ) -> bool:
        """An attempt was scored (here or by another process); False if already counted.

        A declined attempt counts for velocity and as a failure, not in the player's totals."""
        if attempt_id in self._seen:
            return False
        self._seen[attempt_id] = at
        h = self.history(player_id)
        recent = h.recent
        if not recent or recent[-1][0] <= at:
            recent.append((at, amount))
        else:
            insort(recent, (at, amount))
        if declined:
            h.failures[attempt_id] = at
        else:
            h.add_totals(is_withdrawal, 1, amount)
        return True

    def observe_outcome(
        self, attempt_id: str, player_id: str, *, succeeded: bool, at: float
    ) -> None:
        """The payment went through or failed (a failure counts from ``at``)."""
        h = self.history(player_id)
        if succeeded:
            h.failures.pop(attempt_id, None)
        elif attempt_id not in h.failures:
            h.failures[attempt_id] = at

    def observe_device(self, device_id: str, player_id: str, at: float) -> bool:
        return self.device(device_id).add(player_id, at)

    def observe_instrument(self, fingerprint: str, player_id: str, at: float) -> bool:
        return self.instrument(fingerprint).add(player_id, at)

    def set_facts(self, player_id: str, facts: PlayerFacts) -> None:
        self.facts[player_id] = facts

    def forget_old(self, now: float) -> None:
        """Drop attempt ids past their retention (they arrive in roughly time order)."""
        cutoff = now - SEEN_RETENTION
        stale = []
        for attempt_id, at in self._seen.items():
            if at >= cutoff:
                break
            stale.append(attempt_id)
        for attempt_id in stale:
            del self._seen[attempt_id]

    # -- features ------------------------------------------------------------------------------

    def features(
        self,
        player_id: str,
        facts: PlayerFacts,
        *,
        is_withdrawal: bool,
        amount: float,
        device_id: str | None,
        instrument: str | None,
        ip_country: str | None,
        now: float,
    ) -> list[float]:
        """The feature vector (in ``FEATURES`` order) of an attempt about to be made."""
        h = self.players.get(player_id)
        if h is None:
            h = self.history(player_id)
        recent = h.recent
        if recent and recent[0][0] < now - HISTORY:
            del recent[: bisect_left(recent, (now - HISTORY,))]
        n = len(recent)
        counts = [0.0, 0.0, 0.0, 0.0]
        sums = [0.0, 0.0, 0.0, 0.0]
        if n:
            total = 0.0
            w = 0
            # Walk back from the newest; each window contains the smaller ones.
            for i in range(n - 1, -1, -1):
                at, value = recent[i]
                age = now - at
                while w < 4 and age > WINDOWS[w]:
                    counts[w] = float(n - 1 - i)
                    sums[w] = total
                    w += 1
                if w == 4:
                    break
                total += value
            while w < 4:
                counts[w] = float(n)
                sums[w] = total
                w += 1

        failures = 0
        if h.failures:
            since = now - FAILURE_WINDOW
            for at in h.failures.values():
                if at >= since:
                    failures += 1
            if len(h.failures) > 32:
                h.failures = {k: t for k, t in h.failures.items() if t >= now - HISTORY}

        if is_withdrawal:
            count, total_kind = h.withdrawal_count, h.withdrawal_sum
            vs_deposited = amount / h.deposit_sum if h.deposit_sum > 0 else -1.0
        else:
            count, total_kind = h.deposit_count, h.deposit_sum
            vs_deposited = 0.0
        vs_average = amount * count / total_kind if count and total_kind > 0 else -1.0

        if device_id is None:
            device_age, device_others, device_new = -1.0, 0.0, -1.0
        else:
            d = self.devices.get(device_id)
            if d is None or not d.players:
                device_age, device_others, device_new = 0.0, 0.0, 1.0
            else:
                mine = player_id in d.players
                device_age = max(0.0, (now - d.first_seen) / DAY)
                device_others = float(len(d.players) - mine)
                device_new = 0.0 if mine else 1.0

        if instrument is None:
            instrument_others, instrument_new = 0.0, -1.0
        else:
            s = self.instruments.get(instrument)
            if s is None or not s.players:
                instrument_others, instrument_new = 0.0, 1.0
            else:
                mine = player_id in s.players
                instrument_others = float(len(s.players) - mine)
                instrument_new = 0.0 if mine else 1.0

        if ip_country is None:
            mismatch = -1.0
        else:
            mismatch = 0.0 if ip_country.upper() == facts.country else 1.0

        return [
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            sums[0],
            sums[1],
            sums[2],
            sums[3],
            amount,
            vs_average,
            float(h.deposit_count + h.withdrawal_count),
            max(0.0, (now - facts.created_at) / DAY),
            device_age,
            device_others,
            device_new,
            instrument_others,
            instrument_new,
            mismatch,
            float(failures),
            1.0 if is_withdrawal else 0.0,
            vs_deposited,
        ]
