"""Training speed of nn_core against scikit-learn, PyTorch and the GEMM-only limit.

    python bench/speed.py [--quick] [--rounds N] [--out bench/results/speed.json]
                          [--threads N] [--shapes ...] [--systems ...] [--chart PNG]

What it measures
    Wall-clock seconds for one epoch of a 784-h-10 ReLU MLP (softmax
    cross-entropy, Adam, lr 1e-3, float32, shuffled mini-batches) on 60,000
    synthetic MNIST-shaped rows, for hidden h in 32/128/512 at batch 128 and
    batch 32/512 at h=128; and the app's default run, 30 epochs of 64-64-10 at
    batch 32 on the 1,347 training rows of scikit-learn's 8x8 digits (whole run,
    model construction included; target < 0.3 s). Peers, all fed the same
    float32 arrays:

    * nn_core  ``MLP.fit(X, y, epochs=1, ...)`` after a warm-up fit on 200 batches;
    * sklearn  ``MLPClassifier(solver="adam", max_iter=1, alpha=0, tol=0, ...)``
      (it keeps float32), warmed up by a fit on 200 batches' worth of rows;
    * torch    ``nn.Sequential(Linear, ReLU, Linear)``, ``CrossEntropyLoss``,
      ``optim.Adam``, a DataLoader-free loop over ``randperm`` batches of
      preloaded tensors, default thread count; skipped with a note if PyTorch
      is not installed (it is an optional extra);
    * GEMM     the lower limit for any NumPy engine: only the five matrix
      products of each step (X@W1, H@W2, H.T@dZ2, dZ2@W2.T, X.T@dZ1) into
      preallocated buffers, over the epoch's batches, nothing else.

    Also: the resident-memory growth of each training worker over its baseline
    taken right after building X (the 60,000 x 784 float32 X is 188 MB; target
    for nn_core: < 1.5x that), and the latency of reading one 280x280 RGBA
    drawing (``preprocess.drawing_to_input`` + ``predict_proba``; target < 5 ms).

How to read it
    Every (system, shape) measurement is a fresh ``bench/_worker.py`` process,
    so allocator state and warmed caches never carry over from one system to
    another. Rounds are interleaved (A B C D, B C D A, ...) so that slow
    spells of a noisy machine spread over all systems. The table shows the
    median over rounds with [min-max]; ratios are of medians: nn_core/peer > 1
    means nn_core is slower; nn_core/GEMM is how far nn_core is from the limit
    of its matrix products. The JSON keeps every raw run, its load average and
    the BLAS libraries, kernels and threads that threadpoolctl saw.

What it does not control
    Other processes (the load average of each run is recorded: compare it
    before trusting a spread). On a 2-core machine that is busy with anything
    else, multi-threaded BLAS and OpenMP (the libraries' default, 2 threads
    here) spin-wait for a descheduled partner thread and can run 10-100x
    slower, PyTorch worst of all; ``--threads 1`` sets one thread for every
    library (OPENBLAS/OMP/MKL_NUM_THREADS) and gives steady numbers there.
    Nor does it control CPU frequency, or the BLAS environment: it
    runs under the environment it is given, e.g. ``OPENBLAS_CORETYPE``, which
    some machines set and which forces an older OpenBLAS kernel. To measure
    with OpenBLAS's own choice, unset both variables for that command only:
    ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/speed.py``.
    PyTorch uses its own BLAS (MKL/oneDNN) either way. The data is synthetic
    (random images labelled by a random linear teacher): the full MNIST is not
    needed, and timings do not depend on pixel values. Losses are recorded only
    to show every system did real training, not to compare accuracy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _worker import SHAPES, SYSTEMS

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "_worker.py"
DEFAULT_OUT = HERE / "results" / "speed.json"
DEFAULT_CHART = REPO / "docs" / "bench_speed.png"

FULL_SHAPES = ("h32_b128", "h128_b128", "h512_b128", "h128_b32", "h128_b512", "digits")
QUICK_SHAPES = ("h128_b128", "digits")
MEMORY_SHAPE = "h128_b128"  # the 60,000 x 784 float32 one
TARGETS = {"digits_seconds": 0.3, "inference_seconds": 0.005, "memory_ratio": 1.5}
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", *THREAD_ENV)
LABELS = {"nn_core": "nn_core", "sklearn": "sklearn", "torch": "torch", "gemm": "GEMM limit"}


# ------------------------------------------------------------------ running


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round of h128_b128 and digits, 1 thread (~30 s)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per system and shape (default 5, quick 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--chart", default=str(DEFAULT_CHART), help="PNG chart ('' to skip)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP/torch threads for every system (default: each "
                        "library's own, 2 here); 1 is far steadier on a busy machine")
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=None)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=None)
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.quick and args.threads is None:
        args.threads = 1  # steady even on a busy machine: a smoke run must not take minutes
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.shapes is None:
        args.shapes = list(QUICK_SHAPES if args.quick else FULL_SHAPES)
    if args.systems is None:
        args.systems = list(SYSTEMS)
    return args


def plan(rounds: int, shapes: list[str], systems: list[str]) -> list[tuple[int, str, str]]:
    """(round, shape, system) in run order: systems interleaved and rotated each round."""
    order = []
    for r in range(rounds):
        rotated = systems[r % len(systems):] + systems[: r % len(systems)]
        order += [(r, shape, system) for shape in shapes for system in rotated]
    return order


def worker_env(threads: int | None) -> dict[str, str]:
    """The environment every worker gets: ours, plus one thread count for all libraries."""
    env = dict(os.environ)
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_ENV})
    return env


def run_worker(system: str, shape: str, env: dict[str, str], timeout: float = 900.0) -> dict:
    """One measurement in a fresh interpreter; failures come back as ``ok: False``."""
    command = [sys.executable, str(WORKER), system, shape]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=REPO, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "system": system, "shape": shape, "error": f"timeout {timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"ok": False, "system": system, "shape": shape,
                "error": f"exit {done.returncode}: {' | '.join(tail)}"}
    return json.loads(lines[-1])


def run_all(order: list[tuple[int, str, str]], env: dict[str, str],
            torch_note: str | None) -> list[dict]:
    runs = []
    for i, (r, shape, system) in enumerate(order, start=1):
        if system == "torch" and torch_note:
            continue
        result = run_worker(system, shape, env)
        result["round"] = r
        runs.append(result)
        shown = f"{result['seconds']:.3f} s" if result.get("ok") else (
            result.get("skipped") or result.get("error"))
        print(f"[{i}/{len(order)}] round {r + 1} {shape:10s} {system:8s} {shown}",
              file=sys.stderr, flush=True)
    return runs


# ------------------------------------------------------------------ summary


def spread(values: list[float]) -> dict:
    values = sorted(values)
    q1, q3 = (statistics.quantiles(values, n=4, method="inclusive")[::2]
              if len(values) > 1 else (values[0], values[0]))
    return {"median": statistics.median(values), "min": values[0], "max": values[-1],
            "q1": q1, "q3": q3, "n": len(values)}


def summarize(runs: list[dict]) -> dict:
    """{shape: {system: spread of seconds, plus memory and loss medians}}."""
    grouped: dict[str, dict[str, list[dict]]] = {}
    for run in runs:
        if run.get("ok"):
            grouped.setdefault(run["shape"], {}).setdefault(run["system"], []).append(run)
    summary: dict[str, dict] = {}
    for shape, by_system in grouped.items():
        summary[shape] = {}
        for system, rs in by_system.items():
            stats = spread([r["seconds"] for r in rs])
            stats["cpu"] = spread([r["cpu_seconds"] for r in rs])
            stats["rss_extra_bytes"] = statistics.median(r["rss_extra_bytes"] for r in rs)
            stats["dataset_bytes"] = rs[0]["dataset_bytes"]
            losses = [r["loss"] for r in rs if r.get("loss") is not None]
            stats["loss"] = statistics.median(losses) if losses else None
            summary[shape][system] = stats
        base = summary[shape].get("nn_core")
        for system, stats in summary[shape].items():
            if base and system != "nn_core":
                stats["nn_core_ratio"] = base["median"] / stats["median"]
                # Best-of-rounds: the least disturbed run of each, steadier on a busy machine.
                stats["nn_core_ratio_of_mins"] = base["min"] / stats["min"]
    return summary


def memory_report(summary: dict) -> dict | None:
    by_system = summary.get(MEMORY_SHAPE)
    if not by_system:
        return None
    report = {}
    for system, stats in by_system.items():
        extra, data = stats["rss_extra_bytes"], stats["dataset_bytes"]
        report[system] = {"extra_bytes": extra, "dataset_bytes": data,
                          "extra_over_dataset": extra / data,
                          "total_over_dataset": (data + extra) / data}
    return report


def machine_info(env: dict[str, str]) -> dict:
    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: version(name) for name in ("numpy", "scikit-learn", "torch")},
        "env": {name: env.get(name) for name in BLAS_ENV},
        "load_average_start": list(os.getloadavg()),
    }


def blas_by_system(runs: list[dict]) -> dict:
    """The BLAS/OpenMP libraries each system's workers ran with (deduplicated)."""
    seen: dict[str, list[dict]] = {}
    for run in runs:
        for info in run.get("blas", []):
            if info not in seen.setdefault(run["system"], []):
                seen[run["system"]].append(info)
    return seen


