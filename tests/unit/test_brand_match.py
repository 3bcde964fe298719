"""Brand matching: a table of fi/en/sv texts with the exact brands each must match.

Each row names the brands the text must match; every other configured brand must not
match. The table covers Finnish inflection (and consonant gradation), word boundaries,
handles, keywords, exclusions, several brands in one text, and near-miss noise.
"""

from __future__ import annotations

import pytest

from detectors.brandmatch import BrandMatcher, BrandRule, phrase_pattern

RULES = [
    BrandRule(
        "nordbank",
        names=("Nordbank",),
        handles=("@nordbank", "@nordbank_fi"),
        page_ids=("1001",),
        exclusions=("Nordbank Arena", "Nordbank Open"),
        author_ids=("u-nordbank-care",),
    ),
    BrandRule(
        "lumoverkko",
        names=("Lumoverkko", "Lumo Verkko"),
        handles=("@lumoverkko",),
        page_ids=("2002",),
        keywords=("Lumo Prepaid",),
    ),
    BrandRule("skyways", names=("SkyWays", "Sky Ways"), handles=("@skyways",)),
]
M = BrandMatcher(RULES)

N, L, S = "nordbank", "lumoverkko", "skyways"

TABLE: list[tuple[str, str, set[str]]] = [
    # --- Finnish: Nordbank in its cases -------------------------------------------------
    ("fi", "Nordbank ei toimi taas", {N}),
    ("fi", "Nordbankin verkkopankki on alhaalla", {N}),
    ("fi", "Soitin Nordbankille jo kolmesti", {N}),
    ("fi", "Sain Nordbankista vastauksen vasta illalla", {N}),
    ("fi", "Onko Nordbankilla joku häiriö?", {N}),
    ("fi", "Nordbankissa jonotetaan tunti", {N}),
    ("fi", "Siirsin rahani pois Nordbankilta", {N}),
    ("fi", "En suosittele Nordbankia kenellekään", {N}),
    ("fi", "Vaihdoin Nordbankiin viime vuonna", {N}),
    ("fi", "Vaihdoin Nordbankkiin viime vuonna", {N}),
    ("fi", "Nordbankinkin sovellus kaatui", {N}),
    ("fi", "Nordbank:lle pitäisi antaa palautetta", {N}),
    ("fi", "Nordbank:n asiakaspalvelu ei vastaa", {N}),
    ("fi", "Nordbankiksi muuttunut pankki", {N}),
    ("fi", "Nordbankina toimiminen ei ole helppoa", {N}),
    ("fi", "NORDBANKIN SIVUT EIVÄT AUKEA!!!", {N}),
    ("fi", "nordbankilla katkos, taas", {N}),
    ("fi", "#Nordbank häiriö jatkuu", {N}),
    ("fi", "Kysyin asiaa @nordbank:lta", {N}),
    ("fi", "@nordbank_fi miksi kortti ei käy?", {N}),
    ("fi", "Nordbank-sovellus kaatuu kirjautuessa", {N}),
    ("fi", "(Nordbank) ja kaikki muutkin pankit", {N}),
    ("fi", "Nordbankiko se oli, joka kaatui?", {N}),
    # --- Finnish: Lumoverkko with gradation -----------------------------------------------
    ("fi", "Lumoverkko pätkii koko illan", {L}),
    ("fi", "Lumoverkon kenttä katosi Tampereella", {L}),
    ("fi", "Lumoverkolla on laaja häiriö", {L}),
    ("fi", "Soitin Lumoverkolle, jonossa 40 min", {L}),
    ("fi", "Lumoverkossa vika taas", {L}),
    ("fi", "Lähden Lumoverkosta pois", {L}),
    ("fi", "Kukaan ei vastaa Lumoverkolta", {L}),
    ("fi", "Vaihdan Lumoverkkoon ensi kuussa", {L}),
    ("fi", "Kehun Lumoverkkoa, toimii hyvin", {L}),
    ("fi", "Lumo Verkon asiakaspalvelu on hidas", {L}),
    ("fi", "Ostin Lumo Prepaid -liittymän", {L}),
    ("fi", "Lumo Prepaidin saldo loppui", {L}),
    ("fi", "@lumoverkko milloin kenttä palaa?", {L}),
    # --- Finnish: SkyWays --------------------------------------------------------------
    ("fi", "SkyWaysin lento myöhässä kaksi tuntia", {S}),
    ("fi", "Matkustin SkyWaysilla Ouluun", {S}),
    ("fi", "SkyWaysille valitus laukusta", {S}),
    ("fi", "Sky Waysin check-in jumissa", {S}),
    ("fi", "@skyways lentoni peruttiin", {S}),
    # --- Finnish: several brands -------------------------------------------------------
    ("fi", "Nordbank ja Lumoverkko molemmat alhaalla, mitä tapahtuu?", {N, L}),
    ("fi", "Nordbankin ja Lumoverkon häiriöt samaan aikaan", {N, L}),
    ("fi", "SkyWays, Nordbank ja Lumoverkko: huono päivä", {N, L, S}),
    ("fi", "Maksoin SkyWaysin lennon Nordbankin kortilla", {N, S}),
    ("fi", "Lumoverkolla ei kenttää, joten en pääse Nordbankiin", {N, L}),
    # --- Finnish: must not match -------------------------------------------------------
    ("fi", "Verkkopankki ei toimi", set()),
    ("fi", "Pankki on kiinni juhannuksena", set()),
    ("fi", "Nordbanksovellus (yhteen kirjoitettu yhdyssana)", set()),
    ("fi", "Konsertti Nordbank Arenalla tänään", set()),
    ("fi", "Nordbank Arenan parkkipaikka täynnä", set()),
    ("fi", "Nordbank Openin finaali oli hieno", set()),
    ("fi", "Lumo on kaunis sana", set()),
    ("fi", "Lumoavan kaunis ilta", set()),
    ("fi", "Verkko on hidas tänään", set()),
    ("fi", "Taivaan tiet ovat auki (skyway-silta)", set()),
    ("fi", "Kirjoitin sähköpostia osoitteeseen nordbankfi@example.com", set()),
    ("fi", "Skywaysbussit ovat myöhässä", set()),
    ("fi", "Lumoverkkosivusto on uusi termi", set()),
    ("fi", "Pohjoinen pankki, nord bank, ei liity mihinkään", set()),
    # --- Finnish: exclusion does not hide a real mention elsewhere --------------------
    ("fi", "Nordbank kaatui, ja illalla konsertti Nordbank Arenalla", {N}),
    ("fi", "Nordbank Arenalla ei ollut kenttää, kiitos Lumoverkko", {L}),
    # --- English ----------------------------------------------------------------------
    ("en", "Nordbank is down again", {N}),
    ("en", "Nordbank's app keeps crashing", {N}),
    ("en", "Nordbank’s support never answers", {N}),
    ("en", "Why is NORDBANK not working??", {N}),
    ("en", "@nordbank please fix your login", {N}),
    ("en", "I switched from Nordbank to another bank", {N}),
    ("en", "Lumoverkko outage in Helsinki", {L}),
    ("en", "Lumoverkko's network is flaky today", {L}),
    ("en", "SkyWays cancelled my flight", {S}),
    ("en", "Sky Ways lost my bag", {S}),
    ("en", "SkyWays' customer service is slow", {S}),
    ("en", "#skyways delayed 3 hours", {S}),
    ("en", "Thanks @skyways for the upgrade!", {S}),
    ("en", "Nordbank and SkyWays both failing me today", {N, S}),
    ("en", "Paid SkyWays with Nordbank, got charged twice", {N, S}),
    ("en", "Lumoverkko, Nordbank, SkyWays: all down", {N, L, S}),
    ("en", "The bank is down", set()),
    ("en", "Online banking outage everywhere", set()),
    ("en", "Nordbankers are a fictional people", set()),
    ("en", "Concert at Nordbank Arena tonight", set()),
    ("en", "The Nordbank Open final was great", set()),
    ("en", "Skyways of the north, a poem", {S}),
    ("en", "Skywayshuttle is a different company", set()),
    ("en", "my email is someone@nordbankmail.example", set()),
    ("en", "nordbank_fi_fan is not the brand", set()),
    ("en", "Check out @nordbankfan for memes", set()),
    ("en", "I love the sky and its ways", set()),
    ("en", "Lumo Prepaid top-up failed", {L}),
    ("en", "Prepaid plans are cheap", set()),
    # --- Swedish ----------------------------------------------------------------------
    ("sv", "Nordbank fungerar inte", {N}),
    ("sv", "Nordbanks app kraschar hela tiden", {N}),
    ("sv", "Jag ringde Nordbank tre gånger", {N}),
    ("sv", "Nordbanken svarar inte", {N}),
    ("sv", "Lumoverkko har driftstörningar", {L}),
    ("sv", "Lumoverkkos nät är nere", {L}),
    ("sv", "SkyWays flyg blev inställt", {S}),
    ("sv", "SkyWays kundtjänst är långsam", {S}),
    ("sv", "Nordbank och SkyWays strular idag", {N, S}),
    ("sv", "@lumoverkko när kommer nätet tillbaka?", {L}),
    ("sv", "Banken har stängt idag", set()),
    ("sv", "Konsert på Nordbank Arena i kväll", set()),
    ("sv", "Nätet är nere överallt", set()),
    ("sv", "Himlens vägar är öppna", set()),
    ("sv", "Nordbanksappen är ny", set()),
    ("sv", "Tack Lumoverkko för snabb hjälp!", {L}),
    ("sv", "Nordbank, Lumoverkko och SkyWays: alla nere", {N, L, S}),
]


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 100
    langs = {lang for lang, _, _ in TABLE}
    assert langs == {"fi", "en", "sv"}
    assert sum(1 for *_, want in TABLE if not want) >= 25  # must-not-match rows
    assert sum(1 for *_, want in TABLE if len(want) > 1) >= 8  # several brands in one text


