"""``croupier fair``: verify a provably fair round from its revealed seeds (PROTOCOLS.md §1).

The same derivation the games use, so a player, an auditor or a test lab can recompute any
round offline: ``croupier fair verify dice --server-seed S --client-seed C --nonce 7 --json``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag
from croupier.kernel.errors import DomainError
from croupier.products.rgs.fair import FAIR_GAMES, commitment, verify_outcome

fair_app = typer.Typer(
    help="Provably fair rounds: verify an outcome, compute a commitment.", no_args_is_help=True
)


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
    return typer.Exit(2)


@fair_app.command("verify")
def fair_verify(
    game: Annotated[str, typer.Argument(help=f"One of: {', '.join(FAIR_GAMES)}.")],
    server_seed: Annotated[str, typer.Option(help="The revealed server seed (64 hex).")],
    client_seed: Annotated[str, typer.Option(help="The player's client seed.")],
    nonce: Annotated[int, typer.Option(help="The round's nonce (0 for the first round).")],
    count: Annotated[int | None, typer.Option(help="cards: how many (default 52).")] = None,
    mines: Annotated[int | None, typer.Option(help="mines: how many (default 3).")] = None,
    rows: Annotated[int | None, typer.Option(help="plinko: rows, 8-16 (default 16).")] = None,
    segments: Annotated[int | None, typer.Option(help="wheel: segments (default 10).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The outcome of one round, as the game computed it."""
    try:
        outcome = verify_outcome(
            game,
            server_seed,
            client_seed,
            nonce,
            count=count,
            mines=mines,
            rows=rows,
            segments=segments,
        )
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(outcome))
        return
    typer.echo(f"{game}  nonce {nonce}  commitment {commitment(server_seed)}")
    for key, value in outcome.items():
        shown = " ".join(str(v) for v in value) if isinstance(value, list) else value
        typer.echo(f"  {key}: {shown}")


@fair_app.command("commit")
def fair_commit(
    server_seed: Annotated[str, typer.Option(help="A server seed (64 hex).")],
    as_json: JsonFlag = False,
) -> None:
    """The commitment shown before play: sha256 of the server seed's hex text."""
    try:
        digest = commitment(server_seed)
    except DomainError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps({"hash": digest}) if as_json else digest)
