"""croupier.app layer."""
