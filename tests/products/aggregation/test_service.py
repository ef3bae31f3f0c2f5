"""Registering game providers and their games; the catalogue with the in-house titles."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from croupier.kernel.audit import verify_audit_chain
from croupier.kernel.errors import DomainError
from croupier.kernel.models import AuditRecord
from croupier.products.aggregation import errors, service
from croupier.products.aggregation.models import GameProvider, ProviderGame
from croupier.products.rgs.games.catalogue import TITLES
from tests.products.aggregation.keys import ec_public_pem, rsa_public_pem


def _add_provider(db, clock, name="acme", **overrides):
    with db.unit_of_work() as s:
        return service.add_provider(
            s,
            clock,
            **{"name": name, "protocol": "caleta", "public_key_pem": rsa_public_pem(), **overrides},
            actor="test",
        )


def _count(db, model) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_provider_is_registered_with_its_key_fingerprint_and_audited(db, clock):
    view = _add_provider(db, clock)

    der = serialization.load_pem_public_key(rsa_public_pem()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert view.public_key_sha256 == hashlib.sha256(der).hexdigest()
    assert (view.name, view.protocol, view.enabled) == ("acme", "caleta", True)
    with db.read_only() as s:
        row = s.scalar(select(GameProvider))
        assert row.public_key_pem.encode() == rsa_public_pem()
        [audit] = s.scalars(select(AuditRecord).where(AuditRecord.action == "provider.added"))
        assert (audit.actor, audit.subject_id) == ("test", row.id)
        assert view.public_key_sha256 in audit.after
        assert verify_audit_chain(s)[1] == []
    assert [p.name for p in _list_providers(db)] == ["croupier", "acme"]


def _list_providers(db):
    with db.read_only() as s:
        return service.list_providers(s)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"public_key_pem": b"not a key"}, "aggregation.invalid_public_key"),
        ({"public_key_pem": ec_public_pem()}, "aggregation.invalid_public_key"),
        ({"public_key_pem": rsa_public_pem(1024)}, "aggregation.public_key_too_short"),
        ({"protocol": "softswiss"}, "aggregation.unsupported_protocol"),
        ({"protocol": "soap"}, "aggregation.unsupported_protocol"),
        ({"name": "croupier"}, "aggregation.provider_name_reserved"),
        ({"name": "Acme Games"}, "aggregation.invalid_provider_name"),
        ({"name": "acme/../x"}, "aggregation.invalid_provider_name"),
    ],
)
def test_a_bad_provider_is_refused_and_nothing_is_stored(db, clock, overrides, code):
    with pytest.raises(DomainError) as refused:
        _add_provider(db, clock, **overrides)

    assert refused.value.code == code
    assert _count(db, GameProvider) == 0
    assert _count(db, AuditRecord) == 0


def test_a_duplicate_provider_name_is_refused_and_the_first_key_kept(db, clock):
    first = _add_provider(db, clock)

    with pytest.raises(errors.ProviderExists):
        _add_provider(db, clock, public_key_pem=rsa_public_pem(3072))

    assert [p.public_key_sha256 for p in _list_providers(db)[1:]] == [first.public_key_sha256]
    assert _count(db, AuditRecord) == 1


def _add_game(db, clock, **overrides):
    with db.unit_of_work() as s:
        return service.add_game(
            s,
            clock,
            **{"provider": "acme", "code": "sweet-7", "name": "Sweet 7", **overrides},
            actor="test",
        )


def test_a_game_is_added_with_its_rules_and_audited(db, clock):
    _add_provider(db, clock)

    game = _add_game(
        db,
        clock,
        category="slots",
        rtp="96.50",
        jurisdictions=["mt", "GB"],
        blocked_countries=["us", "FR"],
    )

    assert (game.provider, game.code, game.name, game.category) == (
        "acme",
        "sweet-7",
        "Sweet 7",
        "slots",
    )
    assert (game.rtp, game.jurisdictions, game.blocked_countries) == (
        "96.5",
        ["GB", "MT"],
        ["FR", "US"],
    )
    with db.read_only() as s:
        assert (
            s.scalar(select(func.count()).where(AuditRecord.action == "provider_game.added")) == 1
        )
    # The default category, for a game added with nothing more than the CLI's required options.
    assert _add_game(db, clock, code="other-1").category == "other"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"provider": "nobody"}, errors.ProviderNotFound),
        ({"provider": "croupier"}, errors.ProviderNameReserved),
        ({"category": "bingo-hall"}, errors.UnknownCategory),
        ({"code": "has space"}, errors.InvalidGameCode),
        ({"name": "  "}, errors.InvalidGameName),
        ({"rtp": "101"}, errors.InvalidRtp),
        ({"rtp": "0"}, errors.InvalidRtp),
        ({"rtp": "ninety"}, errors.InvalidRtp),
        ({"rtp": "NaN"}, errors.InvalidRtp),
        ({"jurisdictions": ["XX"]}, errors.UnknownJurisdiction),
        ({"blocked_countries": ["UK"]}, errors.UnknownCountry),
    ],
)
def test_a_bad_game_is_refused_and_nothing_is_stored(db, clock, overrides, error):
    _add_provider(db, clock)

    with pytest.raises(error):
        _add_game(db, clock, **overrides)

    assert _count(db, ProviderGame) == 0
    assert _count(db, AuditRecord) == 1  # the provider's


def test_a_duplicate_game_code_is_refused_per_provider_only(db, clock):
    _add_provider(db, clock)
    _add_provider(db, clock, name="other-studio")
    _add_game(db, clock)

    with pytest.raises(errors.GameExists):
        _add_game(db, clock, name="Another title")
    _add_game(db, clock, provider="other-studio")

    with db.read_only() as s:
        names = s.scalars(select(ProviderGame.name).order_by(ProviderGame.name)).all()
    assert names == ["Sweet 7", "Sweet 7"]


def test_the_catalogue_lists_the_in_house_titles_as_provider_croupier(db, clock):
    _add_provider(db, clock)
    _add_game(db, clock, category="slots", rtp="96.1")
    _add_game(db, clock, code="lightning-table", name="Lightning Table", category="live")

    with db.read_only() as s:
        everything = service.catalogue(s)
        in_house = service.catalogue(s, provider="croupier")
        acme = service.catalogue(s, provider="acme")
        slots = service.catalogue(s, category="slots")
        with pytest.raises(errors.ProviderNotFound):
            service.catalogue(s, provider="nobody")
        with pytest.raises(errors.UnknownCategory):
            service.catalogue(s, category="bingo-hall")

    assert {g.code for g in in_house} == set(TITLES)
    assert all(g.in_house and g.provider == "croupier" for g in in_house)
    assert {(g.code, g.category) for g in in_house} >= {
        ("dice", "instant"),
        ("crash", "crash"),
        ("roulette-european", "table"),
        ("jacks-or-better", "video-poker"),
        ("golden-reef", "slots"),
    }
    assert "other" not in {g.category for g in in_house}  # every mechanic has its category
    assert [g.code for g in acme] == ["lightning-table", "sweet-7"]
    assert everything == in_house + acme
    assert {g.provider for g in slots} == {"croupier", "acme"}
    assert all(g.category == "slots" for g in slots)


def test_the_catalogue_leaves_out_a_disabled_providers_games_unless_asked(db, clock):
    _add_provider(db, clock)
    _add_game(db, clock)
    with db.unit_of_work() as s:
        s.scalar(select(GameProvider)).enabled = False

    with db.read_only() as s:
        assert service.catalogue(s, provider="acme") == []
        [game] = service.catalogue(s, provider="acme", include_disabled=True)
    assert not game.enabled
