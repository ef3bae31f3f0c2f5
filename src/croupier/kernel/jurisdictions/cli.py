"""``croupier jurisdictions``: read the jurisdiction rule base."""

from __future__ import annotations

from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, emit
from croupier.kernel.jurisdictions import FIGURES, JURISDICTIONS, JurisdictionNotFound

jurisdictions_app = typer.Typer(
    help="The jurisdiction rule base (one data file per regulator).", no_args_is_help=True
)


def _value(value: object) -> str:
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(str(v) for v in value)) or "none"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return "none" if value is None else str(value)


@jurisdictions_app.command("list")
def jurisdictions_list(as_json: JsonFlag = False) -> None:
    """Every jurisdiction with its main figures."""
    rows = list(JURISDICTIONS.values())
    emit(
        as_json,
        {"jurisdictions": [j.model_dump(mode="json", exclude={"sources", "notes"}) for j in rows]},
        "\n".join(
            [f"{'code':<6} {'name':<16} {'age':>3}  {'register':<10} {'cool-off':>8}  products"]
            + [
                f"{j.code:<6} {j.name[:16]:<16} {j.minimum_age:>3}  "
                f"{(j.national_register or '-')[:10]:<10} "
                f"{j.limit_increase_cooling_off_hours:>6} h  {_value(j.products)}"
                + (f"  ({len(j.unverified)} unverified)" if j.unverified else "")
                for j in rows
            ]
        ),
    )


@jurisdictions_app.command("show")
def jurisdictions_show(
    code: Annotated[str, typer.Argument(help="Jurisdiction code, e.g. GB or CA-ON.")],
    as_json: JsonFlag = False,
) -> None:
    """Every figure of one jurisdiction with its source."""
    rules = JURISDICTIONS.get(code.upper())
    if rules is None:
        err = JurisdictionNotFound(
            f"No jurisdiction {code!r}; known: {', '.join(JURISDICTIONS)}.", jurisdiction=code
        )
        typer.echo(f"error: {err.code}: {err.detail}", err=True)
        raise typer.Exit(2)
    lines = [f"{rules.code}: {rules.name} ({rules.regulator}), currency {rules.currency}"]
    for figure in FIGURES:
        mark = "  [unverified]" if figure in rules.unverified else ""
        lines.append(
            f"  {figure:<36} {_value(getattr(rules, figure)):<28} {rules.sources[figure]}{mark}"
        )
    if rules.notes:
        lines.append(f"  notes: {rules.notes}")
    emit(as_json, rules.model_dump(mode="json"), "\n".join(lines))
