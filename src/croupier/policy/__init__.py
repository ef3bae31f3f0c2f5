"""croupier.policy layer."""
