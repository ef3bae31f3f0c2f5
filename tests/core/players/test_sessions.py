"""Login and sessions (GLI-19 §2.5.3, §2.5.4), MFA and step-up (§2.5.2), profile, rate limits."""

from __future__ import annotations

import ipaddress
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from croupier.core.players.models import Player, PlayerSession
from croupier.kernel.audit import list_audit_entries
from croupier.kernel.credentials import totp_code
from tests.core.players.player_fixtures import (
    PASSWORD,
    assert_problem,
    footprint,
    logged_in,
    login,
    make_brand,
    register,
    registration,
)
from tests.http_fixtures import make_client, operator_token

ME = "/api/v1/me"
IBAN = "MT84MALT011000012345MTLCAST001S"


@pytest.fixture
def client(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        register(c)
        yield c


def _audit(db, player_id: str, action: str) -> list:
    with db.read_only() as s:
        return [
            e
            for e in list_audit_entries(s, subject_type="player", subject_id=player_id, limit=500)
            if e.action == action
        ]


def _player_id(db) -> str:
    with db.read_only() as s:
        return s.scalars(select(Player.id)).one()


def _enrol_mfa(client, headers, clock) -> tuple[str, list[str]]:
    secret = client.post(f"{ME}/mfa", headers=headers).json()["secret"]
    confirmed = client.post(
        f"{ME}/mfa/confirm", headers=headers, json={"code": totp_code(secret, clock.now())}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


# -- login -----------------------------------------------------------------------------------


def test_login_shows_the_previous_logins_time_and_ip(client, clock):
    first = login(client)
    clock.advance(timedelta(hours=2))
    second = login(client)

    assert first.status_code == second.status_code == 200
    assert first.json()["previous_login_at"] is None
    assert second.json()["previous_login_at"] == first.json()["player"]["last_login_at"]
    assert second.json()["previous_login_ip"] == "testclient"
    assert second.json()["inactivity_timeout_seconds"] == 1800
    assert second.json()["token"].startswith("cps_")


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(client):
    unknown = login(client, email="nobody@example.com")
    wrong = login(client, password="not the password at all")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["code"] == "auth.invalid_credentials"


def test_three_failures_lock_the_account_and_the_right_password_then_stays_refused(
    client, db, clock
):
    for _ in range(3):
        assert_problem(login(client, password="wrong password 1"), 401, "auth.invalid_credentials")
    locked = login(client)  # the fourth attempt, with the right password

    assert locked.json() == login(client, email="nobody@example.com").json()
    player_id = _player_id(db)
    failures = _audit(db, player_id, "player.login_failed")
    assert len(failures) == 4
    assert {f.after["ip"] for f in failures} == {"testclient"}
    assert [f.after["reason"] for f in failures][:1] == ["locked"]  # newest first
    assert len(_audit(db, player_id, "player.locked")) == 1


def test_failures_further_apart_than_thirty_minutes_do_not_lock(client, clock):
    for _ in range(2):
        login(client, password="wrong password 1")
    clock.advance(timedelta(minutes=31))
    for _ in range(2):
        login(client, password="wrong password 1")

    assert login(client).status_code == 200


def test_a_success_resets_the_count_of_failures(client):
    for _ in range(2):
        login(client, password="wrong password 1")
    assert login(client).status_code == 200
    for _ in range(2):
        login(client, password="wrong password 1")

    assert login(client).status_code == 200


def test_an_operator_unlocks_a_locked_player_with_a_reason(client, db, clock):
    for _ in range(3):
        login(client, password="wrong password 1")
    support = operator_token(db, clock, "support", brand_id=_brand_id(db))
    player_id = _player_id(db)

    unlocked = client.post(
        f"/api/v1/backoffice/players/{player_id}/unlock",
        json={"reason": "caller verified by phone"},
        headers={"Authorization": f"Bearer {support}"},
    )

    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked"] is False
    assert login(client).status_code == 200
    [audit] = _audit(db, player_id, "player.unlocked")
    assert audit.reason == "caller verified by phone"
    assert audit.actor.startswith("operator:opr_")


def _brand_id(db) -> str:
    with db.read_only() as s:
        return s.scalars(select(Player.brand_id)).one()


def test_a_player_with_mfa_unlocks_themselves_with_password_and_code(client, clock):
    headers = logged_in(client)
    secret, _codes = _enrol_mfa(client, headers, clock)
    for _ in range(3):
        login(client, password="wrong password 1")
    clock.advance(timedelta(seconds=30))

    wrong = client.post(
        "/api/v1/auth/unlock",
        json={
            "brand": "luckystar",
            "email": "ada@example.com",
            "password": PASSWORD,
            "code": "000000",
        },
    )
    right = client.post(
        "/api/v1/auth/unlock",
        json={
            "brand": "luckystar",
            "email": "ada@example.com",
            "password": PASSWORD,
            "code": totp_code(secret, clock.now()),
        },
    )

    assert_problem(wrong, 401, "auth.invalid_credentials")
    assert right.status_code == 204, right.text
    clock.advance(timedelta(seconds=30))
    assert login(client, code=totp_code(secret, clock.now())).status_code == 200


# -- sessions --------------------------------------------------------------------------------


def test_a_logged_out_token_is_refused(client):
    headers = logged_in(client)
    assert client.get(ME, headers=headers).status_code == 200

    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204

    assert_problem(client.get(ME, headers=headers), 401, "auth.session_expired")


def test_a_revoked_session_is_refused_and_the_others_live_on(client):
    phone = logged_in(client)
    laptop = logged_in(client)
    sessions = client.get(f"{ME}/sessions", headers=laptop).json()
    phone_id = next(s["id"] for s in sessions if not s["current"])

    assert client.delete(f"{ME}/sessions/{phone_id}", headers=laptop).status_code == 204

    assert_problem(client.get(ME, headers=phone), 401, "auth.session_expired")
    assert client.get(ME, headers=laptop).status_code == 200
    assert len(client.get(f"{ME}/sessions", headers=laptop).json()) == 1


def test_a_player_cannot_revoke_another_players_session(client, clock):
    ada = logged_in(client)
    register(client, email="bob@example.com", legal_name="Bob Builder")
    bob = logged_in(client, email="bob@example.com")
    ada_session = client.get(f"{ME}/sessions", headers=ada).json()[0]["id"]

    response = client.delete(f"{ME}/sessions/{ada_session}", headers=bob)

    assert_problem(response, 404, "auth.session_not_found")
    assert client.get(ME, headers=ada).status_code == 200


def test_an_idle_session_is_refused_after_thirty_minutes(client, clock):
    headers = logged_in(client)
    clock.advance(timedelta(minutes=29))
    assert client.get(ME, headers=headers).status_code == 200  # use moves the idle clock
    clock.advance(timedelta(minutes=29))
    assert client.get(ME, headers=headers).status_code == 200

    clock.advance(timedelta(minutes=30))

    body = assert_problem(client.get(ME, headers=headers), 401, "auth.session_expired")
    assert body["reason"] == "inactivity"


def test_re_authentication_is_due_after_thirty_days_even_for_an_active_session(client, clock, db):
    headers = logged_in(client)
    clock.advance(timedelta(days=30) - timedelta(minutes=1))
    # As if the player had kept the session busy all along: last used a minute ago.
    with db.unit_of_work() as s:
        s.execute(update(PlayerSession).values(last_seen_at=clock.now() - timedelta(minutes=1)))
    assert client.get(ME, headers=headers).status_code == 200

    clock.advance(timedelta(minutes=1))

    body = assert_problem(client.get(ME, headers=headers), 401, "auth.session_expired")
    assert body["reason"] == "reauthentication"


def test_a_token_that_was_never_issued_is_refused(client):
    response = client.get(ME, headers={"Authorization": "Bearer cps_forged"})
    assert_problem(response, 401, "auth.not_authenticated")
    assert_problem(client.get(ME), 401, "auth.not_authenticated")


# -- MFA and step-up -------------------------------------------------------------------------


def test_with_mfa_a_login_needs_a_code_that_works_once_and_recovery_codes_work_once(client, clock):
    headers = logged_in(client)
    secret, codes = _enrol_mfa(client, headers, clock)
    assert len(codes) == 10
    clock.advance(timedelta(seconds=30))

    assert_problem(login(client), 401, "auth.mfa_required")
    code = totp_code(secret, clock.now())
    assert login(client, code=code).status_code == 200
    assert_problem(login(client, code=code), 401, "auth.invalid_mfa_code")  # replayed
    assert login(client, code=codes[0]).status_code == 200
    assert_problem(login(client, code=codes[0]), 401, "auth.invalid_mfa_code")


def test_changing_the_password_needs_a_fresh_step_up(client, clock, db):
    headers = logged_in(client)
    other = logged_in(client)
    secret, _ = _enrol_mfa(client, headers, clock)
    change = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    clock.advance(timedelta(minutes=6))  # the enrolment's own check has gone stale

    assert_problem(
        client.put(f"{ME}/password", headers=headers, json=change), 403, "auth.step_up_required"
    )
    verified = client.post(
        f"{ME}/mfa/verify", headers=headers, json={"code": totp_code(secret, clock.now())}
    )
    assert verified.status_code == 200, verified.text
    assert client.put(f"{ME}/password", headers=headers, json=change).status_code == 204

    assert_problem(client.get(ME, headers=other), 401, "auth.session_expired")
    assert client.get(ME, headers=headers).status_code == 200
    clock.advance(timedelta(seconds=30))
    assert (
        login(
            client, password="a brand new passphrase", code=totp_code(secret, clock.now())
        ).status_code
        == 200
    )
    assert len(_audit(db, _player_id(db), "player.password_changed")) == 1


def test_changing_email_or_payout_details_without_mfa_is_refused_and_changes_nothing(client, db):
    headers = logged_in(client)
    before = client.get(f"{ME}/profile", headers=headers).json()

    email = client.put(f"{ME}/email", headers=headers, json={"email": "new@example.com"})
    payout = client.put(f"{ME}/payout-details", headers=headers, json={"iban": IBAN})

    assert_problem(email, 403, "auth.mfa_not_enrolled")
    assert_problem(payout, 403, "auth.mfa_not_enrolled")
    assert client.get(f"{ME}/profile", headers=headers).json() == before


def test_email_and_payout_details_change_after_step_up_and_are_audited(client, clock, db):
    headers = logged_in(client)
    _enrol_mfa(client, headers, clock)  # confirming counts as a step-up

    bad_iban = client.put(
        f"{ME}/payout-details", headers=headers, json={"iban": "MT84MALT0110000123"}
    )
    payout = client.put(f"{ME}/payout-details", headers=headers, json={"iban": IBAN})
    email = client.put(f"{ME}/email", headers=headers, json={"email": "Ada.L@example.com"})

    assert_problem(bad_iban, 422, "request.invalid")
    assert payout.json()["payout_details"] == "MT84…001S"
    assert email.json()["email"] == "ada.l@example.com"
    player_id = _player_id(db)
    [changed] = _audit(db, player_id, "player.personal_data_changed")
    assert (changed.before, changed.after) == (
        {"email": "ada@example.com"},
        {"email": "ada.l@example.com"},
    )
    [payout_audit] = _audit(db, player_id, "player.payout_details_changed")
    assert IBAN not in str(payout_audit.after)


def test_a_password_reset_with_a_recovery_code_ends_every_session(client, clock):
    headers = logged_in(client)
    _secret, codes = _enrol_mfa(client, headers, clock)
    reset = {
        "brand": "luckystar",
        "email": "ada@example.com",
        "new_password": "another long passphrase",
    }

    wrong = client.post("/api/v1/auth/password-reset", json={**reset, "code": "AAAA-BBBB-CCCC"})
    right = client.post("/api/v1/auth/password-reset", json={**reset, "code": codes[3]})

    assert_problem(wrong, 401, "auth.invalid_credentials")
    assert right.status_code == 204, right.text
    assert_problem(client.get(ME, headers=headers), 401, "auth.session_expired")


# -- profile ---------------------------------------------------------------------------------


def test_a_profile_change_is_audited_with_before_and_after(client, db):
    headers = logged_in(client)

    response = client.patch(
        f"{ME}/profile", headers=headers, json={"city": "Valletta", "postcode": "VLT 1117"}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["city"], response.json()["postcode"]) == ("Valletta", "VLT 1117")
    [audit] = _audit(db, _player_id(db), "player.personal_data_changed")
    assert audit.before == {"city": "Floriana", "postcode": "FRN 9010"}
    assert audit.after == {"city": "Valletta", "postcode": "VLT 1117"}


def test_a_player_may_not_change_their_name_or_date_of_birth(client):
    headers = logged_in(client)

    response = client.patch(f"{ME}/profile", headers=headers, json={"legal_name": "Someone Else"})

    assert_problem(response, 422, "request.invalid")
    assert client.get(f"{ME}/profile", headers=headers).json()["legal_name"] == "Ada Lovelace"


def test_me_shows_the_cash_balance(client):
    me = client.get(ME, headers=logged_in(client)).json()
    assert me["balance"] == {
        "account_id": me["player"]["cash_account_id"],
        "currency": "EUR",
        "scale": 6,
        "available": 0,
        "posted": 0,
        "pending_debits": 0,
        "pending_credits": 0,
    }


# -- rate limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["in_process", "redis"])
def test_a_client_over_the_login_rate_limit_gets_429_with_retry_after(db, clock, store):
    settings = {"rate_limit_login_per_ip": 4, "rate_limit_window_seconds": 60}
    if store == "redis":
        url = os.environ.get("CROUPIER_TEST_REDIS_URL")
        if not url:
            if os.environ.get("CROUPIER_TEST_REQUIRE_SERVICES") == "1":
                pytest.fail("CROUPIER_TEST_REDIS_URL is not set but services are required")
            pytest.skip("CROUPIER_TEST_REDIS_URL is not set")
        settings["redis_url"] = url
    make_brand(db, clock)
    # Fresh random IPs (documentation range), so runs never share a Redis window.
    ip, other = (
        str(ipaddress.IPv6Address((0x20010DB8 << 96) | uuid.uuid4().int >> 32)) for _ in "ab"
    )
    with make_client(db, clock, trust_forwarded_for=True, **settings) as c:
        headers = {"X-Forwarded-For": f"{ip}, 10.0.0.1"}
        answers = [
            c.post(
                "/api/v1/auth/login",
                json={"brand": "luckystar", "email": f"u{n}@example.com", "password": "x"},
                headers=headers,
            )
            for n in range(5)
        ]
        other_ip = c.post(
            "/api/v1/auth/login",
            json={"brand": "luckystar", "email": "u9@example.com", "password": "x"},
            headers={"X-Forwarded-For": other},
        )

    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    limited = assert_problem(answers[-1], 429, "rate_limited")
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert limited["retry_after"] == int(answers[-1].headers["Retry-After"])
    assert other_ip.status_code == 401


def test_registration_is_rate_limited_per_ip_and_the_refused_one_creates_nothing(db, clock):
    make_brand(db, clock)
    with make_client(db, clock, rate_limit_register_per_ip=2) as c:
        register(c, email="a@example.com", legal_name="A One")
        register(c, email="b@example.com", legal_name="B Two")
        before = footprint(db)
        refused = c.post(
            "/api/v1/auth/register", json=registration(email="c@example.com", legal_name="C Three")
        )

    assert_problem(refused, 429, "rate_limited")
    assert footprint(db) == before


def test_login_attempts_on_one_account_are_limited_across_ips(db, clock):
    make_brand(db, clock)
    with make_client(db, clock, rate_limit_login_per_account=3, trust_forwarded_for=True) as c:
        answers = [
            c.post(
                "/api/v1/auth/login",
                json={"brand": "luckystar", "email": "ada@example.com", "password": "x"},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},
            )
            for n in range(4)
        ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]


def test_a_successful_login_clears_the_per_account_count(db, clock):
    make_brand(db, clock)
    with make_client(db, clock, rate_limit_login_per_account=3) as c:
        register(c)
        answers = [login(c).status_code for _ in range(6)]
    assert answers == [200] * 6


def test_an_oversized_body_still_gets_a_request_id(client):
    response = client.post(
        "/api/v1/auth/login", content=b"x" * 70_000, headers={"X-Request-ID": "big-1"}
    )
    assert_problem(response, 413, "request.too_large")
    assert response.headers["X-Request-ID"] == "big-1"


def test_many_tokens_are_authenticated_at_once_each_with_its_own_answer(client, clock, db):
    """A group commit of requests authenticates its tokens together (two reads whatever their
    number): each gets its player or its refusal, in order, and only live sessions move."""
    from croupier.core.players import authenticate_session, authenticate_sessions
    from croupier.core.players.errors import SessionExpired
    from croupier.kernel.web import NotAuthenticated

    live, idle, ended = (
        logged_in(client)["Authorization"].removeprefix("Bearer ") for _ in range(3)
    )
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {ended}"})
    clock.advance(timedelta(minutes=20))
    with db.unit_of_work() as s:
        authenticate_session(s, clock, live)  # used 10 minutes before the idle one times out
    clock.advance(timedelta(minutes=11))

    with db.unit_of_work() as s:
        answers = authenticate_sessions(s, clock, [idle, live, "never-issued", ended, live])

    assert [type(a).__name__ for a in answers] == [
        "SessionExpired", "AuthenticatedPlayer", "NotAuthenticated", "SessionExpired",
        "AuthenticatedPlayer",
    ]  # fmt: skip
    idle_answer, live_answer, unknown_answer, ended_answer, live_again = answers
    assert isinstance(idle_answer, SessionExpired)
    assert idle_answer.extra["reason"] == "inactivity"
    assert isinstance(ended_answer, SessionExpired)
    assert ended_answer.extra["reason"] == "revoked"
    assert isinstance(unknown_answer, NotAuthenticated)
    assert live_answer == live_again
    assert not isinstance(live_answer, SessionExpired | NotAuthenticated)
    assert live_answer.player_id == _player_id(db)
    with db.read_only() as s:
        seen = sorted(s.scalars(select(PlayerSession.last_seen_at)))
    assert seen[-1] == clock.now()  # the live one moved
    assert seen[0] < clock.now() - timedelta(minutes=30)  # the idle one did not
