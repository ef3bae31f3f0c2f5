"""``croupier provider`` and ``croupier game``, run as the real command in a subprocess."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.app.test_cli import Croupier, _copy_database
from tests.products.aggregation.keys import ec_public_pem, rsa_public_pem


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("migrated") / "croupier.db"
    done = Croupier(database)("db", "upgrade")
    assert done.returncode == 0, done.stderr
    return database


@pytest.fixture
def croupier(migrated: Path, tmp_path: Path) -> Croupier:
    return Croupier(_copy_database(migrated, tmp_path / "croupier.db"))


def _pem_file(tmp_path: Path, pem: bytes, name: str = "provider.pem") -> str:
    path = tmp_path / name
    path.write_bytes(pem)
    return str(path)


def test_provider_add_and_game_add_fill_the_catalogue_and_are_audited(croupier, tmp_path):
    pem = _pem_file(tmp_path, rsa_public_pem())

    provider = croupier.json("provider", "add", "acme", "--protocol", "caleta", "--public-key", pem)
    game = croupier.json(
        "game", "add", "--provider", "acme", "--code", "sweet-7", "--name", "Sweet 7",
        "--category", "slots",
    )  # fmt: skip
    providers = croupier.json("provider", "list")
    acme_games = croupier.json("game", "list", "--provider", "acme")
    everything = croupier.json("game", "list")

    assert provider["name"] == "acme"
    assert provider["protocol"] == "caleta"
    assert len(provider["public_key_sha256"]) == 64
    assert [p["name"] for p in providers["providers"]] == ["croupier", "acme"]
    assert (game["provider"], game["code"], game["name"], game["category"]) == (
        "acme",
        "sweet-7",
        "Sweet 7",
        "slots",
    )
    assert acme_games["games"] == [game]
    assert everything["games"][-1] == game
    assert {g["provider"] for g in everything["games"][:-1]} == {"croupier"}
    assert croupier.query("SELECT action, actor LIKE 'cli:%' FROM audit_log ORDER BY seq") == [
        ("provider.added", 1),
        ("provider_game.added", 1),
    ]
    assert croupier.query("SELECT public_key_sha256 FROM game_providers") == [
        (provider["public_key_sha256"],)
    ]


@pytest.mark.parametrize(
    ("name", "pem", "protocol", "code"),
    [
        ("croupier", rsa_public_pem(), "caleta", "aggregation.provider_name_reserved"),
        ("acme", ec_public_pem(), "caleta", "aggregation.invalid_public_key"),
        ("acme", rsa_public_pem(), "softswiss", "aggregation.unsupported_protocol"),
    ],
)
def test_provider_add_refuses_with_a_stable_code_and_stores_nothing(
    croupier, tmp_path, name, pem, protocol, code
):
    done = croupier(
        "provider", "add", name, "--protocol", protocol, "--public-key", _pem_file(tmp_path, pem)
    )

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {code}: "), done.stderr
    assert croupier.query("SELECT count(*) FROM game_providers") == [(0,)]
    assert croupier.query("SELECT count(*) FROM audit_log") == [(0,)]


def test_game_add_refuses_an_unknown_provider_a_bad_category_and_a_duplicate(croupier, tmp_path):
    unknown = croupier("game", "add", "--provider", "nobody", "--code", "x", "--name", "X")
    pem = _pem_file(tmp_path, rsa_public_pem())
    assert croupier("provider", "add", "acme", "--protocol", "caleta", "--public-key", pem)
    add = ("game", "add", "--provider", "acme", "--code", "sweet-7", "--name", "Sweet 7")
    bad_category = croupier(*add, "--category", "bingo-hall")
    first = croupier(*add)
    duplicate = croupier(*add, "--category", "slots")

    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: aggregation.provider_not_found: ")
    assert bad_category.returncode == 2
    assert bad_category.stderr.startswith("error: aggregation.unknown_category: ")
    assert first.returncode == 0, first.stderr
    assert duplicate.returncode == 2
    assert duplicate.stderr.startswith("error: aggregation.game_exists: ")
    assert croupier.query("SELECT code, category FROM provider_games") == [("sweet-7", "other")]


def _sandbox_player_and_game(croupier, tmp_path, *provider_options: str) -> str:
    """A demo brand with a sandbox player, and provider acme with game sweet-7; answers the
    player's id."""
    assert croupier(
        "brand", "create", "--code", "demo", "--name", "Demo", "--currencies", "EUR",
        "--jurisdictions", "MT",
    ).returncode == 0  # fmt: skip
    player = croupier.json("dev", "player")
    pem = _pem_file(tmp_path, rsa_public_pem())
    assert croupier.json(
        "provider", "add", "acme", "--protocol", "caleta", "--public-key", pem, *provider_options
    )
    assert croupier.json("game", "add", "--provider", "acme", "--code", "sweet-7", "--name", "S7")
    return player["player_id"]


def test_provider_add_takes_a_launch_url_and_refuses_a_bad_one(croupier, tmp_path):
    pem = _pem_file(tmp_path, rsa_public_pem())

    bad = croupier(
        "provider", "add", "acme", "--protocol", "caleta", "--public-key", pem,
        "--launch-url", "ftp://games.acme.example/",
    )  # fmt: skip
    good = croupier.json(
        "provider", "add", "acme", "--protocol", "caleta", "--public-key", pem,
        "--launch-url", "https://games.acme.example/launch",
    )  # fmt: skip

    assert bad.returncode == 2
    assert bad.stderr.startswith("error: aggregation.invalid_launch_url: "), bad.stderr
    assert good["launch_url"] == "https://games.acme.example/launch"
    assert croupier.query("SELECT launch_url FROM game_providers") == [
        ("https://games.acme.example/launch",)
    ]


def test_dev_game_session_prints_a_token_stored_only_as_its_hash_and_audited(croupier, tmp_path):
    player_id = _sandbox_player_and_game(croupier, tmp_path)

    issued = croupier.json(
        "dev", "game-session", "--player", player_id, "--provider", "acme", "--game", "sweet-7"
    )

    digest = hashlib.sha256(issued["token"].encode()).hexdigest()
    assert croupier.query(
        "SELECT id, player_id, token_sha256, superseded_at FROM game_sessions"
    ) == [(issued["session_id"], player_id, digest, None)]
    assert croupier.query(
        "SELECT actor LIKE 'cli:%', subject_id FROM audit_log WHERE action = 'game_session.issued'"
    ) == [(1, issued["session_id"])]
    assert issued["token"] not in json.dumps(croupier.query("SELECT * FROM audit_log"))


def test_dev_game_session_is_refused_in_production_and_for_an_unknown_game(croupier, tmp_path):
    player_id = _sandbox_player_and_game(croupier, tmp_path)
    audited = croupier.query("SELECT count(*) FROM audit_log")
    command = ("dev", "game-session", "--player", player_id, "--provider", "acme")

    production = croupier(*command, "--game", "sweet-7", CROUPIER_ENV="production")
    unknown = croupier(*command, "--game", "sour-8")

    assert production.returncode == 2
    assert production.stderr.startswith("error: sandbox.unavailable: "), production.stderr
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: aggregation.game_not_found: "), unknown.stderr
    assert croupier.query("SELECT count(*) FROM game_sessions") == [(0,)]
    assert croupier.query("SELECT count(*) FROM audit_log") == audited
