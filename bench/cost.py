"""What a request costs the gateway, in CPU instructions: a named model, a route with a fallback tier
and answer checks, and the same route with four rules that all miss (keywords, a regex, language,
prompt size), side by side, optionally beside an earlier revision, in one run.

    python bench/cost.py                        # this checkout
    python bench/cost.py --baseline REV         # and an earlier commit, side by side

callgrind counts the instructions `bench/cost_driver.py` executes (the gateway's ASGI app in
process, the upstream an in-memory stub). Counts repeat to within a fraction of a percent whatever
else the machine is doing, where requests/s on this shared 2-core machine swing by 20%. Each
target runs twice, with a few and with many requests, and the difference is divided by the
difference in requests, so start-up is left out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "bench" / "cost_driver.py"
FEW = 20


def instructions(model: str, requests: int, source: Path | None, work: Path, stream: bool) -> int:
    out = Path(tempfile.mkstemp(dir=work, suffix=".callgrind")[1])
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts, run after run
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
    subprocess.run(
        [*command, str(DRIVER), model, str(requests), *(["stream"] if stream else [])],
        env=env,
        check=True,
        capture_output=True,
        cwd=work,
    )
    match = re.search(r"^summary: (\d+)", out.read_text(), re.M)
    assert match is not None, f"no summary in {out}"
    return int(match.group(1))


def per_request(
    model: str, many: int, source: Path | None, work: Path, pool: ThreadPoolExecutor, stream: bool = False
) -> float:
    few = pool.submit(instructions, model, FEW, source, work, stream)
    lots = pool.submit(instructions, model, many, source, work, stream)
    return (lots.result() - few.result()) / (many - FEW)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1020)
    parser.add_argument("--baseline", help="a git revision to measure beside this checkout")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed (apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="pointsman-cost-"))
    sources: dict[str, Path | None] = {"now": None}
    try:
        if args.baseline:
            tree = work / "base"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline])
            sources[f"at {args.baseline}"] = tree / "src"
        with ThreadPoolExecutor(2) as pool:
            results = {
                (label, model, stream): per_request(model, args.requests, source, work, pool, stream)
                for label, source in sources.items()
                for stream in (False, True)
                for model in ("small", "chain", "auto")
            }
    finally:
        if args.baseline:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "base")])
        shutil.rmtree(work, ignore_errors=True)
    print(
        "\ninstructions per request (thousands)   named model   route: fallback + checks   with 4 rules too"
    )
    for stream in (False, True):
        for label in sources:
            named, chain, route = (results[(label, m, stream)] for m in ("small", "chain", "auto"))
            what = f"{'stream' if stream else 'json'}, {label}"
            print(
                f"  {what:<36}{named / 1000:>12.0f}{chain / 1000:>16.0f} ({chain / named:.2f}×)"
                f"{route / 1000:>11.0f} ({route / named:.2f}×)"
            )


if __name__ == "__main__":
    main()
