"""Payments configuration: the PSPs, the routes to them, the circuit breaker, the limits of
automatic approval. A TOML file named by ``CROUPIER_PAYMENTS_CONFIG``; see
docs/operations.md ("Payments") for an annotated example.

Secrets may be written in the file (development) or, better, named by an environment
variable (``api_key_env``, ``webhook_secret_env``); they are never logged or shown.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from croupier.kernel.errors import DomainError
from croupier.kernel.money import Money

Method = Literal["card", "ewallet", "bank_transfer"]
PspKind = Literal["card", "ewallet", "instant"]
METHOD_OF_KIND: dict[str, str] = {"card": "card", "ewallet": "ewallet", "instant": "bank_transfer"}


class InvalidPaymentsConfig(DomainError):
    code = "payments.invalid_config"
    status = 500
    title = "The payments configuration is not valid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PspConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    kind: PspKind
    url: str
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_secret_env: str | None = None
    # Seconds to wait for an answer; a call that takes longer has an unknown outcome.
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    enabled: bool = True

    @property
    def method(self) -> str:
        return METHOD_OF_KIND[self.kind]

    def secret(self, which: Literal["api_key", "webhook_secret"]) -> str:
        value: SecretStr | None = getattr(self, which)
        env = getattr(self, f"{which}_env")
        if env:
            from_env = os.environ.get(env)
            if from_env:
                return from_env
        if value is None:
            raise InvalidPaymentsConfig(f"PSP {self.name!r} has no {which} (set {which}_env).")
        return value.get_secret_value()


class RouteTarget(_Strict):
    psp: str
    # Lower first; PSPs of equal priority share traffic by weight.
    priority: int = Field(default=1, ge=0)
    weight: int = Field(default=1, ge=1)


class RouteRule(_Strict):
    """The PSPs that may take a payment of ``method`` in one of ``currencies`` from one of
    ``countries`` (empty lists match all), in order of preference."""

    method: Method
    currencies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    kinds: tuple[Literal["deposit", "withdrawal"], ...] = ("deposit", "withdrawal")
    psps: tuple[RouteTarget, ...]


class BreakerConfig(_Strict):
    """Per PSP: open after ``consecutive_failures`` failures in a row, or when at least
    ``min_calls`` calls in the last ``window_seconds`` failed at ``error_rate`` or more; stay
    open ``open_seconds``, then let one probe through (half-open); a success closes it."""

    consecutive_failures: int = Field(default=5, ge=1)
    error_rate: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=10, ge=1)
    window_seconds: float = Field(default=10.0, gt=0)
    open_seconds: float = Field(default=5.0, gt=0)


class DepositConfig(_Strict):
    # How long a player waits for a deposit to be placed with some PSP (failover stops then).
    deadline_seconds: float = Field(default=20.0, gt=0, le=300)
    # A deposit that is still not final after this long expires (the janitor gives up).
    expire_after_hours: float = Field(default=24.0, gt=0)


class WithdrawalConfig(_Strict):
    """Approval thresholds per currency, as decimal strings ("500.00"): below
    ``auto_approve_below`` automatic, from ``four_eyes_from`` two different approvers, one in
    between. A currency missing here needs one approver for every withdrawal."""

    auto_approve_below: dict[str, str] = Field(default_factory=dict)
    four_eyes_from: dict[str, str] = Field(default_factory=dict)

    def approvals_needed(self, amount: int, currency: str) -> int:
        """0, 1 or 2 approvals for ``amount`` ledger units of ``currency``."""
        four = self.four_eyes_from.get(currency)
        if four is not None and amount >= Money.parse(four, currency).amount:
            return 2
        auto = self.auto_approve_below.get(currency)
        if auto is not None and amount < Money.parse(auto, currency).amount:
            return 0
        return 1


class JanitorConfig(_Strict):
    # First re-query after ``first_check_seconds``, then doubling up to ``max_backoff_seconds``.
    first_check_seconds: float = Field(default=2.0, gt=0)
    max_backoff_seconds: float = Field(default=600.0, gt=0)
    every_seconds: float = Field(default=2.0, ge=0)  # 0: the serving process does not run it


class PaymentsConfig(_Strict):
    psp: tuple[PspConfig, ...] = ()
    route: tuple[RouteRule, ...] = ()
    breaker: BreakerConfig = BreakerConfig()
    deposits: DepositConfig = DepositConfig()
    withdrawals: WithdrawalConfig = WithdrawalConfig()
    janitor: JanitorConfig = JanitorConfig()
    # Seconds between daily reconciliations by the serving process (0: never; use the CLI).
    reconcile_every_seconds: float = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> PaymentsConfig:
        names = [p.name for p in self.psp]
        if len(set(names)) != len(names):
            raise ValueError("PSP names must be unique")
        for rule in self.route:
            for target in rule.psps:
                if target.psp not in names:
                    raise ValueError(f"route names unknown PSP {target.psp!r}")
                kind = next(p.kind for p in self.psp if p.name == target.psp)
                if METHOD_OF_KIND[kind] != rule.method:
                    raise ValueError(f"PSP {target.psp!r} ({kind}) cannot take {rule.method}")
        for table in (self.withdrawals.auto_approve_below, self.withdrawals.four_eyes_from):
            for code, text in table.items():
                Money.parse(text, code)
        return self

    def psp_named(self, name: str) -> PspConfig | None:
        return next((p for p in self.psp if p.name == name), None)


def load_payments_config(path: str | Path | None) -> PaymentsConfig:
    """The configuration in the TOML file at ``path``; no file: no PSPs (payments refused
    with ``payments.no_route``)."""
    if path is None or str(path) == "":
        return PaymentsConfig()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return PaymentsConfig.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidPaymentsConfig(f"Cannot read {path}: {exc}") from None
    except ValidationError as exc:
        raise InvalidPaymentsConfig(f"{path}: {exc.error_count()} problem(s): {exc}") from None
    except DomainError as exc:
        raise InvalidPaymentsConfig(f"{path}: {exc.detail}") from None
