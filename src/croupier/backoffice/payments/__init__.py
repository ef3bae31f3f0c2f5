"""Payments for operators: approvals, reviews, refunds, reconciliation, PSP health."""
