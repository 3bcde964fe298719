"""Approvers' names for Slack user ids (``users.info``), a part of :class:`SlackDelivery`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alerts.dedup import DeliveryResult


class UserNames:
    """``user_name``: a cached ``users.info`` lookup; the delivery supplies the call."""

    client: Any  # slack_sdk.WebClient
    _user_names: dict[str, str | None]

    def _invoke(
        self, method: str, fn: Callable[[], Any], max_wait: float | None = None
    ) -> tuple[DeliveryResult, Any]:
        raise NotImplementedError  # SlackDelivery._invoke

    def user_name(self, user_id: str, max_wait_seconds: float = 2.0) -> str | None:
        """A person's name for a Slack user id (``users.info``, cached), or ``None``.

        ``None`` when Slack does not know the id (``user_not_found``, remembered) or cannot
        say now (rate limited for longer than ``max_wait_seconds``, an outage: asked again
        next time); the caller then writes ``<@ID>``, which Slack shows as the name.
        """
        if user_id in self._user_names:
            return self._user_names[user_id]
        if not (user_id[:1] in ("U", "W") and user_id.isalnum()):
            return None
        result, resp = self._invoke(
            "users.info", lambda: self.client.users_info(user=user_id), max_wait_seconds
        )
        if not result.ok:
            if (
                result.error in ("user_not_found", "user_not_visible")
                and len(self._user_names) < 10_000
            ):
                self._user_names[user_id] = None
            return None
        user = _get(resp, "user") or {}
        profile = user.get("profile") or {} if isinstance(user, dict) else {}
        name = next(
            (
                str(v).strip()
                for v in (
                    profile.get("real_name"),
                    user.get("real_name") if isinstance(user, dict) else None,
                    profile.get("display_name"),
                    user.get("name") if isinstance(user, dict) else None,
                )
                if isinstance(v, str) and v.strip()
            ),
            None,
        )
        if len(self._user_names) < 10_000:
            self._user_names[user_id] = name
        return name


def _get(resp: Any, key: str) -> Any:
    """``resp[key]`` of a slack-sdk response (or a dict); ``None`` when absent."""
    if resp is None:
        return None
    try:
        return resp.get(key)
    except (AttributeError, TypeError):
        return None
