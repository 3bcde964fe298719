"""What a social care agent reads in a mention: complaint and praise patterns, fi / en / sv.

Complaints to a brand often state a failure with no emotional word ("jonossa 47 min",
"charged twice", "paketti toimitettu mut ei oo täällä"), and praise often names speed or
punctuality ("tuli päivässä", "5/5"). Each pattern family is one language-independent
feature ``care:<family>``, matched on the tokens joined by spaces (lowercase, handles as
``@user``, numbers as ``<num>``), so the same weights serve every language:

- ``wait`` time waited, queue position, no answer yet; ``billing`` charged twice / after
  cancelling / unexpected fees / no refund; ``delivery`` parcel "delivered" but not there,
  lost, wrong place; ``cancel`` cancellations and delays (flights, trains, buses, orders);
  ``access`` cannot log in, app or network down; ``question`` a frustrated question aimed at
  the brand ("kuka tän korjaa?", "where is my money?"); ``again`` a repeated failure
  ("taas", "kolmas kerta", "still");
- ``praise`` domain praise with no lexicon word (fast, on time, "5/5", recommending);
  ``fixed`` a problem that was solved ("korjattu 20 minuutissa", "sorted");
  ``nofail`` a negated failure or negated criticism ("ei kertaakaan", "never crashed once",
  "ei huono", "no complaints");
- ``sarcasm``: praise words (lexicon, thanks) together with a complaint pattern and no
  ``fixed`` / ``nofail``: "kiitos Posti, paketti taas kadonnut" reads as a complaint.

The weights of these features are learnt by ``make train`` on tuning rows (never on the
evaluation set of ``tests/data/eval``).

Examples
--------
>>> from detectors.text.tokens import tokenize
>>> sorted(care_features(tokenize("jonossa sijalla 38, kolmatta kertaa"), "fi"))
['care:again', 'care:wait']
>>> sorted(care_features(tokenize("charged me twice, who is going to fix this?"), "en"))
['care:billing', 'care:many', 'care:question']
>>> sorted(care_features(tokenize("nopee ja 5/5"), "fi", "nopee ja 5/5"))
['care:praise']
>>> care_features(tokenize(""), "sv")
{}
"""

from __future__ import annotations

import re
from functools import lru_cache

FAMILIES = (
    "howto",
    "nofail",
    "unresolved",
    "wait",
    "billing",
    "delivery",
    "cancel",
    "access",
    "question",
    "again",
    "praise",
    "fixed",
)
COMPLAINTS = frozenset(
    ("wait", "billing", "delivery", "cancel", "access", "question", "unresolved")
)
N = r"<num>"

