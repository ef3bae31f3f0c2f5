"""croupier.policy.rg layer."""
