"""Mutation check: does the test suite notice when the code's behaviour changes?

Each entry of ``MUTATIONS`` (read from ``scripts/mutations.toml``) is a small, deliberate
bug: an exact source snippet (it must occur exactly once in its file) and what to put in
its place. For every mutation the repository is copied to a temporary directory (without
``.venv``, ``.git`` and caches), the bug is put in the copy, and pytest runs the tests
that should catch it there (``-x -q -p no:cacheprovider``, browser tests deselected,
``MLP_PLAYGROUND_REQUIRE_BROWSER`` unset, a time limit per mutation). A failing test
*kills* the mutation; passing tests let it *survive*, which means the suite has a gap.
A snippet that no longer occurs exactly once makes the mutation
*stale*: the code changed and the list must follow it.

Before the mutations, the same test selections run once on an unmutated copy (the
baseline): a mutation only counts as killed if its tests pass without it.

    python scripts/mutation_check.py            # all; exit 0 only if all killed, none stale
    python scripts/mutation_check.py --list     # the mutations and whether their snippets match
    python scripts/mutation_check.py --only adam-beta2 l2-grad-sign --jobs 1

A full run writes ``bench/results/mutation_check.json`` (the table, the timings and
a short text summary); ``--only`` runs write a report only when given ``--report``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "results" / "mutation_check.json"
DEFAULT_TIMEOUT = 300.0
MAX_JOBS = 2  # the machine has two cores; more workers only thrash
# Not copied into the scratch repository: the venv (used in place), VCS data, caches, artefacts.
EXCLUDED = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
            "artifacts", "node_modules", ".mypy_cache"}
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "-m", "not browser")


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    find: str
    replace: str
    description: str
    #: pytest arguments selecting the tests that must catch it: files, node ids, "-k", "expr"
    tests: tuple[str, ...]
    #: allow browser tests (only for a mutation nothing else can catch)
    browser: bool = False


#: The list itself is data: scripts/mutations.toml, one [[mutation]] table per entry.
MUTATIONS_FILE = Path(__file__).with_name("mutations.toml")


def load_mutations(path: Path = MUTATIONS_FILE) -> tuple[Mutation, ...]:
    """The mutations of ``path``, in its order; an entry with a missing or unknown field
    is refused with its position and id."""
    with path.open("rb") as file:
        entries = tomllib.load(file).get("mutation", [])
    mutations = []
    for number, entry in enumerate(entries, start=1):
        try:
            mutations.append(Mutation(**{**entry, "tests": tuple(entry["tests"])}))
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path.name}: mutation {number} ({entry.get('id', '?')}) "
                             f"is malformed: {error}") from None
    return tuple(mutations)


MUTATIONS: tuple[Mutation, ...] = load_mutations()


# ---------------------------------------------------------------------------- running


@dataclass
class Result:
    id: str
    status: str  # killed | survived | stale | error
    seconds: float = 0.0
    returncode: int | None = None
    caught_by: str | None = None
    detail: str = ""


def occurrences(mutation: Mutation, root: Path = ROOT) -> int:
    path = root / mutation.file
    if not path.is_file():
        return 0
    return path.read_text(encoding="utf-8").count(mutation.find)


def _ignore(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n in EXCLUDED or n.endswith((".pyc", ".egg-info"))}
    if Path(directory).resolve() == ROOT / "bench" / "results":
        ignored |= {n for n in names if n.endswith(".tmp")}
    return ignored


def copy_repo(dest: Path, attempts: int = 3) -> Path:
    """A copy of the working tree (uncommitted changes included) under ``dest``."""
    target = dest / "repo"
    for attempt in range(attempts):
        try:
            shutil.copytree(ROOT, target, ignore=_ignore, symlinks=True)
            return target
        except (shutil.Error, OSError):  # a file moved or vanished while it was copied
            shutil.rmtree(target, ignore_errors=True)
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def _env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLP_PLAYGROUND_REQUIRE_BROWSER", None)
    env["PYTHONPATH"] = str(repo)  # the copy's packages, never the checkout's
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")  # two workers on two cores: one BLAS thread each
    return env


_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def run_pytest(repo: Path, selection: tuple[str, ...], browser: bool,
               timeout: float) -> tuple[int | None, str, float]:
    """Run pytest in ``repo``; returns (returncode or None on timeout, output, seconds)."""
    options = list(PYTEST_ARGS)
    if browser:  # the marker filter goes, not the interpreter's own "-m pytest"
        at = options.index("-m")
        del options[at:at + 2]
    args = [sys.executable, "-m", "pytest", *options, *selection]
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=repo, env=_env(repo), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _kill(process)
        output, _ = process.communicate()
        code = None
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
    return code, output or "", time.perf_counter() - started


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # pytest and anything it started
    except (ProcessLookupError, PermissionError):
        pass


def _first_failure(output: str) -> str | None:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].split(" ", 1)[1]
    return None


def _tail(output: str, lines: int = 12) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def check_mutation(mutation: Mutation, timeout: float, baseline_ok: dict) -> Result:
    started = time.perf_counter()
    count = occurrences(mutation)
    if count != 1:
        return Result(mutation.id, "stale",
                      detail=f"the snippet occurs {count} times in {mutation.file}, not once")
    key = (mutation.tests, mutation.browser)
    if key in baseline_ok and not baseline_ok[key]:
        return Result(mutation.id, "error", detail="its tests fail without the mutation")
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.id}-") as scratch:
        repo = copy_repo(Path(scratch))
        path = repo / mutation.file
        source = path.read_text(encoding="utf-8")
        if source.count(mutation.find) != 1:  # the file changed between the check and the copy
            return Result(mutation.id, "stale", detail="the snippet changed while copying")
        mutated = source.replace(mutation.find, mutation.replace, 1)
        try:
            compile(mutated, str(path), "exec")
        except SyntaxError as exc:
            return Result(mutation.id, "error", detail=f"the mutated file does not compile: {exc}")
        path.write_text(mutated, encoding="utf-8")
        code, output, _ = run_pytest(repo, mutation.tests, mutation.browser, timeout)
    seconds = time.perf_counter() - started
    if code is None:
        return Result(mutation.id, "error", seconds, None,
                      detail=f"timed out after {timeout:g} s\n{_tail(output)}")
    if code == 0:
        return Result(mutation.id, "survived", seconds, 0, detail=_tail(output, 3))
    if code in (1, 2):  # 1: a test failed; 2: collection/import failed (e.g. at import time)
        return Result(mutation.id, "killed", seconds, code, caught_by=_first_failure(output),
                      detail=_tail(output, 3))
    return Result(mutation.id, "error", seconds, code, detail=_tail(output))


def run_baseline(selections: list[tuple[tuple[str, ...], bool]], timeout: float,
                 pool: concurrent.futures.Executor) -> dict:
    """Each distinct test selection once on an unmutated copy: {(tests, browser): passed}."""
    scratch = tempfile.TemporaryDirectory(prefix="mutation-baseline-")
    try:
        repo = copy_repo(Path(scratch.name))
        futures = {pool.submit(run_pytest, repo, tests, browser, timeout): (tests, browser)
                   for tests, browser in selections}
        results = {}
        for future in concurrent.futures.as_completed(futures):
            code, output, seconds = future.result()
            key = futures[future]
            results[key] = {"passed": code == 0, "seconds": seconds,
                            "returncode": code, "tail": "" if code == 0 else _tail(output)}
        return results
    finally:
        scratch.cleanup()


# ---------------------------------------------------------------------------- reporting


def _selection_text(tests: tuple[str, ...]) -> str:
    return " ".join(tests).replace("tests/", "")


def print_table(mutations: list[Mutation], results: dict[str, Result]) -> None:
    width = max(len(m.id) for m in mutations)
    print(f"\n{'mutation':<{width}}  {'status':<8}  {'time':>6}  file / caught by")
    print("-" * (width + 60))
    for m in mutations:
        r = results[m.id]
        where = r.caught_by or (r.detail.splitlines()[0] if r.status != "killed" and r.detail
                                else m.file)
        print(f"{m.id:<{width}}  {r.status:<8}  {r.seconds:5.1f}s  {m.file}: {where}")


def summary_lines(results: list[Result], total: float, jobs: int, baseline_seconds: float,
                  n_playground: int) -> list[str]:
    counts = {s: sum(r.status == s for r in results) for s in ("killed", "survived", "stale",
                                                              "error")}
    lines = [
        f"{len(results)} mutations ({n_playground} in playground/ and pages/): "
        f"{counts['killed']} killed, {counts['survived']} survived, {counts['stale']} stale, "
        f"{counts['error']} errors.",
        f"Wall time {total:.0f} s with {jobs} worker(s), of which baseline {baseline_seconds:.0f} s; "
        f"mutation runs took {sum(r.seconds for r in results):.0f} s of worker time.",
    ]
    slow = sorted(results, key=lambda r: -r.seconds)[:3]
    lines.append("Slowest: " + ", ".join(f"{r.id} {r.seconds:.1f} s" for r in slow) + ".")
    for status in ("survived", "stale", "error"):
        ids = [r.id for r in results if r.status == status]
        if ids:
            lines.append(f"{status.capitalize()}: {', '.join(ids)}.")
    return lines


def write_report(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


# ---------------------------------------------------------------------------- main


def _check_list() -> None:
    ids = [m.id for m in MUTATIONS]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate mutation ids: {sorted(duplicates)}")
    for m in MUTATIONS:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", m.id) or m.find == m.replace or not m.tests:
            raise SystemExit(f"malformed mutation {m.id!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    parser.add_argument("--list", action="store_true",
                        help="list the mutations and whether each snippet occurs exactly once")
    parser.add_argument("--jobs", type=int, default=min(MAX_JOBS, os.cpu_count() or 1),
                        help=f"parallel workers (at most {MAX_JOBS})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds allowed per pytest run (default %(default)g)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the selections on an unmutated copy first")
    parser.add_argument("--report", type=Path, default=None,
                        help=f"where to write the JSON report (default for a full run: "
                             f"{REPORT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    _check_list()

    selected = list(MUTATIONS)
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in MUTATIONS})
        if unknown:
            parser.error(f"unknown mutation ids: {', '.join(unknown)}")
        selected = [m for m in MUTATIONS if m.id in args.only]

    if args.list:
        stale = 0
        for m in selected:
            count = occurrences(m)
            stale += count != 1
            mark = "ok   " if count == 1 else f"STALE ({count}x)"
            print(f"{mark}  {m.id:<32} {m.file:<26} {m.description}")
            print(f"       tests: {_selection_text(m.tests)}")
        n_pg = sum(m.file.startswith(("playground/", "pages/")) for m in selected)
        print(f"\n{len(selected)} mutations, {n_pg} in playground/ and pages/, {stale} stale")
        return 1 if stale else 0

    jobs = max(1, min(args.jobs, MAX_JOBS))
    if jobs != args.jobs:
        print(f"--jobs {args.jobs}: using {jobs} (at most {MAX_JOBS} workers)")
    report_path = args.report if args.report is not None else (None if args.only else REPORT)

    started = time.perf_counter()
    results: dict[str, Result] = {}
    baseline: dict = {}
    baseline_seconds = 0.0
    runnable = [m for m in selected if occurrences(m) == 1]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            if not args.no_baseline and runnable:
                selections = sorted({(m.tests, m.browser) for m in runnable})
                print(f"Baseline: {len(selections)} test selections on an unmutated copy…",
                      flush=True)
                t0 = time.perf_counter()
                baseline = run_baseline(selections, args.timeout, pool)
                baseline_seconds = time.perf_counter() - t0
                failed = [k for k, v in baseline.items() if not v["passed"]]
                for tests, _ in failed:
                    print(f"  baseline FAILED: {_selection_text(tests)}\n"
                          f"{baseline[(tests, _)]['tail']}")
            baseline_ok = {k: v["passed"] for k, v in baseline.items()}
            print(f"Running {len(selected)} mutations with {jobs} worker(s)…", flush=True)
            futures = {pool.submit(check_mutation, m, args.timeout, baseline_ok): m
                       for m in selected}
            for future in concurrent.futures.as_completed(futures):
                m = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - report it, go on with the rest
                    result = Result(m.id, "error", detail=f"{type(exc).__name__}: {exc}")
                results[m.id] = result
                print(f"  {result.status:<8} {result.seconds:5.1f}s  {m.id}", flush=True)
    except KeyboardInterrupt:
        with _RUNNING_LOCK:
            for process in list(_RUNNING):
                _kill(process)
        print("interrupted", file=sys.stderr)
        return 130
    total = time.perf_counter() - started

    ordered = [results[m.id] for m in selected]
    print_table(selected, results)
    n_pg = sum(m.file.startswith(("playground/", "pages/")) for m in selected)
    lines = summary_lines(ordered, total, jobs, baseline_seconds, n_pg)
    print("\n" + "\n".join(lines))
    for r in ordered:
        if r.status in ("survived", "error") and r.detail:
            print(f"\n[{r.id}] {r.status}:\n{r.detail}")

    ok = all(r.status == "killed" for r in ordered)
    if report_path is not None:
        by_id = {m.id: m for m in selected}
        payload = {
            "what": "mutation check: each mutation put in a copy of the repo, its tests run there",
            "command": "python scripts/mutation_check.py" + (
                " --only " + " ".join(args.only) if args.only else ""),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "jobs": jobs,
            "timeout_seconds": args.timeout,
            "pytest_args": list(PYTEST_ARGS),
            "passed": ok,
            "counts": {s: sum(r.status == s for r in ordered)
                       for s in ("killed", "survived", "stale", "error")},
            "total_mutations": len(ordered),
            "playground_and_pages_mutations": n_pg,
            "seconds": {"total": round(total, 1), "baseline": round(baseline_seconds, 1),
                        "mutations_worker_time": round(sum(r.seconds for r in ordered), 1)},
            "summary": lines,
            "baseline": [
                {"tests": list(k[0]), "passed": v["passed"], "seconds": round(v["seconds"], 1)}
                for k, v in sorted(baseline.items())
            ],
            "mutations": [
                {
                    "id": r.id,
                    "file": by_id[r.id].file,
                    "description": by_id[r.id].description,
                    "tests": list(by_id[r.id].tests),
                    "status": r.status,
                    "caught_by": r.caught_by,
                    "returncode": r.returncode,
                    "seconds": round(r.seconds, 1),
                    **({"detail": r.detail} if r.status != "killed" else {}),
                }
                for r in ordered
            ],
        }
        write_report(report_path, payload)
        print(f"\nReport: {report_path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
