"""/healthz: a worker whose agent crashed says so (503) instead of looking healthy."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from streams.web import WebServer


def _server(actors: list[Any]) -> WebServer:
    srv = WebServer.__new__(WebServer)
    srv.ctx = SimpleNamespace(ready=True)  # type: ignore[assignment]
    agent = SimpleNamespace(_actors=actors)
    srv.fapp = SimpleNamespace(should_stop=False, agents={"streams.notify.notify": agent})  # type: ignore[assignment]
    return srv


def _answer(srv: WebServer) -> tuple[int, dict[str, Any]]:
    resp = asyncio.run(srv.healthz(None))  # type: ignore[arg-type]
    return resp.status, json.loads(resp.body)


def test_healthy_while_every_agent_runs() -> None:
    assert _answer(_server([SimpleNamespace(crashed=False)])) == (200, {"ok": True})


def test_a_crashed_agent_makes_the_worker_unhealthy() -> None:
    status, body = _answer(_server([SimpleNamespace(crashed=True)]))
    assert status == 503
    assert body == {"ok": False, "crashed_agents": ["streams.notify.notify"]}
