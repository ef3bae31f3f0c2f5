"""Risk scoring of deposits and withdrawals: approve, review or decline, with the reasons.

A payment calls :func:`assess` before it moves money and :func:`record_outcome` once it knows
whether the money moved. The decision combines a gradient-boosted tree model (see
``scoring``) with explicit rules (see ``rules``), on features of the attempt computed from an
in-process store of recent history (see ``features``).

**The engine and its store.** One :class:`RiskEngine` per process holds the model and the
store. The store starts (on the first call, or :meth:`RiskEngine.hydrate`) by reading the
attempts, failures and sightings of the last hour and a minute from risk's tables; the
history before that (a player's totals for their average, who used a device or instrument) is
read per player, device and instrument the first time a decision needs it. From then on the
store learns of this process's attempts as it scores them, and at most every
``risk_store_refresh_seconds`` (1 s) reads what other processes recorded since it last looked,
minus a grace of ``CATCH_UP_GRACE`` (30 s) for transactions that committed late, at most
``CATCH_UP_LIMIT`` rows of each kind per read (the rest on the next call). So an attempt
another process recorded counts here at most about one refresh interval after its commit; one
that committed more than the grace after it was scored counts only for that process (and here
after a restart). An attempt whose unit of work rolls back still counts in this process's
windows until it leaves them: it errs towards caution. Player facts (account age, country)
are cached for ``PLAYER_FACTS_SECONDS`` (5 minutes).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.money import UnknownCurrency, currency
from croupier.policy.risk import history
from croupier.policy.risk.decisions import (
    SEVERITY,
    Factor,
    RiskDecision,
    RiskOutcome,
    RiskRequest,
)
from croupier.policy.risk.errors import (
    InvalidRiskModel,
    InvalidRiskRequest,
    RiskAttemptNotFound,
)
from croupier.policy.risk.features import FEATURES, HISTORY, FeatureStore, PlayerFacts
from croupier.policy.risk.rules import RULE_OUTCOMES, RiskThresholds, fired_rules
from croupier.policy.risk.scoring import TreeModel, load_model, probability

KINDS = ("deposit", "withdrawal")
TOP_FACTORS = 5
CATCH_UP_GRACE = 30.0  # seconds
CATCH_UP_LIMIT = 20_000  # rows of each kind per catch-up read
PLAYER_FACTS_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class _Scored:
    decision: RiskDecision
    new_device: bool
    new_instrument: bool


def _scale(code: str) -> float:
    try:
        return float(10 ** currency(code).ledger_scale)
    except UnknownCurrency:
        raise InvalidRiskRequest(f"Unknown currency {code!r}.", currency=code) from None


def _check(request: RiskRequest) -> None:
    if request.kind not in KINDS:
        raise InvalidRiskRequest(
            f"kind {request.kind!r} is neither deposit nor withdrawal.", kind=request.kind
        )
    if not isinstance(request.amount, int) or request.amount <= 0:
        raise InvalidRiskRequest("The amount must be a positive integer of ledger units.")
    if not request.attempt_id or len(request.attempt_id) > 64:
        raise InvalidRiskRequest("The attempt id must have 1 to 64 characters.")


class RiskEngine:
    """The model, the thresholds and the feature store of one process (thread-safe)."""

    def __init__(
        self,
        model: TreeModel,
        thresholds: RiskThresholds | None = None,
        *,
        store: FeatureStore | None = None,
        refresh_seconds: float = 1.0,
    ) -> None:
        """``store``: a standalone store (simulation, benchmark) that never reads the
        database; None: a store filled from risk's tables on first use."""
        self.model = model
        self.version = model.version
        self.thresholds = thresholds or RiskThresholds()
        self.refresh_seconds = refresh_seconds
        self._store = store
        self._standalone = store is not None
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._next_sync = 0.0
        self._marks: dict[str, float] = {}  # catch-up watermarks (POSIX seconds)
        self._facts_read: dict[str, float] = {}  # player id -> monotonic time facts were read
        if model.features != FEATURES:
            raise InvalidRiskModel(
                f"model {model.version} uses features {model.features}, "
                f"this release computes {FEATURES}"
            )

    @classmethod
    def load(
        cls,
        source: Settings | Path | str | None = None,
        version: str | None = None,
        *,
        thresholds: RiskThresholds | None = None,
    ) -> RiskEngine:
        """Load a model version (None: the configured one, else the newest) from the
        settings' ``risk_model_dir`` (or the directory given) and the ones the package
        ships; thresholds from the settings unless given."""
        refresh = 1.0
        if isinstance(source, Settings):
            model_dir: Path | None = Path(source.risk_model_dir)
            version = version or source.risk_model_version
            thresholds = thresholds or RiskThresholds.from_settings(source)
            refresh = source.risk_store_refresh_seconds
        elif source is None:
            model_dir = None
        else:
            model_dir = Path(source)
        return cls(load_model(model_dir, version), thresholds, refresh_seconds=refresh)

    # -- the store -------------------------------------------------------------------------

    @property
    def store(self) -> FeatureStore | None:
        return self._store

    def hydrate(self, session: Session, now: datetime) -> None:
        """Fill the store from risk's tables now (else the first decision does it)."""
        self.sync(session, now)

    def sync(self, session: Session, now: datetime) -> None:
        """Read what other processes recorded, if the refresh interval has passed."""
        if self._standalone or (self._store is not None and time.monotonic() < self._next_sync):
            return
        # The first fill makes everyone wait; a catch-up is done by whoever comes first,
        # the others go on with what the store holds.
        if not self._sync_lock.acquire(blocking=self._store is None):
            return
        try:
            if self._store is None:
                self._fill(session, now)
            elif time.monotonic() >= self._next_sync:
                self._catch_up(session, now)
        finally:
            self._sync_lock.release()

    def _fill(self, session: Session, now: datetime) -> None:
        epoch = now.timestamp() - HISTORY - CATCH_UP_GRACE
        store = FeatureStore(epoch)
        self._marks = dict.fromkeys(("attempts", "failures", "device", "instrument"), epoch)
        more = True
        while more:
            more = self._read_since(session, store, now, grace=0.0)
        with self._lock:
            self._store = store
        self._next_sync = time.monotonic() + self.refresh_seconds

    def _catch_up(self, session: Session, now: datetime) -> None:
        store = self._store
        assert store is not None
        more = self._read_since(session, store, now, grace=CATCH_UP_GRACE)
        with self._lock:
            store.forget_old(now.timestamp())
        self._next_sync = 0.0 if more else time.monotonic() + self.refresh_seconds

    def _read_since(
        self, session: Session, store: FeatureStore, now: datetime, *, grace: float
    ) -> bool:
        """One bounded read of each table from its watermark; True if rows were left."""

        def since(mark: str) -> datetime:
            return datetime.fromtimestamp(self._marks[mark] - grace, UTC)

        attempts = history.attempts_since(session, since("attempts"), CATCH_UP_LIMIT)
        failures = history.failures_since(session, since("failures"), CATCH_UP_LIMIT)
        devices = history.sightings_since(session, "device", since("device"), CATCH_UP_LIMIT)
        instruments = history.sightings_since(
            session, "instrument", since("instrument"), CATCH_UP_LIMIT
        )
        scales: dict[str, float] = {}
        with self._lock:
            for a in attempts:
                scale = scales.get(a.currency) or scales.setdefault(a.currency, _scale(a.currency))
                store.observe_attempt(
                    a.id,
                    a.player_id,
                    is_withdrawal=a.kind == "withdrawal",
                    amount=a.amount / scale,
                    at=a.at.timestamp(),
                    declined=a.outcome == RiskOutcome.DECLINE.value,
                )
            for f in failures:
                store.observe_outcome(
                    f.id, f.player_id, succeeded=False, at=f.settled_at.timestamp()
                )
            for d in devices:
                store.observe_device(d.device_id, d.player_id, d.first_seen_at.timestamp())
            for i in instruments:
                store.observe_instrument(i.fingerprint, i.player_id, i.first_seen_at.timestamp())
        more = False
        for mark, rows, column in (
            ("attempts", attempts, "at"),
            ("failures", failures, "settled_at"),
            ("device", devices, "first_seen_at"),
            ("instrument", instruments, "first_seen_at"),
        ):
            if len(rows) >= CATCH_UP_LIMIT:
                self._marks[mark] = getattr(rows[-1], column).timestamp() + grace
                more = True
            else:
                self._marks[mark] = now.timestamp()
        return more

    def _load_bases(self, session: Session, request: RiskRequest) -> None:
        """History from before the store's epoch, for what this decision needs (once each)."""
        store = self._store
        assert store is not None
        if self._standalone or store.epoch is None:
            return
        epoch = datetime.fromtimestamp(store.epoch, UTC)
        h = store.players.get(request.player_id)
        if h is None or not h.base_loaded:
            rows = history.player_totals_before(session, request.player_id, epoch)
            with self._lock:
                h = store.history(request.player_id)
                if not h.base_loaded:
                    for kind, code, count, total in rows:
                        h.add_totals(kind == "withdrawal", int(count), int(total) / _scale(code))
                    h.base_loaded = True
        for what, key in (
            ("device", request.device_id),
            ("instrument", request.instrument_fingerprint),
        ):
            if key is None:
                continue
            shared = (store.devices if what == "device" else store.instruments).get(key)
            if shared is not None and shared.base_loaded:
                continue
            seen = history.sightings_before(session, what, key, epoch)
            with self._lock:
                shared = store.device(key) if what == "device" else store.instrument(key)
                if not shared.base_loaded:
                    for player_id, first_seen_at in seen:
                        shared.add(player_id, first_seen_at.timestamp())
                    shared.base_loaded = True

    def _facts(self, session: Session | None, player_id: str) -> PlayerFacts:
        store = self._store
        assert store is not None
        facts = store.facts.get(player_id)
        if self._standalone or session is None:
            if facts is None:
                raise InvalidRiskRequest(f"No facts of player {player_id!r} in the store.")
            return facts
        read = self._facts_read.get(player_id)
        if facts is None or read is None or time.monotonic() - read > PLAYER_FACTS_SECONDS:
            player = get_player(session, player_id, brand_scope=None)
            facts = PlayerFacts(player.created_at.timestamp(), player.country.upper())
            with self._lock:
                store.set_facts(player_id, facts)
                self._facts_read[player_id] = time.monotonic()
        return facts

    # -- deciding --------------------------------------------------------------------------

    def score(self, request: RiskRequest, now: float, *, record: bool) -> _Scored:
        """Decide on ``request`` at ``now`` (POSIX seconds) from what the store holds; with
        ``record``, count the attempt in the store. No database: the decision path itself."""
        store = self._store
        assert store is not None
        is_withdrawal = request.kind == "withdrawal"
        amount = request.amount / _scale(request.currency)
        facts = self._facts(None, request.player_id)
        with self._lock:
            x = store.features(
                request.player_id,
                facts,
                is_withdrawal=is_withdrawal,
                amount=amount,
                device_id=request.device_id,
                instrument=request.instrument_fingerprint,
                ip_country=request.ip_country,
                now=now,
            )
            decision = self.decide(x, is_withdrawal=is_withdrawal)
            new_device = new_instrument = False
            if record:
                store.observe_attempt(
                    request.attempt_id,
                    request.player_id,
                    is_withdrawal=is_withdrawal,
                    amount=amount,
                    at=now,
                    declined=decision.outcome is RiskOutcome.DECLINE,
                )
                if request.device_id is not None:
                    new_device = store.observe_device(request.device_id, request.player_id, now)
                if request.instrument_fingerprint is not None:
                    new_instrument = store.observe_instrument(
                        request.instrument_fingerprint, request.player_id, now
                    )
        return _Scored(decision, new_device, new_instrument)

    def features(self, request: RiskRequest, now: float) -> dict[str, float]:
        """The features of ``request`` at ``now`` by name, from what the store holds (for
        explanations and tests; :meth:`prepare` first to bring the store up to date)."""
        store = self._store
        assert store is not None
        facts = self._facts(None, request.player_id)
        with self._lock:
            x = store.features(
                request.player_id,
                facts,
                is_withdrawal=request.kind == "withdrawal",
                amount=request.amount / _scale(request.currency),
                device_id=request.device_id,
                instrument=request.instrument_fingerprint,
                ip_country=request.ip_country,
                now=now,
            )
        return dict(zip(FEATURES, x, strict=True))

    def decide(self, x: list[float], *, is_withdrawal: bool) -> RiskDecision:
        """The decision on feature vector ``x``: the model's score, its thresholds for the
        kind, and the rules; the most severe outcome wins."""
        raw, contributions = self.model.explain(x)
        score = probability(raw)
        outcome = self.thresholds.score_outcome(score, is_withdrawal=is_withdrawal)
        rules = fired_rules(x, self.thresholds)
        for code in rules:
            forced = RULE_OUTCOMES[code]
            if SEVERITY[forced] > SEVERITY[outcome]:
                outcome = forced
        top = sorted(range(len(x)), key=lambda i: -abs(contributions[i]))[:TOP_FACTORS]
        return RiskDecision(
            outcome=outcome,
            score=score,
            model_version=self.version,
            factors=tuple(
                Factor(FEATURES[i], x[i], contributions[i]) for i in top if contributions[i]
            ),
            rules=tuple(rules),
        )

    def observe_outcome(
        self, attempt_id: str, player_id: str, *, succeeded: bool, at: datetime
    ) -> None:
        """Count a payment's outcome in the store (the database has it already)."""
        if self._store is None:
            return
        with self._lock:
            self._store.observe_outcome(
                attempt_id, player_id, succeeded=succeeded, at=at.timestamp()
            )

    def prepare(self, session: Session, clock: Clock, request: RiskRequest) -> datetime:
        """Bring the store up to date for ``request``: catch up, player facts, older history."""
        _check(request)
        now = clock.now()
        self.sync(session, now)
        self._facts(session, request.player_id)
        self._load_bases(session, request)
        return now


