"""Plain-text tables for the terminal."""

from __future__ import annotations


def render(head: list[str], rows: list[list[str]]) -> str:
    widths = (
        [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=False)]
        if rows
        else list(map(len, head))
    )
    numeric = [all(_is_number(r[i]) for r in rows) and bool(rows) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        out = [
            str(c).rjust(w) if num else str(c).ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=False)
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).rstrip("*").isdigit() or text in ("-", "?")
