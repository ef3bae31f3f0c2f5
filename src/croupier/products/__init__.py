"""croupier.products layer."""