# ------------------------------------------------------------------- output


def fmt_seconds(stats: dict | None) -> str:
    if not stats:
        return "n/a"
    return f"{stats['median']:.3f} [{stats['min']:.3f}-{stats['max']:.3f}]"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def training_table(summary: dict, shapes: list[str], systems: list[str], cpu: bool = False) -> str:
    """Shapes down, systems across, then nn_core/peer ratios of medians (wall or CPU time)."""
    peers = [s for s in systems if s != "nn_core"]
    head = (["shape"] + [LABELS[s] for s in systems]
            + [f"nn_core / {LABELS[s]}" for s in peers])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for shape in shapes:
        row = {s: (st["cpu"] if cpu else st) for s, st in summary.get(shape, {}).items()}
        label = SHAPES[shape].label.split(": ", 1)[1]
        cells = [f"`{shape}` ({label})"] + [fmt_seconds(row.get(s)) for s in systems]
        base = row.get("nn_core")
        cells += [fmt_ratio(base["median"] / row[s]["median"] if base and s in row else None)
                  for s in peers]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def memory_table(memory: dict) -> str:
    lines = ["| system | extra RSS (MB) | extra / dataset | (dataset + extra) / dataset |",
             "|---|---|---|---|"]
    for system, m in memory.items():
        lines.append(f"| {LABELS[system]} | {m['extra_bytes'] / 2**20:.1f} | "
                     f"{m['extra_over_dataset']:.2f}x | {m['total_over_dataset']:.2f}x |")
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def targets_section(summary: dict, memory: dict | None, inference: dict | None) -> list[str]:
    lines = []
    digits = summary.get("digits", {}).get("nn_core")
    if digits:
        ok = digits["median"] < TARGETS["digits_seconds"]
        lines.append(f"- digits, 30 epochs (the app's default run): {digits['median']:.3f} s "
                     f"(target < {TARGETS['digits_seconds']} s) {verdict(ok)}")
    if inference and inference.get("ok"):
        ms = inference["median_seconds"] * 1e3
        ok = inference["median_seconds"] < TARGETS["inference_seconds"]
        lines.append(
            f"- one drawing read (280x280 RGBA -> preprocess -> predict_proba), median of "
            f"{inference['calls']}: {ms:.2f} ms (p90 {inference['p90_seconds'] * 1e3:.2f} ms, "
            f"preprocessing {inference['median_preprocess_seconds'] * 1e3:.2f} ms; "
            f"target < 5 ms) {verdict(ok)}")
    elif inference:
        lines.append(f"- drawing inference: skipped ({inference.get('skipped') or inference.get('error')})")
    if memory and "nn_core" in memory:
        m = memory["nn_core"]
        ok = m["total_over_dataset"] < TARGETS["memory_ratio"]
        lines.append(
            f"- training memory on 60,000 x 784 float32 ({m['dataset_bytes'] / 1e6:.0f} MB): "
            f"+{m['extra_bytes'] / 2**20:.1f} MB over X, peak {m['total_over_dataset']:.2f}x "
            f"the dataset (target < {TARGETS['memory_ratio']}x) {verdict(ok)}")
    return lines


