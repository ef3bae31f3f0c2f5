"""``croupier rng``: raw output for outside test suites, and the certification battery.

``dump`` feeds tools such as dieharder or NIST's own STS (``croupier rng dump --bytes
125000000 > sample.bin``); ``certify`` runs our SP 800-22 battery and the games' ranges and
writes the report a lab would ask for. Both draw through the health-tested generator, so what
they test is what the games get.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, emit
from croupier.kernel.rng.errors import RngHealthFailure
from croupier.kernel.rng.generator import CHUNK, default_rng

app = typer.Typer(
    help="The random number generator: raw output and statistical certification.",
    no_args_is_help=True,
)


def _positive(value: int) -> int:
    if value <= 0:
        raise typer.BadParameter(f"must be a positive number of bytes, got {value}")
    return value


@app.command("dump")
def rng_dump(
    size: Annotated[
        int,
        typer.Option(
            "--bytes",
            help="How many raw bytes to write to standard output.",
            callback=_positive,
        ),
    ],
) -> None:
    """Write exactly N random bytes to standard output, for external test suites."""
    out = sys.stdout.buffer
    rng = default_rng()
    remaining = size
    try:
        while remaining:
            take = min(remaining, CHUNK)
            out.write(rng.random_bytes(take))
            remaining -= take
        out.flush()
    except RngHealthFailure as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except BrokenPipeError:
        # The reader stopped early (``| head -c``): not an error of ours. Point stdout at
        # /dev/null so that Python's final flush does not complain about the pipe either.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


@app.command("certify")
def rng_certify(
    sequences: Annotated[
        int, typer.Option(min=1, help="Sequences to test (SP 800-22 asks about 100).")
    ] = 100,
    bits: Annotated[
        int, typer.Option(min=100, help="Bits per sequence (SP 800-22 asks 10**6).")
    ] = 1_000_000,
    out: Annotated[
        Path, typer.Option(help="Directory for report.json, report.txt and pvalues.png.")
    ] = Path("var/rng-certification"),
    draws: Annotated[
        int, typer.Option(min=1, help="randbelow(n) draws per range for the chi-square tests.")
    ] = 100_000,
    as_json: JsonFlag = False,
) -> None:
    """Run NIST SP 800-22 and the games' chi-square tests; exit 1 if the generator fails."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from croupier.kernel.rng.certify import certify, write_report

    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),  # standard output stays clean for --json
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        try:
            report = certify(
                default_rng(),
                sequences=sequences,
                bits=bits,
                draws_per_range=draws,
                progress=progress,
            )
        except RngHealthFailure as exc:
            typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
            raise typer.Exit(2) from None
    written = write_report(report, out)
    summary = report.summary
    emit(
        as_json,
        {
            "passed": summary.passed,
            "rows": summary.rows,
            "rows_flagged": summary.rows_flagged,
            "rows_flagged_allowed": summary.rows_flagged_allowed,
            "decisive_failures": summary.decisive_failures,
            "ranges_flagged": summary.ranges_flagged,
            "ranges_decisive_failures": summary.ranges_decisive_failures,
            "duration_seconds": round(report.duration_seconds, 1),
            "files": [str(path) for path in written],
        },
        report.to_text()
        + "\n".join(f"wrote {path}" for path in written)
        + ("" if len(written) == 3 else "\n(no pvalues.png: matplotlib is not installed)"),
    )
    if not summary.passed:
        raise typer.Exit(1)
