"""Every function's log lines, kept by the local stack in its home, and read back.

In AWS each function's lines go to its log group; locally every function runs
in the stack's process and writes its JSON lines (Powertools' Logger) to the
process's stdout. The stack puts a ``Kept`` stream there: each JSON log line
goes to ``<home>/logs/functions.jsonl`` (private, like the rest of the home),
and to the console only from ``ORDERFLOW_CONSOLE_LOG_LEVEL`` (WARNING) up;
EMF metrics nowhere (no CloudWatch reads them here); anything else (the
stack's own messages) to the console as before. The
functions log at ``POWERTOOLS_LOG_LEVEL`` (INFO). ``orderflow logs ID`` prints
one subject's lines from the file in time order, as ``sam logs`` does for a
stack.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

from orderflow.local.log_redaction import redact
from orderflow.local.private import make_private

FILE = Path("logs") / "functions.jsonl"
# The keys by which the functions' lines name their subject, the workflows' first.
SUBJECT_KEYS = ("subjectId", "order_id", "subject_id", "return_id", "expense_id")


class Kept(io.TextIOBase):
    """stdout for the functions: JSON log lines into the file, the rest on."""

    def __init__(self, console: IO[str], kept: IO[str], console_level: str) -> None:
        self.console, self.kept = console, kept
        self.level = logging.getLevelName(console_level.upper())
        self._lock = threading.Lock()
        self._partial = threading.local()  # print() writes a line in two calls

    def writable(self) -> bool:
        """A text stream one writes to."""
        return True

    def write(self, text: str) -> int:
        """Route each whole line; keep a partial one for the thread's next write."""
        pending = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = pending.split("\n")
        with self._lock:
            for line in lines:
                self._route(line + "\n")
        return len(text)

    def _route(self, line: str) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and "_aws" in record:
            return  # an EMF metric: no CloudWatch here to read it
        if isinstance(record, dict) and "level" in record:
            self.kept.write(redact(line))  # no token or callback id, ever
            self.kept.flush()
            shown = logging.getLevelName(str(record["level"]))
            if not isinstance(shown, int) or shown < self.level:
                return
        self.console.write(line)
        self.console.flush()

    def flush(self) -> None:
        """Flush both."""
        with self._lock:
            self.kept.flush()
            self.console.flush()


def keep(home: Path) -> Kept:
    """Put a ``Kept`` stream on stdout for ``home``'s log file; ``release`` it."""
    path = make_private(home / FILE.parent, folder=True) / FILE.name
    make_private(path)
    level = os.environ.get("ORDERFLOW_CONSOLE_LOG_LEVEL") or "WARNING"
    kept = Kept(sys.stdout, path.open("a", encoding="utf-8"), level)
    sys.stdout = kept
    return kept


def release(kept: Kept) -> None:
    """Give stdout back and close the file."""
    if sys.stdout is kept:
        sys.stdout = kept.console
    kept.kept.close()


def lines_of(home: Path, subject_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The kept lines naming ``subject_id``, in time order: (raw, parsed)."""
    path = home / FILE
    if not path.exists():
        return []
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and _subject_of(line) == subject_id:
            found.append((raw, line))
    # One clock and one format for every line: the timestamps sort as text;
    # lines of the same millisecond keep the order they were written in.
    return sorted(found, key=lambda pair: str(pair[1].get("timestamp", "")))


def _subject_of(line: dict[str, Any]) -> object:
    """The subject a line names: by the first of ``SUBJECT_KEYS`` it has.

    In the one local process the functions share a logger, and a key one
    function appended (start_order's ``order_id``) stays on later lines of
    others; a workflow's own ``subjectId`` comes first, and decides.
    """
    return next((line[key] for key in SUBJECT_KEYS if key in line), None)


def describe(line: dict[str, Any]) -> str:
    """One line for a person: when, how bad, which operation, what it said."""
    skip = {
        *("timestamp", "level", "message", "service", "location", "sampling_rate"),
        *("executionArn", "operationId", "parentId", "operationName", "attempt"),
    }
    where = line.get("operationName") or line.get("location", "")
    if "attempt" in line:
        where = f"{where}#{line['attempt']}"
    rest = " ".join(f"{k}={json.dumps(v)}" for k, v in line.items() if k not in skip)
    return (
        f"{line.get('timestamp', '')} {line.get('level', ''):<7} {where} "
        f"{line.get('message', '')} {rest}"
    ).rstrip()
