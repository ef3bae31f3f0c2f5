"""Payments: deposits and withdrawals through payment service providers."""
