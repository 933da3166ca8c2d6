"""How deep a JSON text nests, found before it is parsed.

Python's ``json.loads`` recurses once per ``[`` or ``{``: a body of a few
thousand brackets raises RecursionError, which no handler expects (a 500, or a
failed invocation the service retries). Every entry point that parses JSON from
outside asks ``too_deep`` first and refuses the text, saying why, before any
parser runs.

The scan runs in C, no Python loop per character: it drops escaped quotes,
then strings (their brackets are text), keeps the brackets, and removes the
innermost pairs once per level, at most ``limit + 1`` times: a pair still there
after ``limit`` passes is a level past the limit. What is left unbalanced (not
JSON, which the parser then says) counts too, each unclosed bracket being a
level the parser would enter. A 64 KiB body takes a few milliseconds at worst.
"""

from __future__ import annotations

MAX_DEPTH = 32  # an order nests 3 deep; a durable invocation's input, as deep
TOO_DEEP = f"nests arrays or objects more than {MAX_DEPTH} levels deep"
_KEPT = b'"[]{}'
_DROPPED = bytes(set(range(256)) - set(_KEPT))
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")


def too_deep(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when ``text`` nests arrays and objects more than ``limit`` deep."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    # One pass removes each run's backslash pairs; a backslash left escapes
    # what follows it, and only an escaped quote matters here.
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Between the quotes: strings, whose brackets are text. (An unclosed
    # string leaves an odd piece out: not JSON, and refused by the parser.)
    pieces = unescaped.translate(None, delete=_DROPPED).split(b'"')
    brackets = b"".join(pieces[::2]).translate(_BRACKETS)
    if b"(" * (limit + 1) in brackets:  # the usual attack, found at once
        return True
    levels = 0  # each pass that removes innermost pairs peels one level off
    while levels <= limit:
        inner = brackets.replace(b"()", b"")
        if len(inner) == len(brackets):
            # Balanced parts are gone; what is left opens levels never closed,
            # each around at most ``levels`` balanced ones.
            return levels + brackets.count(b"(") > limit
        brackets, levels = inner, levels + 1
    return True
