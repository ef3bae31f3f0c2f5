"""The table registry that migrations and test schemas are built from."""

from __future__ import annotations


def test_the_table_registry_names_every_models_module():
    # In a fresh interpreter: croupier.app.tables alone must register every table that any
    # models module defines, or migrations would silently miss one.
    import subprocess
    import sys

    script = (
        "import importlib, pkgutil, croupier\n"
        "from croupier.app.tables import metadata\n"
        "registered = set(metadata.tables)\n"
        "for m in pkgutil.walk_packages(croupier.__path__, 'croupier.'):\n"
        "    if m.name.endswith('.models'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(set(metadata.tables) - registered))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
