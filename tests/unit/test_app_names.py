"""Consumer group and changelog names follow the topic prefix as well as the app id."""

from __future__ import annotations

from streams.app import changelog_topics, faust_app_id, faust_options
from streams.settings import Settings


def test_two_prefixes_never_share_a_group_or_state() -> None:
    a = Settings(topic_prefix="blue.", kafka_bootstrap_servers="127.0.0.1:9092")
    b = Settings(topic_prefix="green.", kafka_bootstrap_servers="127.0.0.1:9092")
    assert faust_app_id(a) != faust_app_id(b)
    assert not set(changelog_topics(a)) & set(changelog_topics(b))
    assert changelog_topics(a)[0] == "blue.spikewatch-state-changelog"


def test_without_a_prefix_the_names_stay() -> None:
    s = Settings(kafka_bootstrap_servers="127.0.0.1:9092")
    assert faust_app_id(s) == "spikewatch"
    assert "spikewatch-incidents-changelog" in changelog_topics(s)
    assert faust_options(s)["processing_guarantee"] == "at_least_once"
