"""Crash: a shared multiplayer round whose crash points come from a published hash chain."""
