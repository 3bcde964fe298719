"""The incident chart: what people read in the thread in a glance.

matplotlib with the Agg backend (no display, no pyplot state: one ``Figure`` per
call, safe in the notify thread). Top panel: mentions per bucket (observed)
against the expected level and its band (about two standard deviations of a
Poisson count), with the incident's onset marked; bottom panel: the negative
share of each bucket. The time axis is in the team's time zone; the title names
the brand and the incident. The PNG stays well under 100 KB.

History points are ``[ts, observed, expected]`` or ``[ts, observed, expected,
negative_share]`` (event time, POSIX seconds); bad points are skipped.

Examples
--------
>>> png = render_chart([[0, 5, 5, 0.1], [300, 6, 5, 0.2], [600, 40, 5, 0.7]], opened_at=600,
...                    title="Negative-sentiment burst – nordbank · login")
>>> png[:8] == PNG_SIGNATURE, png_size(png), len(png) < 100_000
(True, (800, 450), True)
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from alerts.i18n import t

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH_PX, HEIGHT_PX, DPI = 800, 450, 100
OBSERVED = "#c62828"
EXPECTED = "#1f5f99"
BAND = "#cfe0f1"
ONSET = "#ef8f00"
NEGATIVE = "#6a1b9a"


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    w, h = struct.unpack(">II", png[16:24])
    return int(w), int(h)


def _clean(points: Sequence[Sequence[Any]]) -> list[tuple[float, float, float, float | None]]:
    out: dict[float, tuple[float, float, float, float | None]] = {}
    for p in points:
        try:
            ts, obs, exp = float(p[0]), float(p[1]), float(p[2])
        except (TypeError, ValueError, IndexError):
            continue
        if not all(math.isfinite(v) for v in (ts, obs, exp)):
            continue
        share: float | None = None
        if len(p) > 3:
            try:
                share = float(p[3])
            except (TypeError, ValueError):
                share = None
            if share is not None and not (math.isfinite(share) and 0.0 <= share <= 1.0):
                share = None
        out[ts] = (ts, max(0.0, obs), max(0.0, exp), share)
    return [out[k] for k in sorted(out)]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def render_chart(
    history: Sequence[Sequence[Any]],
    *,
    opened_at: float | None = None,
    title: str = "",
    tz: str = "Europe/Helsinki",
    hours: float = 6.0,
    lang: str = "en",
) -> bytes:
    """A PNG of the last ``hours`` of ``history`` (see the module docstring).

    ``lang`` (fi, en, sv) is the language of the labels and numbers (decimal comma in fi, sv).
    """
    fig = chart_figure(history, opened_at=opened_at, title=title, tz=tz, hours=hours, lang=lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def chart_figure(
    history: Sequence[Sequence[Any]],
    *,
    opened_at: float | None = None,
    title: str = "",
    tz: str = "Europe/Helsinki",
    hours: float = 6.0,
    lang: str = "en",
) -> Figure:
    """The matplotlib figure :func:`render_chart` saves (for tests and other formats)."""
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pts = _clean(history)
    if pts:
        start = pts[-1][0] - hours * 3600.0
        pts = [p for p in pts if p[0] >= start]
    zone = _zone(tz)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.2], "hspace": 0.08}
    )
    fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.12)
    fig.suptitle(
        title or t("chart.mentions", lang),
        fontsize=12,
        fontweight="bold",
        x=0.08,
        y=0.97,
        ha="left",
    )
    when = [datetime.fromtimestamp(p[0], tz=UTC) for p in pts]
    obs = [p[1] for p in pts]
    exp = [p[2] for p in pts]
    lo = [max(0.0, e - 2.0 * math.sqrt(e)) for e in exp]
    hi = [e + 2.0 * math.sqrt(e) for e in exp]
    if pts:
        top.fill_between(when, lo, hi, color=BAND, label=t("chart.band", lang), linewidth=0)
        top.plot(
            when,
            exp,
            color=EXPECTED,
            linewidth=1.2,
            linestyle="--",
            label=t("chart.expected", lang),
        )
        top.plot(when, obs, color=OBSERVED, linewidth=2.0, marker="o", markersize=3,
                 label=t("chart.observed", lang))  # fmt: skip
        top.set_ylim(0, max(max(obs), max(hi), 1.0) * 1.15)
        peak = max(range(len(obs)), key=lambda i: obs[i])
        top.annotate(t("chart.peak", lang, value=f"{obs[peak]:.0f}"), (when[peak], obs[peak]),
                     xytext=(4, 4), textcoords="offset points", fontsize=8,
                     color=OBSERVED)  # fmt: skip
    else:
        top.text(
            0.5, 0.5, t("chart.no_data", lang), ha="center", va="center", transform=top.transAxes
        )
    top.set_ylabel(t("chart.per_bucket", lang), fontsize=9)
    shares = [(w, p[3]) for w, p in zip(when, pts, strict=True) if p[3] is not None]
    if shares:
        bottom.fill_between([w for w, _ in shares], [100 * s for _, s in shares],
                            color=NEGATIVE, alpha=0.25, linewidth=0)  # fmt: skip
        bottom.plot([w for w, _ in shares], [100 * s for _, s in shares], color=NEGATIVE,
                    linewidth=1.5)  # fmt: skip
    bottom.set_ylim(0, 100)
    bottom.set_ylabel(t("chart.negative", lang), fontsize=9)
    if opened_at is not None and math.isfinite(opened_at):
        onset = datetime.fromtimestamp(opened_at, tz=UTC)
        for ax in (top, bottom):
            ax.axvline(onset, color=ONSET, linewidth=1.5, linestyle=":")
        top.annotate(t("chart.opened", lang), (onset, 0.0), xycoords=("data", "axes fraction"),
                     xytext=(3, 3), textcoords="offset points", fontsize=8,
                     color=ONSET)  # fmt: skip
    for ax in (top, bottom):
        ax.grid(True, color="#e6e6e6", linewidth=0.6)
        ax.tick_params(labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    if pts:
        first, last = pts[0][0], pts[-1][0]
        if last - first < 1800:
            mid = (first + last) / 2
            first, last = mid - 900, mid + 900
            bottom.set_xlim(datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC))
        step = next((m for m in (5, 10, 15, 30, 60, 120, 180) if (last - first) / 60 / m <= 8), 360)
        locator: Any = (
            mdates.MinuteLocator(byminute=range(0, 60, step), tz=zone)  # type: ignore[no-untyped-call]
            if step < 60
            else mdates.HourLocator(byhour=range(0, 24, step // 60), tz=zone)  # type: ignore[no-untyped-call]
        )
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))  # type: ignore[no-untyped-call]
        label = datetime.fromtimestamp(pts[-1][0], tz=zone).strftime("%Z, %d.%m.%Y")
        bottom.set_xlabel(t("chart.time", lang, label=label), fontsize=8)
    if pts:
        top.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, frameon=False,
                   ncol=3, borderaxespad=0.1)  # fmt: skip
    return fig
