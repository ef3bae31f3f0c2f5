"""The one policy entry point: may this player log in, deposit, play, bet, withdraw now?

Payments, games and the sportsbook ask here before they move money and never re-implement a
rule. Each answer is a :class:`Decision`: allowed (possibly for less than asked, where the
jurisdiction allows partial acceptance), or refused with a domain error whose stable code
says why. Checks in order: account status, verification, time-outs and self-exclusion,
product licensing, stake caps, then the player's own limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from croupier.core.players import PlayerStatus, PlayerView, get_player, registration_rules
from croupier.kernel.clock import Clock
from croupier.kernel.errors import DomainError
from croupier.kernel.jurisdictions import (
    Checkpoint,
    Jurisdiction,
    KycLevel,
    LimitKind,
    Product,
    RegisterUnavailable,
    jurisdiction,
)
from croupier.kernel.money import MAX_AMOUNT, Money
from croupier.policy.compliance import errors, kyc
from croupier.policy.compliance.cache import PolicyEntry, cache_of
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import PersonToCheck, Registers
from croupier.policy.rg import service as rg
from croupier.policy.rg.errors import RealityCheckDue


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed (``refusal`` is None) for ``amount``, or refused with the reason."""

    refusal: DomainError | None = None
    amount: int | None = None
    # True when less than asked is allowed; the player must be told (GLI-19 §2.5.6).
    partial: bool = False

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def code(self) -> str | None:
        return None if self.refusal is None else self.refusal.code

    def raise_if_refused(self) -> None:
        if self.refusal is not None:
            raise self.refusal


_BET_LIMITS = (LimitKind.WAGER, LimitKind.LOSS, LimitKind.SESSION_TIME)


def _cached_entry(session: Session, player_id: str) -> PolicyEntry | None:
    """The player's rows from the process's policy cache, when one is attached."""
    cache = cache_of(session)
    return None if cache is None else cache.entry(session, player_id)


def _refused(error: DomainError) -> Decision:
    return Decision(refusal=error)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise errors.InvalidAmount()


def _gaming_block(
    session: Session,
    clock: Clock,
    player: PlayerView,
    in_force: list[rg.ExclusionView] | None = None,
) -> DomainError | None:
    """Why this player may not deposit or bet right now, if anything. ``in_force``: the
    exclusions in force, when the caller has read them already."""
    status = player.status
    if status is PlayerStatus.SELF_EXCLUDED and not rg.settle_expired_self_exclusions(
        session, clock, player
    ):
        return errors.SelfExcluded()
    if status in (PlayerStatus.SUSPENDED, PlayerStatus.CLOSED):
        return errors.AccountNotActive(f"The account is {status.value}.", status=status.value)
    if in_force is None:
        in_force = rg.exclusions_in_force(session, clock, player)
    for exclusion in in_force:
        if exclusion.kind is rg.ExclusionKind.SELF_EXCLUSION:
            return errors.SelfExcluded()
        return errors.TimedOut(
            f"The break ends at {exclusion.ends_at.isoformat() if exclusion.ends_at else 'never'}.",
            ends_at=exclusion.ends_at.isoformat() if exclusion.ends_at else None,
        )
    return None


def _verified_enough(
    session: Session, player: PlayerView, needed: KycLevel, entry: PolicyEntry | None = None
) -> bool:
    """The player's KYC level meets ``needed`` and no re-verification is pending. A player
    without a KYC record was verified by staff if they activated them (manual checks).
    ``entry``: the player's cached rows, which hold the KYC record."""
    if needed is KycLevel.NONE:
        return True
    recorded = entry.kyc if entry is not None else kyc.level_of(session, player.id)
    if recorded is None:
        return player.status is not PlayerStatus.PENDING_VERIFICATION
    level, reverification = recorded
    return reverification is None and kyc.meets(level, needed)


