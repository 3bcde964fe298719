"""Phrase banks for the mention simulator: language x sentiment x topic.

Sentences are short social-care posts as people write them (colloquial
Finnish, English, Swedish). ``{brand}`` is the brand's display name,
``{product}`` and ``{app}`` are the sector's service nouns in nominative form.
Sector banks (bank, operator, airline) add sentences that only make sense
there; :func:`core_sentences` merges them with the generic bank.

Examples
--------
>>> s = core_sentences("bank", "fi", "negative", "login")
>>> len(s) > 5 and all(isinstance(x, str) for x in s)
True
>>> set(TOPICS) >= {"login", "outage", "praise"}
True
"""

from __future__ import annotations

from typing import Final

from detectors.text.topics import TOPIC_IDS

LANGS: Final = ("fi", "en", "sv")
SENTIMENTS: Final = ("negative", "neutral", "positive")
TOPICS: Final = TOPIC_IDS  # the taxonomy's stable topic ids
SECTORS: Final = ("bank", "operator", "airline")

Bank = dict[str, dict[str, dict[str, tuple[str, ...]]]]  # lang -> sentiment -> topic -> lines

GENERIC: Final[Bank] = {
    "fi": {
        "negative": {
            "outage": (
                "{product} ei toimi",
                "{product} ei toimi taas, mikä ihme",
                "onko {product} taas nurin?",
                "{app} kaatuu heti kun sen avaa",
                "{app} ei toimi, ei sitten yhtään",
                "miks {product} on taas jumissa??",
                "{product} on ollu rikki koko aamun",
                "taas häiriö, ihan naurettavaa",
                "onks muilla ongelmia? mulla ei mikään toimi",
                "{product} nurin jo toista kertaa tällä viikolla",
                "tulee vaan virheilmoitusta, ei toimi",
                "ei toimi ei toimi ei toimi",
            ),
            "queue": (
                "oon jonottanu asiakaspalveluun jo tunnin",
                "puhelinjono 45 minuuttia, ihan oikeesti?",
                "chattiin ei pääse ollenkaan, jono täynnä",
                "kukaan ei vastaa puhelimeen, tää on ihan surkeeta",
                "odotin jonossa 50 min ja sit puhelu katkes",
                "miksi teidän asiakaspalveluun ei saa ketään kiinni",
                "viesti lähetetty viikko sitten eikä mitään vastausta",
            ),
            "cancellation": (
                "haluun irtisanoo sopimuksen mut se on tehty tosi vaikeeks",
                "irtisanomisesta laskutetaan vielä kaks kuukautta, ei käy",
                "yritin perua mutta lomake ei toimi",
                "vaihdan kilpailijalle, tää oli tässä",
                "en suosittele kenellekään, lopetan asiakkuuden",
            ),
            "billing": (
                "laskussa on taas virhe, veloititte kahteen kertaan",
                "miks mulle tuli tällanen lasku, en oo tilannu mitään",
                "hinnat nousi taas ilman mitään ilmoitusta",
                "palvelumaksu nousi taas, aika röyhkeetä",
                "rahat lähti tililtä kahdesti, palauttakaa heti",
                "perintään meni vaikka maksoin ajallaan, ihan käsittämätöntä",
                "uus hinnasto on ihan ryöstöä",
            ),
            "delivery": (
                "tilaus on myöhässä jo viikon",
                "paketti ei oo vieläkään tullu",
                "luvattiin toimitus eilen, ei mitään kuulunu",
            ),
            "service": (
                "ihan surkeeta asiakaspalvelua",
                "asiakaspalvelija oli tosi töykeä",
                "kolmas kerta kun lupaatte soittaa takasin eikä kukaan soita",
                "palvelu on menny ihan pohjalle",
                "pompottelette asiakasta paikasta toiseen, ei mitään järkeä",
                "en oo ikinä kokenu näin huonoa palvelua",
                "tosi pettyny teidän toimintaan",
            ),
        },
        "neutral": {
            "outage": (
                "onko {product} alhaalla vai onko vika mun päässä?",
                "toimiiko muilla {product}?",
                "onko teillä joku huoltokatko tänään?",
            ),
            "question": (
                "mihin aikaan teidän asiakaspalvelu on auki?",
                "onko teillä chattia viikonloppuna?",
                "miten saan yhteyden asiakaspalveluun?",
                "voiko teille soittaa lauantaina?",
                "mistä löydän yhteystiedot?",
                "onko konttori auki huomenna?",
                "kysymys: miten vaihdan osoitteen?",
            ),
            "login": (
                "miten vaihdan tunnuslukusovelluksen uuteen puhelimeen?",
                "voiko sovellusta käyttää kahdella laitteella?",
                "miten {product} tunnistautuminen toimii jatkossa?",
            ),
            "billing": (
                "milloin uus hinnasto tulee voimaan?",
                "voiko laskun eräpäivää siirtää?",
                "miten saan e-laskun päälle?",
            ),
            "cancellation": (
                "mikä on irtisanomisaika?",
                "miten sopimus irtisanotaan?",
            ),
            "service": (
                "{brand} tiedote tänään",
                "luin juuri {brand} uutisen",
                "{brand} avaa uuden toimipisteen Tampereelle",
                "näin {brand} mainoksen telkkarissa",
            ),
        },
        "positive": {
            "praise": (
                "kiitti nopeesta avusta!",
                "iso kiitos asiakaspalveluun, asia hoitui hetkessä",
                "parasta palvelua pitkään aikaan",
                "mahtavaa, hyvä {brand}!",
                "tosi ystävällinen asiakaspalvelija, kiitos",
                "hienoa työtä, kiitos!",
                "ihan loistava uus {app}, tykkään",
                "vihdoin joku joka oikeesti auttaa, kiitos",
            ),
            "service": (
                "asia hoitui chatissa viidessä minuutissa, hyvä!",
                "sain heti apua, kiitos!",
                "ystävällinen ja nopee palvelu, suosittelen",
            ),
            "outage": (
                "nyt toimii taas, kiitos!",
                "{product} toimii taas, kiitos korjauksesta",
                "jes, pääsin vihdoin sisään. kiitos!",
                "korjattu nopeesti, hyvä!",
            ),
        },
    },
    "en": {
        "negative": {
            "outage": (
                "{product} is down again",
                "is {product} down?? nothing works",
                "{app} keeps crashing every time I open it",
                "{product} not working for the third time this week, ridiculous",
                "anyone else having problems? {product} is broken",
                "getting an error every single time, sort it out",
                "seriously, {product} has been down all morning",
            ),
            "queue": (
                "been on hold for an hour now",
                "45 minutes in the queue and then the call drops. awful",
                "nobody answers the phone, terrible customer service",
                "chat queue is full, cannot reach anyone",
                "still no reply to my message from last week",
            ),
            "cancellation": (
                "trying to cancel and you make it impossible",
                "cancelled weeks ago and you still charge me",
                "done with you, switching to a competitor",
            ),
            "billing": (
                "you charged me twice, refund it now",
                "why is my bill so high this month? this is a rip-off",
                "prices up again without any notice, unacceptable",
                "wrong invoice again, this is a joke",
            ),
            "delivery": (
                "order still not delivered after a week",
                "my package never arrived",
            ),
            "service": (
                "worst customer service ever",
                "the agent was really rude",
                "you promised to call back three times and nobody did",
                "very disappointed with how you handled this",
                "honestly terrible service",
            ),
        },
        "neutral": {
            "outage": ("is {product} down or is it just me?", "any maintenance planned today?"),
            "question": (
                "what are your customer service hours?",
                "is there a chat at the weekend?",
                "how do I contact support?",
                "do you have an office in Turku?",
                "quick question: how do I change my address?",
            ),
            "login": (
                "how do I move the authenticator app to a new phone?",
                "can I use {app} on two devices?",
            ),
            "billing": (
                "when does the new price list take effect?",
                "can I move the due date of my bill?",
            ),
            "cancellation": ("what is the notice period?", "how do I end my contract?"),
            "service": (
                "{brand} announcement today",
                "just read the {brand} news",
                "saw the new {brand} ad on tv",
            ),
        },
        "positive": {
            "praise": (
                "thanks for the quick help!",
                "great service, thank you",
                "best customer service in a long time",
                "love the new {app}, well done {brand}",
                "super friendly agent, thanks!",
                "awesome job, thank you so much",
            ),
            "service": (
                "sorted in five minutes on chat, great!",
                "got help right away, thanks!",
            ),
            "outage": (
                "working again, thanks!",
                "{product} is back, thanks for the quick fix",
                "finally logged in, thank you!",
            ),
        },
    },
    "sv": {
        "negative": {
            "outage": (
                "{product} fungerar inte",
                "ligger {product} nere igen?",
                "{app} kraschar hela tiden",
                "{product} har varit nere hela morgonen, skandal",
                "har någon annan problem? ingenting fungerar",
                "får bara felmeddelanden, fixa det nu",
            ),
            "queue": (
                "har suttit i telefonkö i en timme",
                "ingen svarar i telefon, urdålig kundservice",
                "chatten är full, kommer inte fram",
                "fortfarande inget svar på mitt meddelande",
            ),
            "cancellation": (
                "försöker säga upp avtalet men det är omöjligt",
                "byter till en konkurrent, nu räcker det",
            ),
            "billing": (
                "ni har dragit pengar två gånger, betala tillbaka",
                "varför är fakturan så hög? helt orimligt",
                "höjda avgifter igen utan förvarning",
            ),
            "delivery": ("beställningen har inte kommit på en vecka",),
            "service": (
                "sämsta kundservicen någonsin",
                "mycket besviken på er",
                "ni lovade ringa tillbaka men ingen ringde",
            ),
        },
        "neutral": {
            "outage": ("ligger {product} nere eller är det bara jag?",),
            "question": (
                "när har ni öppet i kundtjänst?",
                "finns det chatt på helgen?",
                "hur kontaktar jag er?",
                "hur ändrar jag min adress?",
            ),
            "login": ("hur flyttar jag kodappen till en ny telefon?",),
            "billing": ("när gäller den nya prislistan?",),
            "cancellation": ("hur lång är uppsägningstiden?",),
            "service": ("läste nyss om {brand} i tidningen", "{brand} meddelande idag"),
        },
        "positive": {
            "praise": (
                "tack för snabb hjälp!",
                "toppen service, tack",
                "bästa kundservicen på länge",
                "supertrevlig personal, tack!",
                "grymt bra jobbat {brand}",
            ),
            "service": ("fick hjälp direkt, tack!",),
            "outage": ("nu fungerar det igen, tack!", "{product} fungerar igen, tack"),
        },
    },
}

