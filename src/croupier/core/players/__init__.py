"""croupier.core.players layer."""
