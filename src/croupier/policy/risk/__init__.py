"""croupier.policy.risk layer."""
