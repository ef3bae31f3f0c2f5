"""Sanctions screening: real list formats, fuzzy names, cases, and held accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from croupier.core.players import PlayerStatus, get_player
from croupier.policy.compliance import errors
from croupier.policy.compliance.cases import CaseKind, open_cases_of
from croupier.policy.compliance.models import SanctionsEntry
from croupier.policy.compliance.sanctions import (
    ListFormat,
    ListPurpose,
    load_list,
    rescreen_all,
    screen_name,
    screen_player,
)
from tests.core.players.player_fixtures import assert_problem, footprint, make_brand, registration
from tests.http_fixtures import make_client, operator_token
from tests.policy.policy_fixtures import player_in

DATA = Path(__file__).with_name("data")


def _load(db, clock, name="un", fmt=ListFormat.UN_XML, file="un_consolidated.xml"):
    with db.unit_of_work() as s:
        return load_list(s, clock, name, (DATA / file).read_bytes(), fmt, actor="test")


@pytest.fixture
def lists(db, clock):
    _load(db, clock)
    _load(db, clock, "ofac-sdn", ListFormat.OFAC_CSV, "sdn.csv")


def _screen(db, name):
    with db.read_only() as s:
        return screen_name(s, name)


def test_both_public_formats_load_every_name_and_alias(db, clock):
    assert _load(db, clock) == 5  # 2 individuals + 1 alias, 1 entity + 1 alias
    assert _load(db, clock, "ofac-sdn", ListFormat.OFAC_CSV, "sdn.csv") == 2


@pytest.mark.parametrize(
    "name",
    [
        "Ivan Petrovich Sidorenco",  # one letter off
        "Sidorenko Ivan Petrovich",  # another word order
        "Иван Петрович Сидоренко",  # Cyrillic
        "ivan  petrovich   SIDORENKO",
        "Bohdan Yaroslavovych Kovalenko",  # OFAC writes "KOVALENKO, Bohdan ..."
    ],
)
def test_a_listed_name_is_caught_despite_typos_order_case_and_script(db, lists, name):
    assert _screen(db, name), name


@pytest.mark.parametrize("name", ["John Smith", "Ivan Petrov", "Maria Castellanos", "Ada Lovelace"])
def test_a_common_or_merely_similar_name_is_not_caught(db, lists, name):
    assert _screen(db, name) == []


def test_a_hit_opens_one_case_and_holds_the_account(db, clock, lists):
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        # A name change is not built for players; set it as support would, then screen.
        from croupier.core.players.models import Player

        s.get(Player, player.id).legal_name = "Ivan Petrovich Sidorenco"
    with db.unit_of_work() as s:
        first = screen_player(s, clock, player.id, trigger="test")
    with db.unit_of_work() as s:
        again = screen_player(s, clock, player.id, trigger="test")

    assert first
    assert again
    with db.read_only() as s:
        [case] = open_cases_of(s, player.id, CaseKind.SANCTIONS)
        assert case.details["hits"][0]["reference"] == "QDi.901"
        assert get_player(s, player.id, brand_scope=None).status is PlayerStatus.SUSPENDED


def test_registration_screens_the_new_player(db, clock, lists):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        registered = c.post(
            "/api/v1/auth/register",
            json=registration(legal_name="Marguerite Olufunmilayo Castellanos Brandt"),
        ).json()
        clean = c.post(
            "/api/v1/auth/register",
            json=registration(email="ada.king@example.com", legal_name="Ada King"),
        )
        assert clean.status_code == 201, clean.text
        clean = clean.json()

    with db.read_only() as s:
        assert get_player(s, registered["id"], brand_scope=None).status is PlayerStatus.SUSPENDED
        assert len(open_cases_of(s, registered["id"], CaseKind.SANCTIONS)) == 1
        assert get_player(s, clean["id"], brand_scope=None).status is (
            PlayerStatus.PENDING_VERIFICATION
        )
        assert open_cases_of(s, clean["id"], CaseKind.SANCTIONS) == []


def test_reloading_a_list_screens_every_player_again(db, clock):
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        from croupier.core.players.models import Player

        s.get(Player, player.id).legal_name = "Bohdan Kovalenko Yaroslavovych"
    with db.unit_of_work() as s:
        assert rescreen_all(s, clock) == 0  # nothing loaded yet
    _load(db, clock, "ofac-sdn", ListFormat.OFAC_CSV, "sdn.csv")

    with db.unit_of_work() as s:
        assert rescreen_all(s, clock) == 1


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"<NOT_A_LIST/>", ListFormat.UN_XML),
        (b"<CONSOLIDATED_LIST><INDIVIDUALS>", ListFormat.UN_XML),
        (b"name,only\n", ListFormat.OFAC_CSV),
        (b"<CONSOLIDATED_LIST></CONSOLIDATED_LIST>", ListFormat.UN_XML),
    ],
)
def test_an_unreadable_list_is_refused_and_the_loaded_one_stays(db, clock, content, fmt):
    _load(db, clock)
    with pytest.raises(errors.InvalidSanctionsList), db.unit_of_work() as s:
        load_list(s, clock, "un", content, fmt, actor="test")
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(SanctionsEntry)) == 5


# -- the cases API ---------------------------------------------------------------------------


@pytest.fixture
def held(db, clock, lists):
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        from croupier.core.players.models import Player

        s.get(Player, player.id).legal_name = "Ivan Sidorenko Petrovich"
    with db.unit_of_work() as s:
        screen_player(s, clock, player.id, trigger="test")
        [case] = open_cases_of(s, player.id, CaseKind.SANCTIONS)
    return case


def test_compliance_works_a_case_to_closure_with_notes_and_an_export(db, clock, held):
    token = operator_token(db, clock, "compliance")
    with make_client(db, clock, token=token) as c:
        listed = c.get("/api/v1/backoffice/cases?kind=sanctions&state=open").json()
        moved = c.patch(
            f"/api/v1/backoffice/cases/{held.id}",
            json={"state": "investigating", "note": "asked for ID documents"},
        )
        close_without_note = c.patch(
            f"/api/v1/backoffice/cases/{held.id}", json={"state": "closed_no_action"}
        )
        closed = c.patch(
            f"/api/v1/backoffice/cases/{held.id}",
            json={"state": "closed_no_action", "note": "different date of birth: false positive"},
        )
        reopened = c.patch(f"/api/v1/backoffice/cases/{held.id}", json={"state": "open"})
        export = c.get(f"/api/v1/backoffice/cases/{held.id}/export")

    assert [case["id"] for case in listed] == [held.id]
    assert moved.json()["state"] == "investigating"
    assert_problem(close_without_note, 422, "request.invalid")
    assert closed.json()["state"] == "closed_no_action"
    assert [n["text"] for n in closed.json()["notes"]][-1].startswith("different date")
    assert_problem(reopened, 422, "compliance.invalid_case_transition")
    assert export.json()["subject"]["legal_name"] == "Ivan Sidorenko Petrovich"
    assert export.json()["case"]["details"]["hits"]


def test_support_staff_cannot_see_cases(db, clock, held):
    support = operator_token(db, clock, "support", brand_id=held_brand(db, held))
    before = footprint(db)
    with make_client(db, clock, token=support) as c:
        response = c.get(f"/api/v1/backoffice/cases/{held.id}")
    assert_problem(response, 403, "auth.permission_denied")
    assert footprint(db) == before


def held_brand(db, case) -> str:
    with db.read_only() as s:
        return get_player(s, case.player_id, brand_scope=None).brand_id


def test_a_pep_hit_opens_a_due_diligence_case_and_leaves_the_account_open(db, clock):
    with db.unit_of_work() as s:
        load_list(
            s,
            clock,
            "pep",
            (DATA / "pep.csv").read_bytes(),
            ListFormat.OFAC_CSV,
            actor="test",
            purpose=ListPurpose.PEP,
        )
    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        from croupier.core.players.models import Player

        s.get(Player, player.id).legal_name = "Cordelia Amaranth Vanterpool"
    with db.unit_of_work() as s:
        hits = screen_player(s, clock, player.id, trigger="test")

    assert [h.purpose for h in hits] == [ListPurpose.PEP]
    with db.read_only() as s:
        [case] = open_cases_of(s, player.id, CaseKind.PEP)
        assert case.title.startswith("PEP screening")
        assert open_cases_of(s, player.id, CaseKind.SANCTIONS) == []
        assert get_player(s, player.id, brand_scope=None).status is PlayerStatus.ACTIVE


def test_a_name_corrected_by_staff_is_screened_again(db, clock, lists):
    make_brand(db, clock)
    compliance = operator_token(db, clock, "compliance")
    with make_client(db, clock, token=compliance) as c:
        player = c.post("/api/v1/auth/register", json=registration()).json()
        corrected = c.patch(
            f"/api/v1/backoffice/players/{player['id']}/identity",
            json={"legal_name": "Ivan Petrovich Sidorenko", "reason": "passport checked"},
        )
        no_reason = c.patch(
            f"/api/v1/backoffice/players/{player['id']}/identity",
            json={"legal_name": "Someone", "reason": ""},
        )
        future = c.patch(
            f"/api/v1/backoffice/players/{player['id']}/identity",
            json={"date_of_birth": "2099-01-01", "reason": "typo"},
        )

    assert corrected.status_code == 200, corrected.text
    assert_problem(no_reason, 422, "request.invalid")
    assert_problem(future, 422, "players.invalid_date_of_birth")
    with db.read_only() as s:
        [case] = open_cases_of(s, player["id"], CaseKind.SANCTIONS)
        assert case.details["trigger"] == "name_change"
        assert get_player(s, player["id"], brand_scope=None).status is PlayerStatus.SUSPENDED
