"""croupier.core layer."""