SECTOR: Final[dict[str, Bank]] = {
    "bank": {
        "fi": {
            "negative": {
                "login": (
                    "Verkkopankkiin ei pääse kirjautumaan",
                    "mä en pääse taas kirjautumaan, mikä ihme",
                    "tunnistautuminen ei toimi, en pääse maksamaan laskuja",
                    "mobiilisovellus ei toimi, kirjautuminen jumittaa",
                    "tunnuslukusovellus ei hyväksy koodia",
                    "en pääse verkkopankkiin ja laskun eräpäivä on tänään!!",
                    "pankkitunnuksilla ei pääse mihinkään palveluun",
                    "kirjautuminen pyörii vaan eikä mitään tapahdu",
                ),
                "outage": (
                    "verkkopankki ei toimi",
                    "kortilla ei voi maksaa kaupassa, maksu hylätään",
                    "palkka ei näy tilillä vaikka on palkkapäivä",
                    "mobiilisovellus ei toimi",
                    "nosto automaatista ei onnistu",
                ),
                "delivery": ("uutta korttia ei oo vieläkään tullu, vanha vanheni jo",),
                "billing": ("miks tililtä on veloitettu tuntematon maksu?",),
            },
            "neutral": {
                "login": ("saako verkkopankin tunnuksia konttorista?",),
                "question": ("miten haen asuntolainaa?", "miten tilaan uuden kortin?"),
            },
            "positive": {
                "login": ("nyt pääsee taas verkkopankkiin, kiitos!",),
                "praise": ("lainaneuvottelu meni tosi hyvin, kiitos!",),
            },
        },
        "en": {
            "negative": {
                "login": (
                    "can't log in to online banking",
                    "login to the bank app fails every time",
                    "authentication not working, can't pay my bills",
                ),
                "outage": (
                    "card payment declined at the shop, what's going on",
                    "my salary isn't showing in my account",
                ),
            },
            "neutral": {"question": ("how do I order a new card?",)},
            "positive": {"login": ("online banking works again, thanks!",)},
        },
        "sv": {
            "negative": {
                "login": (
                    "kan inte logga in på nätbanken",
                    "inloggningen i appen fungerar inte",
                    "identifieringen fungerar inte, kan inte betala räkningar",
                ),
                "outage": ("kortet nekas i butiken", "nätbanken fungerar inte"),
            },
            "neutral": {"question": ("hur beställer jag ett nytt kort?",)},
            "positive": {"login": ("nätbanken fungerar igen, tack!",)},
        },
    },
    "operator": {
        "fi": {
            "negative": {
                "login": ("oma {brand} ei päästä kirjautumaan",),
                "outage": (
                    "netti ei toimi taas",
                    "kuuluvuus ihan olematon, puhelut katkeilee",
                    "mobiilidata ei toimi ollenkaan",
                    "kotinetti pätkii koko ajan, ei voi tehdä etätöitä",
                    "onks {brand} verkko alhaalla? ei toimi mikään",
                    "koko kaupunginosasta puuttuu netti",
                ),
                "delivery": (
                    "reititin luvattiin viime viikolla, ei oo tullu",
                    "sim-korttia ei kuulu vaikka tilasin kaks viikkoa sitten",
                ),
            },
            "neutral": {
                "question": ("toimiiko 5G jo Oulussa?", "miten aktivoin uuden sim-kortin?"),
            },
            "positive": {"outage": ("netti toimii taas, kiitos!",)},
        },
        "en": {
            "negative": {
                "outage": (
                    "no mobile data at all",
                    "internet keeps dropping, can't work from home",
                    "is the {brand} network down? nothing works",
                ),
                "delivery": ("my router still hasn't arrived",),
            },
            "neutral": {"question": ("is 5G available in Tampere yet?",)},
            "positive": {"outage": ("internet is back, thanks!",)},
        },
        "sv": {
            "negative": {
                "outage": (
                    "mobildata fungerar inte alls",
                    "internet går ner hela tiden",
                ),
            },
            "neutral": {"question": ("hur aktiverar jag det nya sim-kortet?",)},
            "positive": {"outage": ("nätet fungerar igen, tack!",)},
        },
    },
    "airline": {
        "fi": {
            "negative": {
                "login": ("en pääse kirjautumaan varaukseen",),
                "outage": (
                    "lähtöselvitys ei toimi sovelluksessa",
                    "lento peruttu eikä mitään tietoa",
                    "lento myöhässä jo kolme tuntia",
                ),
                "delivery": ("matkalaukku hukassa, kukaan ei tiedä missä",),
                "cancellation": ("lento peruttiin ja rahoja ei palauteta",),
            },
            "neutral": {"question": ("paljonko käsimatkatavara saa painaa?",)},
            "positive": {"praise": ("ihana miehistö, kiitos mukavasta lennosta!",)},
        },
        "en": {
            "negative": {
                "login": ("can't log in to manage my booking",),
                "outage": (
                    "online check-in is broken",
                    "flight cancelled and no information at all",
                    "three hours delay and no updates, unacceptable",
                    "the booking site keeps failing at payment",
                ),
                "delivery": ("lost my luggage and nobody knows where it is",),
                "cancellation": ("flight cancelled and still no refund",),
            },
            "neutral": {
                "question": (
                    "how much can my cabin bag weigh?",
                    "can I change my seat after check-in?",
                ),
            },
            "positive": {
                "praise": (
                    "lovely crew, thanks for a smooth flight!",
                    "upgraded for free, you made my day",
                ),
            },
        },
        "sv": {
            "negative": {
                "outage": (
                    "incheckningen fungerar inte",
                    "flyget inställt och ingen information",
                    "tre timmar försenat, skandal",
                ),
                "delivery": ("mitt bagage har försvunnit",),
                "cancellation": ("inställt flyg och ingen återbetalning",),
            },
            "neutral": {"question": ("hur mycket får handbagaget väga?",)},
            "positive": {"praise": ("underbar besättning, tack för en fin resa!",)},
        },
    },
}