def report(result: dict) -> str:
    meta, cfg = result["machine"], result["config"]
    env = ", ".join(f"{k}={v}" for k, v in meta["env"].items() if v is not None) or "none set"
    kernels = {system: sorted({f"{b.get('architecture')} x{b.get('num_threads')}"
                               for b in infos if b.get("internal_api") == "openblas"})
               for system, infos in result["blas"].items()}
    torch_threads = sorted({r["torch_threads"] for r in result["runs"] if "torch_threads" in r})
    threads = (f"{cfg['threads']} for every library (--threads)" if cfg["threads"]
               else "each library's default")
    out = [
        f"# nn_core speed benchmark ({meta['date']})",
        "",
        f"{meta['cpu']}, {meta['cores']} cores; Python {meta['python']}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v),
        f"BLAS env: {env}. Threads: {threads}; torch threads: "
        f"{', '.join(map(str, torch_threads)) or '-'}.",
        "OpenBLAS kernel x threads seen: "
        + "; ".join(f"{s}: {', '.join(k) or '-'}" for s, k in kernels.items()),
        f"Load average at start {meta['load_average_start'][0]:.2f}, "
        f"at end {meta['load_average_end'][0]:.2f} (1 min).",
        "",
        f"## Training: median seconds per epoch [min-max], {cfg['rounds']} interleaved round(s)",
        "",
        training_table(result["summary"], cfg["shapes"], cfg["systems"]),
        "",
        "digits: the whole 30-epoch run. Ratios > 1: nn_core is slower than the peer.",
        "",
        "Process CPU seconds, median [min-max] (all threads; less sensitive to other "
        "load than wall time when single-threaded, inflated by spinning BLAS threads otherwise):",
        "",
        training_table(result["summary"], cfg["shapes"], cfg["systems"], cpu=True),
    ]
    if result["memory"]:
        out += ["", f"## Memory: resident growth while training `{MEMORY_SHAPE}` "
                "(over the baseline right after building X)", "",
                memory_table(result["memory"])]
    out += ["", "## Targets", "", *targets_section(result["summary"], result["memory"],
                                                   result["inference"])]
    out += ["", "## Notes", "", *[f"- {note}" for note in result["notes"]]]
    return "\n".join(out)