@pytest.mark.parametrize(
    ("lang", "text", "want"), TABLE, ids=[f"{i}-{r[0]}" for i, r in enumerate(TABLE)]
)
def test_table(lang: str, text: str, want: set[str]) -> None:
    got = M.match(text)
    assert set(got) == want, (lang, text)
    assert len(got) == len(set(got))  # one entry per brand


def test_brands_in_configured_order() -> None:
    assert M.match("SkyWays, Lumoverkko ja Nordbank") == [N, L, S]


def test_page_id_counts_without_a_name() -> None:
    assert M.match("Milloin korjaatte tämän?", page_ids=["1001"]) == [N]
    assert M.match("Milloin korjaatte tämän?", page_ids=["9999"]) == []
    assert M.match("Lumoverkko toimii", page_ids=["1001"]) == [N, L]


def test_author_of_the_brand() -> None:
    assert M.brand_of_author(handle="@Nordbank_FI") == N
    assert M.brand_of_author(handle="nordbank") == N
    assert M.brand_of_author(author_id="u-nordbank-care") == N
    assert M.brand_of_author(author_id="2002") == L  # a page replying as itself
    assert M.brand_of_author(handle="someone", author_id="123") is None


def test_short_generic_name_stays_on_word_boundaries() -> None:
    m = BrandMatcher([BrandRule("bank", names=("Bank",))])
    assert m.match("Nordbankin sovellus") == []
    assert m.match("Nordbank is down") == []
    assert m.match("Bank is down") == ["bank"]


def test_bad_rules_raise() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        BrandRule("x")
    with pytest.raises(ValueError, match="empty phrase"):
        BrandRule("x", names=(" ",))
    with pytest.raises(ValueError, match="configured twice"):
        BrandMatcher([BrandRule("x", names=("X",)), BrandRule("x", names=("Y",))])
    with pytest.raises(ValueError, match="empty phrase"):
        phrase_pattern("  ")


def test_hostile_text_is_fast_enough_and_total() -> None:
    # A long run of near-misses must not blow up (no catastrophic backtracking).
    text = "nordbanki" * 5000 + " Nordbank"
    assert M.match(text) == [N]
