"""The payments configuration file: validated whole, secrets kept out of sight, routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from croupier.products.payments.config import (
    InvalidPaymentsConfig,
    PaymentsConfig,
    load_payments_config,
)
from croupier.products.payments.orchestration import PaymentsRuntime

GOOD = """
[[psp]]
name = "card"
kind = "card"
url = "http://127.0.0.1:9"
api_key = "k-card"
webhook_secret = "s-card"

[[psp]]
name = "card-b"
kind = "card"
url = "http://127.0.0.1:9"
api_key_env = "TEST_CARD_B_KEY"
webhook_secret = "s-b"

[[psp]]
name = "bank"
kind = "instant"
url = "http://127.0.0.1:9"
api_key = "k"
webhook_secret = "s"

[[route]]
method = "card"
currencies = ["EUR"]
countries = ["MT"]
psps = [{psp = "card-b", priority = 2}, {psp = "card", priority = 1}]

[[route]]
method = "card"
psps = [{psp = "card-b"}]

[withdrawals]
auto_approve_below = {EUR = "100.00"}
four_eyes_from = {EUR = "1000.00"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "payments.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_and_routes_by_method_currency_and_country(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_CARD_B_KEY", "from-the-environment")
    config = load_payments_config(write(tmp_path, GOOD))
    assert config.psp_named("card-b") is not None
    assert config.psp_named("card-b").secret("api_key") == "from-the-environment"  # type: ignore[union-attr]
    assert "k-card" not in repr(config)  # secrets never printed
    runtime = PaymentsRuntime.build(config)
    try:
        assert runtime.candidates("card", "EUR", "MT", "deposit") == ["card", "card-b"]
        assert runtime.candidates("card", "GBP", "GB", "deposit") == ["card-b"]
        assert runtime.candidates("ewallet", "EUR", "MT", "deposit") == []
    finally:
        runtime.close()
    assert config.withdrawals.approvals_needed(99_990_000, "EUR") == 0
    assert config.withdrawals.approvals_needed(100_000_000, "EUR") == 1
    assert config.withdrawals.approvals_needed(1000_000_000, "EUR") == 2
    assert config.withdrawals.approvals_needed(1, "GBP") == 1  # no threshold: a person looks


def test_equal_priorities_share_traffic_by_weight() -> None:
    config = PaymentsConfig.model_validate(
        {
            "psp": [
                {
                    "name": n,
                    "kind": "card",
                    "url": "http://x",
                    "api_key": "k",
                    "webhook_secret": "s",
                }
                for n in ("heavy", "light")
            ],
            "route": [
                {
                    "method": "card",
                    "psps": [{"psp": "heavy", "weight": 9}, {"psp": "light", "weight": 1}],
                }
            ],
        }
    )
    runtime = PaymentsRuntime.build(config)
    try:
        runtime.rng.seed(1)
        firsts = [runtime.candidates("card", "EUR", None, "deposit")[0] for _ in range(2000)]
    finally:
        runtime.close()
    share = firsts.count("heavy") / len(firsts)
    assert 0.85 < share < 0.95


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (GOOD.replace('kind = "instant"', 'kind = "cash"'), "kind"),
        (GOOD + '\n[[route]]\nmethod = "card"\npsps = [{psp = "nobody"}]\n', "unknown PSP"),
        (GOOD + '\n[[route]]\nmethod = "ewallet"\npsps = [{psp = "bank"}]\n', "cannot take"),
        (GOOD.replace('"100.00"', '"lots"'), "lots"),
        (GOOD + "\nsurprise = 1\n", "surprise"),
        ("[[psp]\n", "Cannot read"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(InvalidPaymentsConfig) as refused:
        load_payments_config(write(tmp_path, text))
    assert why in refused.value.detail


def test_no_file_means_no_psps() -> None:
    assert load_payments_config(None).psp == ()


def test_a_missing_secret_is_a_clear_error(tmp_path: Path) -> None:
    config = load_payments_config(write(tmp_path, GOOD))
    psp = config.psp_named("card-b")
    assert psp is not None
    with pytest.raises(InvalidPaymentsConfig):
        psp.secret("api_key")  # TEST_CARD_B_KEY is not set and there is no inline key


def test_the_demo_configuration_is_valid() -> None:
    demo = Path(__file__).resolve().parents[3] / "deploy" / "payments-demo.toml"
    config = load_payments_config(demo)
    assert {p.name for p in config.psp} == {"card", "ewallet", "instant"}
