"""Game control (GLI-19 §2.4.1, §4.15, A.6): games switched off globally, per brand or per
jurisdiction, the kill switch, stake caps per game, and RTP alerts.

Public names are the service functions and values; products call :func:`check_play` before
every stake.
"""

from croupier.core.gamecontrol.errors import GameDisabled, GamingSuspended, StakeAboveGameCap
from croupier.core.gamecontrol.rtp import (
    MIN_ROUNDS,
    RtpAlertView,
    RtpComparison,
    RtpSums,
    open_rtp_alerts,
    record_rtp_comparison,
    rtp_interval,
    rtp_sum_columns,
    rtp_sums,
)
from croupier.core.gamecontrol.service import (
    ALL,
    IN_HOUSE_PROVIDER,
    ControlKind,
    GameControlView,
    PlayCheck,
    Scope,
    check_play,
    check_plays,
    controls_query,
    disable_game,
    enable_game,
    judge_plays,
    list_controls,
    remove_stake_cap,
    resume_gaming,
    set_stake_cap,
    suspend_gaming,
)

__all__ = [
    "ALL",
    "IN_HOUSE_PROVIDER",
    "MIN_ROUNDS",
    "ControlKind",
    "GameControlView",
    "GameDisabled",
    "GamingSuspended",
    "PlayCheck",
    "RtpAlertView",
    "RtpComparison",
    "RtpSums",
    "Scope",
    "StakeAboveGameCap",
    "check_play",
    "check_plays",
    "controls_query",
    "disable_game",
    "enable_game",
    "judge_plays",
    "list_controls",
    "open_rtp_alerts",
    "record_rtp_comparison",
    "remove_stake_cap",
    "resume_gaming",
    "rtp_interval",
    "rtp_sum_columns",
    "rtp_sums",
    "set_stake_cap",
    "suspend_gaming",
]
