"""`croupier fair verify`, `croupier fair commit` and the public endpoint give what an
independent implementation of PROTOCOLS.md §1, written here from the text, computes."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app
from tests.core.players.player_fixtures import assert_problem
from tests.http_fixtures import make_client

CARDS = [r + s for r in "23456789TJQKA" for s in "DHSC"]


def _numbers(server_seed: str, client_seed: str, nonce: int):
    """The 4-byte numbers of the stream, straight from the protocol text."""
    r = 0
    while True:
        digest = hmac.new(
            server_seed.encode(), f"{client_seed}:{nonce}:{r}".encode(), hashlib.sha256
        ).digest()
        for i in range(0, 32, 4):
            yield int.from_bytes(digest[i : i + 4], "big")
        r += 1


def reference(game: str, s: str, c: str, n: int, **p) -> dict:
    k = _numbers(s, c, n)

    def pick(m: int) -> int:
        return next(k) * m // 2**32

    def draw(items: list, how_many: int) -> list:
        left, out = list(items), []
        for _ in range(how_many):
            out.append(left.pop(pick(len(left))))
        return out

    if game == "dice":
        return {"roll": pick(10001) / 100}
    if game == "roulette":
        return {"pocket": pick(37)}
    if game == "limbo":
        x = next(k)
        return {"multiplier": (99 * 2**32 if x == 0 else max(100, 99 * 2**32 // x)) / 100}
    if game == "cards":
        return {"cards": [CARDS[pick(52)] for _ in range(p.get("count", 52))]}
    if game == "deck":
        return {"cards": draw(CARDS, p.get("count", 52))}
    if game == "tower":  # croupier's tower mapping: each floor's traps, drawn as mines are
        tiles, traps = {"easy": (4, 1), "medium": (3, 1), "hard": (2, 1), "expert": (3, 2),
                        "master": (4, 3)}[p.get("difficulty", "medium")]  # fmt: skip
        return {"traps": [draw(list(range(tiles)), traps) for _ in range(9)]}
    if game == "keno":
        return {"drawn": draw(list(range(1, 41)), 10)}
    if game == "mines":
        return {"mines": draw(list(range(25)), p.get("mines", 3))}
    if game == "plinko":
        path = [pick(2) for _ in range(p.get("rows", 16))]
        return {"path": path, "slot": sum(path)}
    return {"segment": pick(p.get("segments", 10))}


def _seeds(rng: random.Random) -> tuple[str, str, int]:
    return rng.randbytes(32).hex(), f"client-{rng.randrange(10**6)}", rng.randrange(5000)


CASES = [
    ("dice", {}), ("roulette", {}), ("limbo", {}), ("cards", {}), ("cards", {"count": 6}),
    ("deck", {}), ("deck", {"count": 5}), ("tower", {}), ("tower", {"difficulty": "master"}),
    ("keno", {}), ("mines", {}), ("mines", {"mines": 24}), ("plinko", {}),
    ("plinko", {"rows": 8}), ("wheel", {}), ("wheel", {"segments": 54}),
]  # fmt: skip
OPTION = {
    "count": "--count", "mines": "--mines", "rows": "--rows", "segments": "--segments",
    "difficulty": "--difficulty",
}  # fmt: skip


@pytest.mark.parametrize(("game", "params"), CASES)
def test_the_cli_matches_an_independent_implementation(game, params):
    rng = random.Random(f"{game}{params}")
    runner = CliRunner()
    for _ in range(20):
        s, c, n = _seeds(rng)
        args = ["fair", "verify", game, "--server-seed", s, "--client-seed", c]
        args += ["--nonce", str(n), "--json"]
        for name, value in params.items():
            args += [OPTION[name], str(value)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == reference(game, s, c, n, **params)


def test_the_installed_command_prints_the_published_shape():
    script = Path(sys.executable).with_name("croupier")
    seed = "ab" * 32
    out = subprocess.run(
        [str(script), "fair", "verify", "dice", "--server-seed", seed, "--client-seed",
         "hello", "--nonce", "0", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    commit = subprocess.run(
        [str(script), "fair", "commit", "--server-seed", seed, "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert json.loads(out) == reference("dice", seed, "hello", 0)
    assert json.loads(commit) == {"hash": hashlib.sha256(seed.encode()).hexdigest()}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["dice", "--server-seed", "AB" * 32], "rgs.invalid_server_seed"),
        (["dice", "--server-seed", "ab" * 31], "rgs.invalid_server_seed"),
        (["dice", "--client-seed", "a:b"], "rgs.invalid_client_seed"),
        (["craps"], "rgs.invalid_fair_parameter"),
        (["mines", "--mines", "25"], "rgs.invalid_fair_parameter"),
        (["plinko", "--rows", "7"], "rgs.invalid_fair_parameter"),
        (["dice", "--nonce", "-1"], "rgs.invalid_fair_parameter"),
    ],
)
def test_bad_input_is_an_error_with_a_stable_code_and_no_output(args, code):
    base = {"--server-seed": "ab" * 32, "--client-seed": "hello", "--nonce": "0"}
    game, rest = args[0], dict(zip(args[1::2], args[2::2], strict=True))
    merged = {**base, **rest}
    argv = ["fair", "verify", game, *[x for kv in merged.items() for x in kv], "--json"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert code in result.stderr


def test_the_public_endpoint_and_page_verify_without_an_account(db, clock):
    rng = random.Random(3)
    with make_client(db, clock) as anonymous:
        for game, params in CASES:
            s, c, n = _seeds(rng)
            query = {"game": game, "server_seed": s, "client_seed": c, "nonce": n, **params}
            body = anonymous.get("/api/v1/fair/verify", params=query).json()
            assert body == {
                "game": game,
                "nonce": n,
                "commitment": hashlib.sha256(s.encode()).hexdigest(),
                "outcome": reference(game, s, c, n, **params),
            }
        bad = anonymous.get(
            "/api/v1/fair/verify",
            params={"game": "dice", "server_seed": "XY" * 32, "client_seed": "c", "nonce": 0},
        )
        page = anonymous.get("/fair")
    assert_problem(bad, 422, "rgs.invalid_server_seed")
    assert page.status_code == 200
    assert "/api/v1/fair/verify" in page.text


def test_the_public_endpoint_is_rate_limited_per_ip(db, clock):
    query = {"game": "dice", "server_seed": "ab" * 32, "client_seed": "c", "nonce": 0}
    with make_client(db, clock, rate_limit_fair_verify_per_ip=3) as anonymous:
        answers = [anonymous.get("/api/v1/fair/verify", params=query) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_problem(answers[-1], 429, "rate_limited")


def test_a_slot_round_with_its_free_spins_verifies_spin_by_spin():
    # Find rounds that trigger free spins; every spin's stops, base first, are what
    # `croupier fair verify slots --title T --spins K` prints.
    from croupier.products.rgs.fair import NumberStream, RoundSeeds
    from croupier.products.rgs.games.base import Action
    from croupier.products.rgs.games.catalogue import TITLES

    title = TITLES["dragons-hoard"]  # free spins on strips of their own
    rng = random.Random(21)
    checked = 0
    for _ in range(3000):
        s, c, n = _seeds(rng)
        first = title.replay(NumberStream(RoundSeeds(s, c, n)), {}, [])
        won = first.view["free_spins_won"]
        if not won:
            continue
        stops = [first.view["stops"]]
        for k in range(1, won + 1):
            step = title.replay(NumberStream(RoundSeeds(s, c, n)), {}, [Action("spin")] * k)
            stops.append(step.view["stops"])
        result = CliRunner().invoke(
            app,
            ["fair", "verify", "slots", "--title", "dragons-hoard", "--spins", str(won + 1),
             "--server-seed", s, "--client-seed", c, "--nonce", str(n), "--json"],
        )  # fmt: skip
        assert json.loads(result.stdout) == {"spins": stops}
        checked += 1
        if checked == 3:
            break
    assert checked == 3


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--title", "dice"], "rgs.invalid_fair_parameter"),
        ([], "rgs.invalid_fair_parameter"),
        (["--title", "lucky-sevens", "--spins", "0"], "rgs.invalid_fair_parameter"),
    ],
)
def test_slots_verification_needs_a_slot_title_and_a_sane_number_of_spins(args, code):
    result = CliRunner().invoke(
        app,
        ["fair", "verify", "slots", *args, "--server-seed", "ab" * 32, "--client-seed", "c",
         "--nonce", "0", "--json"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert code in result.stderr


def test_tower_verification_needs_a_known_difficulty():
    result = CliRunner().invoke(
        app,
        ["fair", "verify", "tower", "--difficulty", "insane", "--server-seed", "ab" * 32,
         "--client-seed", "c", "--nonce", "0", "--json"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "rgs.invalid_fair_parameter" in result.stderr
