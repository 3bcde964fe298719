"""A small PNG chart of an incident's last hours, in pure Python (zlib only).

Observed mentions per bucket as a thick line over the expected level (shaded),
a marker where the incident opened and the peak written in the corner.
People would rather look than read.

Examples
--------
>>> png = render_chart([[0, 5, 5], [60, 6, 5], [120, 40, 5]], opened_at=120)
>>> png[:8] == PNG_SIGNATURE, png_size(png)
(True, (480, 160))
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from itertools import pairwise

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Color = tuple[int, int, int]

BACKGROUND: Color = (255, 255, 255)
GRID: Color = (232, 232, 232)
EXPECTED_FILL: Color = (214, 226, 240)
EXPECTED_LINE: Color = (120, 150, 190)
OBSERVED: Color = (200, 40, 40)
MARKER: Color = (240, 150, 20)
TEXT: Color = (60, 60, 60)

# 3x5 bitmap digits (rows top to bottom, 3 bits each) for the peak label.
_FONT = {
    "0": (7, 5, 5, 5, 7),
    "1": (2, 6, 2, 2, 7),
    "2": (7, 1, 7, 4, 7),
    "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7),
    "6": (7, 4, 7, 5, 7),
    "7": (7, 1, 2, 2, 2),
    "8": (7, 5, 7, 5, 7),
    "9": (7, 5, 7, 1, 7),
    ".": (0, 0, 0, 0, 2),
    "k": (4, 5, 6, 5, 5),
}


class Canvas:
    """An RGB raster with the few drawing primitives the chart needs."""

    def __init__(self, width: int, height: int, bg: Color = BACKGROUND) -> None:
        if width < 16 or height < 16 or width > 4000 or height > 4000:
            raise ValueError("width and height must be in [16, 4000]")
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(bg) * width) for _ in range(height)]

    def set(self, x: int, y: int, c: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * x
            self.rows[y][i : i + 3] = bytes(c)

    def hline(self, x0: int, x1: int, y: int, c: Color) -> None:
        for x in range(max(0, min(x0, x1)), min(self.width, max(x0, x1) + 1)):
            self.set(x, y, c)

    def vline(self, x: int, y0: int, y1: int, c: Color) -> None:
        for y in range(max(0, min(y0, y1)), min(self.height, max(y0, y1) + 1)):
            self.set(x, y, c)

    def line(self, x0: int, y0: int, x1: int, y1: int, c: Color, thick: int = 1) -> None:
        """Bresenham line, ``thick`` pixels wide (a square brush)."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        r0, r1 = -((thick - 1) // 2), thick // 2
        while True:
            for ox in range(r0, r1 + 1):
                for oy in range(r0, r1 + 1):
                    self.set(x0 + ox, y0 + oy, c)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, s: str, c: Color, scale: int = 2) -> None:
        """Digits (and ``.``/``k``) in a 3x5 bitmap font."""
        for ch in s:
            glyph = _FONT.get(ch)
            if glyph is not None:
                for gy, bits in enumerate(glyph):
                    for gx in range(3):
                        if bits & (4 >> gx):
                            for sx in range(scale):
                                for sy in range(scale):
                                    self.set(x + gx * scale + sx, y + gy * scale + sy, c)
            x += 4 * scale

    def to_png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(r) for r in self.rows)
        ihdr = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            PNG_SIGNATURE
            + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(raw, 6))
            + (_chunk(b"IEND", b""))
        )


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    w, h = struct.unpack(">II", png[16:24])
    return int(w), int(h)


def _label(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:.0f}k"
    if v >= 1000:
        return f"{v / 1000:.1f}k"
    return f"{v:.0f}"


def _clean(points: Sequence[Sequence[float]]) -> list[tuple[float, float, float]]:
    out = []
    for p in points:
        try:
            t, o = float(p[0]), float(p[1])
            e = float(p[2]) if len(p) > 2 else 0.0
        except (TypeError, ValueError, IndexError):
            continue
        if all(math.isfinite(v) for v in (t, o, e)):
            out.append((t, max(0.0, o), max(0.0, e)))
    return sorted(out)


def render_chart(
    points: Sequence[Sequence[float]],
    *,
    opened_at: float | None = None,
    width: int = 480,
    height: int = 160,
) -> bytes:
    """PNG bytes of observed vs expected over time (``points``: [ts, observed, expected]).

    Fewer than two usable points give an empty frame, never an error.
    """
    cv = Canvas(width, height)
    pts = _clean(points)
    left, right, top, bottom = 6, width - 6, 22, height - 6
    for i in range(5):
        cv.hline(left, right, top + (bottom - top) * i // 4, GRID)
    if len(pts) < 2:
        return cv.to_png()
    t0, t1 = pts[0][0], pts[-1][0]
    span = max(t1 - t0, 1e-9)
    ymax = max(max(o for _, o, _ in pts), max(e for _, _, e in pts), 1.0) * 1.08

    def px(t: float) -> int:
        return left + round((t - t0) / span * (right - left))

    def py(v: float) -> int:
        return bottom - round(v / ymax * (bottom - top))

    xy_exp = [(px(t), py(e)) for t, _, e in pts]
    for (xa, ya), (xb, yb) in pairwise(xy_exp):
        for x in range(xa, xb + 1):
            frac = 0.0 if xb == xa else (x - xa) / (xb - xa)
            cv.vline(x, round(ya + frac * (yb - ya)), bottom, EXPECTED_FILL)
    for (xa, ya), (xb, yb) in pairwise(xy_exp):
        cv.line(xa, ya, xb, yb, EXPECTED_LINE)
    if opened_at is not None and t0 <= opened_at <= t1:
        x = px(opened_at)
        for y in range(top, bottom + 1, 4):
            cv.vline(x, y, y + 1, MARKER)
    xy_obs = [(px(t), py(o)) for t, o, _ in pts]
    for (xa, ya), (xb, yb) in pairwise(xy_obs):
        cv.line(xa, ya, xb, yb, OBSERVED, thick=3)
    peak = max(o for _, o, _ in pts)
    cv.text(left + 2, 6, _label(peak), TEXT)
    return cv.to_png()
