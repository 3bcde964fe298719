"""The short crash trial of the default suite (``make test-crash`` runs the long one).

A smaller input than ``tests/crash/trials.py`` uses; one no-crash reference,
then one run with two workers where one is SIGKILLed while Slack answers a
post, and one single worker SIGKILLed and restarted. Both must finish (no
stalled partition), miss no Slack message of the reference, and write the
same incidents (ids, event times, evidence) as the reference.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.crash.trials import Result, compare, compare_incidents, run, scenario

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_sigkill_two_workers_and_restart_match_the_reference(
    bootstrap: str, tmp_path: Path
) -> None:
    records = scenario(small=True)
    ref, ref_inc, rres = run(
        "reference", bootstrap, records, guarantee="exactly_once", workdir=tmp_path, settle_s=8.0
    )
    assert not rres.stalled
    posts = sum(1 for k in ref if '"m": "chat.postMessage"' in k)
    assert posts >= 4
    assert any('"resolved"' in e for e in ref_inc)
    rng = random.Random()
    results: list[Result] = []
    for mode in ("two", "restart"):
        got, got_inc, res = run(
            mode,
            bootstrap,
            records,
            guarantee="exactly_once",
            kill_at=rng.randint(1, posts - 1),
            workdir=tmp_path,
            settle_s=8.0,
        )
        compare(ref, got, res)
        compare_incidents(ref_inc, got_inc, res)
        results.append(res)
        print(f"\n{mode}: {res}")
    for res in results:
        assert res.killed_at_post > 0
        assert not res.stalled
        assert res.missing == 0, res.detail
        assert res.incident_missing == 0, res.detail
        assert res.incident_extra == 0, res.detail
        # A post Slack accepted just before the SIGKILL, not yet recorded as sent, is the
        # one message that can repeat (the notify stage's lookup by metadata is issue 14's
        # notify part); anything more is a failure here.
        assert res.duplicated + res.extra <= 1, res.detail
