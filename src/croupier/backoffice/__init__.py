"""croupier.backoffice layer."""