PRODUCTS: Final[dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]]] = {
    # sector -> lang -> (product nouns, app nouns), nominative
    "bank": {
        "fi": (("verkkopankki", "mobiilipankki", "korttimaksu"), ("mobiilisovellus", "pankkiappi")),
        "en": (("online banking", "the bank app", "card payment"), ("the app", "mobile app")),
        "sv": (("nätbanken", "mobilbanken"), ("appen", "bankappen")),
    },
    "operator": {
        "fi": (("netti", "mobiilidata", "kotinetti", "laajakaista"), ("oma-sovellus", "appi")),
        "en": (("the internet", "mobile data", "broadband"), ("the app", "my account app")),
        "sv": (("internet", "mobildata", "bredbandet"), ("appen",)),
    },
    "airline": {
        "fi": (("varausjärjestelmä", "lähtöselvitys", "sivusto"), ("sovellus", "appi")),
        "en": (("the booking site", "online check-in", "the website"), ("the app",)),
        "sv": (("bokningen", "incheckningen", "webbplatsen"), ("appen",)),
    },
}

OPENERS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "fi": {
        "negative": ("No niin.", "Taas.", "Ihan oikeesti", "Hei {brand},", "Voi ei.", "Huoh."),
        "neutral": ("Hei {brand}!", "Moi,", "Kysymys:", "Hei,"),
        "positive": ("Moi {brand}!", "Hei!", "Pakko sanoa:", "Vau,"),
    },
    "en": {
        "negative": ("Seriously", "Again?!", "Hey {brand},", "Ugh.", "Come on"),
        "neutral": ("Hi {brand},", "Hello,", "Quick one:"),
        "positive": ("Hey {brand}!", "Wow,", "Just wanted to say"),
    },
    "sv": {
        "negative": ("Allvarligt", "Igen?!", "Hej {brand},", "Suck."),
        "neutral": ("Hej {brand},", "Hej!"),
        "positive": ("Hej {brand}!", "Wow,"),
    },
}

