"""API shapes of player accounts, sessions and MFA."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from croupier.core.players.models import PlayerStatus
from croupier.core.wallet.schemas import BalanceOut
from croupier.kernel.web import ViewModel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
BrandCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Strict):
    brand: BrandCode = Field(examples=["demo"])
    email: EmailStr = Field(max_length=254, examples=["ada@example.com"])
    password: Secret = Field(description="10 to 128 characters, not a commonly breached one")
    legal_name: Annotated[Text, StringConstraints(max_length=200)] = Field(
        examples=["Ada Lovelace"]
    )
    date_of_birth: date = Field(examples=["1990-12-10"])
    address_line: Annotated[Text, StringConstraints(max_length=200)]
    city: Annotated[Text, StringConstraints(max_length=100)]
    postcode: Annotated[Text, StringConstraints(max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2", examples=["MT"]
    )
    region: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,3}$")] | None = Field(
        default=None, description="ISO 3166-2 subdivision (required in CA and US)", examples=[None]
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3,5}$")] = Field(examples=["EUR"])


class PlayerOut(ViewModel):
    id: str
    brand_id: str
    email: str
    legal_name: str
    date_of_birth: date
    address_line: str
    city: str
    postcode: str
    country: str
    region: str | None
    jurisdiction: str
    currency: str
    status: PlayerStatus
    flags: list[str]
    cash_account_id: str
    mfa_enabled: bool
    locked: bool
    payout_details: str | None = Field(description="Masked: first and last four characters")
    last_login_at: datetime | None
    last_login_ip: str | None
    created_at: datetime


class LoginIn(Strict):
    brand: BrandCode
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Secret
    code: Code | None = Field(
        default=None, description="Authenticator or recovery code, when MFA is on"
    )


class LoginOut(BaseModel):
    token: str = Field(description="Bearer token: send 'Authorization: Bearer <token>'")
    session_id: str
    expires_at: datetime = Field(description="Re-authentication is due at the latest then")
    inactivity_timeout_seconds: int
    previous_login_at: datetime | None = Field(description="GLI-19 §2.5.3: shown at login")
    previous_login_ip: str | None
    player: PlayerOut


class MeOut(BaseModel):
    player: PlayerOut
    balance: BalanceOut
    session_id: str


class SessionOut(ViewModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str
    user_agent: str
    current: bool


class MfaEnrolmentOut(BaseModel):
    secret: str = Field(description="Base32 TOTP secret, for manual entry")
    otpauth_uri: str = Field(description="Show as a QR code to the authenticator app")


class CodeIn(Strict):
    code: Code


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once: each works once instead of a code")


class StepUpOut(BaseModel):
    valid_until: datetime = Field(description="Sensitive changes are allowed until then")


class ProfileIn(Strict):
    address_line: Annotated[Text, StringConstraints(max_length=200)] | None = None
    city: Annotated[Text, StringConstraints(max_length=100)] | None = None
    postcode: Annotated[Text, StringConstraints(max_length=20)] | None = None
    region: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,3}$")] | None = None


class PasswordChangeIn(Strict):
    current_password: Secret
    new_password: Secret


class EmailChangeIn(Strict):
    email: EmailStr = Field(max_length=254)


class PayoutDetailsIn(Strict):
    iban: Annotated[str, StringConstraints(strip_whitespace=True, min_length=15, max_length=42)]


class UnlockIn(Strict):
    brand: BrandCode
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Secret
    code: Code


class PasswordResetIn(Strict):
    brand: BrandCode
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    code: Code
    new_password: Secret


# -- back office -------------------------------------------------------------------------------


class PlayerPage(BaseModel):
    players: list[PlayerOut]
    next_after: str | None = Field(description="Pass as `after` for the next page")


class StatusChangeIn(Strict):
    status: PlayerStatus
    reason: Annotated[Text, StringConstraints(max_length=500)]


class ReasonIn(Strict):
    reason: Annotated[Text, StringConstraints(max_length=500)]


class StatusChangeOut(ViewModel):
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    occurred_at: datetime


class PlayerDetailOut(BaseModel):
    player: PlayerOut
    status_history: list[StatusChangeOut]


class AuditEntryOut(ViewModel):
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: object | None
    after: object | None
    reason: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_before: int | None