# -------------------------------------------------------------------- chart

COLORS = {"nn_core": (31, 119, 180), "sklearn": (255, 127, 14), "torch": (214, 39, 40),
          "gemm": (127, 127, 127)}


def draw_chart(summary: dict, shapes: list[str], systems: list[str], path: Path,
               title: str) -> None:
    """Small multiples with PIL (no plotting library is installed here): one panel per
    shape, its own linear axis from 0, bars at the median, whiskers min-max."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size):
        return ImageFont.load_default(size=size)

    cols = min(3, len(shapes))
    rows = -(-len(shapes) // cols)
    pw, ph, top = 400, 300, 90
    image = Image.new("RGB", (cols * pw, top + rows * ph), "white")
    draw = ImageDraw.Draw(image)
    draw.text((16, 10), title, fill="black", font=font(20))
    x = 16
    for system in systems:
        draw.rectangle([x, 48, x + 16, 64], fill=COLORS[system])
        draw.text((x + 22, 47), LABELS[system], fill="black", font=font(15))
        x += 40 + int(draw.textlength(LABELS[system], font=font(15)))
    for i, shape in enumerate(shapes):
        ox, oy = (i % cols) * pw, top + (i // cols) * ph
        draw_panel(draw, summary.get(shape, {}), shape, systems, (ox, oy, pw, ph), font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def draw_panel(draw, row: dict, shape: str, systems: list[str], box, font) -> None:
    ox, oy, pw, ph = box
    left, right, top, bottom = ox + 60, ox + pw - 20, oy + 40, oy + ph - 40
    unit = "s (30 epochs)" if SHAPES[shape].epochs > 1 else "s / epoch"
    draw.text((ox + 20, oy + 8), f"{shape}  [{unit}]", fill="black", font=font(15))
    present = [s for s in systems if s in row]
    # Scale to the medians: a wild outlier is clipped, not allowed to flatten every bar.
    ceiling = 1.6 * max([row[s]["median"] for s in present] or [1.0])
    peak = max([min(row[s]["max"], ceiling) for s in present] or [1.0])
    scale = (bottom - top) / (peak * 1.15)
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - frac * peak * scale
        draw.line([left, y, right, y], fill=(225, 225, 225))
        draw.text((ox + 8, y - 7), f"{frac * peak:.3g}", fill=(90, 90, 90), font=font(11))
    slot = (right - left) / max(1, len(systems))
    for j, system in enumerate(systems):
        cx = left + slot * (j + 0.5)
        draw.text((cx - 25, bottom + 6), LABELS[system][:10], fill="black", font=font(12))
        stats = row.get(system)
        if not stats:
            draw.text((cx - 12, bottom - 20), "n/a", fill=(120, 120, 120), font=font(12))
            continue
        y = bottom - stats["median"] * scale
        draw.rectangle([cx - slot * 0.3, y, cx + slot * 0.3, bottom], fill=COLORS[system])
        ylo = bottom - stats["min"] * scale
        yhi = bottom - min(stats["max"], peak) * scale
        if stats["max"] > peak:  # clipped whisker: the table and JSON have the value
            draw.text((cx + 8, yhi - 4), "^", fill="black", font=font(12))
        draw.line([cx, ylo, cx, yhi], fill="black", width=2)
        for yy in (ylo, yhi):
            draw.line([cx - 6, yy, cx + 6, yy], fill="black", width=2)
        draw.text((cx - 20, yhi - 18), f"{stats['median']:.3g}", fill="black", font=font(12))


# --------------------------------------------------------------------- main


def notes(args: argparse.Namespace, torch_note: str | None) -> list[str]:
    out = [
        "Data: synthetic 60,000 x 784 float32 images in [0, 1] with labels from a random "
        "linear teacher (the full MNIST is not on this machine; timings do not depend on "
        "pixel values); digits: scikit-learn's 8x8 digits, the app's training split.",
        "Each measurement ran in its own process after an untimed warm-up; systems "
        "interleaved and rotated every round.",
        "sklearn's time includes its per-fit setup (input checks, label binarizer, init), "
        "nn_core's its fit() checks, as a user calling fit() would pay them.",
    ]
    if torch_note:
        out.append(torch_note)
    if args.quick:
        out.append("--quick: one round of two shapes, a smoke test rather than a measurement.")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch_note = None
    if "torch" in args.systems and importlib.util.find_spec("torch") is None:
        torch_note = "PyTorch skipped: not installed (optional extra: pip install torch==2.13.0)."
    env = worker_env(args.threads)
    machine = machine_info(env)
    started = time.perf_counter()
    runs = run_all(plan(args.rounds, args.shapes, args.systems), env, torch_note)
    inference = run_worker("inference", "drawing", env)
    summary = summarize(runs)
    machine["load_average_end"] = list(os.getloadavg())
    machine["bench_seconds"] = time.perf_counter() - started
    systems = [s for s in args.systems if not (s == "torch" and torch_note)]
    result = {
        "machine": machine,
        "config": {"rounds": args.rounds, "shapes": args.shapes, "systems": systems,
                   "threads": args.threads,
                   "quick": args.quick, "shape_details": {s: SHAPES[s].label for s in args.shapes}},
        "blas": blas_by_system([*runs, inference]),
        "summary": summary,
        "memory": memory_report(summary),
        "inference": inference,
        "targets": TARGETS,
        "notes": notes(args, torch_note),
        "runs": runs,
    }
    text = report(result)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nSaved {args.out}", file=sys.stderr)
    if args.chart:
        kernels = sorted({str(b.get("architecture")) for infos in result["blas"].values()
                          for b in infos if b.get("internal_api") == "openblas"})
        threads = f"{args.threads} thread(s)" if args.threads else "default threads"
        title = (f"Seconds per epoch, median and min-max of {args.rounds} round(s); "
                 f"{threads}, OpenBLAS {'/'.join(kernels)}; {machine['cpu']}")
        draw_chart(summary, args.shapes, systems, Path(args.chart), title)
        print(f"Saved {args.chart}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
