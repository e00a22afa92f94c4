"""Secrets inside free text (pure, stdlib only): card numbers and URL passwords.

A card number is 13-19 digits, single spaces or dashes allowed between groups, passing Luhn and
starting with 2-6; ``scheme://user:pw@host`` keeps the user.  Both become "[Filtered]".  The
key rule and the walk of an event are in scrub.py, which scans all of an event's strings at
once with URL_HINT and CARD_HINT and calls scrub_text only when one of them matched.
"""

import re

FILTERED = "[Filtered]"

# Maximal runs of digits with spaces/dashes; card rules are applied per run in Python, which is
# much cheaper than a backtracking regex with a repeated optional-separator group.
_RUN = re.compile(r"[0-9][0-9 -]{11,}[0-9]")
_SEPARATOR = re.compile(r"([ -])")
_DOUBLE_SEPARATOR = re.compile(r"([ -]{2,})")
_STANDALONE = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
# Luhn checks of multi-group windows allowed per event (or per scrub_string call): bounds the
# Python work hostile runs like "1 1 1 1 ..." can cause; ordinary events use a handful.
WINDOW_BUDGET = 4096
_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")
_URL_CREDS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:@/\s?#]*:)[^@/\s?#]+@")
# Same shape, anchored on the literal "://" so scanning long text stays fast.
URL_HINT = re.compile(r"://[^:@/\s?#]*:[^@/\s?#]+@")
# Digits become "d", everything else "."; with spaces and dashes deleted, 13 "d"s in a row are
# necessary for a card number anywhere in the text: a cheap prefilter for the card search.
DIGIT_MARKS = bytes(100 if 48 <= b <= 57 else 46 for b in range(256))
CARD_HINT = b"d" * 13
_CARD_FIRST_DIGITS = frozenset("23456")


def _luhn(digits: str) -> bool:
    """Card-like: issued card numbers start with 2-6 (Mastercard, Amex, Visa, Discover...);
    this keeps 13-digit millisecond timestamps (1...) that happen to pass Luhn."""
    if digits[:1] not in _CARD_FIRST_DIGITS:
        return False
    rev = digits.encode()[::-1]
    kept, doubled = rev[0::2], rev[1::2]
    return (sum(kept) + sum(doubled.translate(_DOUBLED)) - 48 * len(rev)) % 10 == 0


def _standalone_repl(m: re.Match) -> str:
    return FILTERED if _luhn(m.group()) else m.group()


def _filter_piece(piece: str, budget: list[int]) -> str:
    """Filter cards in digit groups joined by single separators."""
    digits = piece.replace(" ", "").replace("-", "")
    if len(digits) < 13:
        return piece
    if len(digits) <= 19 and _luhn(digits):
        return FILTERED
    if len(digits) == len(piece):
        return piece  # one unseparated number of the wrong length or checksum
    if budget[0] <= 0:  # only hostile or bizarre text gets here: still catch unseparated cards
        return _STANDALONE.sub(_standalone_repl, piece)
    # Look for a card made of whole consecutive groups ("ref 12 4111 1111 1111 1111").
    groups = _SEPARATOR.split(piece)
    numbers = groups[::2]
    out, i = [], 0
    while i < len(numbers) and budget[0] > 0:
        total, j, hit = 0, i, 0
        while j < len(numbers) and total + len(numbers[j]) <= 19:
            total += len(numbers[j])
            j += 1
            if total >= 13:
                budget[0] -= 1
                if _luhn("".join(numbers[i:j])):
                    hit = j  # keep extending: the longest valid window wins
        if hit:
            out += [FILTERED, *groups[2 * hit - 1 : 2 * hit]]
            i = hit
        else:
            out += groups[2 * i : 2 * i + 2]
            i += 1
    out.append(_STANDALONE.sub(_standalone_repl, "".join(groups[2 * i :])))
    return "".join(out)


def _filter_cards(s: str, budget: list[int]) -> str:
    def repl(m: re.Match) -> str:
        # Only single spaces/dashes join groups of one number.
        pieces = _DOUBLE_SEPARATOR.split(m.group())
        for k in range(0, len(pieces), 2):
            if len(pieces[k]) >= 13:
                pieces[k] = _filter_piece(pieces[k], budget)
        return "".join(pieces)

    return _RUN.sub(repl, s)


def scrub_text(s: str, urls: bool, cards: bool, budget: list[int]) -> str:
    out = s
    if urls and "@" in s and "://" in s:
        out = _URL_CREDS.sub(r"\1" + FILTERED + "@", s)
    if cards and CARD_HINT in out.encode("utf-8", "surrogatepass").translate(DIGIT_MARKS, b" -"):
        out = _filter_cards(out, budget)
    return s if out == s else out


def scrub_string(s: str) -> str:
    """Filter card numbers and URL passwords inside one string; returns ``s`` itself if clean."""
    return scrub_text(s, True, True, [WINDOW_BUDGET])
