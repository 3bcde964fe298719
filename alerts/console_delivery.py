"""The dry run of Slack delivery: with no token, print what would be posted."""

from __future__ import annotations

from collections.abc import Callable

from alerts.dedup import DeliveryResult, Notification
from alerts.slack_blocks import render_console


def _print_now(text: str) -> None:
    print(text, flush=True)


class ConsoleDelivery:
    """Dry run: print what would be posted; always "accepted" with a fake ts.

    A new message or thread reply is printed whole; an in-place update as one
    line (the message was printed when it was posted).
    """

    def __init__(self, write: Callable[[str], None] = _print_now) -> None:
        self._write = write
        self._n = 0

    def _ts(self) -> str:
        self._n += 1
        return f"dry.{self._n:06d}"

    def send(self, n: Notification, thread_ts: str | None) -> DeliveryResult:
        if n.action == "update":
            first = n.text.splitlines()[0] if n.text else n.dedup_key
            self._write(f"~ updated {n.channel}: {first[:160]}")
        else:
            self._write("\n" + render_console(n))
        return DeliveryResult(ok=True, ts=self._ts(), channel=n.channel, status=200)

    def upload_chart(
        self, channel: str, thread_ts: str | None, png: bytes, title: str
    ) -> DeliveryResult:
        self._write(f"--- chart -> {channel} (thread {thread_ts}): {title}, {len(png)} bytes")
        return DeliveryResult(ok=True, ts=self._ts(), channel=channel, status=200)