CLOSERS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "fi": {
        "negative": (
            "Mikä ihme?",
            "Korjatkaa nyt jo!",
            "Ihan surkeeta.",
            "Tosi ärsyttävää.",
            "Ei voi olla totta.",
            "Milloin tää korjataan?",
            "Joka kuukausi sama juttu.",
        ),
        "neutral": ("Kiitos etukäteen.", "Kiitos!", ""),
        "positive": ("Kiitos!", "Hyvä te!", "Jatkakaa samaan malliin!"),
    },
    "en": {
        "negative": ("Fix it!", "Unbelievable.", "So annoying.", "When will this be fixed?"),
        "neutral": ("Thanks in advance.", "Thanks!", ""),
        "positive": ("Thanks!", "Keep it up!", "Cheers!"),
    },
    "sv": {
        "negative": ("Fixa det!", "Otroligt.", "När blir det fixat?"),
        "neutral": ("Tack på förhand.", "Tack!", ""),
        "positive": ("Tack!", "Heja!", "Toppen!"),
    },
}

EMOJI: Final[dict[str, tuple[str, ...]]] = {
    "negative": ("😡", "🤬", "😤", "🙄", "😩", "👎", "😠", "🤦"),
    "neutral": ("🤔", "❓", "🙂"),
    "positive": ("🙏", "😊", "👍", "❤️", "🎉", "👏", "💯", "🥰"),
}

