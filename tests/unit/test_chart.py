"""The incident chart (matplotlib, Agg): a golden picture test and robustness.

Golden, but not to the byte (fonts and matplotlib versions move pixels): the
size, the weight, and that each panel really draws its data in its colours,
with the time axis in the team's time zone.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from alerts.chart import (
    HEIGHT_PX,
    PNG_SIGNATURE,
    WIDTH_PX,
    chart_figure,
    png_size,
    render_chart,
)

T0 = datetime(2026, 3, 3, 6, 0, tzinfo=UTC).timestamp()  # 08:00 in Helsinki


def outage() -> list[list[float]]:
    pts = []
    for i in range(48):  # 4 hours of 5-minute buckets
        hot = 24 <= i < 40
        pts.append([T0 + i * 300.0, 120.0 + i if hot else 10.0 + i % 3, 10.0, 0.8 if hot else 0.1])
    return pts


def _count(img: Image.Image, box: tuple[int, int, int, int], rgb: tuple[int, int, int]) -> int:
    region = img.crop(box).convert("RGB")
    raw = region.tobytes()
    return sum(
        1 for i in range(0, len(raw), 3) if all(abs(raw[i + k] - rgb[k]) <= 30 for k in range(3))
    )


def test_golden_picture() -> None:
    png = render_chart(outage(), opened_at=T0 + 24 * 300, title="Outage – nordbank · login")
    assert png[:8] == PNG_SIGNATURE
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (800, 450)
    assert 10_000 < len(png) < 100_000
    img = Image.open(io.BytesIO(png))
    top = (60, 60, 790, 290)  # the volume panel
    bottom = (60, 300, 790, 395)  # the negative-share panel
    assert _count(img, top, (198, 40, 40)) > 500  # the observed line
    assert _count(img, top, (207, 224, 241)) > 2000  # the expected band
    assert _count(img, bottom, (216, 196, 228)) > 2000  # the shaded negative share
    assert _count(img, bottom, (198, 40, 40)) == 0  # volume stays in its panel


def test_axes_are_labelled_in_the_teams_time_zone() -> None:
    fig = chart_figure(outage(), opened_at=T0 + 24 * 300, title="t", tz="Europe/Helsinki")
    fig.canvas.draw()
    top, bottom = fig.axes
    assert top.get_ylabel() == "mentions / bucket"
    assert bottom.get_ylabel() == "negative %"
    labels = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
    assert labels
    assert labels[0].startswith(("08", "09"))  # local time: the data starts at 08:00 EET
    assert "EET" in bottom.get_xlabel()
    assert len(top.get_lines()) >= 3  # expected, observed, the onset marker
    utc = chart_figure(outage(), tz="UTC")
    utc.canvas.draw()
    first = next(t.get_text() for t in utc.axes[1].get_xticklabels() if t.get_text())
    assert first.startswith("06")


def test_same_history_gives_the_same_picture() -> None:
    assert render_chart(outage(), opened_at=T0) == render_chart(outage(), opened_at=T0)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [[0, 1, 1]],
        [[T0, 1, 1], [T0 + 300, 2, 1]],
        [[T0, "x", 1], [T0 + 60, 5, 1], [T0 + 120, float("nan"), 1], [T0 + 180, 9, 2, 7.0]],
        [[T0, 0, 0], [T0 + 300, 0, 0]],
        [["bad"], None, [T0, 3, 2, None]],
    ],
)
def test_bad_or_tiny_histories_still_render(points: list[Any]) -> None:
    png = render_chart(points, opened_at=float("nan"), tz="No/Such_Zone")
    assert png_size(png) == (800, 450)
    assert len(png) < 100_000
