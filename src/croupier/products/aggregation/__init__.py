"""Game aggregation: third-party game providers, their keys, and the catalogue of games."""
