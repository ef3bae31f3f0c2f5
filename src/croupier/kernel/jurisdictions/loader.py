"""Loading the jurisdiction data files: every file complete and well-formed, or nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from croupier.kernel.jurisdictions.rules import Jurisdiction

DATA_FOLDER = Path(__file__).with_name("data")


class JurisdictionDataError(Exception):
    """A data file that does not load: croupier refuses to start on it."""


def load_jurisdiction(path: Path) -> Jurisdiction:
    """One data file, validated; the file is named after the jurisdiction's code."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
        rules = Jurisdiction.model_validate(raw)
    except (tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
        raise JurisdictionDataError(f"{path.name}: {exc}") from exc
    if path.stem != rules.code:
        raise JurisdictionDataError(f"{path.name}: holds {rules.code}; name it {rules.code}.toml")
    return rules


def load_jurisdictions(folder: Path = DATA_FOLDER) -> dict[str, Jurisdiction]:
    """Every jurisdiction of ``folder``, by code, in code order."""
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise JurisdictionDataError(f"no jurisdiction data files in {folder}")
    loaded = [load_jurisdiction(p) for p in files]
    return {j.code: j for j in loaded}
