"""spikewatch's own Slack text in the team's language: Finnish, English, Swedish.

One catalogue, :data:`CATALOGUE`: a key -> :class:`Msg` with one field per language.
A :class:`Msg` cannot be built without all three (a missing language is a ``TypeError``
at import and a mypy error), and ``tests/unit/test_i18n.py`` checks that every
translation has the same ``{placeholders}`` as the English one and differs from it.
This is the interface text the team reads (fields, stage and severity names, buttons,
thread replies, the chart's labels); the public status-update templates are separate
(``alerts/templates``, approved per language).

Numbers and times follow the language: a decimal comma in fi/sv, a 24 h clock in the
team's time zone ("klo 14.30", "kl. 14.30", "14:30 EET").

Examples
--------
>>> t("stage.identified", "fi"), t("stage.identified", "sv"), t("stage.identified", "en")
('Syy tunnistettu', 'Orsak identifierad', 'identified')
>>> t("line.snoozed", "fi", minutes=60, by="<@U1>")
'Torkutettu 60 min, torkuttaja <@U1>'
>>> number(2.5, "fi"), number(2.5, "en"), percent(0.42, "sv")
('2,5', '2.5', '42 %')
>>> duration(65 * 60, "fi"), duration(3 * 86400, "sv")
('1 h 05 min', '3 d 0 h')
>>> local_time(1764000000, "fi", "Europe/Helsinki")
'24.11.2025 klo 18.00'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, Literal, NamedTuple
from zoneinfo import ZoneInfo

from alerts.templating import clock

Lang = Literal["en", "fi", "sv"]
LANGS: Final[tuple[Lang, ...]] = ("en", "fi", "sv")
DEFAULT_LANG: Final[Lang] = "en"


class Msg(NamedTuple):
    """One interface text in every language (``str.format`` placeholders)."""

    en: str
    fi: str
    sv: str


# Keys: area.name. Keep the three languages of a key on consecutive lines.
CATALOGUE: Final[dict[str, Msg]] = {
    # -- incident kinds (the title) ------------------------------------------------------
    "kind.volume_surge": Msg("Volume surge", "Mainintapiikki", "Topp i antalet omnämnanden"),
    "kind.negative_burst": Msg(
        "Negative-sentiment burst", "Kielteisten viestien piikki", "Våg av negativa inlägg"
    ),
    "kind.backlog": Msg("Reply backlog", "Vastausjono kasvaa", "Svarskön växer"),
    "title.fyi": Msg("FYI: {title}", "Tiedoksi: {title}", "För kännedom: {title}"),
    # -- content topics (detectors/text/topics.py TOPIC_IDS) -----------------------------
    "topic.login": Msg("login", "kirjautuminen", "inloggning"),
    "topic.outage": Msg("outage", "häiriö", "driftstörning"),
    "topic.queue": Msg("queue", "jonotus", "köer"),
    "topic.cancellation": Msg("cancellation", "peruutukset", "avbokningar"),
    "topic.billing": Msg("billing", "laskutus", "fakturering"),
    "topic.delivery": Msg("delivery", "toimitukset", "leveranser"),
    "topic.service": Msg("service", "asiakaspalvelu", "kundservice"),
    "topic.question": Msg("question", "kysymykset", "frågor"),
    "topic.praise": Msg("praise", "kehut", "beröm"),
    # -- status, stage, severity ---------------------------------------------------------
    "status.open": Msg("open", "avoin", "öppen"),
    "status.acknowledged": Msg("acknowledged", "kuitattu", "kvitterad"),
    "status.snoozed": Msg("snoozed", "torkutettu", "pausad"),
    "status.resolved": Msg("resolved", "ratkaistu", "löst"),
    "status.by": Msg("{status} by {who}", "{status}, {who}", "{status} av {who}"),
    "status.until": Msg("{status} until {time}", "{status} {time} asti", "{status} till {time}"),
    "status.quiet": Msg("{status} (quiet)", "{status} (hiljainen jakso)", "{status} (lugn period)"),
    "stage.investigating": Msg("investigating", "Tutkitaan", "Undersöks"),
    "stage.identified": Msg("identified", "Syy tunnistettu", "Orsak identifierad"),
    "stage.monitoring": Msg("monitoring", "Seurataan", "Övervakas"),
    "stage.resolved": Msg("resolved", "Ratkaistu", "Löst"),
    "severity.none": Msg("none", "ei arviota", "ingen"),
    "severity.low": Msg("low", "matala", "låg"),
    "severity.medium": Msg("medium", "kohtalainen", "medel"),
    "severity.high": Msg("high", "korkea", "hög"),
    "severity.critical": Msg("critical", "kriittinen", "kritisk"),
    # -- the main message ----------------------------------------------------------------
    "summary.line": Msg(
        "{title}: {severity} severity, {status}, for {duration}",
        "{title}: vakavuus {severity}, {status}, jatkunut {duration}",
        "{title}: allvarlighet {severity}, {status}, pågått {duration}",
    ),
    "summary.mentions": Msg(
        "; {observed} mentions vs {expected} expected",
        "; {observed} mainintaa, odotettu {expected}",
        "; {observed} omnämnanden, väntat {expected}",
    ),
    "field.status": Msg("Status", "Tila", "Status"),
    "field.stage": Msg("Stage", "Vaihe", "Fas"),
    "field.news": Msg("News", "Uutinen", "Nyhet"),
    "field.fyi": Msg("FYI", "Tiedoksi", "För kännedom"),
    "field.severity": Msg("Severity", "Vakavuus", "Allvarlighet"),
    "field.mentions": Msg("Mentions per bucket", "Maininnat / jakso", "Omnämnanden / period"),
    "field.mentions_value": Msg(
        "{observed} vs {expected} expected",
        "{observed}, odotettu {expected}",
        "{observed}, väntat {expected}",
    ),
    "field.negative": Msg("Negative share", "Kielteisten osuus", "Andel negativa"),
    "field.negative_value": Msg(
        "{share} (baseline {baseline})",
        "{share} (tavallisesti {baseline})",
        "{share} (normalt {baseline})",
    ),
    "field.topic": Msg("Topic", "Aihe", "Ämne"),
    "field.going_on": Msg("Going on for", "Jatkunut", "Pågått"),
    "field.going_on_value": Msg(
        "{duration} (since {time})", "{duration} (alkaen {time})", "{duration} (sedan {time})"
    ),
    "field.peak": Msg("Peak", "Huippu", "Topp"),
    "block.terms": Msg(
        "*Surging terms:* {terms}", "*Yleistyvät sanat:* {terms}", "*Ord som ökar:* {terms}"
    ),
    "block.samples": Msg(
        "*Sample mentions*", "*Esimerkkejä maininnoista*", "*Exempel på omnämnanden*"
    ),
    "block.open_link": Msg("open", "avaa", "öppna"),
    "block.backlog": Msg(
        "*Backlog:* {backlog}", "*Vastausjono:* {backlog}", "*Svarskö:* {backlog}"
    ),
    "backlog.summary": Msg(
        "inflow {inflow}/h, answered {answered}/h, backlog {backlog}",
        "saapuu {inflow}/h, vastataan {answered}/h, jonossa {backlog}",
        "inflöde {inflow}/h, besvaras {answered}/h, i kö {backlog}",
    ),
    "backlog.clears": Msg(
        ", clears in ~{duration} at this pace",
        ", purkautuu tällä tahdilla noin {duration}",
        ", töms i denna takt på cirka {duration}",
    ),
    "backlog.no_answers": Msg(
        ", no answers lately", ", ei vastauksia viime aikoina", ", inga svar på sistone"
    ),
    "backlog.overdue": Msg(
        ", {overdue} past the {promise} promise",
        ", {overdue} yli {promise} vastauslupauksen",
        ", {overdue} över svarslöftet på {promise}",
    ),
    "backlog.note": Msg(
        "{count} waiting for an answer",
        "{count} odottaa vastausta",
        "{count} väntar på svar",
    ),
    "backlog.note_clears": Msg(
        "{count} waiting for an answer, clears in ~{duration}",
        "{count} odottaa vastausta, purkautuu noin {duration}",
        "{count} väntar på svar, töms på cirka {duration}",
    ),
    "backlog.held": Msg(
        "the reply backlog has not cleared yet",
        "vastausjono ei ole vielä purkautunut",
        "svarskön har inte tömts ännu",
    ),
    # -- buttons -------------------------------------------------------------------------
    "button.ack": Msg("Acknowledge", "Kuittaa", "Kvittera"),
    "button.snooze": Msg("Snooze {hours} h", "Torkuta {hours} h", "Pausa {hours} h"),
    "button.identify": Msg("Cause identified", "Syy tunnistettu", "Orsak identifierad"),
    "button.fix": Msg("Fix deployed", "Korjaus tehty", "Åtgärd införd"),
    "button.resolve": Msg("Resolved", "Ratkaistu", "Löst"),
    "button.cancel": Msg("Cancel", "Peruuta", "Avbryt"),
    "confirm.resolve_title": Msg(
        "Resolve incident?", "Merkitäänkö ratkaistuksi?", "Markera som löst?"
    ),
    "confirm.resolve_text": Msg(
        "A resolved draft is offered; alerts for it stop.",
        "Saat luonnoksen ratkaistu-tiedotteesta; tämän tapauksen hälytykset loppuvat.",
        "Ett utkast till meddelandet om lösning erbjuds; larmen för den upphör.",
    ),
    "button.approve": Msg("Approve", "Hyväksy", "Godkänn"),
    "button.edit": Msg("Edit", "Muokkaa", "Redigera"),
    # -- thread replies (the incident's timeline) ---------------------------------------
    "line.severity_changed": Msg(
        "Severity changed: {old} → {new}",
        "Vakavuus muuttui: {old} → {new}",
        "Allvarligheten ändrades: {old} → {new}",
    ),
    "line.acknowledged": Msg("Acknowledged by {by}", "Kuittasi {by}", "Kvitterad av {by}"),
    "line.snoozed": Msg(
        "Snoozed for {minutes} min by {by}",
        "Torkutettu {minutes} min, torkuttaja {by}",
        "Pausad i {minutes} min av {by}",
    ),
    "line.unsnoozed": Msg("Snooze ended", "Torkku päättyi", "Pausen är slut"),
    "line.resolved": Msg("Resolved", "Ratkaistu", "Löst"),
    "line.resolved_quiet": Msg(" (quiet period)", " (hiljainen jakso)", " (lugn period)"),
    "line.resolved_expired": Msg(
        " (watched quietly too long; a new outage opens a new incident)",
        " (seurattu pitkään hiljaisena; uusi häiriö avaa uuden tapauksen)",
        " (lugnt för länge; en ny störning öppnar ett nytt ärende)",
    ),
    "line.by": Msg(" by {by}", ", {by}", " av {by}"),
    "line.reopened": Msg(
        "Reopened: the evidence is back ({severity})",
        "Avattu uudelleen: merkit palasivat ({severity})",
        "Öppnad igen: tecknen är tillbaka ({severity})",
    ),
    "line.evidence_updated": Msg(
        "Backlog: {backlog}", "Vastausjono: {backlog}", "Svarskö: {backlog}"
    ),
    "line.stage_changed": Msg("Stage: {old} → {new}", "Vaihe: {old} → {new}", "Fas: {old} → {new}"),
    "line.stage_quiet": Msg(
        " (quiet period: is the fix holding?)",
        " (hiljainen jakso: pitääkö korjaus?)",
        " (lugn period: håller åtgärden?)",
    ),
    "line.stage_ask_resolve": Msg(
        " If it is over, press *{button}* for the resolved draft.",
        " Jos tilanne on ohi, paina *{button}*, niin saat ratkaistu-luonnoksen.",
        " Om det är över, tryck på *{button}* för utkastet om lösning.",
    ),
    "line.stage_held": Msg(
        " Not over yet: {held}.", " Ei vielä ohi: {held}.", " Inte över än: {held}."
    ),
    "line.stage_evidence": Msg(
        " (the evidence is back)", " (merkit palasivat)", " (tecknen är tillbaka)"
    ),
    "line.resolve_suggested": Msg(
        "Quiet for {quiet}: if it is over, press *{button}* for the resolved draft",
        "Hiljaista {quiet}: jos tilanne on ohi, paina *{button}*, niin saat ratkaistu-luonnoksen",
        "Lugnt i {quiet}: om det är över, tryck på *{button}* för utkastet om lösning",
    ),
    "line.resolve_refused": Msg(
        "Not resolved: {reason}", "Ei ratkaistu: {reason}", "Inte löst: {reason}"
    ),
    "line.news_changed": Msg(
        "Complaints now: this is a crisis, not only news",
        "Nyt tulee valituksia: tämä on kriisi, ei pelkkä uutinen",
        "Nu kommer klagomål: det här är en kris, inte bara en nyhet",
    ),
    "who.someone": Msg("someone", "joku", "någon"),
    # -- escalation ----------------------------------------------------------------------
    "escalated": Msg(
        ":arrow_up: Escalated: {why}", ":arrow_up: Eskaloitu: {why}", ":arrow_up: Eskalerat: {why}"
    ),
    "why.severity": Msg(
        "severity is {severity}", "vakavuus on {severity}", "allvarligheten är {severity}"
    ),
    "why.unacknowledged": Msg(
        "not acknowledged within {duration}",
        "ei kuitattu {duration} kuluessa",
        "inte kvitterat inom {duration}",
    ),
    "reminder.unacknowledged": Msg(
        ":bell: Still unacknowledged after {duration}: {title}",
        ":bell: Yhä kuittaamatta {duration} jälkeen: {title}",
        ":bell: Fortfarande inte kvitterat efter {duration}: {title}",
    ),
    "chart.text": Msg(
        "{title} – last hours", "{title} – viime tunnit", "{title} – senaste timmarna"
    ),
    # -- the chart -----------------------------------------------------------------------
    "chart.mentions": Msg("Mentions", "Maininnat", "Omnämnanden"),
    "chart.band": Msg("expected range", "odotettu vaihteluväli", "förväntat intervall"),
    "chart.expected": Msg("expected", "odotettu", "förväntat"),
    "chart.observed": Msg("observed", "toteutunut", "observerat"),
    "chart.peak": Msg("peak {value}", "huippu {value}", "topp {value}"),
    "chart.no_data": Msg("no data yet", "ei vielä tietoja", "inga data ännu"),
    "chart.per_bucket": Msg("mentions / bucket", "maininnat / jakso", "omnämnanden / period"),
    "chart.negative": Msg("negative %", "kielteisiä %", "negativa %"),
    "chart.opened": Msg("opened", "avattu", "öppnad"),
    "chart.time": Msg("time ({label})", "aika ({label})", "tid ({label})"),
    # -- status-update drafts in the thread ---------------------------------------------
    "lang.fi": Msg("Finnish", "suomi", "finska"),
    "lang.en": Msg("English", "englanti", "engelska"),
    "lang.sv": Msg("Swedish", "ruotsi", "svenska"),
    "channel.status_page": Msg("status page", "tilannesivu", "statussida"),
    "channel.x": Msg("X", "X", "X"),
    "draft.none": Msg(
        "No status-update draft could be rendered (see the template check).",
        "Tilannetiedotteen luonnosta ei voitu muodostaa (katso pohjien tarkistus).",
        "Inget utkast till statusmeddelande kunde skapas (se mallkontrollen).",
    ),
    "draft.none_short": Msg(
        "No status-update draft could be rendered",
        "Tilannetiedotteen luonnosta ei voitu muodostaa",
        "Inget utkast till statusmeddelande kunde skapas",
    ),
    "draft.header": Msg(
        "Draft status update: {stage}",
        "Tiedoteluonnos: {stage}",
        "Utkast till statusmeddelande: {stage}",
    ),
    "draft.size": Msg(
        "{size}/{limit} characters", "{size}/{limit} merkkiä", "{size}/{limit} tecken"
    ),
    "draft.size_nolimit": Msg("{size} characters", "{size} merkkiä", "{size} tecken"),
    "draft.template": Msg(
        "template `{template}` v`{version}`",
        "pohja `{template}` v`{version}`",
        "mall `{template}` v`{version}`",
    ),
    "draft.too_long": Msg(
        ":warning: too long: edit before approving",
        ":warning: liian pitkä: muokkaa ennen hyväksymistä",
        ":warning: för lång: redigera innan du godkänner",
    ),
    "draft.fallback": Msg(
        "Draft status update ({stage}) in {langs}: approve or edit",
        "Tiedoteluonnos ({stage}) kielillä {langs}: hyväksy tai muokkaa",
        "Utkast till statusmeddelande ({stage}) på {langs}: godkänn eller redigera",
    ),
    "draft.note": Msg(
        "Draft status update ({stage}): {text}",
        "Tiedoteluonnos ({stage}): {text}",
        "Utkast till statusmeddelande ({stage}): {text}",
    ),
    "published.by": Msg(
        ":white_check_mark: Published by {who} at {time}",
        ":white_check_mark: Julkaisija {who} {time}",
        ":white_check_mark: Publicerat av {who} {time}",
    ),
    "published.edited": Msg("edited", "muokattu", "redigerat"),
    "published.next_due": Msg(
        "next update due {time}",
        "seuraava tiedote viimeistään {time}",
        "nästa meddelande senast {time}",
    ),
    "published.note": Msg(
        ":mega: Published ({language}, {channel}) by {who}{next}:",
        ":mega: Julkaistu ({language}, {channel}), julkaisija {who}{next}:",
        ":mega: Publicerat ({language}, {channel}) av {who}{next}:",
    ),
    "published.note_next": Msg(
        "; next update due {time}",
        "; seuraava tiedote viimeistään {time}",
        "; nästa meddelande senast {time}",
    ),
    "reminder.rel_in": Msg("in {minutes} min", "{minutes} min kuluttua", "om {minutes} min"),
    "reminder.rel_now": Msg("now", "nyt", "nu"),
    "reminder.rel_overdue": Msg(
        "{minutes} min overdue", "{minutes} min myöhässä", "{minutes} min försenat"
    ),
    "reminder.move": Msg(
        " If things moved on, press *{button}* for the *{stage}* draft.",
        " Jos tilanne on edennyt, paina *{button}*, niin saat vaiheen *{stage}* luonnoksen.",
        " Om läget har ändrats, tryck på *{button}* för utkastet för *{stage}*.",
    ),
    "reminder.due": Msg(
        ":alarm_clock: Next public update for *{brand}* ({topic}, {severity}) is due at "
        "{time}, {rel}: post the *{stage}* update (its draft is in this thread), even if "
        "nothing has changed.{move}",
        ":alarm_clock: Seuraava julkinen tiedote (*{brand}*, {topic}, {severity}) on luvattu "
        "{time}, {rel}: julkaise vaiheen *{stage}* tiedote (luonnos on tässä ketjussa), "
        "vaikka mikään ei olisi muuttunut.{move}",
        ":alarm_clock: Nästa offentliga meddelande (*{brand}*, {topic}, {severity}) är "
        "utlovat {time}, {rel}: publicera meddelandet för *{stage}* (utkastet finns i den här "
        "tråden), även om inget har ändrats.{move}",
    ),
    "topic.general": Msg("general", "yleinen", "allmänt"),
    "topic.other": Msg("other", "muu", "annat"),
    # -- corrections to the model's labels (alerts/feedback.py) --------------------------
    "sentiment.negative": Msg("negative", "kielteinen", "negativ"),
    "sentiment.neutral": Msg("neutral", "neutraali", "neutralt"),
    "sentiment.positive": Msg("positive", "myönteinen", "positiv"),
    "feedback.sentiment_is": Msg("Sentiment is really", "Sävy on oikeasti", "Tonen är egentligen"),
    "feedback.topic_is": Msg("Topic is really", "Aihe on oikeasti", "Ämnet är egentligen"),
    "feedback.placeholder": Msg(
        "Sample {n}: wrong label?", "Esimerkki {n}: väärä luokka?", "Exempel {n}: fel etikett?"
    ),
    # -- the Edit modal (Slack: title, submit and close at most 24 characters) ----------
    "modal.title": Msg("Edit status update", "Muokkaa tiedotetta", "Redigera meddelandet"),
    "modal.submit": Msg("Approve and publish", "Hyväksy ja julkaise", "Godkänn och publicera"),
    "modal.label": Msg(
        "Text ({language}, {channel})",
        "Teksti ({language}, {channel})",
        "Text ({language}, {channel})",
    ),
    "modal.limit": Msg(
        " At most {limit} characters.", " Enintään {limit} merkkiä.", " Högst {limit} tecken."
    ),
    "modal.limit_x": Msg(
        " At most {limit} characters (a link counts as 23).",
        " Enintään {limit} merkkiä (linkki lasketaan 23 merkiksi).",
        " Högst {limit} tecken (en länk räknas som 23).",
    ),
    "modal.context": Msg(
        "Template `{template}` v`{version}` · stage {stage}",
        "Pohja `{template}` v`{version}` · vaihe {stage}",
        "Mall `{template}` v`{version}` · fas {stage}",
    ),
    "modal.loading": Msg("Loading the draft…", "Ladataan luonnosta…", "Hämtar utkastet…"),
    "modal.empty": Msg(
        "The update cannot be empty.",
        "Tiedote ei voi olla tyhjä.",
        "Meddelandet kan inte vara tomt.",
    ),
    "modal.too_long": Msg(
        "{size} characters; the limit for {channel} is {limit}.",
        "{size} merkkiä; kanavan {channel} enimmäispituus on {limit}.",
        "{size} tecken; gränsen för {channel} är {limit}.",
    ),
}


def lang_of(lang: str | None) -> Lang:
    """A supported language (``en`` for anything else)."""
    for code in LANGS:
        if lang == code:
            return code
    return DEFAULT_LANG


def t(key: str, lang: str, **values: Any) -> str:
    """The text of ``key`` in ``lang`` with ``values`` filled in (KeyError: unknown key)."""
    text: str = getattr(CATALOGUE[key], lang_of(lang))
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in CATALOGUE


def word(prefix: str, name: str | None, lang: str) -> str:
    """``t(prefix.name)`` when the catalogue has it, else ``name`` as it is (a topic key)."""
    key = f"{prefix}.{name}"
    return t(key, lang) if key in CATALOGUE else str(name or "")


def number(x: float, lang: str, digits: int = 1) -> str:
    """A decimal number with the language's separator: "2,5" (fi, sv), "2.5" (en)."""
    s = f"{x:.{digits}f}"
    return s.replace(".", ",") if lang_of(lang) != "en" else s


