"""How a brand's backlog is told to people: durations and the backlog signal's message."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detectors.backlog import BacklogConfig


def format_duration(seconds: float) -> str:
    """Rough human duration: ``"25 min"``, ``"1.5 h"``, ``"6 h"``.

    >>> format_duration(1500), format_duration(3600), format_duration(5400), format_duration(24_000)
    ('25 min', '1 h', '1.5 h', '7 h')
    """
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    hours = seconds / 3600
    return f"{hours:.1f}".removesuffix(".0") + " h" if hours < 3 else f"{round(hours)} h"


def backlog_message(
    cfg: BacklogConfig,
    inflow: float,
    answered: float,
    backlog: int,
    clears: float,
    overdue: int,
    outrun: bool,
    late: bool,
) -> str:
    """The backlog signal's one line for people: pace, what clears when, what to do.

    >>> from detectors.backlog import BacklogConfig
    >>> backlog_message(BacklogConfig(), 90.0, 10.0, 300, 5400.0, 0, False, False)
    'inflow 90/h, answered 10/h, backlog 300, clears in ~1.5 h at this pace'
    """
    text = f"inflow {inflow:.0f}/h, answered {answered:.0f}/h, backlog {backlog}"
    if backlog and math.isinf(clears):
        text += f", no answers in the last {format_duration(cfg.rate_window_seconds)}"
    elif backlog:
        text += f", clears in ~{format_duration(clears)} at this pace"
    if late:
        text += (
            f", {overdue} passed the {format_duration(cfg.promise_seconds)} promise"
            f" in the last {format_duration(cfg.rate_window_seconds)}"
        )
    if outrun:
        text += " — post an interim status update"
    elif late:
        text += " — answer the oldest first"
    return text
