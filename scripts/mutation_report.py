"""`make mutation`: mutate each module, run the fast suites, print the scores.

The modules, the suites and what is copied come from ``[tool.mutmut]`` in
pyproject.toml. With ``--run``, mutmut (``python -m mutmut``) runs one module at
a time, niced and with few children (the machine is shared), from a fresh
``mutants/`` unless ``--keep``; mutmut then runs, for each mutant, only the
tests that reach the function it changed. The report reads mutmut's results
(``mutants/**/*.py.meta``) and sets aside the equivalent mutants listed in
mutation/equivalent.txt, each with the code it mutates to (a mutant renumbered
by a change to its module no longer matches, and is reported) and the reason no
test can tell it apart. A mutant counts as killed when a test failed or timed
out under it.

Exit status 1 when a module scores under ``--min`` (95 by default), when a
listed equivalent is killed (then it was not equivalent) or no longer exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "mutation" / "equivalent.txt"
KILLED = {1, 3, 24, -24, 36, 152, 255}  # a test failed, or it timed out
SURVIVED = 0


@dataclass
class Score:
    """One module's mutants, by outcome."""

    module: str
    killed: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)  # no test reaches it
    equivalent: list[str] = field(default_factory=list)
    killed_equivalent: list[str] = field(default_factory=list)  # listed wrongly

    @property
    def counted(self) -> int:
        """Mutants that count: every one but the equivalent ones."""
        return len(self.killed) + len(self.survived) + len(self.untested)

    @property
    def percent(self) -> float:
        """Killed over counted, in percent (100 when nothing counts)."""
        return 100.0 * len(self.killed) / self.counted if self.counted else 100.0


def modules() -> list[str]:
    """The dotted names of the modules ``only_mutate`` lists."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return [p.removesuffix(".py").replace("/", ".") for p in config["only_mutate"]]


@dataclass(frozen=True)
class Equivalent:
    """A mutant no test can tell apart: what it changes to, and why."""

    name: str
    mutant: str  # code the mutant has: catches a renumbered mutant
    why: str


def equivalents(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    """Blocks of a name line, then ``mutant:`` and ``why:`` lines (``#`` comments)."""
    found: dict[str, Equivalent] = {}
    text = "\n".join(
        line for line in path.read_text().splitlines() if not line.startswith("#")
    )
    for block in filter(None, (b.strip() for b in text.split("\n\n"))):
        name, *rest = block.splitlines()
        fields = dict(line.strip().partition(": ")[::2] for line in rest)
        if not fields.get("mutant") or not fields.get("why"):
            raise SystemExit(f"{path}: {name} needs a 'mutant:' and a 'why:' line")
        found[name] = Equivalent(name, fields["mutant"], fields["why"])
    return found


def mutant_code(name: str) -> str | None:
    """The source of mutant ``name`` as mutmut wrote it in mutants/, or None."""
    module, _, function = name.rpartition(".")
    source = ROOT / "mutants" / (module.replace(".", "/") + ".py")
    lines = source.read_text().splitlines() if source.exists() else []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(f"def {function}("):
            indent = len(line) - len(line.lstrip())
            body = [line]
            for after in lines[i + 1 :]:
                ends = re.match(rf"^\s{{0,{indent}}}[\w@]", after)
                if ends:
                    break
                body.append(after)
            return " ".join(" ".join(body).split())
    return None


def exit_codes(module: str) -> dict[str, int | None]:
    """mutmut's result for each mutant of ``module``."""
    meta = ROOT / "mutants" / (module.replace(".", "/") + ".py.meta")
    if not meta.exists():
        raise SystemExit(f"no mutmut results for {module} ({meta}): run with --run")
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return codes


def score(module: str, equivalent: dict[str, Equivalent]) -> Score:
    """Sort ``module``'s mutants by outcome, the equivalent ones aside."""
    result = Score(module)
    for name, code in sorted(exit_codes(module).items()):
        if name in equivalent:
            result.equivalent.append(name)
            if code in KILLED:  # a test told it apart: it is not equivalent
                result.killed_equivalent.append(name)
        elif code in KILLED:
            result.killed.append(name)
        elif code == SURVIVED:
            result.survived.append(name)
        else:  # no test reaches it, or not checked
            result.untested.append(name)
    return result


def run(module: str, max_children: int) -> None:
    """Run mutmut over ``module``'s mutants, niced."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children"]
    command += [str(max_children), f"{module}.*"]
    print(f"mutmut: {module}", flush=True)
    # A test that starts a Python of its own (scripts/openapi.py) imports the
    # mutated tree too, not an installed copy of the package.
    path = [str(ROOT / "mutants"), *filter(None, [os.environ.get("PYTHONPATH")])]
    # CI=true turns a missing `sam build` output into a failure (tests/utils/
    # tools.py); mutants are not about the build, so those tests skip here.
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        ["nice", "-n", "15", *command],  # noqa: S607 - nice from PATH, as make does
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": os.pathsep.join(path)},
    )
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"mutmut failed on {module} ({done.returncode})")


def main(argv: list[str] | None = None) -> int:
    """Run (if asked) and print the score of every module; 1 when one falls short."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run mutmut first")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--min", type=float, default=95.0, help="lowest score")
    parser.add_argument("--survivors", action="store_true", help="list them")
    args = parser.parse_args(argv)

    names = modules()
    if args.run:
        if not args.keep:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        # There before mutmut starts, or its Python skips it on PYTHONPATH.
        (ROOT / "mutants").mkdir(exist_ok=True)
        for module in names:
            run(module, args.max_children)

    equivalent = equivalents()
    scores = [score(m, equivalent) for m in names]
    failed = False
    print(f"{'module':44} {'killed':>7} {'of':>5} {'equiv':>6} {'score':>7}")
    for s in scores:
        low = s.percent < args.min
        failed |= low
        print(
            f"{s.module:44} {len(s.killed):7} {s.counted:5} "
            f"{len(s.equivalent):6} {s.percent:6.1f}%{'  < ' if low else ''}"
            f"{args.min if low else ''}"
        )
        if args.survivors:
            for name in s.survived + s.untested:
                status = "survived" if name in s.survived else "no test"
                print(f"    {status}: {name}")
    killed = sum(len(s.killed) for s in scores)
    counted = sum(s.counted for s in scores)
    print(f"{'all':44} {killed:7} {counted:5} {len(equivalent):6} "
          f"{100.0 * killed / max(counted, 1):6.1f}%")  # fmt: skip

    known = {n for s in scores for n in s.equivalent}
    wrong = sorted(n for s in scores for n in s.killed_equivalent)
    for name in sorted(set(equivalent) - known):
        print(f"listed as equivalent but no such mutant: {name}", file=sys.stderr)
        failed = True
    for name in wrong:
        print(f"listed as equivalent but a test kills it: {name}", file=sys.stderr)
        failed = True
    for name in sorted(known):
        code = mutant_code(name) or ""
        if " ".join(equivalent[name].mutant.split()) not in code:
            print(f"{name} no longer reads as listed: renumbered?", file=sys.stderr)
            failed = True
    print("see a mutant: python -m mutmut show NAME")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
