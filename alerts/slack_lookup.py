"""Finding what was already posted, so a crash or a timeout never posts a message twice.

A worker killed between Slack's answer and its own record of it (or a post that
timed out after Slack took it) leaves a message in Slack that the sent log does not
know. Before posting, it is looked up by the metadata attached to every post:

- a main message: ``conversations.history`` of the channel (:meth:`find_posted`);
- a thread reply: ``conversations.replies`` of its thread, read once per thread and
  process (:meth:`find_reply`): the replies a previous owner posted are there, and
  what this process posts itself is in its sent log.

A look-up that fails is returned as a failed result (the caller tries later rather
than risk a second copy); one Slack does not allow at all (``missing_scope``,
``not_allowed_token_type``) returns ``None``, i.e. post, and says so once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from alerts.dedup import DeliveryResult
from alerts.slack_users import _get

if TYPE_CHECKING:
    from alerts.dedup import Notification

log = logging.getLogger("alerts.slack_delivery")

REPLY_EVENT = "spikewatch_reply"
MAX_THREADS = 5_000  # threads whose replies are remembered (then forgotten, all at once)


def reply_metadata(dedup_key: str, seq: int) -> dict[str, Any]:
    """The metadata of a thread reply: its dedup key and which sending of it this is (a
    reminder repeats under one key), what :meth:`find_reply` matches."""
    return {"event_type": REPLY_EVENT, "event_payload": {"key": f"{dedup_key[:240]}#{seq}"}}


class MessageLookup:
    """``find_posted`` and ``find_reply``; the delivery supplies the calls."""

    client: Any  # slack_sdk.WebClient
    counts: Counter[str]
    lookup_pages: int
    _threads: dict[tuple[str, str], dict[str, str]]  # (channel, thread) -> reply key -> ts

    def _invoke(
        self, method: str, fn: Callable[[], Any], max_wait: float | None = None
    ) -> tuple[DeliveryResult, Any]:
        raise NotImplementedError  # SlackDelivery._invoke

    def channel_id(self, channel: str) -> str | DeliveryResult | None:
        raise NotImplementedError  # SlackDelivery.channel_id

    def find_posted(self, n: Notification) -> DeliveryResult | None:
        """The message already posted for ``n``, found by its metadata, or ``None``.

        Looks through the newest ``lookup_pages`` pages (200 top-level messages
        each) of the channel's history for a message whose ``event_type`` and
        ``event_payload.incident_id`` match ``n``'s metadata. A failed look-up is
        returned as a failed result (the caller tries later rather than risk a
        second copy); a look-up Slack does not allow at all (``missing_scope``,
        ``not_allowed_token_type``) returns ``None``, i.e. post, and says so.
        """
        etype = n.metadata.get("event_type")
        payload = n.metadata.get("event_payload") or {}
        iid = payload.get("incident_id") if isinstance(payload, dict) else None
        if not etype or not iid:
            return None
        cid = self.channel_id(n.channel)
        if isinstance(cid, DeliveryResult):
            return self._lookup_failed(cid)
        if cid is None:
            return None  # no such channel yet: nothing can be there
        cursor: str | None = None
        for _ in range(max(1, self.lookup_pages)):
            result, resp = self._invoke(
                "conversations.history",
                lambda c=cursor: self.client.conversations_history(  # type: ignore[misc]
                    channel=cid, limit=200, include_all_metadata=True, cursor=c
                ),
            )
            if not result.ok:
                return self._lookup_failed(result)
            for m in _get(resp, "messages") or []:
                meta = m.get("metadata") if isinstance(m, dict) else None
                if not isinstance(meta, dict) or meta.get("event_type") != etype:
                    continue
                got = meta.get("event_payload") or {}
                if isinstance(got, dict) and got.get("incident_id") == iid and m.get("ts"):
                    self.counts["adopted"] += 1
                    log.info("found %s already posted (ts %s): adopting it", n.dedup_key, m["ts"])
                    return DeliveryResult(ok=True, ts=str(m["ts"]), channel=cid, status=200)
            cursor = (_get(resp, "response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def _lookup_failed(self, result: DeliveryResult) -> DeliveryResult | None:
        if result.error in ("missing_scope", "not_allowed_token_type", "unknown_method"):
            if not self.counts["lookup_unavailable"]:
                log.warning(
                    "cannot look messages up (%s): a post that timed out may be posted twice",
                    result.error,
                )
            self.counts["lookup_unavailable"] += 1
            return None
        return result

    def find_reply(self, n: Notification, thread_ts: str) -> DeliveryResult | None:
        """The reply already posted for ``n`` in its thread, found by its metadata, or ``None``.

        ``n.metadata`` is :func:`reply_metadata` (set by ``alerts.notify_stages.deliver``).

        The thread's replies are read once per process (``conversations.replies``, up to
        ``lookup_pages`` pages of 200) and remembered; later replies of this process are
        in its sent log and never looked up again.
        """
        cid = self.channel_id(n.channel)
        if isinstance(cid, DeliveryResult):
            return self._lookup_failed(cid)
        if cid is None:
            return None
        threads = self._threads
        known = threads.get((cid, thread_ts))
        if known is None:
            known = {}
            cursor: str | None = None
            for _ in range(max(1, self.lookup_pages)):
                result, resp = self._invoke(
                    "conversations.replies",
                    lambda c=cursor: self.client.conversations_replies(  # type: ignore[misc]
                        channel=cid, ts=thread_ts, limit=200, include_all_metadata=True, cursor=c
                    ),
                )
                if not result.ok:
                    if result.error == "thread_not_found":
                        break
                    return self._lookup_failed(result)
                for m in _get(resp, "messages") or []:
                    meta = m.get("metadata") if isinstance(m, dict) else None
                    if isinstance(meta, dict) and meta.get("event_type") == REPLY_EVENT:
                        got = meta.get("event_payload") or {}
                        if isinstance(got, dict) and got.get("key") and m.get("ts"):
                            known[str(got["key"])] = str(m["ts"])
                cursor = (_get(resp, "response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
            if len(threads) >= MAX_THREADS:
                threads.clear()
            threads[(cid, thread_ts)] = known
        payload = n.metadata.get("event_payload") if isinstance(n.metadata, dict) else None
        key = payload.get("key") if isinstance(payload, dict) else None
        ts = known.get(str(key)) if key else None
        if ts is None:
            return None
        self.counts["adopted"] += 1
        log.info("found %s already posted (ts %s): adopting it", n.dedup_key, ts)
        return DeliveryResult(ok=True, ts=ts, channel=cid, status=200)
