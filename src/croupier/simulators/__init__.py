"""Simulators of what lies outside the platform (national exclusion registers, later PSPs,
KYC vendors, game providers): real HTTP servers, with the faults the real thing has.

Nothing in the platform's layers imports this package (an import-linter contract checks it);
tests and ``croupier simulate ...`` run the servers, and the platform talks to them over a
socket exactly as it would to the real service.
"""
