"""A national self-exclusion register (GAMSTOP, Spelpaus, ROFUS, OASIS), simulated.

The real registers answer an operator's question "is this person excluded?" for a person
identified by name, date of birth and postcode (GAMSTOP adds email; Spelpaus, ROFUS and OASIS
use a national id, which croupier does not collect yet). This server keeps a list of excluded
people and answers ``POST /v1/check`` with the operator's API key, and it has the real
thing's faults on demand: slow answers, outages, and errors, set through ``POST /_faults``.

    croupier simulate exclusion-register --port 8701 --api-key test-key
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from croupier.simulators.serving import BackgroundServer


class Person(BaseModel):
    legal_name: str
    date_of_birth: str  # ISO date
    postcode: str
    email: str | None = None


class Faults(BaseModel):
    latency_ms: int = 0
    down: bool = False  # answer 503 to everything
    error_rate: float = 0.0  # share of checks answered with 500


def _key(legal_name: str, date_of_birth: str, postcode: str) -> tuple[str, str, str]:
    return (
        " ".join(legal_name.lower().split()),
        date_of_birth,
        "".join(postcode.lower().split()),
    )


@dataclass
class RegisterState:
    name: str
    api_key: str
    excluded: set[tuple[str, str, str]] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    checks: int = 0


def build_app(state: RegisterState) -> FastAPI:
    app = FastAPI(title=f"{state.name} (simulated exclusion register)")

    @app.post("/v1/check")
    async def check(person: Person, x_api_key: str = Header(default="")) -> dict[str, Any]:
        state.checks += 1
        if state.faults.latency_ms:
            await asyncio.sleep(state.faults.latency_ms / 1000)
        if state.faults.down:
            raise HTTPException(503, "register unavailable")
        if x_api_key != state.api_key:
            raise HTTPException(401, "bad API key")
        if state.faults.error_rate and random.random() < state.faults.error_rate:  # noqa: S311
            raise HTTPException(500, "internal error")
        excluded = _key(person.legal_name, person.date_of_birth, person.postcode) in state.excluded
        return {"register": state.name, "excluded": excluded, "checked_at": time.time()}

    @app.post("/_excluded", status_code=204)
    async def add_excluded(person: Person) -> None:
        state.excluded.add(_key(person.legal_name, person.date_of_birth, person.postcode))

    @app.post("/_faults", status_code=204)
    async def set_faults(faults: Faults) -> None:
        state.faults = faults

    return app


class RunningRegister:
    """A simulated register serving on 127.0.0.1 in a background thread (for tests)."""

    def __init__(self, name: str = "GAMSTOP", api_key: str = "test-key", port: int = 0) -> None:
        self.state = RegisterState(name=name, api_key=api_key)
        self._served = BackgroundServer(build_app(self.state), "the simulated register", port=port)

    def __enter__(self) -> RunningRegister:
        self._served.start()
        return self

    @property
    def url(self) -> str:
        return self._served.url

    def exclude(self, legal_name: str, date_of_birth: str, postcode: str) -> None:
        self.state.excluded.add(_key(legal_name, date_of_birth, postcode))

    def __exit__(self, *exc: object) -> None:
        self._served.stop()