_PATTERNS: dict[str, dict[str, str]] = {
    "fi": {
        "howto": (
            r"^(?:@user )*(?:hei |moi )?(?:miten|mitenkä|kuinka|voiko|saako|onko|onks|pitääkö"
            r"|mistä|mihin|paljonko|kannattaako|toimiiko|tarvitseeko|mikä on|kulkeeko)\b[^?!]*\?$"
        ),
        "unresolved": (
            r"\bei (?:\w+ )?(?:auttanut|auttanu|auta|ratkennut|ratkennu|korjaantunut|korjattu)\b"
            r"|\bongelma ei\b|\bvika ei\b|\bei vieläkään\b"
        ),
        "wait": (
            rf"\bjono\w*|\bjonott\w*|\bjonotus\w*|\bodot\w*|\bootel\w*|\bootan\b|\boottan\w*"
            rf"|\bodott\w*|\bvieläkään\b|\bvielkää\b|\bei (?:mitään )?kuulu\b"
            rf"|{N} (?:min\w*|h|tuntia|tunnin|päivää|päivän|viikkoa|viikon|vrk|pv)\b"
            rf"|\bsoita myöhemmin\b|\bkukaan ei vastaa\b|\bei vastaa\b|\bei (?:ole |oo )?vastattu\b"
            rf"|\btakaisinsoit\w*|\blupas\w* soittaa\b"
        ),
        "billing": (
            r"\bveloit\w*|\blasku\w*|\blaskut\w*|\bkahteen kertaan\b|\bkahdesti\b|\bkolmesti\b"
            r"|\b2x\b|\btupla\w*|\bperintä\w*|\bmuistutusmaksu\w*|\bmaksu\w*|\bhyvity\w*"
            r"|\bpalautu\w*|\brahat\b|\brahoja\b|\brahani\b|\birtisan\w*|\bhinta nous\w*"
            r"|\bkäsittelymaksu\w*|\bkorttiveloitu\w*"
        ),
        "delivery": (
            r"\bpaketti\w*|\bpaketi\w*|\bpaketin\b|\blähety\w*|\btoimitettu\b|\bjaettu\b"
            r"|\bseuran\w*|\bnoutopist\w*|\bkadon\w*|\bhävin\w*|\bväärään\b|\bei tullut\b"
            r"|\bei (?:oo |ole )?tullu\w*|\bpuuttuu\b|\bkuljettaja\w*|\bkuski\w*|\brikki\b"
        ),
        "cancel": (
            r"\bperu\w*|\bperut\w*|\bmyöhäs\w*|\bmyöhässä\b|\bmyöhästy\w*|\bsiirsi\b|\bseis\w*"
            r"|\bajoi (?:pysäkin )?ohi\b|\bei kulje\b|\bei tullu\w*|\bei tule\b|\bjäi\b"
            r"|\bpysähty\w*|\bei lähde\b"
        ),
        "access": (
            r"\bei toimi\w*|\bei toimi\b|\bei pelaa\b|\ben pääs\w*|\bei pääs\w*|\bei pysty\b"
            r"|\bkaatu\w*|\bjumi\w*|\bpoikki\b|\bpätki\w*|\bkatko\w*|\bhäiriö\w*|\bvirhe\w*"
            r"|\bherjaa\w*|\bnurin\b|\balhaalla\b|\bei onnistu\b|\bkirjau\w*|\blukittu\b"
            r"|\bei kenttää\b|\bei mene läpi\b|\bkirjaa ulos\b|\bvika\w*|\bkatkeil\w*|\bpimeänä\b"
            r"|\bei (?:ole |oo )?kenttää\b"
        ),
        "question": (
            r"\b(?:kuka|ketä|miks|miksi|miksei|missä|milloin|kauanko|montako|onko kukaan"
            r"|onks kukaan|aiotteko|mitä mä maksan|mitä maksan|kuinka monta kertaa)\b[^?]*\?"
            r"|\?\?"
        ),
        "again": (
            r"\btaas\b|\bjälleen\b|\buudestaan\b|\bedelleen\b|\bvieläkään\b"
            r"|\b(?:toinen|toista|kolmas|kolmatta|neljäs|neljättä|<num>) (?:kerta|kertaa)\b"
            r"|\bjoka (?:kerta|ikinen|päivä|aamu)\b|\bputkeen\b|\bjatkuva\w*"
        ),
        "praise": (
            r"\bnope\w*|\bnopsa\w*|\bheti\b|\bajoissa\b|\bajallaan\b|\bminuutilleen\b"
            r"|\bsuosittel\w*|\b<num> / <num>\b|\b<num>/<num>\b|\btäydellise\w*|\bsujuva\w*"
            r"|\bsujui\b|\bkätevä\w*|\bselkeä\w*|\bselkee\w*|\bhelppo\w*|\bavulia\w*"
            r"|\bystävällis\w*|\bkiitos\b|\bkiitti\b|\bkiitoksia\b|\bkiit\w*|\bparas\b"
            r"|\bsovittuna aikana\b|\bjust niinku\b|\bniinkuin pyysin\b|\bmoitteett\w*"
            r"|\bpäivässä\b|\bseuraavana (?:päivänä|aamuna)\b|\b<num> (?:min|minuutissa)\b"
            r"|\bminuutissa\b|\btunnissa\b|\betuajassa\b|\bniinkuin luvattiin\b"
            r"|\bniinku luvattiin\b"
        ),
        "fixed": (
            r"\bkorjattu\b|\bkorjat\w*|\bkorjaantu\w*|\bkorjas\w*|\bratke\w*|\bratkais\w*"
            r"|\bratkaist\w*|\bhoidett\w*|\bhoitui\b"
            r"|\bhoiti\b|\bhoitu\w*|\blöytyi\b|\bpalautti\b|\bhyvitti\b|\bjärjesti\b"
        ),
        "nofail": (
            r"\bei (?:\w+ )?(?:kertaakaan|yhtään (?:katkosta|ongelmaa)|valittamista|moitittavaa)"
            r"|\bei (?:oo |ole )?(?:\w+ )?kertaakaan\b|\bei (?:huono|paha|hullumpi|huonompi)\b"
            r"|\bei ollu(?:t)? mitään ongelmaa\b|\bilman (?:ongelmia|mitään säätöä|säätöä)\b"
            r"|\ben voi valittaa\b|\bei tarvin\w* jonottaa\b|\bei myöhäs\w* kertaakaan\b"
            r"|\bei (?:mitään |yhtään )?(?:ongelmia|ongelmaa|vaikeaa|valitettavaa)\b"
        ),
    },
    "en": {
        "howto": (
            r"^(?:@user )*(?:hi |hey )?(?:how do i|how can i|how much|how long does|can i"
            r"|do you|does|is there|is it|are there|what is|what's the|where do i|where can i"
            r"|any)\b[^?!]*\?$"
        ),
        "unresolved": (
            r"\bnot (?:fixed|solved|resolved|sorted|helpful)\b|\bdidn'?t help\b|\bstill not\b"
            r"|\bno one (?:helped|could)\b|\bnobody could\b"
        ),
        "wait": (
            rf"\bon hold\b|\bqueue\w*|\bwaiting\b|\bwaited\b|\bstill (?:no|not|waiting)\b"
            rf"|{N} (?:min\w*|mins|hours?|hrs?|days?|weeks?)\b|\bno (?:reply|response|answer)\b"
            rf"|\bcallback\b|\bcall back\b|\bhaven't heard\b|\bnobody (?:answers|replies)\b"
        ),
        "billing": (
            r"\bcharg\w*|\bbill\w*|\btwice\b|\bthree times\b|\bdouble charged\b|\bfee\w*"
            r"|\brefund\w*|\bmoney\b|\bdirect debit\b|\bovercharg\w*|\binvoice\w*"
            r"|\bcancelled my (?:subscription|contract)\b|\bfull price\b"
        ),
        "delivery": (
            r"\bparcel\w*|\bpackage\w*|\bdeliver\w*|\btracking\b|\bcourier\b|\bdriver\b"
            r"|\bpickup point\b|\blocker\b|\bmissing\b|\blost\b|\bcrushed\b|\bdamaged\b"
        ),
        "cancel": (
            r"\bcancel\w*|\bdelay\w*|\bstranded\b|\bmissed (?:the |my )?connection\b"
            r"|\bnot running\b|\brescheduled\b|\bdrove (?:straight )?past\b|\blate\b"
        ),
        "access": (
            r"\bcan'?t log ?in\b|\bcannot log ?in\b|\blog in\b|\blogin\b|\blogs me out\b|\bcrash\w*"
            r"|\bdown\b|\boutage\w*|\bnot working\b|\bdoesn'?t work\b|\bno signal\b"
            r"|\berror\b|\bblocked\b|\bwon'?t connect\b|\bexpires?\b"
        ),
        "question": (
            r"\b(?:who|why|where|when|how many times|how long|what exactly|is anyone"
            r"|do you actually)\b[^?]*\?|\?\?"
        ),
        "again": (
            r"\bagain\b|\bstill\b|\bevery (?:single )?(?:time|morning|day)\b"
            r"|\b(?:second|third|fourth|<num>(?:rd|th|nd)?) time\b"
        ),
        "praise": (
            r"\bfast\b|\bquick\w*|\bon time\b|\bright away\b|\bimmediately\b|\bon the minute\b"
            r"|\brecommend\w*|\b<num> / <num>\b|\bflawless\w*|\bthanks?\b|\bcheers\b"
            r"|\bnext day\b|\bexactly when\b|\bhelpful\b|\bfriendly\b|\bbest\b|\bsmooth\w*"
            r"|\bin <num> min\w*\b|\bwithin (?:a|<num>|one) (?:min\w*|hours?)\b|\bearly\b"
        ),
        "fixed": (
            r"\bfixed\b|\bsorted\b|\bsolved\b|\bresolved\b|\brefunded\b|\brebooked\b"
            r"|\bfound\b|\bfor free\b"
        ),
        "nofail": (
            r"\bnot bad\b|\bno complaints\b|\bnever (?:had|crashed|failed|waited)\b"
            r"|\bhasn'?t (?:crashed|failed|dropped)\b|\bwithout (?:a single|any) (?:outage|problem)"
            r"|\bnever .{0,30}\bonce\b|\bnot (?:a )?single (?:outage|problem|issue)\b"
            r"|\bhaven'?t had a single\b|\bno (?:issues|problems)\b|\bnothing to complain\b"
        ),
    },
    "sv": {
        "howto": (
            r"^(?:@user )*(?:hej )?(?:hur|kan man|kan jag|får man|finns det|har ni|går|vad kostar"
            r"|vad är|var hittar|lönar det sig|stöder|någon som)\b[^?!]*\?$"
        ),
        "unresolved": (
            r"\binte (?:\w+ )?(?:löst|åtgärdat|fixat|hjälpsam)\b|\bhjälpte inte\b"
            r"|\bingen (?:\w+ )?kunde\b"
        ),
        "wait": (
            rf"\bkö\w*|\bväntat\b|\bväntade\b|\bväntan\b|\bfortfarande (?:inget|inte|ingen)\b"
            rf"|{N} (?:min\w*|timm\w*|dagar|veckor)\b|\binget svar\b|\bringa tillbaka\b"
        ),
        "billing": (
            r"\bdebiter\w*|\bfaktur\w*|\btvå gånger\b|\btre gånger\b|\bdubbel\w*|\bavgift\w*"
            r"|\båterbetal\w*|\bpengar\w*|\bautogiro\w*|\bdrogs\b|\bsa upp\b|\bfullpris\b"
        ),
        "delivery": (
            r"\bpaket\w*|\bleverer\w*|\bleverans\w*|\bspårning\w*|\bbud\w*|\bombud\w*"
            r"|\bförsändelse\w*|\bsaknas\b|\bborttappad\w*|\bkrossad\b|\bej anträffad\b"
        ),
        "cancel": (
            r"\binställ\w*|\bförsen\w*|\bstrandsatt\b|\bmissade anslutningen\b|\bflyttade\b"
            r"|\bkörde förbi\b|\bavbröts\b|\bstått stilla\b"
        ),
        "access": (
            r"\bkommer inte in\b|\blogga in\b|\bloggar ut\b|\bkrasch\w*|\bnere\b|\bavbrott\w*"
            r"|\bfunkar inte\b|\bfungerar inte\b|\bingen täckning\b|\bfel\b|\bspärrat\b"
            r"|\bgår inte fram\b|\btekniskt fel\b"
        ),
        "question": (
            r"\b(?:vem|varför|var är|när|hur många gånger|hur länge|vad betalar|har ni ens)\b"
            r"[^?]*\?|\?\?"
        ),
        "again": (
            r"\bigen\b|\bfortfarande\b|\bvarenda\b|\bvarje gång\b"
            r"|\b(?:andra|tredje|fjärde) gången\b"
        ),
        "praise": (
            r"\bsnabb\w*|\bi tid\b|\bdirekt\b|\bpå minuten\b|\brekommender\w*|\b<num> / <num>\b"
            r"|\bfelfri\w*|\btack\b|\bdagen efter\b|\bprecis när\b|\bhjälpsam\w*|\bbästa\b"
            r"|\bsmidig\w*|\bsupersmidigt\b|\bpå <num> min\w*|\binom (?:en|<num>) (?:min\w*|timme)"
            r"|\btidigt\b"
        ),
        "fixed": (
            r"\båtgärdat\b|\blöst\b|\blöstes\b|\blöste\b|\bbokade om\b|\bordnade\b|\bgratis\b"
        ),
        "nofail": (
            r"\binte dåligt\b|\binget att klaga\b|\baldrig (?:haft|behövt)\b"
            r"|\binte kraschat\b|\butan (?:ett enda|några) (?:avbrott|problem)\b"
            r"|\binte en enda gång\b|\binte ett enda\b|\binga problem\b"
        ),
    },
}
_THANKS = re.compile(
    r"\b(?:kiitos|kiitti|kiitoksia|thanks?|thank you|cheers|tack|love|älskar|ihanaa?|ihana"
    r"|mahtava\w*|loistava\w*|upe\w*|hien\w*|super|wow|vau|täydellist\w*|parasta|great"
    r"|wonderful|brilliant|toppen|underbart|fantastisk\w*|kiva\w*|ilahduttava\w*)\b"
)


