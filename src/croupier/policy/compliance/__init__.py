"""croupier.policy.compliance layer."""
