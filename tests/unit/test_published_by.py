"""Published by a name: users.info against the Slack-compatible server, cached, with
``<@ID>`` (which Slack shows as the name) when Slack cannot say."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from alerts.incidents import Incident
from alerts.notifications import published_note
from alerts.policy import load_policy
from alerts.slack_delivery import SlackDelivery
from alerts.status import Draft, Published, StatusConfig
from tests.slackfake import SlackFake

TOKEN = "xoxb-1234-5678-SeCrEtToKeN"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


@pytest.fixture
def slack() -> Iterator[Any]:
    with SlackFake(token=TOKEN) as fake:
        fake.add_user("U0AINO", "Aino Virtanen", display_name="aino")
        yield fake


def delivery(slack: Any, ft: FakeTime) -> SlackDelivery:
    return SlackDelivery(
        TOKEN, slack.base_url, max_wait_seconds=30, timeout=1, sleep=ft.sleep, clock=ft.clock
    )


def test_the_fake_answers_users_info_as_slack_documents(slack: Any) -> None:
    client = WebClient(token=TOKEN, base_url=slack.base_url)
    user = client.users_info(user="U0AINO")["user"]
    assert (user["id"], user["real_name"], user["profile"]["display_name"]) == (
        "U0AINO", "Aino Virtanen", "aino")  # fmt: skip
    with pytest.raises(Exception, match="user_not_found"):
        client.users_info(user="U0NOBODY")


def test_a_name_is_looked_up_once(slack: Any) -> None:
    d = delivery(slack, FakeTime())
    assert d.user_name("U0AINO") == "Aino Virtanen"
    assert d.user_name("U0AINO") == "Aino Virtanen"
    assert [c.method for c in slack.calls] == ["users.info"]
    assert slack.calls[0].params["user"] == "U0AINO"


def test_unknown_user_is_remembered_and_not_an_id_is_not_asked(slack: Any) -> None:
    d = delivery(slack, FakeTime())
    assert d.user_name("U0NOBODY") is None
    assert d.user_name("U0NOBODY") is None
    assert d.user_name("Maija Meikäläinen") is None
    assert [c.method for c in slack.calls] == ["users.info"]


def test_a_long_rate_limit_falls_back_at_once_and_asks_again_later(slack: Any) -> None:
    ft = FakeTime()
    d = delivery(slack, ft)
    slack.fail_next(1, "429", method="users.info", retry_after=30)
    assert d.user_name("U0AINO") is None  # no 30 s wait in the Slack thread for a name
    assert ft.slept == []
    assert d.user_name("U0AINO") == "Aino Virtanen"  # not cached: asked again
    slack.fail_next(1, "429", method="users.info", retry_after=1)
    assert d.user_name("U0OTHER") is None  # a short one is waited out (then: not found)
    assert ft.slept == [1.0]


def _published(user: str) -> tuple[Incident, Published]:
    inc = Incident("inc-1", "nordbank", "volume_surge", "outage", "open", "high",
                   opened_at=0.0, updated_at=600.0, last_active_at=600.0)  # fmt: skip
    t0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    d = Draft("inc-1", "fi", "status_page", "investigating", "Häiriö.\nToinen rivi.",
              "outage/investigating.fi", "abc", None)  # fmt: skip
    return inc, Published.from_draft(d, approved_by=user, published_at=t0)


@pytest.mark.parametrize(
    ("lang", "user", "name", "says"),
    [
        ("en", "U0AINO", "Aino Virtanen", "Published (fi, status_page) by Aino Virtanen"),
        ("en", "U0AINO", None, "Published (fi, status_page) by <@U0AINO>"),
        ("fi", "U0AINO", "Aino <Virtanen>", "Julkaistu (suomi, tilannesivu), julkaisija Aino &lt;"),
        ("fi", "U0AINO", None, "julkaisija <@U0AINO>"),
        ("sv", "someone <!channel>", None, "Publicerat (finska, statussida) av someone &lt;!"),
    ],
)
def test_published_note_names_the_person(lang: str, user: str, name: str | None, says: str) -> None:
    inc, pub = _published(user)
    n = published_note(inc, replace(load_policy(), language=lang), StatusConfig(), pub, name)
    assert says in n.text
    assert n.text.endswith(">Häiriö.\n>Toinen rivi.")  # every line of the update quoted