_RATING = re.compile(r"(?<![\d/.,:])(?:[4-5](?:[.,]5)?\s?/\s?5|(?:[89]|10)\s?/\s?10)(?![\d/])")


def _alternatives(pattern: str) -> list[str]:
    """The top-level ``|`` branches of a regex (parentheses and classes respected)."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def _spans_tokens(alt: str) -> bool:
    """Whether a branch can match across a space (else it matches within one token)."""
    return " " in alt or "[^" in alt or ".{" in alt or alt.startswith("<num>")


def _first_word(alt: str) -> str:
    """A regex for the first token of a branch that spans tokens (a superset is fine)."""
    depth, cut, i, in_class = 0, len(alt), 0, False
    while i < len(alt):
        c = alt[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            if alt.startswith("[^", i) and depth == 0:
                cut = i
                break
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif (c == " " or alt.startswith(".{", i)) and depth == 0:
            cut = i
            break
        i += 1
    head = alt[:cut].replace("\\b", "")
    return re.sub(r" [^|)]*", "", head)


class _Families:
    """One language's patterns: single-token branches looked up per token (remembered),
    the branches that span tokens tried only where a token can start one, ``howto``
    anchored at the start of the text."""

    __slots__ = ("cache", "howto", "phrases", "starts", "word")

    def __init__(self, fams: dict[str, str]) -> None:
        words: list[str] = []
        phrases: list[str] = []
        starts: list[str] = []
        for n in FAMILIES:
            if n not in fams or n == "howto":
                continue
            alts = _alternatives(fams[n])
            one = [a for a in alts if not _spans_tokens(a)]
            many = [a for a in alts if _spans_tokens(a)]
            if one:
                words.append(f"(?P<{n}>{'|'.join(one)})")
            if many:
                phrases.append(f"(?P<{n}>{'|'.join(many)})")
                starts.extend(_first_word(a) for a in many)
        self.word = re.compile("|".join(words)) if words else None
        self.phrases = re.compile(" (?:" + "|".join(phrases) + ")") if phrases else None
        self.starts = re.compile("|".join(f"(?:{x})" for x in starts)) if starts else None
        self.howto = re.compile(fams["howto"]) if "howto" in fams else None
        self.cache: dict[str, tuple[str, bool]] = {}

    def learn(self, token: str) -> tuple[str, bool]:
        """The family a token alone names ("" for none) and whether a phrase may start
        there; remembered (bounded)."""
        m = self.word.match(token) if self.word is not None else None
        fam = (m.lastgroup or "") if m is not None else ""
        start = self.starts is not None and self.starts.fullmatch(token) is not None
        if len(self.cache) >= _CACHE_MAX:
            self.cache.clear()
        self.cache[token] = (fam, start)
        return fam, start


_CACHE_MAX = 50_000


@lru_cache(maxsize=8)
def _compiled(lang: str) -> _Families | None:
    fams = _PATTERNS.get(lang)
    return _Families(fams) if fams is not None else None


def care_features(tokens: list[str], lang: str, raw: str = "") -> dict[str, float]:
    """``care:<family>`` features of one tokenised text (see module docstring).

    ``raw`` (the text before tokenising) lets a rating such as "5/5" or "10/10" count as
    praise; the tokens have no slash. ``care:many`` counts the complaint families found
    beyond the first (at most 2).
    """
    fam = _compiled(lang)
    if fam is None or not tokens:
        return {}
    get, learn, phrases = fam.cache.get, fam.learn, fam.phrases
    text = " " + " ".join(tokens)
    found: set[str] = set()
    pos = 0
    for t in tokens:
        family, start = get(t) or learn(t)
        if family:
            found.add(family)
        if start and phrases is not None:
            m = phrases.match(text, pos)
            if m is not None and m.lastgroup:
                found.add(m.lastgroup)
        pos += len(t) + 1
    if fam.howto is not None and tokens[-1] == "?" and fam.howto.match(text[1:]):
        found.add("howto")
    found.discard("")
    if "nofail" in found:  # a negated failure ("ei oo kaatunu kertaakaan") is no failure
        found -= COMPLAINTS
    if "unresolved" in found:  # "not solved" is no fix
        found.discard("fixed")
        found.add("unresolved")
    if raw and "/" in raw and _RATING.search(raw):
        found.add("praise")
    out = {"care:" + f: 1.0 for f in found if f}
    complaints = len(found & COMPLAINTS)
    if complaints > 1:
        out["care:many"] = float(min(complaints - 1, 2))
    if complaints and "fixed" not in found and "nofail" not in found and _THANKS.search(text):
        out["care:sarcasm"] = 1.0
    return out