def assess(
    session: Session, clock: Clock, request: RiskRequest, *, engine: RiskEngine
) -> RiskDecision:
    """Score a payment attempt and record it (with the device and instrument it used) in
    risk's tables, in the caller's unit of work (flushed, never committed).

    Idempotent by ``attempt_id``: the same id again returns the decision recorded the first
    time, and changes nothing."""
    if engine.store is not None and engine.store.knows_attempt(request.attempt_id):
        recorded = history.recorded_decision(session, request.attempt_id)
        if recorded is not None:
            return recorded
    now = engine.prepare(session, clock, request)
    scored = engine.score(request, now.timestamp(), record=True)
    if not history.record_attempt(session, request, now, scored.decision):
        recorded = history.recorded_decision(session, request.attempt_id)
        assert recorded is not None
        return recorded
    if scored.new_device and request.device_id is not None:
        history.record_sighting(session, "device", request.device_id, request.player_id, now)
    if scored.new_instrument and request.instrument_fingerprint is not None:
        history.record_sighting(
            session, "instrument", request.instrument_fingerprint, request.player_id, now
        )
    return scored.decision


def evaluate(
    session: Session, clock: Clock, request: RiskRequest, *, engine: RiskEngine
) -> RiskDecision:
    """Score a payment attempt as :func:`assess` would, without recording anything."""
    now = engine.prepare(session, clock, request)
    return engine.score(request, now.timestamp(), record=False).decision


def record_outcome(
    session: Session,
    clock: Clock,
    attempt_id: str,
    *,
    succeeded: bool,
    engine: RiskEngine | None = None,
) -> None:
    """Record whether an assessed payment went through. A failed one (declined by the PSP,
    by risk or by staff) counts toward the player's recent failed attempts from now; the same
    outcome again changes nothing."""
    attempt = history.attempt_of(session, attempt_id)
    if attempt is None:
        raise RiskAttemptNotFound(f"No scored attempt {attempt_id!r}.", attempt_id=attempt_id)
    if attempt.succeeded is succeeded:
        return
    now = clock.now()
    history.settle_attempt(session, attempt_id, succeeded=succeeded, at=now)
    if engine is not None:
        engine.observe_outcome(attempt_id, attempt.player_id, succeeded=succeeded, at=now)
