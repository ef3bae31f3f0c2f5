"""Game control (GLI-19 §2.4.1, §4.15): games switched off globally, per brand and per
jurisdiction, the kill switch, stake caps per game, and the one cheap check every stake asks."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from croupier.core import gamecontrol
from croupier.core.gamecontrol import GameDisabled, GamingSuspended, StakeAboveGameCap
from croupier.core.gamecontrol.models import GameControl
from croupier.kernel.audit import list_audit_entries
from croupier.kernel.errors import DomainError
from croupier.kernel.models import AuditRecord
from tests.core.players.player_fixtures import make_brand

GBP = 1_000_000  # ledger units of one pound


def _check(db, clock, *, brand, game="sweet-7", where="MT", stake=None, new_round=True, cur="EUR"):
    with db.read_only() as s:
        gamecontrol.check_play(
            s,
            clock,
            provider="acme",
            game_code=game,
            brand_id=brand,
            jurisdiction=where,
            currency=cur,
            stake=stake,
            new_round=new_round,
        )


def _refusal(db, clock, **kwargs) -> str | None:
    try:
        _check(db, clock, **kwargs)
    except DomainError as exc:
        return exc.code
    return None


def _change(db, clock, verb, **kwargs):
    with db.unit_of_work() as s:
        return getattr(gamecontrol, verb)(s, clock, actor="operator:test", **kwargs)


def _footprint(db) -> tuple[int, int]:
    """Controls in force and audit records: equal means nothing changed."""
    with db.read_only() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(t)) for t in (GameControl, AuditRecord)
        )


@pytest.fixture
def brands(db, clock) -> tuple[str, str]:
    return make_brand(db, clock, "luckystar"), make_brand(db, clock, "goldcoast")


def test_a_disabled_game_refuses_new_rounds_but_lets_open_ones_finish(db, clock, brands):
    brand, _ = brands
    control = _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="sweet-7",
        scope="global",
        reason="RNG fault reported by the provider",
    )

    assert _refusal(db, clock, brand=brand) == "gamecontrol.game_disabled"
    assert _refusal(db, clock, brand=brand, stake=GBP) == "gamecontrol.game_disabled"
    assert _refusal(db, clock, brand=brand, stake=GBP, new_round=False) is None  # §4.15
    assert _refusal(db, clock, brand=brand, game="other-game") is None
    with db.read_only() as s:
        [entry] = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")
    assert (entry.action, entry.actor, entry.reason) == (
        "gamecontrol.game_disabled",
        "operator:test",
        "RNG fault reported by the provider",
    )
    assert entry.before is None
    assert entry.after["scope"] == "global"

    lifted = _change(
        db,
        clock,
        "enable_game",
        provider="acme",
        game_code="sweet-7",
        scope="global",
        reason="provider fixed it",
    )
    assert lifted.id == control.id
    assert _refusal(db, clock, brand=brand) is None
    with db.read_only() as s:
        newest = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")[0]
    assert (newest.action, newest.before["reason"], newest.after) == (
        "gamecontrol.game_enabled",
        "RNG fault reported by the provider",
        None,
    )


def test_the_kill_switch_stops_every_game_and_only_new_rounds(db, clock, brands):
    brand, _ = brands
    _change(db, clock, "suspend_gaming", reason="incident 42: wallet inconsistency")

    for game in ("sweet-7", "mega-wheel"):
        assert _refusal(db, clock, brand=brand, game=game) == "gamecontrol.gaming_suspended"
    assert _refusal(db, clock, brand=brand, stake=GBP, new_round=False) is None
    with db.read_only() as s:
        [control] = gamecontrol.list_controls(s)
        [entry] = list_audit_entries(s, subject_type="game", subject_id="*/*")
    assert (control.provider, control.game_code, control.kind) == ("*", "*", "disabled")
    assert entry.action == "gamecontrol.gaming_suspended"

    _change(db, clock, "resume_gaming", reason="incident 42 resolved")
    assert _refusal(db, clock, brand=brand) is None
    with db.read_only() as s:
        assert gamecontrol.list_controls(s) == []
        assert list_audit_entries(s, subject_type="game", subject_id="*/*")[0].action == (
            "gamecontrol.gaming_resumed"
        )


def test_a_brand_or_jurisdiction_control_applies_there_only(db, clock, brands):
    ours, theirs = brands
    _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="sweet-7",
        scope="brand",
        scope_value=ours,
        reason="not licensed for this brand",
    )
    _change(
        db,
        clock,
        "suspend_gaming",
        scope="jurisdiction",
        scope_value="se",
        reason="Spelpaus outage",
    )

    assert _refusal(db, clock, brand=ours) == "gamecontrol.game_disabled"
    assert _refusal(db, clock, brand=theirs) is None
    assert _refusal(db, clock, brand=theirs, where="SE") == "gamecontrol.gaming_suspended"
    assert _refusal(db, clock, brand=ours, where="SE") == "gamecontrol.gaming_suspended"
    with db.read_only() as s:
        scopes = {(c.scope, c.scope_value) for c in gamecontrol.list_controls(s)}
    assert scopes == {("brand", ours), ("jurisdiction", "SE")}


def test_every_game_of_a_provider_can_be_disabled_at_once(db, clock, brands):
    brand, _ = brands
    _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="*",
        scope="global",
        reason="provider contract suspended",
    )
    assert _refusal(db, clock, brand=brand, game="sweet-7") == "gamecontrol.game_disabled"
    assert _refusal(db, clock, brand=brand, game="anything") == "gamecontrol.game_disabled"


def test_disabling_twice_changes_nothing_and_lifting_what_is_not_there_is_refused(
    db, clock, brands
):
    first = _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="sweet-7",
        scope="global",
        reason="first reason",
    )
    before = _footprint(db)
    again = _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="sweet-7",
        scope="global",
        reason="second reason",
    )
    assert again == first
    assert _footprint(db) == before
    with pytest.raises(DomainError) as refused:
        _change(
            db,
            clock,
            "enable_game",
            provider="acme",
            game_code="sweet-7",
            scope="jurisdiction",
            scope_value="GB",
            reason="wrong scope",
        )
    assert (refused.value.code, refused.value.status) == ("gamecontrol.control_not_found", 404)
    assert _footprint(db) == before


def test_a_stake_cap_holds_per_game_jurisdiction_and_currency_in_open_rounds_too(db, clock, brands):
    brand, _ = brands
    cap = {"provider": "acme", "game_code": "sweet-7", "jurisdiction_code": "GB"}
    _change(
        db,
        clock,
        "set_stake_cap",
        **cap,
        currency_code="GBP",
        max_stake=2 * GBP,
        reason="high volatility title",
    )

    gb = {"brand": brand, "where": "GB", "cur": "GBP"}
    assert _refusal(db, clock, **gb, stake=2 * GBP) is None
    assert _refusal(db, clock, **gb, stake=2 * GBP + 1) == "gamecontrol.stake_above_game_cap"
    assert _refusal(db, clock, **gb, stake=3 * GBP, new_round=False) == (
        "gamecontrol.stake_above_game_cap"
    )
    assert _refusal(db, clock, **gb, stake=None) is None  # a launch: no stake yet
    assert _refusal(db, clock, brand=brand, where="MT", stake=9 * GBP) is None
    assert _refusal(db, clock, **{**gb, "cur": "EUR"}, stake=9 * GBP) is None
    assert _refusal(db, clock, **gb, game="other-game", stake=9 * GBP) is None

    raised = _change(
        db, clock, "set_stake_cap", **cap, currency_code="GBP", max_stake=4 * GBP, reason="reviewed"
    )
    assert raised.max_stake == 4 * GBP
    assert _refusal(db, clock, **gb, stake=3 * GBP) is None
    with db.read_only() as s:
        newest = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")[0]
    assert newest.action == "gamecontrol.stake_cap_set"
    assert (newest.before["max_stake"], newest.after["max_stake"]) == (2 * GBP, 4 * GBP)

    _change(db, clock, "remove_stake_cap", **cap, currency_code="GBP", reason="no longer needed")
    assert _refusal(db, clock, **gb, stake=9 * GBP) is None


def test_the_tightest_cap_wins_between_a_game_and_its_provider(db, clock, brands):
    brand, _ = brands
    for game, cap in (("sweet-7", 3 * GBP), ("*", 2 * GBP)):
        _change(
            db,
            clock,
            "set_stake_cap",
            provider="acme",
            game_code=game,
            jurisdiction_code="GB",
            currency_code="GBP",
            max_stake=cap,
            reason="caps",
        )
    with pytest.raises(StakeAboveGameCap) as refused:
        _check(db, clock, brand=brand, where="GB", cur="GBP", stake=2 * GBP + 1)
    assert refused.value.extra["cap"] == 2 * GBP


GAME = {"provider": "acme", "game_code": "x"}
CAP = {**GAME, "jurisdiction_code": "GB", "currency_code": "GBP"}


@pytest.mark.parametrize(
    ("verb", "fields", "code"),
    [
        (
            "disable_game",
            {**GAME, "provider": "Acme!", "scope": "global"},
            "gamecontrol.invalid_game",
        ),
        (
            "disable_game",
            {**GAME, "game_code": "a b", "scope": "global"},
            "gamecontrol.invalid_game",
        ),
        ("disable_game", {**GAME, "scope": "planet"}, "gamecontrol.invalid_scope"),
        (
            "disable_game",
            {**GAME, "scope": "global", "scope_value": "GB"},
            "gamecontrol.invalid_scope",
        ),
        ("disable_game", {**GAME, "scope": "brand"}, "gamecontrol.invalid_scope"),
        (
            "disable_game",
            {**GAME, "scope": "brand", "scope_value": "brd_x"},
            "players.brand_not_found",
        ),
        (
            "disable_game",
            {**GAME, "scope": "jurisdiction", "scope_value": "XX"},
            "jurisdiction.unknown",
        ),
        (
            "disable_game",
            {**GAME, "scope": "global", "reason": "  "},
            "gamecontrol.reason_required",
        ),
        ("suspend_gaming", {"scope": "global", "reason": "x" * 501}, "gamecontrol.reason_required"),
        ("set_stake_cap", {**CAP, "max_stake": 0}, "gamecontrol.invalid_stake_cap"),
        ("set_stake_cap", {**CAP, "max_stake": True}, "gamecontrol.invalid_stake_cap"),
        (
            "set_stake_cap",
            {**CAP, "currency_code": "XYZ", "max_stake": 5},
            "money.unknown_currency",
        ),
        (
            "set_stake_cap",
            {**CAP, "jurisdiction_code": "ZZ", "max_stake": 5},
            "jurisdiction.unknown",
        ),
        ("remove_stake_cap", CAP, "gamecontrol.control_not_found"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_changes_nothing(
    db, clock, brands, verb, fields, code
):
    before = _footprint(db)
    with pytest.raises(DomainError) as refused:
        _change(db, clock, verb, **{"reason": "a good reason", **fields})
    assert refused.value.code == code
    assert _footprint(db) == before


def test_the_check_a_stake_asks_is_one_query(db, clock, brands):
    brand, _ = brands
    _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="other",
        scope="global",
        reason="unrelated",
    )
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.read_engine, "before_cursor_execute", count)
    try:
        _check(db, clock, brand=brand, stake=GBP)
    finally:
        event.remove(db.read_engine, "before_cursor_execute", count)
    assert len([s for s in statements if "game_controls" in s]) == 1
    assert len(statements) <= 2  # SQLite's deferred BEGIN, if any, and the one query


def test_the_kill_switch_is_refused_before_a_disabled_game(db, clock, brands):
    brand, _ = brands
    _change(
        db,
        clock,
        "disable_game",
        provider="acme",
        game_code="sweet-7",
        scope="global",
        reason="broken",
    )
    _change(db, clock, "suspend_gaming", reason="all stop")
    with pytest.raises(GamingSuspended):
        _check(db, clock, brand=brand)
    _change(db, clock, "resume_gaming", reason="resume")
    with pytest.raises(GameDisabled):
        _check(db, clock, brand=brand)
