"""The jurisdiction rule base: every data file complete, well-formed and sourced."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from croupier.kernel.jurisdictions import (
    DATA_FOLDER,
    FIGURES,
    JURISDICTIONS,
    JurisdictionDataError,
    RegionRequired,
    UnknownJurisdiction,
    jurisdiction_of_residence,
    load_jurisdiction,
    load_jurisdictions,
)

REQUIRED = {
    "GB", "MT", "CW", "IE", "CA-ON", "US-NJ", "US-PA", "US-MI",
    "SE", "DK", "DE", "ES", "IT", "NL", "FR", "BR",
}  # fmt: skip


def test_the_rule_base_covers_every_required_jurisdiction():
    assert set(JURISDICTIONS) >= REQUIRED


@pytest.mark.parametrize("path", sorted(DATA_FOLDER.glob("*.toml")), ids=lambda p: p.stem)
def test_every_data_file_is_complete_well_formed_and_sources_every_figure(path):
    raw = tomllib.loads(path.read_text())
    rules = load_jurisdiction(path)

    assert path.stem == rules.code
    for figure in FIGURES:
        assert rules.sources[figure].strip(), f"{path.name}: {figure} has no source"
    # Every field of the model is written out, except optional figures meaning "none".
    optional = {"region", "national_register", "reality_check_minutes", "slot_min_cycle_ms",
                "other_game_min_interval_ms", "slot_max_stake", "slot_max_stake_young_adult",
                "young_adult_max_age", "unverified", "notes"}  # fmt: skip
    assert set(type(rules).model_fields) - set(raw) <= optional


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _gb_text() -> str:
    return (DATA_FOLDER / "GB.toml").read_text()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("minimum_age = 18", "minimum_age = 12"), "minimum_age"),
        (lambda t: t + '\nfavourite_colour = "red"\n', "favourite_colour"),
        (
            lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("ggr_tax_percent")),
            "ggr_tax_percent",
        ),
        (lambda t: t.replace("\nminimum_age = 18\n", "\n"), "minimum_age"),
        (lambda t: t.replace("[sources]", '[sources]\nnot_a_figure = "x"'), "unknown figures"),
        (lambda t: t + "\n[[[", "GB.toml"),
    ],
    ids=[
        "out of range",
        "unknown field",
        "missing figure",
        "missing age",
        "stray source",
        "not TOML",
    ],
)
def test_a_broken_data_file_is_refused_with_its_name_and_the_reason(tmp_path, mutate, message):
    _write(tmp_path, "GB.toml", mutate(_gb_text()))

    with pytest.raises(JurisdictionDataError) as exc_info:
        load_jurisdictions(tmp_path)

    assert "GB.toml" in str(exc_info.value)
    assert message in str(exc_info.value)


def test_a_figure_without_a_source_is_refused(tmp_path):
    text = "\n".join(
        line for line in _gb_text().splitlines() if not line.startswith('minimum_age = "')
    )
    _write(tmp_path, "GB.toml", text)

    with pytest.raises(JurisdictionDataError, match="no source for minimum_age"):
        load_jurisdictions(tmp_path)


def test_a_file_named_after_another_code_is_refused(tmp_path):
    _write(tmp_path, "MT.toml", _gb_text())

    with pytest.raises(JurisdictionDataError, match=r"name it GB\.toml"):
        load_jurisdictions(tmp_path)


def test_an_empty_rule_base_is_refused(tmp_path):
    with pytest.raises(JurisdictionDataError, match="no jurisdiction data files"):
        load_jurisdictions(tmp_path)


@pytest.mark.parametrize(
    ("country", "region", "code"),
    [("GB", None, "GB"), ("mt", None, "MT"), ("CA", "on", "CA-ON"), ("US", "NJ", "US-NJ")],
)
def test_a_place_of_residence_maps_to_its_jurisdiction(country, region, code):
    assert jurisdiction_of_residence(country, region).code == code


def test_a_regional_country_needs_its_region_and_an_unknown_place_is_refused():
    with pytest.raises(RegionRequired):
        jurisdiction_of_residence("US", None)
    with pytest.raises(UnknownJurisdiction):
        jurisdiction_of_residence("US", "TX")
    with pytest.raises(UnknownJurisdiction):
        jurisdiction_of_residence("ZZ", None)
