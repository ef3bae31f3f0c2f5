"""Responsible gaming: player-set limits with cooling-off, time-outs and self-exclusion."""
