"""Every title of the catalogue: RTP at least 75 % in every configuration (GLI-19 §4.7.1),
within 85 %-99.5 % overall, a top award that can be won, and a PAR sheet from the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app
from croupier.products.rgs.games.catalogue import TITLES, par_sheets
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE


@pytest.mark.parametrize("code", sorted(TITLES))
def test_every_configuration_meets_the_rtp_rules_and_its_top_award_can_be_won(code):
    sheets = par_sheets(code)
    assert sheets, f"{code} lists no configuration"
    low, high = TITLE_RTP_RANGE
    for sheet in sheets:
        assert sheet.rtp >= MIN_RTP, sheet
        assert low <= sheet.rtp <= high, sheet
        assert sheet.max_probability > 0, sheet


@pytest.mark.parametrize("code", sorted(TITLES))
def test_games_math_prints_the_par_sheet(code):
    result = CliRunner().invoke(app, ["games", "math", code, "--json"])
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.stdout)
    assert sheet["code"] == code
    assert [c["rtp_exact"] for c in sheet["configurations"]] == [
        str(s.rtp) for s in par_sheets(code)
    ]


def test_games_list_and_an_unknown_title():
    listed = CliRunner().invoke(app, ["games", "list", "--json"])
    unknown = CliRunner().invoke(app, ["games", "math", "craps"])
    assert {row["code"] for row in json.loads(listed.stdout)} == set(TITLES)
    assert unknown.exit_code == 2
    assert "rgs.title_not_found" in unknown.stderr
