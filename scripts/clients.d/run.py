"""Run real Node clients (Claude Code, the Codex CLI, the openai, Anthropic and AI SDKs) against pointsman
in front of the fake providers and the real local model; print the result table and write it into
docs/compatibility.md. Started by scripts/clients, which installs the clients first."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import report
from cases import CLIENTS
from checks import Case, Row, Seen, judge, upstream
from launch import Context
from services import FAKES, Services, running

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _ledger_delta(
    services: Services, before: dict[str, tuple[int, int]], wait: bool
) -> dict[str, tuple[int, int]]:
    """New ledger rows per model; the ledger writes in batches, so a case that needs a row waits for it."""
    deadline = time.monotonic() + (3.0 if wait else 0.6)
    while True:
        after = services.ledger()
        delta = {
            model: (n - before.get(model, (0, 0))[0], e - before.get(model, (0, 0))[1])
            for model, (n, e) in after.items()
            if n != before.get(model, (0, 0))[0]
        }
        if delta or time.monotonic() > deadline:
            return delta
        time.sleep(0.1)


def run_case(ctx: Context, case: Case) -> list[Row]:
    services = ctx.services
    if case.target == "local" and not services.local:
        why = "the local model is not installed here (./scripts/install-local) or --fakes-only"
        return [Row(case.client, case.surface, case.name, case.target, upstream(case), "SKIP", why)]
    services.clear()
    before = services.ledger()
    outcome = case.run(ctx)
    delta = _ledger_delta(services, before, wait=case.expect.wire is None and not case.expect.gateway)
    seen = Seen(
        inbound=list(services.proxy.seen) if services.proxy else [],
        reached={wire: services.reached(wire) for wire in FAKES},
        ledger=delta,
    )
    return judge(case, outcome, seen)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/clients", description=__doc__)
    parser.add_argument("clients", nargs="*", metavar="CLIENT", help=f"{', '.join(CLIENTS)}; default: all")
    parser.add_argument("--fakes-only", action="store_true", help="skip the cases on the real local model")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--clients-dir", default=str(ROOT / ".clients"), help="where npm installed them")
    args = parser.parse_args(argv)
    unknown = [c for c in args.clients if c not in CLIENTS]
    if unknown:
        parser.error(f"unknown client {unknown[0]!r}: choose from {', '.join(CLIENTS)}")
    return args


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    chosen = args.clients or list(CLIENTS)
    clients = Path(args.clients_dir)
    names = {key: name for key, (name, _, _) in CLIENTS.items()}
    lines: list[list[str]] = []
    with running(clients / "run", HERE / "gateway.yaml", local=not args.fakes_only) as services:
        ctx = Context(services, clients, clients / "run")
        for key in chosen:
            _, package, make = CLIENTS[key]
            for case in make():
                packages = case.versions or (package,)
                version = ", ".join(
                    f"{p} {report.version(clients, p)}" if len(packages) > 1 else report.version(clients, p)
                    for p in packages
                )
                for row in run_case(ctx, case):
                    lines.append(report.cells(row, names, version))
                    print(
                        f"{row.result:5} {names[row.client]} · {row.case} [{row.target}] {row.note[:160]}",
                        flush=True,
                    )
    print()
    print(report.console(lines))
    print("\nThe gateway's ledger of this run (pointsman spend --by status):")
    spend = [sys.executable, "-m", "pointsman", "spend", "--ledger", str(clients / "run" / "ledger.db")]
    subprocess.run([*spend, "--by", "status"], check=False)
    print(f"\n{report.summary([c[5] for c in lines])}")
    command = " ".join(["scripts/clients", *argv])
    if not args.no_write:
        page = ROOT / "docs" / "compatibility.md"
        report.write(page, lines, command, {names[k] for k in chosen}, list(names.values()))
        print(f"written: {page.relative_to(ROOT)}")
    return 1 if any(c[5] == "FAIL" for c in lines) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
