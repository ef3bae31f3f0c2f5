"""National self-exclusion registers (GAMSTOP, Spelpaus, ROFUS, OASIS, ...), over HTTP.

The jurisdiction rule base says which register a jurisdiction has and at which checkpoints it
must be asked (registration, login, deposit, bet). The platform asks over HTTP with a short
timeout. When the register cannot answer (down, slow, an error), the check **fails closed**:
the registration, login or deposit is refused with ``compliance.register_unavailable`` and the
detail names the register, because letting an excluded person gamble is the worse failure.

Registers are configured with ``CROUPIER_EXCLUSION_REGISTERS`` (a JSON object of register name
to base URL) and ``CROUPIER_EXCLUSION_REGISTER_API_KEY``. A register the jurisdiction needs but
that is not configured fails closed in production; in dev and test the check is skipped (and
logged), so the demo runs without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx
import structlog

from croupier.core.players import PlayerView, Registration
from croupier.kernel.config import Settings
from croupier.kernel.errors import DomainError
from croupier.kernel.jurisdictions import (
    Checkpoint,
    Jurisdiction,
    NationallyExcluded,
    RegisterUnavailable,
    jurisdiction,
)
from croupier.policy.compliance.geo import Geolocation

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PersonToCheck:
    legal_name: str
    date_of_birth: date
    postcode: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Registers:
    """The configured registers: name → base URL, one API key, and what to do unconfigured."""

    urls: dict[str, str]
    api_key: str
    timeout_s: float = 2.0
    required: bool = True  # fail closed when a needed register is not configured

    def check(
        self, rules: Jurisdiction, checkpoint: Checkpoint, person: PersonToCheck
    ) -> NationallyExcluded | None:
        """Ask the jurisdiction's register if it must be asked at ``checkpoint``; raises
        :class:`RegisterUnavailable` when it cannot answer."""
        register = rules.national_register
        if register is None or checkpoint not in rules.register_checked_at:
            return None
        url = self.urls.get(register)
        if url is None:
            if self.required:
                raise RegisterUnavailable(
                    f"{rules.name} requires {register} at {checkpoint.value}; "
                    "it is not configured.",
                    register=register,
                )
            log.warning("register.not_configured", register=register, checkpoint=checkpoint.value)
            return None
        try:
            response = httpx.post(
                f"{url.rstrip('/')}/v1/check",
                json={
                    "legal_name": person.legal_name,
                    "date_of_birth": person.date_of_birth.isoformat(),
                    "postcode": person.postcode,
                    "email": person.email,
                },
                headers={"X-Api-Key": self.api_key},
                timeout=self.timeout_s,
            )
            response.raise_for_status()
            excluded = bool(response.json()["excluded"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("register.unavailable", register=register, error=type(exc).__name__)
            raise RegisterUnavailable(
                f"{register} did not answer; {checkpoint.value} is refused until it does.",
                register=register,
            ) from None
        if excluded:
            return NationallyExcluded(
                f"{register} lists this person as excluded from gambling.", register=register
            )
        return None


def registers_for(settings: Settings) -> Registers:
    """The registers of the settings; unconfigured ones fail closed outside dev and test."""
    return Registers(
        urls=dict(settings.exclusion_registers),
        api_key=settings.exclusion_register_api_key,
        timeout_s=settings.exclusion_register_timeout_seconds,
        required=not settings.clock_is_adjustable,
    )


def registration_admission(registers: Registers, geolocation: Geolocation) -> Callable[..., None]:
    """What registration asks before it creates anything (players.register_player): the
    request's location where the jurisdiction requires it, then the national register."""

    def admit(reg: Registration, rules: Jurisdiction, *, ip: str | None = None) -> None:
        refusal = geolocation.check(rules, Checkpoint.REGISTRATION, ip) or registers.check(
            rules,
            Checkpoint.REGISTRATION,
            PersonToCheck(reg.legal_name, reg.date_of_birth, reg.postcode, reg.email),
        )
        if refusal is not None:
            raise refusal

    return admit


def login_admission(
    registers: Registers, geolocation: Geolocation
) -> Callable[..., DomainError | None]:
    """What login asks once the credentials are right, before it opens a session."""

    def admit(player: PlayerView, *, ip: str | None = None) -> DomainError | None:
        rules = jurisdiction(player.jurisdiction)
        return geolocation.check(rules, Checkpoint.LOGIN, ip) or registers.check(
            rules,
            Checkpoint.LOGIN,
            PersonToCheck(player.legal_name, player.date_of_birth, player.postcode, player.email),
        )

    return admit
