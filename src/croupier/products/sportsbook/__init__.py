"""Sportsbook: catalogue, pricing, live feed, bet placement, settlement and trading (issue 8)."""
