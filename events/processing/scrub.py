"""Server-side secret scrubbing of canonical events (pure, stdlib only).

``scrub_event`` filters, in place, ``request``, ``user`` (except id, email, username, ip_address
and name, which count users), ``extra``, ``contexts``, breadcrumbs, the ``vars`` of every frame of
every exception and thread, the message and exception values.  ``sdk``, ``modules``, ``tags``,
``fingerprint`` and source context are left alone.

Key rule, case-insensitive; a match replaces the whole value, whatever its type, with
"[Filtered]" (``None`` stays ``None``):

* substrings, distinctive enough to match anywhere: password passwd secret apikey api_key api-key
  privatekey private_key private-key credential cookie csrf xsrf authorization sessionid sessid
  stripetoken accesstoken authtoken authkey refreshtoken (so Set-Cookie, X-Api-Key,
  client_secret, PHPSESSID, csrfmiddlewaretoken match; so does "secretary", accepted);
* whole segments, after splitting on non-alphanumerics and camelCase humps: auth pwd token session
  (X-Auth-Token, basic_auth, authKey, MYSQL_PWD, access_token, sessionKey match; author,
  authority, authenticated, oauth, tokenizer, max_tokens, sessions do not).

The rule also applies to ``[key, value]`` pairs inside a list (headers, query or cookie pairs),
to the parameters of a query string or urlencoded body, and inside JSON bodies; changed bodies and
query strings are re-serialised, untouched parts keep their exact text.  Any string is searched
for card numbers (13-19 digits, single spaces or dashes allowed between groups, passing Luhn) and
for URL passwords (``scheme://user:pw@host`` keeps the user): textscan.py.

``scrub_and_survey`` also returns what the walk saw of those containers (their depth, longest
string, largest dict and list), so that ``trim.trim_event`` need not walk them again.
"""

import json
import re
from dataclasses import dataclass
from itertools import chain
from urllib.parse import unquote_plus

from . import textscan
from .textscan import FILTERED, scrub_string

