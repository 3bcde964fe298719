"""The pure-Python PNG chart: valid PNG, right size, robust to bad points."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest

from alerts.chart import PNG_SIGNATURE, Canvas, png_size, render_chart


def decode_rgb(png: bytes) -> tuple[int, int, list[bytes]]:
    """Minimal PNG reader for our own output (8-bit RGB, filter 0), checking CRCs."""
    assert png[:8] == PNG_SIGNATURE
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        tag, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + data)
        if tag == b"IHDR":
            w, h = struct.unpack(">II", data[:8])
        elif tag == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 3 * w
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(h)]
    assert all(raw[i * stride] == 0 for i in range(h))
    return w, h, rows


def red_pixels(rows: list[bytes]) -> list[tuple[int, int]]:
    out = []
    for y, r in enumerate(rows):
        for x in range(0, len(r), 3):
            if r[x] == 200 and r[x + 1] == 40:
                out.append((x // 3, y))
    return out


@pytest.mark.parametrize(
    "points",
    [
        [],
        [[0, 1, 1]],
        [[0, 1, 1], [60, 2, 1]],
        [[0, "x", 1], [60, 5, 1], [120, float("nan"), 1], [180, 9, 2]],
        [[i * 60, 0, 0] for i in range(10)],
        [[i * 60, 1e9, 1] for i in range(3)],
        [[120, 5, 1], [0, 1, 1], [60, 3, 1]],
    ],
)
def test_always_a_valid_png(points: list[list[Any]]) -> None:
    png = render_chart(points, width=200, height=80)
    w, h, rows = decode_rgb(png)
    assert (w, h) == (200, 80) == png_size(png)
    assert len(rows) == 80


def test_surge_is_drawn_high() -> None:
    pts = [[i * 60, 100 if 20 <= i < 25 else 10, 10] for i in range(40)]
    _, _h, rows = decode_rgb(render_chart(pts, opened_at=20 * 60, width=400, height=120))
    red = red_pixels(rows)
    assert red
    top_x = [x for x, y in red if y < 40]
    assert top_x
    assert min(top_x) >= 190
    assert max(top_x) <= 260


def test_canvas_rejects_bad_size() -> None:
    with pytest.raises(ValueError, match="width"):
        Canvas(4, 4000)
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))
