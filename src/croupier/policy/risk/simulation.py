"""A fraud simulator: labelled deposit and withdrawal attempts, seeded and reproducible.

``simulate(samples, seed)`` plays one week (2026-10-25 to 2026-11-01 UTC) of payment attempts
by legitimate players and by fraudsters, in EUR, and labels each attempt. The same seed gives
the same attempts, ids included. ``croupier risk train`` computes the features of each attempt
with the production feature store, in time order, and fits the model on them.

Legitimate players (about 92 % of attempts):

- accounts opened over the past years, and some during the week (their first deposit comes
  minutes to hours after registering, on a device nobody has used);
- a typical deposit per player (log-normal around 30 EUR; one in thirty is a high roller at
  ten times that); sessions of one to three deposits a few minutes apart, some followed by a
  withdrawal of a few times the typical deposit, minutes to days later;
- one or two devices and cards; a new phone or browser in one session of twelve;
  households that share a device, and a few family cards used by two players;
- 6 % of deposits fail (insufficient funds) and are retried within a minute or two;
- sessions abroad (travel) and sessions whose location is not known.

Fraud patterns (about 8 % of attempts, each attempt labelled fraud):

- ``card_testing``: a fresh account runs 6 to 25 small deposits a few seconds apart, most on
  cards it has never used, three in four failing; then one larger deposit on a card that
  worked;
- ``shared_instrument``: one stolen card funds two to six accounts within hours (new ones,
  or sleepers opened months ago), each on its own (sometimes a shared) device;
- ``new_account_large``: an account a few minutes to hours old deposits hundreds to
  thousands from a new device, often from abroad;
- ``location_mismatch``: an established player's account taken over: a new device in
  another country withdraws several times the player's typical amount;
- ``deposit_and_run``: a new account (or a sleeper) deposits with a stolen card and
  withdraws most of it within the hour.

The patterns overlap with legitimate behaviour on purpose (big first deposits, travel, shared
household devices, retries), so the model has something to learn and the hold-out AUC is
below 1.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from croupier.policy.risk.decisions import RiskRequest

SIMULATOR = "croupier-risk-sim/1"
DAY = 86_400.0
START = datetime(2026, 10, 25, tzinfo=UTC).timestamp()
END = START + 7 * DAY
UNITS = 1_000_000  # ledger units per EUR
HOME = ("GB", "DE", "SE", "MT", "IE", "NL", "ES", "IT", "FR", "DK", "FI", "AT")
HOME_WEIGHTS = (20, 15, 10, 4, 5, 8, 8, 8, 8, 5, 4, 5)
ABROAD = ("US", "TH", "AE", "TR", "PT", "GR", "HR", "NG", "RU", "BR", "VN", "UA", "ID", "PK")
FRAUD_ORIGINS = ("NG", "RU", "BR", "VN", "UA", "ID", "PK", "RO", "GH", "US")
PATTERNS = (
    "card_testing",
    "shared_instrument",
    "new_account_large",
    "location_mismatch",
    "deposit_and_run",
)


@dataclass(frozen=True, slots=True)
class SimulatedPlayer:
    player_id: str
    created_at: float  # POSIX seconds
    country: str


@dataclass(frozen=True, slots=True)
class SimulatedAttempt:
    request: RiskRequest
    at: float  # POSIX seconds
    fraud: bool
    pattern: str  # "legit" or one of PATTERNS
    succeeded: bool  # whether the payment went through (a failure counts for later features)


@dataclass
class Simulation:
    seed: int
    players: dict[str, SimulatedPlayer] = field(default_factory=dict)
    attempts: list[SimulatedAttempt] = field(default_factory=list)

    @property
    def fraud_share(self) -> float:
        return sum(a.fraud for a in self.attempts) / max(1, len(self.attempts))


@dataclass
class _Legit:
    player: SimulatedPlayer
    devices: list[str]
    instruments: list[str]
    typical: float


class _World:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (a reproducible simulation, not secrets)
        self.seed = seed
        self.sim = Simulation(seed)
        self._ids = 0
        self.legit: list[_Legit] = []

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    def player(self, created_at: float, country: str) -> SimulatedPlayer:
        p = SimulatedPlayer(f"sim-p{self._next()}", created_at, country)
        self.sim.players[p.player_id] = p
        return p

    def device(self) -> str:
        return f"sim-d{self._next()}"

    def instrument(self) -> str:
        return hashlib.sha256(f"card-{self.seed}-{self._next()}".encode()).hexdigest()

    def home(self) -> str:
        return self.rng.choices(HOME, HOME_WEIGHTS)[0]

    def attempt(
        self,
        player: SimulatedPlayer,
        kind: str,
        euros: float,
        at: float,
        *,
        device: str | None,
        instrument: str | None,
        country: str | None,
        pattern: str = "legit",
        succeeded: bool = True,
    ) -> None:
        cents = max(100, round(euros * 100))
        request = RiskRequest(
            attempt_id=f"sim-a{self._next()}",
            player_id=player.player_id,
            kind=kind,
            amount=cents * (UNITS // 100),
            currency="EUR",
            instrument_fingerprint=instrument,
            device_id=device,
            ip_country=country,
        )
        self.sim.attempts.append(
            SimulatedAttempt(request, at, pattern != "legit", pattern, succeeded)
        )

    # -- legitimate players ----------------------------------------------------------------

    def legit_player(self) -> None:
        rng = self.rng
        new = rng.random() < 0.08
        created = (
            rng.uniform(START - DAY, END - 2 * 3600)
            if new
            else (START - rng.expovariate(1 / (400 * DAY)) - DAY)
        )
        player = self.player(created, self.home())
        devices = [self.device()]
        if rng.random() < 0.3:
            devices.append(self.device())
        instruments = [self.instrument()]
        if rng.random() < 0.25:
            instruments.append(self.instrument())
        if self.legit and rng.random() < 0.08:  # a household sharing a device
            devices.append(rng.choice(rng.choice(self.legit).devices))
        if self.legit and rng.random() < 0.02:  # a family card
            instruments.append(rng.choice(rng.choice(self.legit).instruments))
        typical = min(5000.0, max(5.0, rng.lognormvariate(math.log(30), 0.9)))
        if rng.random() < 0.033:
            typical *= 10
        me = _Legit(player, devices, instruments, typical)
        self.legit.append(me)
        sessions = 1 + rng.randint(0, 4)
        first = max(created, START)
        for s in range(sessions):
            if new and s == 0:
                t = created + rng.uniform(120, 6 * 3600)
                big = rng.random() < 0.05
                self.session(me, min(t, END - 60), first_deposit=big)
            else:
                self.session(me, rng.uniform(first, END - 60))

    def session(self, me: _Legit, t: float, *, first_deposit: bool = False) -> None:
        rng = self.rng
        if rng.random() < 0.08:  # a new phone, a new browser
            me.devices.append(self.device())
        device = rng.choice(me.devices)
        r = rng.random()
        country: str | None = me.player.country
        if r < 0.1:
            country = rng.choice(ABROAD + HOME)
        elif r < 0.2:
            country = None
        instrument = rng.choice(me.instruments)
        deposits = 1 + (rng.random() < 0.35) + (rng.random() < 0.12)
        for _ in range(deposits):
            euros = me.typical * rng.lognormvariate(0, 0.4)
            if first_deposit:
                euros *= rng.uniform(8, 40)
                first_deposit = False
            ok = rng.random() > 0.06
            self.attempt(
                me.player,
                "deposit",
                euros,
                t,
                device=device,
                instrument=instrument,
                country=country,
                succeeded=ok,
            )
            retries = 0
            while not ok and retries < 2:
                t += rng.uniform(20, 110)
                retries += 1
                if len(me.instruments) > 1 and rng.random() < 0.5:
                    instrument = rng.choice(me.instruments)
                ok = rng.random() > 0.3
                self.attempt(
                    me.player,
                    "deposit",
                    euros,
                    t,
                    device=device,
                    instrument=instrument,
                    country=country,
                    succeeded=ok,
                )
            t += rng.uniform(120, 1800)
        if rng.random() < 0.15:
            t += rng.uniform(1200, 2 * DAY)
            if t < END:
                self.attempt(
                    me.player,
                    "withdrawal",
                    me.typical * rng.uniform(0.5, 4),
                    t,
                    device=device,
                    instrument=instrument,
                    country=country,
                )

    # -- fraud -----------------------------------------------------------------------------

    def fraud_country(self, home: str) -> str | None:
        r = self.rng.random()
        return None if r < 0.1 else home if r < 0.55 else self.rng.choice(FRAUD_ORIGINS)

    def account_age(self, fresh: float) -> float:
        """How old a fraudster's account is: mostly fresh, sometimes a sleeper."""
        if self.rng.random() < 0.3:
            return self.rng.uniform(30 * DAY, 300 * DAY)
        return self.rng.uniform(600, fresh)

    def card_testing(self) -> None:
        rng = self.rng
        t = rng.uniform(START + DAY, END - 3600)
        player = self.player(t - rng.uniform(300, 3 * DAY), self.home())
        device = self.device()
        country = self.fraud_country(player.country)
        cards = [self.instrument() for _ in range(rng.randint(4, 20))]
        worked = None
        for _ in range(rng.randint(6, 25)):
            card = rng.choice(cards)
            ok = rng.random() < 0.25
            worked = card if ok else worked
            self.attempt(
                player,
                "deposit",
                rng.uniform(1, 10),
                t,
                device=device,
                instrument=card,
                country=country,
                pattern="card_testing",
                succeeded=ok,
            )
            t += rng.uniform(2, 40)
        if worked is not None and rng.random() < 0.5:
            self.attempt(
                player,
                "deposit",
                rng.uniform(100, 500),
                t + rng.uniform(30, 600),
                device=device,
                instrument=worked,
                country=country,
                pattern="card_testing",
            )

    def shared_instrument(self) -> None:
        rng = self.rng
        card = self.instrument()
        t = rng.uniform(START + DAY, END - 6 * 3600)
        ring_device = self.device() if rng.random() < 0.3 else None
        for _ in range(rng.randint(2, 6)):
            player = self.player(t - self.account_age(5 * DAY), self.home())
            self.attempt(
                player,
                "deposit",
                rng.uniform(50, 800),
                t,
                device=ring_device or self.device(),
                instrument=card,
                country=self.fraud_country(player.country),
                pattern="shared_instrument",
                succeeded=rng.random() < 0.8,
            )
            t += rng.uniform(300, 4 * 3600)

    def new_account_large(self) -> None:
        rng = self.rng
        t = rng.uniform(START, END - 3600)
        player = self.player(t - rng.uniform(120, 5 * 3600), self.home())
        device, card = self.device(), self.instrument()
        country = self.fraud_country(player.country)
        for _ in range(1 + (rng.random() < 0.3)):
            self.attempt(
                player,
                "deposit",
                rng.lognormvariate(math.log(1000), 0.6),
                t,
                device=device,
                instrument=card,
                country=country,
                pattern="new_account_large",
                succeeded=rng.random() < 0.85,
            )
            t += rng.uniform(60, 1800)

    def location_mismatch(self) -> None:
        rng = self.rng
        if not self.legit:
            return
        victim = rng.choice(self.legit)
        t = rng.uniform(max(START, victim.player.created_at) + 3600, END - 600)
        device = self.device()
        country = None if rng.random() < 0.1 else rng.choice(FRAUD_ORIGINS + ABROAD[:4])
        if rng.random() < 0.3:
            self.attempt(
                victim.player,
                "deposit",
                victim.typical * rng.uniform(2, 10),
                t,
                device=device,
                instrument=self.instrument(),
                country=country,
                pattern="location_mismatch",
            )
            t += rng.uniform(60, 1800)
        self.attempt(
            victim.player,
            "withdrawal",
            victim.typical * rng.uniform(3, 15),
            t,
            device=device,
            instrument=self.instrument(),
            country=country,
            pattern="location_mismatch",
        )

    def deposit_and_run(self) -> None:
        rng = self.rng
        t = rng.uniform(START, END - 2 * 3600)
        player = self.player(t - self.account_age(10 * DAY), self.home())
        device = self.device()
        country = self.fraud_country(player.country)
        euros = rng.uniform(100, 2000)
        self.attempt(
            player,
            "deposit",
            euros,
            t,
            device=device,
            instrument=self.instrument(),
            country=country,
            pattern="deposit_and_run",
        )
        t += rng.uniform(300, 3600)
        payout = self.instrument() if rng.random() < 0.7 else None
        for share in (rng.uniform(0.8, 1.0),) if rng.random() < 0.7 else (0.5, 0.45):
            self.attempt(
                player,
                "withdrawal",
                euros * share,
                t,
                device=device,
                instrument=payout,
                country=country,
                pattern="deposit_and_run",
            )
            t += rng.uniform(60, 900)


def simulate(samples: int, seed: int, *, fraud_share: float = 0.08) -> Simulation:
    """About ``samples`` labelled attempts (about ``fraud_share`` of them fraud), in time order."""
    world = _World(seed)
    legit_target = samples * (1 - fraud_share)
    while len(world.sim.attempts) < legit_target:
        world.legit_player()
    patterns = [
        world.card_testing,
        world.shared_instrument,
        world.new_account_large,
        world.location_mismatch,
        world.deposit_and_run,
    ]
    weights = (1, 2, 3, 3, 3)  # card testing makes many attempts per event
    while len(world.sim.attempts) < samples:
        world.rng.choices(patterns, weights)[0]()
    world.sim.attempts.sort(key=lambda a: a.at)
    return world.sim
