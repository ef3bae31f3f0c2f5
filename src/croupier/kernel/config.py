"""Settings read from ``CROUPIER_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/croupier.db"


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Process configuration. Every field maps to ``CROUPIER_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CROUPIER_", extra="ignore")

    env: Environment = Environment.DEV
    database_url: str = DEFAULT_DATABASE_URL
    nats_url: str | None = None
    redis_url: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    # Group commit: the most transfers the ledger writes in one database transaction.
    ledger_max_batch: int = Field(default=2000, ge=1, le=50_000)
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # Players whose policy rows (status, exclusions, limits, KYC level) each process keeps in
    # memory for the decision before every bet and deposit; 0 reads the database each time.
    # Kept current by database triggers (docs/operations.md, "The policy cache").
    policy_cache_players: int = Field(default=100_000, ge=0, le=10_000_000)
    # argon2id cost (RFC 9106 low-memory profile by default).
    password_hash_time_cost: int = Field(default=3, ge=1, le=10)
    password_hash_memory_kib: int = Field(default=65_536, ge=8_192, le=1_048_576)
    # Requests with a larger body are refused (request.too_large) before they are parsed.
    max_body_bytes: int = Field(default=65_536, ge=1_024)
    # FastAPI's own OpenTelemetry spans, metrics and logs, for an operator who configures
    # OpenTelemetry providers. Off: checking for providers cost ~7 % of every request.
    opentelemetry: bool = False
    # Take the client IP from X-Forwarded-For (only behind a proxy that sets it).
    trust_forwarded_for: bool = False
    # National self-exclusion registers: {"GAMSTOP": "https://..."} and the operator's key.
    exclusion_registers: dict[str, str] = Field(default_factory=dict)
    exclusion_register_api_key: str = ""
    exclusion_register_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # A GeoIP2Fast data file (e.g. a city database, for US states and Canadian provinces);
    # unset: the country database the geoip2fast package ships.
    geoip_data_file: str | None = None
    # The KYC vendor: where checks go, the key to send, the secret its webhooks are signed with,
    # and the address at which it reaches this deployment's webhook.
    kyc_vendor_url: str | None = None
    kyc_vendor_api_key: str = ""
    kyc_webhook_secret: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    # Rate limits (GLI-19 §2.5.3 brute force): hits allowed per window, per IP and per account.
    rate_limit_window_seconds: int = Field(default=300, ge=1)
    rate_limit_login_per_ip: int = Field(default=30, ge=1)
    rate_limit_login_per_account: int = Field(default=10, ge=1)
    rate_limit_register_per_ip: int = Field(default=10, ge=1)
    rate_limit_mfa_per_ip: int = Field(default=30, ge=1)
    rate_limit_mfa_per_account: int = Field(default=10, ge=1)
    rate_limit_password_reset_per_ip: int = Field(default=10, ge=1)
    rate_limit_password_reset_per_account: int = Field(default=5, ge=1)
    rate_limit_fair_verify_per_ip: int = Field(default=600, ge=1)
    rate_limit_catalogue_per_ip: int = Field(default=600, ge=1)
    # GLI-19 §4.16: how long an open game round waits before the server plays on the ones
    # that need no input (free spins), and how often each server process looks (0: never;
    # run `croupier games complete-rounds` from cron instead).
    rgs_interrupted_after_seconds: int = Field(default=600, ge=1, le=86_400 * 90)
    rgs_interrupted_check_seconds: int = Field(default=60, ge=0, le=86_400)
    # Game control: a provider round still open after this many hours is closed by a job
    # (as closed by "timeout"; no money moves); how often each server process closes them and
    # compares actual with theoretical RTP (GLI-19 A.6; 0: never, run `croupier games
    # close-stale-rounds` and `croupier games rtp` from cron instead).
    provider_round_max_age_hours: int = Field(default=48, ge=1, le=24 * 366)
    game_control_check_seconds: int = Field(default=3600, ge=0, le=86_400)
    # Risk scoring of deposits and withdrawals: where trained model versions are kept (the
    # package ships one), which version to load (unset: the newest), the score from which a
    # deposit or a withdrawal goes to review or is declined, the explicit rules' numbers, and
    # how often each process reads the attempts other processes recorded.
    risk_model_dir: str = "var/risk-models"
    risk_model_version: str | None = None
    risk_deposit_review_score: float = Field(default=0.5, gt=0, le=1)
    risk_deposit_decline_score: float = Field(default=0.9, gt=0, le=1)
    risk_withdrawal_review_score: float = Field(default=0.4, gt=0, le=1)
    risk_withdrawal_decline_score: float = Field(default=0.85, gt=0, le=1)
    risk_velocity_1m_attempts: int = Field(default=5, ge=2, le=1_000)
    risk_failures_15m: int = Field(default=5, ge=1, le=1_000)
    risk_instrument_players: int = Field(default=3, ge=2, le=1_000)
    risk_device_players: int = Field(default=5, ge=2, le=1_000)
    risk_new_account_amount_multiple: float = Field(default=10.0, gt=1, le=10_000)
    risk_store_refresh_seconds: float = Field(default=1.0, gt=0, le=60)
    # The sportsbook's feed (docs/sportsbook-feed.md): the URL of its event stream. Set it on
    # ONE serving process: that process applies the feed to the catalogue. Unset: no feed.
    sportsbook_feed_url: str | None = None
    # Cash-out (docs/sportsbook.md, "Cash-out"): the share of a bet's fair value the house
    # keeps, and how often each serving process runs the players' automatic cash-out rules
    # (0: never).
    sportsbook_cash_out_margin: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    sportsbook_auto_cash_out_seconds: float = Field(default=1.0, ge=0, le=3_600)
    # Live odds over /ws (docs/sportsbook.md, "Live odds"): open connections per client IP (per
    # process), messages queued per connection before a client that does not read is closed,
    # and how long a connection with no subscription may stay silent.
    live_odds_connections_per_ip: int = Field(default=20, ge=1, le=1_000_000)
    live_odds_queue_size: int = Field(default=256, ge=1, le=100_000)
    live_odds_buffer_bytes: int = Field(default=1_048_576, ge=4_096, le=1_073_741_824)
    live_odds_idle_seconds: float = Field(default=60.0, gt=0, le=3_600)
    # Payments: the TOML file with the PSPs, routes, breaker and approval thresholds
    # (docs/operations.md, "Payments"); unset: no PSPs, every payment is refused (no route).
    payments_config: str | None = None
    # Keys that encrypt secrets at rest (provably fair server seeds): "kid:base64-32-bytes",
    # comma-separated, the first encrypts and all decrypt (rotation). Required in production;
    # dev and test fall back to a published development key.
    data_keys: str = Field(default="", repr=False)

    @property
    def clock_is_adjustable(self) -> bool:
        """The clock may be moved only where no real money is at stake."""
        return self.env in (Environment.DEV, Environment.TEST)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The file behind an SQLite URL, or None for PostgreSQL and in-memory databases."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
