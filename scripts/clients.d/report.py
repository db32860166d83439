"""The result table: printed, and written into docs/compatibility.md between two marker lines (the rest
of that page is prose kept as it is). A run of some clients keeps the other clients' rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from checks import Row

BEGIN = "<!-- scripts/clients: begin (generated; edit the prose around it, not this) -->"
END = "<!-- scripts/clients: end -->"
HEADER = ("client", "version", "surface", "case", "upstream", "result", "note")


def version(clients: Path, package: str) -> str:
    """The installed version, from the package's own package.json."""
    try:
        return str(json.loads((clients / "node_modules" / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "not installed"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def line(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def cells(row: Row, names: dict[str, str], version: str) -> list[str]:
    return [names[row.client], version, row.surface, row.case, row.upstream, row.result, row.note]


def console(lines: list[list[str]]) -> str:
    widths = [min(48, max(len(c[i]) for c in [list(HEADER), *lines])) for i in range(len(HEADER) - 1)]
    out = []
    for c in [list(HEADER), *lines]:
        out.append("  ".join(v[:48].ljust(w) for v, w in zip(c, widths, strict=False)) + "  " + c[-1])
    return "\n".join(out)


def summary(results: list[str]) -> str:
    counts = Counter(results)
    return ", ".join(f"{counts[k]} {k}" for k in ("PASS", "FAIL", "LIMIT", "SKIP") if counts[k])


def _kept_rows(old: str, replaced: set[str]) -> list[str]:
    """Table lines of the page as it was, for the clients this run did not run."""
    if BEGIN not in old or END not in old:
        return []
    block = old.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [ln for ln in block.splitlines() if ln.startswith("| ") and not ln.startswith("| client ")]
    return [ln for ln in rows if ln.split(" | ")[0][2:] not in replaced and not set(ln) <= set("|- ")]


def write(page: Path, lines: list[list[str]], command: str, ran: set[str], order: list[str]) -> None:
    """Replace the generated block of the page (the page must already have its two marker lines);
    `order` is the clients' names in the order the table lists them."""
    old = page.read_text()
    body = [line(c) for c in lines] + _kept_rows(old, ran)
    body.sort(key=lambda ln: order.index(ln.split(" | ")[0][2:]) if ln.split(" | ")[0][2:] in order else 99)
    results = [ln.split(" | ")[5] for ln in body]
    kept = "" if not _kept_rows(old, ran) else " Rows of the other clients are kept from an earlier run."
    block = "\n".join(
        [
            BEGIN,
            "",
            f"Produced by `{command}`: {summary(results)}.{kept}",
            "",
            line(list(HEADER)),
            "|" + "---|" * len(HEADER),
            *body,
            "",
            END,
        ]
    )
    head, rest = old.split(BEGIN, 1)
    page.write_text(head + block + rest.split(END, 1)[1])
