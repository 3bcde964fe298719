"""Benchmark of the alerts hot paths (plain script, not collected by pytest).

    .venv/bin/python tests/bench/bench_alerts.py

Prints per-call times for: parsing a signed Slack click (the interactivity
endpoint must answer within 3 s), planning + rendering one incident, and
rendering the PNG chart.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from alerts.chart import render_chart
from alerts.dedup import SentLog
from alerts.escalation import plan
from alerts.incidents import Incident
from alerts.interactivity import parse_interaction
from alerts.policy import load_policy


def per_call(fn: object, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.perf_counter() - t) / n


def main() -> None:
    now = 1_772_900_000.0
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"action_id": "spikewatch_ack", "value": "inc-0123456789ab"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    sig = SignatureVerifier("secret").generate_signature(timestamp=str(int(now)), body=body)
    headers = {"X-Slack-Request-Timestamp": str(int(now)), "X-Slack-Signature": sig or ""}
    t_click = per_call(lambda: parse_interaction(headers, body, "secret", now), 2000)

    history = [[now - (72 - i) * 300, 20 + (400 if i > 60 else 0), 20] for i in range(72)]
    samples = [{"id": str(i), "text": "Verkkopankki ei toimi " * 10, "url": None} for i in range(3)]
    inc = Incident(
        "inc-1",
        "nordbank",
        "volume_surge",
        "login",
        "open",
        "high",
        now - 3600,
        now,
        now,
        history=history,
        evidence={
            "observed": 420,
            "expected": 20,
            "ratio": 21,
            "samples": samples,
            "top_terms": [{"term": "verkkopankki", "ratio": 9.0}] * 8,
        },
    )
    policy = load_policy()
    t_plan = per_call(lambda: plan(inc, policy, now, SentLog()), 100)
    t_chart = per_call(lambda: render_chart(history, opened_at=now - 3600), 50)
    print(f"parse_interaction: {t_click * 1e6:8.1f} us/call")
    print(f"plan (with chart): {t_plan * 1e3:8.2f} ms/call")
    print(f"render_chart 800x450 (matplotlib), 72 points: {t_chart * 1e3:8.2f} ms/call")


if __name__ == "__main__":
    main()
