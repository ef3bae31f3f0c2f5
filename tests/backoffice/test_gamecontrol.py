"""Game control over the operator API: role-checked, brand-scoped, audited; bad input gets a
stable code and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from croupier.core.gamecontrol.models import GameControl
from croupier.kernel.audit import list_audit_entries
from croupier.kernel.models import AuditRecord
from tests.core.players.player_fixtures import assert_problem, make_brand, verified_player
from tests.http_fixtures import make_client, operator_token
from tests.policy.policy_fixtures import UNIT, move

URL = "/api/v1/backoffice/games"
DICE = {"provider": "croupier", "game_code": "dice"}
REASON = {"reason": "suspected fault, ticket 17"}
CAP = {**DICE, "jurisdiction": "MT", "currency": "EUR"}


def _footprint(db) -> tuple[int, int]:
    """Controls in force and audit records: equal means nothing changed."""
    with db.read_only() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(t)) for t in (GameControl, AuditRecord)
        )


def _play_dice(client, key: str):
    return client.post(
        "/api/v1/games/dice/rounds",
        json={"round_key": key, "stake": UNIT, "params": {"target": 5000, "direction": "under"}},
    )


@pytest.fixture
def admin(db, clock):
    with make_client(db, clock, token=operator_token(db, clock, "admin")) as client:
        yield client


def test_an_admin_disables_a_game_sees_it_listed_and_enables_it_again(db, clock, admin):
    disabled = admin.post(f"{URL}/disable", json={**DICE, "scope": "global", **REASON})
    listed = admin.get(f"{URL}/controls").json()["controls"]
    enabled = admin.post(f"{URL}/enable", json={**DICE, "scope": "global", "reason": "fixed"})
    after = admin.get(f"{URL}/controls", params={"provider": "croupier"}).json()["controls"]

    assert disabled.status_code == 200, disabled.text
    body = disabled.json()
    assert (body["kind"], body["scope"], body["scope_value"], body["reason"]) == (
        "disabled",
        "global",
        None,
        REASON["reason"],
    )
    assert body["changed_by"].startswith("operator:")
    assert listed == [body]
    assert enabled.json()["id"] == body["id"]
    assert after == []
    with db.read_only() as s:
        entries = list_audit_entries(s, subject_type="game", subject_id="croupier/dice")
    assert [(e.action, e.actor == body["changed_by"]) for e in entries] == [
        ("gamecontrol.game_enabled", True),
        ("gamecontrol.game_disabled", True),
    ]


def test_an_operator_without_games_control_gets_403_and_nothing_changes(db, clock):
    auditor = operator_token(db, clock, "auditor")
    finance = operator_token(db, clock, "finance")
    before = _footprint(db)
    with make_client(db, clock, token=auditor) as c:
        reads = c.get(f"{URL}/controls")
        writes = [
            c.post(f"{URL}/disable", json={**DICE, "scope": "global", **REASON}),
            c.post(f"{URL}/kill-switch/on", json=REASON),
            c.post(
                f"{URL}/stake-caps",
                json={**CAP, "max_stake": 1, **REASON},
            ),
            c.post(f"{URL}/close-stale-rounds"),
        ]
    with make_client(db, clock, token=finance) as c:
        no_read = c.get(f"{URL}/controls")
    with make_client(db, clock) as anonymous:
        nobody = anonymous.get(f"{URL}/controls")

    assert reads.status_code == 200  # games:read
    for refused in writes:
        body = assert_problem(refused, 403, "auth.permission_denied")
        assert body["required"][0] == "games:control"
    assert_problem(no_read, 403, "auth.permission_denied")
    assert_problem(nobody, 401, "auth.not_authenticated")
    assert _footprint(db) == before


def test_the_kill_switch_stops_play_until_it_is_released(db, clock, admin):
    with verified_player(db, clock) as (player, view):
        move(db, clock, view, "deposit", 10 * UNIT)
        on = admin.post(f"{URL}/kill-switch/on", json={"reason": "incident 9: all stop"})
        suspended = _play_dice(player, "k1")
        off = admin.post(f"{URL}/kill-switch/off", json={"reason": "incident 9 over"})
        resumed = _play_dice(player, "k1")

    assert (on.json()["provider"], on.json()["game_code"]) == ("*", "*")
    assert_problem(suspended, 403, "gamecontrol.gaming_suspended")
    assert off.status_code == 200, off.text
    assert resumed.status_code == 201, resumed.text
    with db.read_only() as s:
        entries = list_audit_entries(s, subject_type="game", subject_id="*/*")
    assert [(e.action, e.reason) for e in entries] == [
        ("gamecontrol.gaming_resumed", "incident 9 over"),
        ("gamecontrol.gaming_suspended", "incident 9: all stop"),
    ]


def test_a_stake_cap_set_over_the_api_refuses_a_larger_stake(db, clock, admin):
    with verified_player(db, clock) as (player, view):
        move(db, clock, view, "deposit", 10 * UNIT)
        set_ = admin.post(f"{URL}/stake-caps", json={**CAP, "max_stake": UNIT // 2, **REASON})
        refused = _play_dice(player, "c1")
        removed = admin.post(f"{URL}/stake-caps/remove", json={**CAP, **REASON})
        played = _play_dice(player, "c1")

    assert (set_.json()["kind"], set_.json()["max_stake"]) == ("stake_cap", UNIT // 2)
    assert assert_problem(refused, 422, "gamecontrol.stake_above_game_cap")["cap"] == UNIT // 2
    assert removed.json()["id"] == set_.json()["id"]
    assert played.status_code == 201, played.text


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [  # (the path under /api/v1/backoffice/games, the body, the answer)
        (
            "disable",
            {**DICE, "game_code": "nope", "scope": "global"},
            404,
            "aggregation.game_not_found",
        ),
        (
            "disable",
            {**DICE, "provider": "acme", "scope": "global"},
            404,
            "aggregation.provider_not_found",
        ),
        (
            "disable",
            {**DICE, "scope": "global", "reason": "no"},
            422,
            "gamecontrol.reason_required",
        ),
        ("disable", {**DICE, "scope": "planet"}, 422, "request.invalid"),
        (
            "disable",
            {**DICE, "scope": "brand", "scope_value": "brd_x"},
            404,
            "players.brand_not_found",
        ),
        (
            "disable",
            {**DICE, "scope": "jurisdiction", "scope_value": "XX"},
            422,
            "jurisdiction.unknown",
        ),
        ("disable", {**DICE, "scope": "global", "extra": 1}, 422, "request.invalid"),
        ("enable", {**DICE, "scope": "global"}, 404, "gamecontrol.control_not_found"),
        ("kill-switch/off", {"scope": "global"}, 404, "gamecontrol.control_not_found"),
        ("stake-caps", {**CAP, "max_stake": "5"}, 422, "request.invalid"),
        ("stake-caps", {**CAP, "max_stake": -5}, 422, "gamecontrol.invalid_stake_cap"),
        ("stake-caps", {**CAP, "currency": "ZZZ", "max_stake": 5}, 422, "money.unknown_currency"),
        ("stake-caps/remove", CAP, 404, "gamecontrol.control_not_found"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_changes_nothing(
    db, clock, admin, path, body, status, code
):
    before = _footprint(db)
    refused = admin.post(f"{URL}/{path}", json={**REASON, **body})
    assert_problem(refused, status, code)
    assert _footprint(db) == before


def test_an_operator_tied_to_a_brand_controls_games_for_that_brand_only(db, clock):
    ours = make_brand(db, clock, "luckystar")
    theirs = make_brand(db, clock, "goldcoast")
    token = operator_token(db, clock, "admin", brand_id=ours)
    before = _footprint(db)
    with make_client(db, clock, token=token) as c:
        elsewhere = [
            c.post(f"{URL}/disable", json={**DICE, "scope": "global", **REASON}),
            c.post(
                f"{URL}/disable", json={**DICE, "scope": "brand", "scope_value": theirs, **REASON}
            ),
            c.post(f"{URL}/kill-switch/on", json=REASON),
            c.post(
                f"{URL}/stake-caps",
                json={**CAP, "max_stake": 1, **REASON},
            ),
        ]
        unchanged = _footprint(db) == before
        own = c.post(
            f"{URL}/disable", json={**DICE, "scope": "brand", "scope_value": ours, **REASON}
        )

    for refused in elsewhere:
        assert_problem(refused, 403, "auth.permission_denied")
    assert unchanged
    assert own.status_code == 200, own.text
