"""Prometheus text exposition of what the gateway knows about itself (`GET /metrics`)."""

from __future__ import annotations

from pointsman.ledger.sink import LedgerState

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def ledger_metrics(state: LedgerState, written: int) -> list[str]:
    """The ledger's health: a supervisor alerts on rows waiting or lost, not on a log line."""
    return [
        "# HELP pointsman_ledger_store_up 1 while the ledger store accepts writes, 0 while it fails.",
        "# TYPE pointsman_ledger_store_up gauge",
        f"pointsman_ledger_store_up {int(state.ok)}",
        "# HELP pointsman_ledger_rows_written_total Rows written to the ledger store.",
        "# TYPE pointsman_ledger_rows_written_total counter",
        f"pointsman_ledger_rows_written_total {written}",
        "# HELP pointsman_ledger_unwritten_rows Rows recorded but not yet in the store (in the journal).",
        "# TYPE pointsman_ledger_unwritten_rows gauge",
        f"pointsman_ledger_unwritten_rows {state.unwritten}",
        "# HELP pointsman_ledger_held_rows Of the unwritten rows, those held in memory.",
        "# TYPE pointsman_ledger_held_rows gauge",
        f"pointsman_ledger_held_rows {state.held}",
        "# HELP pointsman_ledger_lost_rows_total Rows that reached neither the store nor the journal.",
        "# TYPE pointsman_ledger_lost_rows_total counter",
        f"pointsman_ledger_lost_rows_total {state.lost}",
    ]


def render(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()