def count(x: float, lang: str) -> str:
    """A count: whole numbers as they are, small fractions with one decimal."""
    return f"{x:.0f}" if abs(x) >= 10 or x == int(x) else number(x, lang)


def percent(share: float, lang: str) -> str:
    """A share 0-1 as "42 %" (a space before % in all three)."""
    return f"{100 * share:.0f} %"


def duration(seconds: float, lang: str) -> str:
    """``"45 min"``, ``"2 h 05 min"``, ``"3 d 4 h"`` (fi: ``"3 vrk 4 h"``)."""
    m = int(max(0.0, seconds) // 60)
    if m < 60:
        return f"{m} min"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m:02d} min"
    d, h = divmod(h, 24)
    return f"{d} {'vrk' if lang_of(lang) == 'fi' else 'd'} {h} h"


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def local_time(ts: float, lang: str, tz: str | None) -> str:
    """Date and 24 h time in the team's time zone: "24.11.2026 klo 14.30",
    "24.11.2026 kl. 14.30", "2026-11-24 14:30 EET"."""
    dt = datetime.fromtimestamp(ts, tz=UTC).astimezone(zone(tz))
    code = lang_of(lang)
    if code == "en":
        return f"{dt:%Y-%m-%d} {clock(dt, 'en')}"
    return f"{dt.day}.{dt.month}.{dt.year} {clock(dt, code)}"