def may_register(
    session: Session,
    clock: Clock,
    *,
    brand_code: str,
    country: str,
    region: str | None,
    currency_code: str,
    date_of_birth: date,
    legal_name: str,
    postcode: str,
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> Decision:
    """May this person register (before a form is submitted, say)? The brand, currency and
    jurisdiction, the minimum age (GLI-19 §2.5.2), the request's location and the national
    register where the jurisdiction asks for them. Registration itself applies the same rules.
    """
    try:
        rules = registration_rules(
            session,
            clock,
            brand_code=brand_code,
            country=country,
            region=region,
            currency_code=currency_code,
            date_of_birth=date_of_birth,
        )
    except DomainError as refusal:
        return _refused(refusal)
    if geolocation is not None:
        where = geolocation.check(rules, Checkpoint.REGISTRATION, ip)
        if where is not None:
            return _refused(where)
    if registers is not None:
        person = PersonToCheck(legal_name, date_of_birth, postcode)
        try:
            excluded = registers.check(rules, Checkpoint.REGISTRATION, person)
        except RegisterUnavailable as exc:
            return _refused(exc)
        if excluded is not None:
            return _refused(excluded)
    return Decision()


def may_login(session: Session, clock: Clock, player_id: str) -> Decision:  # noqa: ARG001
    """A closed or suspended account may not log in; a self-excluded one may (to withdraw)."""
    player = get_player(session, player_id, brand_scope=None)
    if player.status in (PlayerStatus.CLOSED, PlayerStatus.SUSPENDED):
        return _refused(
            errors.AccountNotActive(
                f"The account is {player.status.value}.", status=player.status.value
            )
        )
    return Decision()


def may_play(session: Session, clock: Clock, player_id: str, product: Product) -> Decision:
    """May the player start playing ``product`` (open a game session at a provider, say)?

    The checks of :func:`may_bet` that do not depend on a stake: the account is active and
    verified, the player is not self-excluded or on a break (GLI-19 A.3.8), and the
    jurisdiction licenses the product. Stake caps and limits are checked on every bet.
    """
    player = get_player(session, player_id, brand_scope=None)
    block = _gaming_block(session, clock, player)
    if block is not None:
        return _refused(block)
    if player.status is not PlayerStatus.ACTIVE:
        return _refused(errors.VerificationRequired("Play needs a verified, active account."))
    rules = jurisdiction(player.jurisdiction)
    if product not in rules.products:
        return _refused(
            errors.ProductNotOffered(
                f"{product.value} is not licensed in {rules.name}.", product=product.value
            )
        )
    return Decision()


def may_deposit(
    session: Session,
    clock: Clock,
    player_id: str,
    amount: int,
    *,
    registers: Registers | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> Decision:
    """May the player deposit ``amount`` (ledger units of their currency) now?

    Refused while self-excluded or on a break (GLI-19 A.3.8), before the verification the
    jurisdiction requires (UK LCCP SR 3.2.11), and beyond a deposit limit (UKGC RTS 12: the
    lowest applicable limit wins). Where the jurisdiction allows partial acceptance, the
    decision allows what is left under the limit and says so.
    """
    _check_amount(amount)
    entry = _cached_entry(session, player_id)
    state = rg.gaming_state(
        session, clock, player_id, (LimitKind.DEPOSIT,), rows=None if entry is None else entry.rows
    )
    player = state.player
    rules = jurisdiction(player.jurisdiction)
    block = _gaming_block(session, clock, player, state.exclusions)
    if block is not None:
        return _refused(block)
    if not _verified_enough(session, player, rules.kyc_before_deposit, entry):
        return _refused(
            errors.VerificationRequired(
                f"{rules.name} requires {rules.kyc_before_deposit.value} before a deposit.",
                required=rules.kyc_before_deposit.value,
            )
        )
    register_refusal = _register_refusal(registers, rules, Checkpoint.DEPOSIT, player)
    if register_refusal is not None:
        return _refused(register_refusal)
    if geolocation is not None:
        where = geolocation.check(rules, Checkpoint.DEPOSIT, ip)
        if where is not None:
            return _refused(where)
    room = _room(state.limits, LimitKind.DEPOSIT)
    if room is not None and amount > room:
        if rules.partial_acceptance_at_limit and room > 0:
            return Decision(amount=room, partial=True)
        return _refused(_limit_error(errors.DepositLimitExceeded, player, room))
    return Decision(amount=amount)


def may_bet(
    session: Session,
    clock: Clock,
    player_id: str,
    product: Product,
    stake: int,
    *,
    registers: Registers | None = None,
    login_session_id: str | None = None,
    geolocation: Geolocation | None = None,
    ip: str | None = None,
) -> Decision:
    """May the player stake ``stake`` on ``product`` now?

    Refused unless the account is active and verified, while self-excluded or on a break,
    where the jurisdiction does not license the product, above a slot stake cap (UK: 5 GBP,
    2 GBP for ages 18-24), and beyond the player's wager or loss limits.
    """
    _check_amount(stake)
    entry = _cached_entry(session, player_id)
    state = rg.gaming_state(
        session, clock, player_id, _BET_LIMITS, rows=None if entry is None else entry.rows
    )
    player = state.player
    rules = jurisdiction(player.jurisdiction)
    block = _gaming_block(session, clock, player, state.exclusions)
    if block is not None:
        return _refused(block)
    if player.status is not PlayerStatus.ACTIVE and player.status is not PlayerStatus.SELF_EXCLUDED:
        return _refused(errors.VerificationRequired("Bets need a verified, active account."))
    if product not in rules.products:
        return _refused(
            errors.ProductNotOffered(
                f"{product.value} is not licensed in {rules.name}.", product=product.value
            )
        )
    register_refusal = _register_refusal(registers, rules, Checkpoint.BET, player)
    if register_refusal is not None:
        return _refused(register_refusal)
    if geolocation is not None:
        where = geolocation.check(rules, Checkpoint.BET, ip)
        if where is not None:
            return _refused(where)
    if login_session_id is not None and state.reality_check_minutes is not None:
        check = rg.reality_check(session, clock, player, login_session_id)
        if check.due:
            return _refused(
                RealityCheckDue(
                    f"{check.elapsed_minutes} minutes played, net "
                    f"{Money(check.net_position, player.currency)}.",
                    elapsed_minutes=check.elapsed_minutes,
                    net_position=check.net_position,
                )
            )
    cap = _stake_cap(player, rules, product, clock)
    if cap is not None and stake > cap:
        return _refused(
            errors.StakeAboveCap(
                f"The most a player may stake per game here is {Money(cap, player.currency)}.",
                cap=cap,
            )
        )
    limits = state.limits
    time_left = _room(limits, LimitKind.SESSION_TIME)
    if time_left is not None and time_left <= 0:
        return _refused(errors.SessionTimeLimitReached())
    for kind, error in (
        (LimitKind.WAGER, errors.WagerLimitExceeded),
        (LimitKind.LOSS, errors.LossLimitExceeded),
    ):
        room = _room(limits, kind)
        if room is not None and stake > room:
            return _refused(_limit_error(error, player, room))
    return Decision(amount=stake)


def may_withdraw(session: Session, clock: Clock, player_id: str, amount: int) -> Decision:  # noqa: ARG001
    """Withdrawals stay open to self-excluded players and players on a break (GLI-19 A.3.8)
    and to closed accounts (their balance is theirs); a suspended account waits for review,
    and the jurisdiction may require verification first."""
    _check_amount(amount)
    player = get_player(session, player_id, brand_scope=None)
    rules = jurisdiction(player.jurisdiction)
    if player.status is PlayerStatus.SUSPENDED:
        return _refused(errors.AccountNotActive("The account is suspended.", status="suspended"))
    if not _verified_enough(session, player, rules.kyc_before_withdrawal):
        return _refused(
            errors.VerificationRequired(
                f"{rules.name} requires {rules.kyc_before_withdrawal.value} before a withdrawal.",
                required=rules.kyc_before_withdrawal.value,
            )
        )
    return Decision(amount=amount)


def marketing_allowed(session: Session, clock: Clock, player_id: str) -> bool:
    """No marketing to a self-excluded player or one on a break (GLI-19 A.3.8)."""
    player = get_player(session, player_id, brand_scope=None)
    if player.status in (PlayerStatus.SELF_EXCLUDED, PlayerStatus.CLOSED):
        return False
    return not rg.exclusions_in_force(session, clock, player)


def _register_refusal(
    registers: Registers | None, rules: Jurisdiction, checkpoint: Checkpoint, player: PlayerView
) -> DomainError | None:
    """The national register's answer where the jurisdiction asks for it at ``checkpoint``;
    an unreachable register refuses (fails closed)."""
    if registers is None:
        return None
    person = PersonToCheck(player.legal_name, player.date_of_birth, player.postcode, player.email)
    try:
        return registers.check(rules, checkpoint, person)
    except RegisterUnavailable as exc:
        return exc


def _room(limits: list[rg.LimitView], kind: LimitKind) -> int | None:
    """What is left under the tightest limit of ``kind``, or None without one."""
    rooms = [v.remaining for v in limits if v.kind is kind]
    return min(rooms) if rooms else None


def _limit_error(
    error: type[errors.LimitExceeded], player: PlayerView, room: int
) -> errors.LimitExceeded:
    return error(
        f"{Money(room, player.currency)} is left under the limit.",
        remaining=room,
        currency=player.currency,
    )


def _stake_cap(
    player: PlayerView, rules: Jurisdiction, product: Product, clock: Clock
) -> int | None:
    if product is not Product.SLOTS or rules.slot_max_stake is None:
        return None
    # The cap is in the jurisdiction's currency; a player's account in another currency is
    # not capped here until exchange rates are recorded (a known gap: see docs).
    if player.currency != rules.currency:
        return None
    text = rules.slot_max_stake
    if rules.slot_max_stake_young_adult is not None and rules.young_adult_max_age is not None:
        today = clock.now().date()
        birthday_passed = (today.month, today.day) >= (
            player.date_of_birth.month,
            player.date_of_birth.day,
        )
        age = today.year - player.date_of_birth.year - (0 if birthday_passed else 1)
        if age <= rules.young_adult_max_age:
            text = rules.slot_max_stake_young_adult
    return Money.parse(text, player.currency).amount


__all__ = [
    "Decision",
    "marketing_allowed",
    "may_bet",
    "may_deposit",
    "may_login",
    "may_withdraw",
]
