"""Problem documents: their own members cannot be overwritten by an error's extras."""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class _GameMissing(DomainError):
    code = "test.game_missing"
    status = 404
    title = "No such game"


def test_an_extra_named_like_a_problem_member_is_kept_aside_not_over_it():
    problem = _GameMissing("No game sweet-7.", code="sweet-7", status="x", game="g").to_problem(
        instance="/games/sweet-7"
    )
    assert problem["code"] == "test.game_missing"
    assert problem["status"] == 404
    assert problem["code_value"] == "sweet-7"
    assert problem["status_value"] == "x"
    assert problem["game"] == "g"
    assert problem["instance"] == "/games/sweet-7"
