"""Two threads, two speeds: how long idle BLAS threads spin, and what it does to an epoch.

    python bench/blas_wait.py [--rounds 7] [--shape h128_b128] [--out bench/results/blas_wait.json]

At two threads the epochs of ``bench/speed.py`` are bimodal on this 2-core VM: the same
process runs an nn_core epoch in 0.23 s, then in 0.50 s, then in 0.23 s again; PyTorch
and scikit-learn flip the same way. Between two matrix products a BLAS library keeps its
worker thread spinning, waiting for the next one (OpenBLAS for 2^28 cycles by default,
about 0.1 s: longer than all the work between two products), while the main thread does
the single-threaded passes (the batch gather, Adam, softmax). When the hypervisor gives
the two threads less than two whole cores, the spinning worker takes the main thread's
time.

This measures each system's one epoch (``bench/_worker.py``, a fresh process each,
systems and settings interleaved, rotated every round) at two threads, as each library
waits by default and with short waits:

* ``default``: the environment as given (``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``
  unset in the children, as in ``bench/speed.py``);
* ``short``: ``OPENBLAS_THREAD_TIMEOUT=8`` (OpenBLAS's worker sleeps after 2^8 cycles:
  nn_core, scikit-learn and the GEMM limit) and ``GOMP_SPINCOUNT=10000`` (PyTorch's GNU
  OpenMP threads spin 10,000 times, not 300,000, before they sleep; with
  ``OMP_WAIT_POLICY=PASSIVE``, no spinning at all, its epoch took 1.09 s against 0.67 s).
  Both are read when the library loads, so they are set in the child's environment.

It reports each case's median, its best run, and the share of slow runs (over 1.5x
that system's best run in either setting): the spinning's cost is the slow share.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path

from speed import BLAS_ENV, run_worker

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "blas_wait.json"
SYSTEMS = ("nn_core", "sklearn", "torch", "gemm")
THREADS = 2
#: Each setting's extra environment per system (an empty dict: the library's default).
WAITS = {
    "default": {},
    "short": {"OPENBLAS_THREAD_TIMEOUT": "8", "GOMP_SPINCOUNT": "10000"},
}
WAIT_ENV = ("OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
SLOW = 1.5  # a run over this many times its system's best run counts as slow


def child_env(wait: str) -> dict[str, str]:
    """The child's environment: ours without the machine's OpenBLAS tuning, two threads
    for every library, and the setting's wait variables (none of ours leak in)."""
    env = {k: v for k, v in os.environ.items()
           if k not in BLAS_ENV and k not in WAIT_ENV}
    env.update({name: str(THREADS) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                 "MKL_NUM_THREADS")})
    env.update(WAITS[wait])
    return env


def order(rounds: int) -> list[tuple[int, str, str]]:
    """(round, system, wait) in run order: every case once a round, rotated each round."""
    cases = [(system, wait) for system in SYSTEMS for wait in WAITS]
    out = []
    for r in range(rounds):
        k = r % len(cases)
        out += [(r, system, wait) for system, wait in cases[k:] + cases[:k]]
    return out


def summarize(runs: list[dict]) -> dict:
    """{system: {wait: median, best, slow share, n}} and each system's short/default."""
    summary: dict[str, dict] = {}
    for system in SYSTEMS:
        mine = [r for r in runs if r.get("ok") and r["system"] == system]
        if not mine:
            continue
        best = min(r["seconds"] for r in mine)
        summary[system] = {}
        for wait in WAITS:
            seconds = [r["seconds"] for r in mine if r["wait"] == wait]
            if seconds:
                summary[system][wait] = {
                    "median": statistics.median(seconds), "best": min(seconds),
                    "slow_share": sum(s > SLOW * best for s in seconds) / len(seconds),
                    "n": len(seconds), "seconds": seconds}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--shape", default="h128_b128")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    runs = []
    plan = order(args.rounds)
    for i, (r, system, wait) in enumerate(plan, start=1):
        result = run_worker(system, args.shape, child_env(wait))
        result.update({"round": r, "wait": wait, "load_average": os.getloadavg()})
        runs.append(result)
        shown = f"{result['seconds']:.3f} s" if result.get("ok") else (
            result.get("skipped") or result.get("error"))
        print(f"[{i}/{len(plan)}] round {r + 1} {system:8s} {wait:8s} {shown}",
              file=sys.stderr, flush=True)

    summary = summarize(runs)
    print(f"\n{args.shape}, {THREADS} threads, {args.rounds} interleaved rounds: "
          f"median [best], slow runs (> {SLOW}x the system's best)\n")
    print("| system | " + " | ".join(WAITS) + " |")
    print("|---|" + "---|" * len(WAITS))
    for system, by_wait in summary.items():
        cells = [f"{w['median']:.3f} [{w['best']:.3f}], slow {w['slow_share']:.0%}"
                 for w in by_wait.values()]
        print(f"| {system} | " + " | ".join(cells) + " |")
    base = summary.get("nn_core", {})
    for wait in WAITS:
        for peer in ("sklearn", "torch"):
            if wait in base and wait in summary.get(peer, {}):
                print(f"nn_core / {peer} ({wait}): median "
                      f"{base[wait]['median'] / summary[peer][wait]['median']:.2f}x, best "
                      f"{base[wait]['best'] / summary[peer][wait]['best']:.2f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "shape": args.shape, "threads": THREADS, "rounds": args.rounds, "waits": WAITS,
        "slow_factor": SLOW, "summary": summary, "runs": runs}, indent=1) + "\n")
    print(f"\nSaved {args.out}")


if __name__ == "__main__":
    main()
