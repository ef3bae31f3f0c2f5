"""Kernel: configuration, database, money, ids, clock, errors, outbox, audit.

Everything above depends on the kernel; the kernel depends on nothing of ours.
"""
