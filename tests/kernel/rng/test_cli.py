"""``croupier rng dump`` and ``croupier rng certify``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from croupier.kernel.rng import Rng, certify, cli
from croupier.kernel.rng.generator import CHUNK

from .byte_sources import ShakeSource

runner = CliRunner()


@pytest.mark.parametrize("size", [1, 1000, 3 * CHUNK + 5])
def test_dump_writes_exactly_the_bytes_asked_for(size: int) -> None:
    result = runner.invoke(cli.app, ["dump", "--bytes", str(size)])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout_bytes) == size


@pytest.mark.parametrize("size", ["0", "-5"])
def test_dump_refuses_a_size_that_is_not_positive_and_writes_nothing(size: str) -> None:
    result = runner.invoke(cli.app, ["dump", "--bytes", size])
    assert result.exit_code == 2
    assert "must be a positive number of bytes" in result.stderr
    assert result.stdout_bytes == b""


@pytest.fixture(autouse=True)
def no_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    # The plot is tested with the report; here it would only cost time.
    monkeypatch.setattr(certify, "write_plot", lambda _report, _path: False)


def certify_args(out: Path, *extra: str) -> list[str]:
    sizes = ["--sequences", "2", "--bits", "12000", "--draws", "200"]
    return ["certify", *sizes, "--out", str(out), *extra]


def test_certify_writes_the_reports_and_passes_a_good_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "default_rng", lambda: Rng(ShakeSource(b"cli")))
    result = runner.invoke(cli.app, certify_args(tmp_path), catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert "VERDICT: PASS" in result.stdout
    assert "matplotlib is not installed" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.txt"]

    as_json = runner.invoke(cli.app, certify_args(tmp_path, "--json"))
    summary = json.loads(as_json.stdout)
    assert summary["passed"] is True
    assert str(tmp_path / "report.json") in summary["files"]


def test_certify_exits_1_when_the_generator_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = ShakeSource(b"bias")
    ones_too_often = Rng(lambda size: bytes(b | 0x11 for b in good(size)))
    monkeypatch.setattr(cli, "default_rng", lambda: ones_too_often)
    result = runner.invoke(cli.app, certify_args(tmp_path, "--json"))
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout)["passed"] is False