_SUBSTRINGS = (
    "password", "passwd", "secret", "apikey", "api_key", "api-key", "privatekey", "private_key",
    "private-key", "credential", "cookie", "csrf", "xsrf", "authorization", "sessionid", "sessid",
    "stripetoken", "accesstoken", "authtoken", "authkey", "refreshtoken",
)  # fmt: skip
_SEGMENTS = frozenset({"auth", "pwd", "token", "session"})
# user.id can legitimately be a Luhn-valid number and these fields are what counts users.
_USER_KEEP = frozenset({"id", "email", "username", "ip_address", "name"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Keys already classified: strings of at most KEY_MAX chars only, so a dict whose keys are all
# in _SAFE has short string keys (what a Survey vouches for).  Bounded so hostile events with
# millions of distinct keys cannot grow memory; cleared when full so common keys get cached again.
_SAFE: set = set()
_SENSITIVE: set = set()
_CACHE_MAX = 8192
KEY_MAX = 100


def _compute_sensitive(key: str) -> bool:
    low = key.lower()
    for token in _SUBSTRINGS:
        if token in low:
            return True
    segments = _NON_ALNUM.split(_CAMEL.sub("_", key).lower())
    return not _SEGMENTS.isdisjoint(segments)


def is_sensitive_key(key) -> bool:
    if key in _SAFE:
        return False
    if key in _SENSITIVE:
        return True
    if type(key) is not str:
        return False
    hit = _compute_sensitive(key)
    if len(key) <= KEY_MAX:
        if len(_SAFE) + len(_SENSITIVE) >= _CACHE_MAX:
            _SAFE.clear()
            _SENSITIVE.clear()
        (_SENSITIVE if hit else _SAFE).add(key)
    return hit


@dataclass(frozen=True)
class Survey:
    """What scrubbing saw of the containers it walked, for trim_event to skip them: the
    event's free-form parts (vars, extra, contexts, breadcrumbs, request, user) are most of
    trim's walk, and scrubbing has just walked them.  Taken only when the walk found nothing
    but string keys of at most KEY_MAX chars and the scan of the strings changed none."""

    subtrees: dict  # id(container) -> (container, levels of containers in it, itself included)
    longest_text: int  # at least the longest string's length (their total, when that is short)
    largest_dict: int
    largest_list: int
    chars: int  # of the strings and keys in them
    entries: int  # containers and their entries


class _Batch:
    """Walks containers, filtering sensitive keys, and collects every string leaf.  The strings
    are then checked together: one scan of their concatenation is far cheaper than a check per
    string, and it almost always finds nothing."""

    __slots__ = ("texts", "dicts", "lists", "slots", "changed", "budget", "odd_keys", "subtrees",
                 "text_chars")  # fmt: skip

    def __init__(self, survey: bool = False):
        self.texts: list[str] = []
        # Where the strings live, re-visited only when the scan finds something.
        self.dicts: list[dict] = []
        self.lists: list[list] = []
        self.slots: list[tuple] = []
        self.changed = 0
        self.budget = [textscan.WINDOW_BUDGET]
        self.odd_keys = False  # a key that is not a string of at most KEY_MAX chars
        self.subtrees: dict | None = {} if survey else None
        self.text_chars = 0

    def add(self, container, key) -> None:
        value = container[key]
        if type(value) is str:
            self.texts.append(value)
            self.slots.append((container, key))
        elif type(value) is dict or type(value) is list:
            levels = self.walk(value)
            if self.subtrees is not None:
                self.subtrees[id(value)] = (value, levels)

    def filter(self, container, key) -> None:
        if container[key] is not None and container[key] != FILTERED:
            container[key] = FILTERED
            self.changed += 1

    def walk(self, root) -> int:
        """Returns how many levels of containers `root` holds, itself included.  Level by
        level, so the depth costs nothing per container."""
        level, levels = [root], 0
        keep, dicts, lists = self.texts.append, self.dicts.append, self.lists.append
        safe, sensitive = _SAFE, is_sensitive_key
        while level:
            levels += 1
            below = []
            push = below.append
            for node in level:
                if type(node) is dict:
                    dicts(node)
                    if not node.keys() <= safe:
                        for k in node:
                            if type(k) is not str or len(k) > KEY_MAX:
                                self.odd_keys = True
                            if sensitive(k):
                                self.filter(node, k)
                    for v in node.values():
                        if type(v) is str:
                            keep(v)
                        elif type(v) is dict or type(v) is list:
                            push(v)
                    continue
                lists(node)
                for v in node:
                    tv = type(v)
                    if tv is str:
                        keep(v)
                    elif tv is list:
                        # A [key, value] pair in a list of them: headers, query or cookie pairs.
                        if (len(v) == 2 and type(v[0]) is str and len(v[0]) <= 100
                                and sensitive(v[0])):  # fmt: skip
                            self.filter(v, 1)
                        push(v)
                    elif tv is dict:
                        push(v)
            level = below
        return levels

    def finish(self) -> int:
        """Scrub the collected strings; returns how many values were changed in total."""
        joined = "\x00".join(self.texts)
        self.text_chars = len(joined) - max(len(self.texts) - 1, 0)
        urls = "@" in joined and textscan.URL_HINT.search(joined) is not None
        marks = joined.encode("utf-8", "surrogatepass").translate(textscan.DIGIT_MARKS, b" -")
        cards = textscan.CARD_HINT in marks
        if not (urls or cards):
            return self.changed
        self.subtrees = None  # strings may change below: no survey
        for node in self.dicts:
            for key, text in node.items():
                if type(text) is str:
                    self._scrub(node, key, text, urls, cards)
        for node in self.lists:
            for key, text in enumerate(node):
                if type(text) is str:
                    self._scrub(node, key, text, urls, cards)
        for container, key in self.slots:
            self._scrub(container, key, container[key], urls, cards)
        return self.changed

    def survey(self) -> Survey | None:
        """After finish(): what it walked, or None (see Survey)."""
        if self.subtrees is None or self.odd_keys:
            return None
        dicts, lists, text_chars = self.dicts, self.lists, self.text_chars
        # Each figure in one pass in C: these replace trim's walk of the same containers.
        return Survey(
            subtrees=self.subtrees,
            longest_text=text_chars if text_chars <= 8192 else max(map(len, self.texts)),
            largest_dict=max(map(len, dicts), default=0),
            largest_list=max(map(len, lists), default=0),
            chars=text_chars + len("".join(chain.from_iterable(dicts))),
            entries=len(dicts) + len(lists) + sum(map(len, dicts)) + sum(map(len, lists)),
        )

    def _scrub(self, container, key, text: str, urls: bool, cards: bool) -> None:
        new = textscan.scrub_text(text, urls, cards, self.budget)
        if new is not text:
            container[key] = new
            self.changed += 1


def scrub_query(qs: str) -> str:
    """Filter sensitive parameters of ``a=1&token=x``; untouched parts keep their exact text."""
    parts = qs.split("&")
    changed = False
    for i, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        name = unquote_plus(key) if ("%" in key or "+" in key) else key
        new = FILTERED if is_sensitive_key(name) else scrub_string(value)
        if new != value:
            parts[i] = key + "=" + new
            changed = True
    return "&".join(parts) if changed else qs


def _scrub_body(body: str) -> str:
    if body.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(body)
            batch = _Batch()
            batch.walk(parsed)
            return json.dumps(parsed, ensure_ascii=False) if batch.finish() else body
        except (ValueError, RecursionError):
            pass
    if "=" in body and "\n" not in body:
        body = scrub_query(body)
    return scrub_string(body)


def _scrub_url(url: str) -> str:
    base, sep, query = url.partition("?")
    base = scrub_string(base)
    return base + sep + scrub_query(query) if sep else base


def _scrub_request(req: dict, batch: _Batch) -> None:
    for k, v in req.items():
        if is_sensitive_key(k):  # e.g. "cookies", whatever its form
            batch.filter(req, k)
        elif type(v) is str and k in ("url", "query_string", "data"):
            req[k] = {"url": _scrub_url, "query_string": scrub_query, "data": _scrub_body}[k](v)
        else:
            batch.add(req, k)


def _scrub_frames(container, batch: _Batch) -> None:
    if type(container) is dict:
        container = container.get("values")
    if type(container) is not list:
        return
    for item in container:
        if type(item) is not dict:
            continue
        if "value" in item:
            batch.add(item, "value")
        stacktrace = item.get("stacktrace")
        frames = stacktrace.get("frames") if type(stacktrace) is dict else None
        if type(frames) is list:
            for frame in frames:
                if type(frame) is dict and "vars" in frame:
                    batch.add(frame, "vars")


def scrub_event(event: dict) -> dict:
    """Filter secrets in place (see module docstring); returns ``event``.  Never raises."""
    if type(event) is dict:
        _scrub(event, _Batch())
    return event


def scrub_and_survey(event: dict) -> Survey | None:
    """scrub_event, and the Survey of what it walked for trim_event (None: trim walks all)."""
    if type(event) is not dict:
        return None
    batch = _Batch(survey=True)
    _scrub(event, batch)
    return batch.survey()


def _scrub(event: dict, batch: _Batch) -> None:
    for key in ("extra", "contexts", "breadcrumbs", "logentry", "message"):
        if key in event:
            batch.add(event, key)
    if type(event.get("request")) is dict:
        _scrub_request(event["request"], batch)
    user = event.get("user")
    if type(user) is dict:
        for k in user:
            if k in _USER_KEEP:
                continue
            if is_sensitive_key(k):
                batch.filter(user, k)
            else:
                batch.add(user, k)
    _scrub_frames(event.get("exception"), batch)
    _scrub_frames(event.get("threads"), batch)
    if type(event.get("stacktrace")) is dict:  # raven 3 layout, if normalisation left it
        _scrub_frames([{"stacktrace": event["stacktrace"]}], batch)
    batch.finish()
