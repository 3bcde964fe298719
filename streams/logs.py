"""Logging: secrets redacted, context fields on every line, bad input rate-limited.

- :func:`setup_logging` installs one handler on the root logger: ``text`` for a terminal or
  ``json`` (one object per line: ``ts``, ``level``, ``logger``, ``msg`` and the context fields),
  with :class:`RedactSecrets` on it (known secret values and anything shaped like a Slack token).
- :func:`log_context` binds ``brand``, ``partition``, ``incident_id`` (or any field) for the code
  it wraps; a :class:`contextvars.ContextVar` carries them, so every ``asyncio`` task (each Faust
  agent) keeps its own. ``extra={"brand": ...}`` on one call works too.
- :class:`BadInputWarnings`: one WARNING per distinct bad-input reason per interval (60 s) with the
  number suppressed since the last one, instead of one line per record.

- :func:`worker_logging`: :func:`setup_logging` for the worker, plus the keywords that make
  Faust's (mode's) ``Worker`` keep that one handler (it clears the root handlers at start and
  installs a coloured text handler of its own otherwise).
- :func:`dead_lettered`: the log side of one dead letter (``topic``/``partition`` bound, the
  reason through :data:`BAD_INPUT`).

Wiring (streams/worker.py and the agents): ``Worker(app, ..., **worker_logging(settings.log_level,
secrets_of(settings), fmt=settings.log_format))``; wrap each record's processing in
``with log_context(brand=m.brand, partition=...): ...``; in the dead-letter path call
``dead_lettered(reason, detail, where)`` instead of ``log.warning``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

_SLACK_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+")

#: The context fields a JSON line carries when they are bound (and ``None`` ones are left out).
CONTEXT_FIELDS = ("brand", "partition", "incident_id", "topic", "reason")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "spikewatch_log_context", default=None
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind fields (``brand``, ``partition``, ``incident_id``...) to every log line inside."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class RedactSecrets(logging.Filter):
    """Replace known secret values and anything shaped like a Slack token."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def _clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "[REDACTED]")
        return _SLACK_TOKEN.sub("xox?-[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self._clean(msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


class ContextFilter(logging.Filter):
    """Copy the bound context fields onto the record (an explicit ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for k, v in (_context.get() or {}).items():
            if not hasattr(record, k):
                setattr(record, k, v)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC), level, logger, msg, the context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k in CONTEXT_FIELDS:
            v = getattr(record, k, None)
            if v is not None:
                out[k] = v
        for k, v in (_context.get() or {}).items():  # fields bound beyond the usual ones
            if k not in out and v is not None:
                out[k] = v
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: msg [brand=... partition=...]`` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ctx = [f"{k}={getattr(record, k)}" for k in CONTEXT_FIELDS if getattr(record, k, None)]
        if not ctx:
            return line
        head, nl, rest = line.partition("\n")
        return f"{head} [{' '.join(ctx)}]{nl}{rest}"


def setup_logging(
    level: str = "INFO", secrets: Iterable[str] = (), *, fmt: str = "text", stream: Any = None
) -> logging.Handler:
    """Install (or replace) spikewatch's handler on the root logger; returns it."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, "_spikewatch", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecrets(secrets))
    handler._spikewatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    flt = RedactSecrets(secrets)
    for h in root.handlers:  # handlers others installed (Faust's) are redacted too
        if h is not handler:
            h.addFilter(flt)
    for name in ("aiokafka", "kafka", "faust", "mode"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler


class BadInputWarnings:
    """One WARNING per distinct reason per ``interval`` seconds, counting what it held back.

    >>> seen = []
    >>> clock = iter([0.0, 1.0, 2.0, 61.0]).__next__
    >>> w = BadInputWarnings(interval=60.0, clock=clock, emit=lambda r, n, d: seen.append((r, n)))
    >>> [w.warn("invalid_json") for _ in range(4)]
    [True, False, False, True]
    >>> seen
    [('invalid_json', 0), ('invalid_json', 2)]
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        emit: Callable[[str, int, str], None] | None = None,
    ) -> None:
        self.log = logger or logging.getLogger("spikewatch.bad_input")
        self.interval = interval
        self.clock = clock  # wall/monotonic time: this paces log lines, it decides nothing
        self._emit = emit or self._log
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def _log(self, reason: str, held: int, detail: str) -> None:
        more = f" ({held} more with this reason since the last line)" if held else ""
        self.log.warning("bad input: %s%s%s", reason, f": {detail}" if detail else "", more,
                         extra={"reason": reason})  # fmt: skip

    def warn(self, reason: str, detail: str = "") -> bool:
        """Log now (True) or count it for the next line of this reason (False)."""
        now = self.clock()
        last = self._last.get(reason)
        if last is not None and now - last < self.interval:
            self._held[reason] = self._held.get(reason, 0) + 1
            return False
        self._last[reason] = now
        self._emit(reason, self._held.pop(reason, 0), detail)
        return True


#: The process's bad-input limiter (one per worker process is what "per minute" means).
BAD_INPUT = BadInputWarnings()


def worker_logging(
    level: str = "INFO", secrets: Iterable[str] = (), *, fmt: str = "text", stream: Any = None
) -> dict[str, Any]:
    """Install spikewatch's handler; return the ``faust.Worker`` keywords that keep it.

    mode's ``Worker`` clears the root logger's handlers when it starts and applies a
    ``dictConfig`` (a coloured text handler on stdout) unless given ``logging_config``; this
    one configures the root level only and hands our handler back as ``loghandlers``, so every
    line of the running worker is ours (JSON with ``fmt="json"``, secrets redacted).
    """
    handler = setup_logging(level, secrets, fmt=fmt, stream=stream)
    config = {
        "version": 1,
        "disable_existing_loggers": False,  # keep streams.*, alerts.* loggers alive
        "root": {"level": level.upper(), "handlers": []},
    }
    return {"logging_config": config, "loghandlers": [handler]}


def dead_lettered(
    reason: str, detail: str, where: Mapping[str, Any], warner: BadInputWarnings | None = None
) -> bool:
    """Log one record sent to the dead-letter topic: at most one line per reason per minute.

    ``where`` is the record's coordinates (``topic``, ``partition``, ``offset``); topic and
    partition are bound to the line, the offset goes into the detail. True when a line was
    written.
    """
    fields = {k: where[k] for k in ("topic", "partition") if where.get(k) is not None}
    at = f" (offset {where['offset']})" if where.get("offset") is not None else ""
    with log_context(**fields):
        return (warner or BAD_INPUT).warn(reason, f"{detail}{at}" if detail else at.strip())
