"""Text that shows what it holds: no control or format characters.

A name with a right-to-left override (U+202E) in it is stored one way and read
another: ``"Bob \\u202egnp.exe"`` shows as "Bob exe.png". Zero-width and other
format characters hide text, controls (NUL, escape, backspace) corrupt how it
is shown or stored, and line or paragraph separators break a line the page
shows as one. So text a person will read is refused at the edge when it holds
any of them: the Unicode categories Cc (control), Cf (format), Cs (an unpaired
surrogate), Zl and Zp (line and paragraph separators).

Two kinds of text: one line (a name, an address line) allows none of them;
multiline (a comment) allows line feeds and tabs, and reads CR LF and CR as a
line feed, as a browser sends a textarea's line ends. The message names the
character and where it is. The models' field types (``OneLine``, ``MultiLine``
in orderflow/parts/validation.py) name the field; this module imports no
pydantic, so the approval form and the orchestrator use it for free.

Cost: the refusal also refuses zero-width joiners (U+200C, U+200D), which some
scripts and emoji sequences use; the design chooses a text every reader sees
the same way over those.
"""

from __future__ import annotations

import functools
import unicodedata

REFUSED = {
    "Cc": "a control character",
    "Cf": "a format character",
    "Cs": "an unpaired surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
MULTILINE_ALLOWED = "\n\t"


class UnshowableTextError(ValueError):
    """Text holds a character that shows as something else, or as nothing."""


def checked(value: str, *, multiline: bool = False) -> str:
    """``value`` if every character shows as itself; line ends as ``\\n`` if
    ``multiline`` (which also allows tabs).

    Raises:
        UnshowableTextError: naming the first refused character and its place.
    """
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.isprintable():  # the usual case: nothing of Other or Separator
        return value
    allowed = MULTILINE_ALLOWED if multiline else ""
    for place, char in enumerate(value, start=1):
        kind = REFUSED.get(unicodedata.category(char))
        if kind is not None and char not in allowed:
            name = unicodedata.name(char, "")
            shown = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            where = "" if multiline else " (one line only)"
            raise UnshowableTextError(
                f"holds {shown}, {kind}, at character {place}{where}: text here "
                "must show as what it holds"
            )
    return value


@functools.cache
def refused_pattern(multiline: bool) -> str:
    """A JSON Schema pattern (ECMA-262) of text without the refused characters.

    Only the Basic Multilingual Plane's, and no surrogates: ``\\uXXXX`` is the
    one escape every regex dialect reads, and a published schema may be looser
    than the model, never stricter (a few astral format characters are refused
    by the model alone). Built when a schema is generated, never at import.
    """
    allowed = set(MULTILINE_ALLOWED + "\r") if multiline else set()
    ranges: list[list[int]] = []
    for point in range(0x10000):
        char = chr(point)
        category = unicodedata.category(char)
        if category not in REFUSED or category == "Cs" or char in allowed:
            continue
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    spans = "".join(
        f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in ranges
    )
    return f"^[^{spans}]*$"
