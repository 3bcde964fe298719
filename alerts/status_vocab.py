"""The built-in vocabulary of status updates: service names and channel labels in fi/en/sv.

A deployment may override or extend them (``status.services``, ``status.channel_labels``);
Finnish names carry their nine case forms, Swedish ones their definite form.
"""

from __future__ import annotations

from typing import Any

from alerts.templating import FI_CASES

_FI = dict[str, str]


def _fi(*forms: str) -> _FI:
    return dict(zip(FI_CASES, forms, strict=True))


DEFAULT_SERVICES: dict[str, dict[str, Any]] = {
    "online_service": {
        "fi": _fi("verkkopalvelu", "verkkopalvelun", "verkkopalvelua", "verkkopalvelussa",
                  "verkkopalvelusta", "verkkopalveluun", "verkkopalvelulla", "verkkopalvelulta",
                  "verkkopalvelulle"),
        "en": "online service",
        "sv": {"nominative": "webbtjänst", "definite": "webbtjänsten"},
    },
    "online_bank": {
        "fi": _fi("verkkopankki", "verkkopankin", "verkkopankkia", "verkkopankissa",
                  "verkkopankista", "verkkopankkiin", "verkkopankilla", "verkkopankilta",
                  "verkkopankille"),
        "en": "online bank",
        "sv": {"nominative": "nätbank", "definite": "nätbanken"},
    },
    "mobile_app": {
        "fi": _fi("mobiilisovellus", "mobiilisovelluksen", "mobiilisovellusta",
                  "mobiilisovelluksessa", "mobiilisovelluksesta", "mobiilisovellukseen",
                  "mobiilisovelluksella", "mobiilisovellukselta", "mobiilisovellukselle"),
        "en": "mobile app",
        "sv": {"nominative": "mobilapp", "definite": "mobilappen"},
    },
    "card_payments": {
        "fi": _fi("korttimaksut", "korttimaksujen", "korttimaksuja", "korttimaksuissa",
                  "korttimaksuista", "korttimaksuihin", "korttimaksuilla", "korttimaksuilta",
                  "korttimaksuille"),
        "en": "card payments",
        "sv": {"nominative": "kortbetalningar", "definite": "kortbetalningarna"},
    },
    "mobile_network": {
        "fi": _fi("mobiiliverkko", "mobiiliverkon", "mobiiliverkkoa", "mobiiliverkossa",
                  "mobiiliverkosta", "mobiiliverkkoon", "mobiiliverkolla", "mobiiliverkolta",
                  "mobiiliverkolle"),
        "en": "mobile network",
        "sv": {"nominative": "mobilnät", "definite": "mobilnätet"},
    },
    "customer_service": {
        "fi": _fi("asiakaspalvelu", "asiakaspalvelun", "asiakaspalvelua", "asiakaspalvelussa",
                  "asiakaspalvelusta", "asiakaspalveluun", "asiakaspalvelulla",
                  "asiakaspalvelulta", "asiakaspalvelulle"),
        "en": "customer service",
        "sv": {"nominative": "kundtjänst", "definite": "kundtjänsten"},
    },
    "billing": {
        "fi": _fi("laskutus", "laskutuksen", "laskutusta", "laskutuksessa", "laskutuksesta",
                  "laskutukseen", "laskutuksella", "laskutukselta", "laskutukselle"),
        "en": "billing",
        "sv": {"nominative": "fakturering", "definite": "faktureringen"},
    },
    "deliveries": {
        "fi": _fi("toimitukset", "toimitusten", "toimituksia", "toimituksissa", "toimituksista",
                  "toimituksiin", "toimituksilla", "toimituksilta", "toimituksille"),
        "en": "deliveries",
        "sv": {"nominative": "leveranser", "definite": "leveranserna"},
    },
    "services": {
        "fi": _fi("palvelut", "palveluiden", "palveluita", "palveluissa", "palveluista",
                  "palveluihin", "palveluilla", "palveluilta", "palveluille"),
        "en": "services",
        "sv": {"nominative": "tjänster", "definite": "tjänsterna"},
    },
}  # fmt: skip

DEFAULT_TOPIC_SERVICES = {
    "login": "online_service",
    "outage": "services",
    "queue": "customer_service",
    "billing": "billing",
    "delivery": "deliveries",
    "general": "services",
}

# Topics of detectors.text.topics that have no templates of their own.
DEFAULT_TOPIC_ALIASES = {
    "cancellation": "general",
    "service": "general",
    "question": "general",
    "praise": "general",
}

DEFAULT_CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "web": {"fi": "verkkopalvelu", "en": "online service", "sv": "webbtjänsten"},
    "online_bank": {"fi": "verkkopankki", "en": "online bank", "sv": "nätbanken"},
    "app": {"fi": "mobiilisovellus", "en": "mobile app", "sv": "mobilappen"},
    "cards": {"fi": "korttimaksut", "en": "card payments", "sv": "kortbetalningarna"},
    "atm": {"fi": "käteisautomaatit", "en": "cash machines", "sv": "bankomaterna"},
    "phone": {"fi": "puhelinpalvelu", "en": "phone service", "sv": "telefontjänsten"},
    "chat": {"fi": "chat", "en": "chat", "sv": "chatten"},
    "branch": {"fi": "konttorit", "en": "branches", "sv": "kontoren"},
    "store": {"fi": "myymälät", "en": "stores", "sv": "butikerna"},
    "mobile_network": {"fi": "mobiiliverkko", "en": "mobile network", "sv": "mobilnätet"},
    "broadband": {"fi": "laajakaista", "en": "broadband", "sv": "bredbandet"},
    "tv": {"fi": "tv-palvelut", "en": "TV services", "sv": "tv-tjänsterna"},
}
