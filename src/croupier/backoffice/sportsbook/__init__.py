"""Trading: the sportsbook for operators."""
