"""Language helpers: Finnish inflection, times, dates, lists, the sandbox."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

import alerts.status
import alerts.status_blocks
import alerts.templating
from alerts.templating import (
    Forms,
    clock,
    date,
    english_forms,
    finnish_forms,
    join_list,
    make_environment,
    swedish_forms,
    tidy,
    when,
)

HKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("name", "gen", "ine", "ela", "ill", "ade", "par"),
    [
        ("Nordbank", "Nordbankin", "Nordbankissa", "Nordbankista", "Nordbankiin", "Nordbankilla",
         "Nordbankia"),
        ("Telia", "Telian", "Teliassa", "Teliasta", "Teliaan", "Telialla", "Teliaa"),
        ("Elisa", "Elisan", "Elisassa", "Elisasta", "Elisaan", "Elisalla", "Elisaa"),
        ("Sampo", "Sampon", "Sampossa", "Samposta", "Sampoon", "Sampolla", "Sampoa"),
        ("Yle", "Ylen", "Ylessä", "Ylestä", "Yleen", "Ylellä", "Yleä"),
        ("Moi", "Moin", "Moissa", "Moista", "Moihin", "Moilla", "Moita"),
        ("Handelsbanken", "Handelsbankenin", "Handelsbankenissa", "Handelsbankenista",
         "Handelsbankeniin", "Handelsbankenilla", "Handelsbankenia"),
        ("Danske Bank", "Danske Bankin", "Danske Bankissa", "Danske Bankista", "Danske Bankiin",
         "Danske Bankilla", "Danske Bankia"),
        ("DNA", "DNA:n", "DNA:ssa", "DNA:sta", "DNA:han", "DNA:lla", "DNA:ta"),
        ("OP", "OP:n", "OP:ssä", "OP:stä", "OP:hen", "OP:llä", "OP:tä"),
        ("SEB", "SEB:n", "SEB:ssä", "SEB:stä", "SEB:hen", "SEB:llä", "SEB:tä"),
        ("HSL", "HSL:n", "HSL:ssä", "HSL:stä", "HSL:ään", "HSL:llä", "HSL:ää"),
    ],
)  # fmt: skip
def test_finnish_forms_by_rule(
    name: str, gen: str, ine: str, ela: str, ill: str, ade: str, par: str
) -> None:
    f = finnish_forms(name)
    assert (f.nominative, f.genitive, f.inessive, f.elative, f.illative, f.adessive,
            f.partitive) == (name, gen, ine, ela, ill, ade, par)  # fmt: skip


@pytest.mark.parametrize("name", ["", "   ", "123", "!!"])
def test_finnish_forms_never_raise_on_odd_names(name: str) -> None:
    f = finnish_forms(name)
    assert f.nominative == " ".join(name.split())


def test_swedish_and_english_genitives() -> None:
    assert swedish_forms("Telia").genitive == "Telias"
    assert swedish_forms("Ålandsbanken").genitive == "Ålandsbankens"
    assert swedish_forms("Nordnet Bank AB", "banken").definite == "banken"
    assert english_forms("Nordbank").genitive == "Nordbank's"
    assert english_forms("Siemens").genitive == "Siemens'"


def test_forms_override_and_unknown_name() -> None:
    f = Forms.from_mapping(finnish_forms("S-Pankki"), {"genitive": "S-Pankin"})
    assert f.genitive == "S-Pankin"
    assert f.inessive == "S-Pankkissa"
    with pytest.raises(ValueError, match="unknown form name"):
        Forms.from_mapping(f, {"vocative": "x"})


@pytest.mark.parametrize(
    ("utc_time", "fi", "sv", "en", "fi_date", "en_date"),
    [
        (datetime(2026, 11, 24, 12, 30, tzinfo=UTC), "klo 14.30", "kl. 14.30", "14:30 EET",
         "24.11.2026", "24 November 2026"),
        (datetime(2026, 3, 1, 7, 5, tzinfo=UTC), "klo 9.05", "kl. 9.05", "09:05 EET",
         "1.3.2026", "1 March 2026"),
        (datetime(2026, 7, 1, 21, 0, tzinfo=UTC), "klo 0.00", "kl. 0.00", "00:00 EEST",
         "2.7.2026", "2 July 2026"),
    ],
)  # fmt: skip
def test_clock_and_date(
    utc_time: datetime, fi: str, sv: str, en: str, fi_date: str, en_date: str
) -> None:
    local = utc_time.astimezone(HKI)
    assert (clock(local, "fi"), clock(local, "sv"), clock(local, "en")) == (fi, sv, en)
    assert (date(local, "fi"), date(local, "sv"), date(local, "en")) == (fi_date, fi_date, en_date)


def test_when_adds_the_date_only_on_another_local_day() -> None:
    now = datetime(2026, 11, 24, 21, 30, tzinfo=UTC).astimezone(HKI)  # 23.30 local
    soon = now + timedelta(minutes=45)  # 0.15 local on the 25th
    assert when(now, now, "fi") == "klo 23.30"
    assert when(soon, now, "fi") == "25.11.2026 klo 0.15"
    assert when(soon, now, "sv") == "25.11.2026 kl. 0.15"
    assert when(soon, now, "en") == "00:15 EET on 25 November 2026"


@pytest.mark.parametrize(
    ("items", "lang", "expected"),
    [
        ([], "fi", ""),
        (["a"], "fi", "a"),
        (["a", "b"], "fi", "a ja b"),
        (["a", "b", "c"], "sv", "a, b och c"),
        (["a", "b", "c"], "en", "a, b and c"),
    ],
)
def test_join_list(items: list[str], lang: str, expected: str) -> None:
    assert join_list(items, lang) == expected


def test_tidy_joins_lines_and_keeps_paragraphs() -> None:
    assert tidy("\n  One.\n  Two.  \n\n\n\nThree.\n") == "One. Two.\n\nThree."
    assert tidy("\n \n") == ""


def test_environment_is_strict_and_sandboxed() -> None:
    env = make_environment()
    with pytest.raises(UndefinedError):
        env.from_string("{{ brand.genitive }}").render(brand=object())
    with pytest.raises(UndefinedError):
        env.from_string("{% if missing %}x{% endif %}").render()
    with pytest.raises(SecurityError):
        env.from_string("{{ f.__globals__ }}").render(f=test_tidy_joins_lines_and_keeps_paragraphs)
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    assert env.from_string("<b>{{ x }}</b>").render(x="&") == "<b>&</b>"  # plain text


def test_filters_need_a_language() -> None:
    env = make_environment()
    t = datetime(2026, 11, 24, 12, 30, tzinfo=UTC).astimezone(HKI)
    assert env.from_string("{{ t|clock }}").render(t=t, lang="sv") == "kl. 14.30"
    with pytest.raises(ValueError, match="lang"):
        env.from_string("{{ t|clock }}").render(t=t, lang="de")
    with pytest.raises(ValueError, match="now"):
        env.from_string("{{ t|when }}").render(t=t, lang="fi")


@pytest.mark.parametrize("module", [alerts.templating, alerts.status, alerts.status_blocks])
def test_doctests(module: object) -> None:
    """alerts/ is outside pytest's doctest paths: run its Examples here."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
