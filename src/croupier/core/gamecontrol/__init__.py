"""croupier.core.gamecontrol layer."""
