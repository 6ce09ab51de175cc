"""Momentum on the long narrow valley: steps to converge over (learning rate, momentum).

    python bench/momentum_map.py [--out bench/results/momentum_map.json]

Each cell is the engine's Momentum optimizer stepped from the valley's start
(``optimizer_race.momentum_map``): the first step from which the path stays within
0.01 of the minimum, out of 300 (empty: it never settles, or diverges). The
Optimizers page draws the saved grid (a Distill-style map, "Why Momentum Really
Works") and marks its optimum: recomputing the ~1,000 paths on a click would take
seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playground.learn import optimizer_race as race  # noqa: E402

OUT = ROOT / "bench" / "results" / "momentum_map.json"
LEARNING_RATES = [float(f"{v:.4g}") for v in np.geomspace(0.05, 3.0, 40)]
MOMENTA = [round(float(v), 2) for v in np.arange(0.0, 0.99, 0.03)]
STEPS, TOLERANCE = 300, 0.01


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    surface = race.SURFACES["valley"]
    started = time.perf_counter()
    grid = race.momentum_map(surface, LEARNING_RATES, MOMENTA, STEPS, TOLERANCE)
    i, j = np.unravel_index(np.nanargmin(grid), grid.shape)
    results = {
        "surface": surface.key, "steps": STEPS, "tolerance": TOLERANCE,
        "learning_rates": LEARNING_RATES, "momenta": MOMENTA,
        "steps_to_converge": [[None if np.isnan(v) else int(v) for v in row] for row in grid],
        "optimum": {"learning_rate": LEARNING_RATES[j], "momentum": MOMENTA[i],
                    "steps": int(grid[i, j])},
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python bench/momentum_map.py",
    }
    args.out.write_text(json.dumps(results) + "\n")
    print(f"optimum {results['optimum']}, {results['seconds']} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
