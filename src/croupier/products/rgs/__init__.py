"""Remote game server: our own games, with provably fair outcomes (PROTOCOLS.md §1)."""
