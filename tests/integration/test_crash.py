"""The short crash trial of the default suite (the long ones: ``make test-crash``).

One worker is SIGKILLed while Slack holds a post of its open, then started again;
everything it posts and every incident event must match a no-crash reference run
of the same input: no stall, no post missing or made twice, identical incident ids
and evidence (tests/crash/trials.py compares them). The two-worker takeover is
tests/integration/test_faults.py's first test.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.crash.trials import compare, compare_incidents, run, scenario


def test_sigkill_and_restart_posts_what_a_run_without_crash_posts(
    bootstrap: str, tmp_path: Path
) -> None:
    records = scenario(small=True)
    ref, ref_inc, rres = run(
        "reference", bootstrap, records, guarantee="at_least_once", workdir=tmp_path
    )
    assert not rres.stalled
    posts = sum(1 for k in ref if '"m": "chat.postMessage"' in k)
    assert posts >= 3, ref  # the storm was posted: there is something to lose
    kill_at = random.Random(2).randint(1, max(1, posts - 1))
    got, got_inc, res = run(
        "restart",
        bootstrap,
        records,
        guarantee="at_least_once",
        kill_at=kill_at,
        workdir=tmp_path,
    )
    compare(ref, got, res)
    compare_incidents(ref_inc, got_inc, res)
    print(
        f"\ncrash trial (restart, killed at post {res.killed_at_post} of {posts}): "
        f"missing={res.missing} duplicated={res.duplicated} extra={res.extra} "
        f"incident mismatches={res.incident_missing + res.incident_extra}"
    )
    assert res.killed_at_post >= 1, "the worker was never killed: no crash was tested"
    assert not res.stalled
    assert res.ok, res.detail
