"""croupier: an open-source real-money gaming platform."""

__version__ = "0.1.0"