HASHTAGS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "bank": {
        "fi": ("#verkkopankki", "#pankki", "#asiakaspalvelu"),
        "en": ("#banking", "#customerservice"),
        "sv": ("#nätbank", "#bank"),
    },
    "operator": {
        "fi": ("#netti", "#5G", "#asiakaspalvelu"),
        "en": ("#internet", "#customerservice"),
        "sv": ("#internet", "#mobil"),
    },
    "airline": {
        "fi": ("#lento", "#matkustus", "#asiakaspalvelu"),
        "en": ("#travel", "#flight", "#avgeek", "#customerservice"),
        "sv": ("#resa", "#flyg"),
    },
}

NEGATIVE_HASHTAGS: Final[dict[str, tuple[str, ...]]] = {
    "fi": ("#häiriö", "#fail", "#taas", "#asiakaspalvelu"),
    "en": ("#fail", "#outage", "#badservice"),
    "sv": ("#störning", "#fail"),
}

REPLIES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    # lang -> situation -> brand reply lines
    "fi": {
        "apology": (
            "Hei! Pahoittelemme. Laitathan meille yksityisviestiä, niin selvitetään asia.",
            "Hei, ikävä kuulla! Selvitämme asiaa, palaamme pian yksityisviestillä.",
            "Moi! Pahoittelut harmista. Voisitko kertoa yksityisviestillä lisää?",
        ),
        "outage": (
            "Hei! Palvelussamme on häiriö, ja korjaamme sitä parhaillaan. Pahoittelemme!",
            "Moi, häiriö on tiedossa ja korjaamme sitä. Kiitos kärsivällisyydestä.",
            "Hei! Häiriö on tiedossa ja korjaus on käynnissä. Tiedotamme, kun palvelu toimii taas.",
        ),
        "answer": (
            "Hei! Kiitos kysymyksestä, vastaus löytyy verkkosivuiltamme.",
            "Moi! Lähetimme sinulle yksityisviestin, jossa ohjeet.",
        ),
        "thanks": ("Kiitos paljon mukavasta palautteesta! 😊", "Kiitos, kiva kuulla!"),
    },
    "en": {
        "apology": (
            "Hi! Sorry to hear that. Please send us a DM and we'll look into it.",
            "Hi, we're sorry about this. We're looking into it and will get back to you soon.",
        ),
        "outage": (
            "Hi! We have a disruption in our service and are working on a fix. Sorry!",
            "Hi, this is a known issue and our team is fixing it. Thanks for your patience.",
        ),
        "answer": (
            "Hi! Thanks for asking, you'll find the details on our website.",
            "Hi! We've sent you a DM with the instructions.",
        ),
        "thanks": ("Thank you for the kind words! 😊", "Thanks, great to hear!"),
    },
    "sv": {
        "apology": (
            "Hej! Vi beklagar. Skicka oss ett DM så reder vi ut det.",
            "Hej, tråkigt att höra! Vi tittar på det och återkommer.",
        ),
        "outage": (
            "Hej! Vi har en störning och arbetar med att åtgärda den. Vi beklagar!",
            "Hej, störningen är känd och åtgärdas just nu. Tack för ditt tålamod.",
        ),
        "answer": ("Hej! Tack för frågan, du hittar svaret på vår webbplats.",),
        "thanks": ("Tack för de fina orden! 😊",),
    },
}


def core_sentences(sector: str, lang: str, sentiment: str, topic: str) -> tuple[str, ...]:
    """Sentences for one cell, sector-specific first; empty when the cell is empty."""
    sector_bank = SECTOR.get(sector, {})
    own = sector_bank.get(lang, {}).get(sentiment, {}).get(topic, ())
    generic = GENERIC.get(lang, {}).get(sentiment, {}).get(topic, ())
    return own + generic


def topics_for(sector: str, lang: str, sentiment: str) -> tuple[str, ...]:
    """Topics that have at least one sentence for this sector, language and sentiment."""
    return tuple(t for t in TOPICS if core_sentences(sector, lang, sentiment, t))
