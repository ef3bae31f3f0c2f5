"""Operators see the RNG's health; after a failure, a reset with a reason (audited) lets play
resume only if the start-up tests pass."""

from __future__ import annotations

import pytest

from croupier.kernel.audit import list_audit_entries
from croupier.kernel.rng import Rng, RngHealthFailure
from tests.core.players.player_fixtures import assert_problem
from tests.http_fixtures import make_client, operator_token
from tests.kernel.rng.byte_sources import SwitchableSource

URL = "/api/v1/backoffice/rng"


@pytest.fixture
def broken_rng():
    """A generator whose source can be stuck on demand (tests.kernel.rng.byte_sources)."""
    source = SwitchableSource()
    return Rng(source), source


def _draw_many(rng: Rng) -> None:
    for _ in range(64):
        rng.randbelow(52)


def _stop(rng: Rng, source: SwitchableSource) -> None:
    source.stuck = True
    with pytest.raises(RngHealthFailure):
        _draw_many(rng)


def test_an_operator_sees_a_failure_and_a_reset_needs_the_permission_and_a_reason(
    db, clock, broken_rng
):
    rng, source = broken_rng
    rng.randbelow(52)
    _stop(rng, source)
    with make_client(db, clock, token=operator_token(db, clock, "auditor")) as auditor:
        auditor.app.state.rng = rng
        seen = auditor.get(URL).json()
        refused = auditor.post(f"{URL}/reset", json={"reason": "kernel entropy checked"})
    with make_client(db, clock, token=operator_token(db, clock, "admin")) as admin:
        admin.app.state.rng = rng
        no_reason = admin.post(f"{URL}/reset", json={"reason": ""})
        still_broken = admin.post(f"{URL}/reset", json={"reason": "first try"}).json()
        source.stuck = False
        fixed = admin.post(f"{URL}/reset", json={"reason": "entropy source replaced"}).json()

    assert seen["state"] == "failed"
    assert "repetition count test" in seen["last_failure_reason"]
    assert_problem(refused, 403, "auth.permission_denied")
    assert no_reason.status_code == 422
    assert still_broken["state"] == "failed"
    assert fixed["state"] == "ok"
    assert 0 <= rng.randbelow(52) < 52

    with db.read_only() as s:
        entries = list_audit_entries(s, subject_type="rng", subject_id=rng.source_name)
    assert [(e.action, e.reason) for e in entries] == [
        ("rng.reset", "entropy source replaced"),
        ("rng.reset", "first try"),
    ]


def test_the_rng_status_is_not_public(db, clock):
    with make_client(db, clock) as anonymous:
        assert_problem(anonymous.get(URL), 401, "auth.not_authenticated")
