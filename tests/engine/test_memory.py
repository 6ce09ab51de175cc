"""What a network holds in memory (``MLP.nbytes``), and what a tab's state holds.

``nbytes`` is checked against two independent counts: ``tracemalloc``, which sees
every array NumPy allocates (the memory building and training a network leaves
allocated), and a walk of everything the network references (every array it holds). The session store's count of a tab (``playground_bytes``) must take
in every network the tab holds, those in its features' rooms included.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import types
import weakref
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nn_core import MLP
from nn_core.optimizers import make_optimizer
from playground.boundaries.lab import BoundaryConfig, BoundaryLab
from playground.common import sessions
from playground.common.models import ActiveModel
from playground.common.state import Playground

ROOT = Path(__file__).resolve().parents[2]

#: Python objects around the arrays (lists of views, the History, the generator):
#: measured at about 12 kB, next to megabytes of arrays here.
OBJECT_SLACK = 32 * 1024

#: Run in a fresh interpreter: tracemalloc sees every thread's allocations, and a test
#: session has background threads (Streamlit, Dask, pools) that allocate meanwhile.
TRACED = """
import gc, json, sys, tracemalloc
import numpy as np
from nn_core import MLP, kernels
kernels.warm_up()  # numba's compiled kernels load once per process: not the network's memory
rng = np.random.default_rng(0)
X, y = rng.random((500, 200)).astype(np.float32), rng.integers(0, 10, 500)
out = []
for optimizer in ("adam", "sgd"):
    for stage in ("built", "trained", "probed"):
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        net = MLP([200, 300, 100, 10], seed=0)
        if stage != "built":
            net.fit(X, y, epochs=1, batch_size=64, optimizer=optimizer, l2=1e-4)
        if stage == "probed":
            net.flat_loss_and_gradient(X[:50], y[:50])  # its own buffers, kept between calls
        gc.collect()
        out.append((optimizer, stage, tracemalloc.get_traced_memory()[0] - baseline, net.nbytes))
        tracemalloc.stop()
        del net
print(json.dumps(out))
"""


def _data(n=500, n_features=200, n_classes=10):
    rng = np.random.default_rng(0)
    return rng.random((n, n_features)).astype(np.float32), rng.integers(0, n_classes, n)


def _arrays_reachable_from(root) -> int:
    """Bytes of the arrays reachable from ``root`` through its attributes and containers
    (each array's memory counted once, views by the array they view). The shuffling
    generator is left out, as ``nbytes`` leaves it: its state is a few bytes."""
    seen, owners, stack = set(), {}, [root]
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType, weakref.ReferenceType, np.random.Generator)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            while isinstance(obj.base, np.ndarray):
                obj = obj.base
            owners[id(obj)] = obj.nbytes
            continue
        stack.extend(gc.get_referents(obj))
    return sum(owners.values())


@pytest.mark.subprocess
def test_nbytes_is_the_memory_a_network_keeps_alive():
    done = subprocess.run([sys.executable, "-c", TRACED], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for optimizer, stage, traced, nbytes in results:
        assert 0 <= traced - nbytes < OBJECT_SLACK, (optimizer, stage, traced, nbytes)
    for optimizer in ("adam", "sgd"):
        sizes = [nbytes for o, _, _, nbytes in results if o == optimizer]
        assert sizes[0] < sizes[1] < sizes[2]
    n = 200 * 300 + 300 * 100 + 100 * 10 + 300 + 100 + 10
    # Before training: the two parameter vectors and the gradient, nothing else.
    assert results[0][3] == 3 * n * 4


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_nbytes_counts_every_array_the_network_holds(optimizer):
    X, y = _data(n=300, n_features=20)
    net = MLP([20, 30, 10], seed=1)
    assert net.nbytes == _arrays_reachable_from(net)
    net.fit(X, y, epochs=1, batch_size=50, optimizer=optimizer, l1=1e-4)
    net.flat_loss_and_gradient(X[:40], y[:40])
    trainer = net.trainer(X, y, epochs=1)  # the network holds its trainer weakly: not counted
    assert net.nbytes == _arrays_reachable_from(net) > 0
    del trainer


def test_an_optimizer_counts_its_double_buffered_state_and_scratch():
    n = 1000
    assert make_optimizer("sgd", n, np.float32, 0.1).nbytes == n * 4
    assert make_optimizer("momentum", n, np.float64, 0.1).nbytes == (2 + 1) * n * 8
    assert make_optimizer("adam", n, np.float32, 0.1).nbytes == (2 * 2 + 1) * n * 4


def test_a_tab_counts_every_network_it_holds_once():
    nets = [MLP([4, 8, 3], seed=s) for s in range(3)]
    pg = Playground()
    pg.model = ActiveModel(nets[0], "digits", None, "default")
    pg.run = SimpleNamespace(net=nets[1])
    pg.last_good_model = ActiveModel(nets[2], "digits", None, "run #1")
    lab = BoundaryLab(BoundaryConfig(hidden=(8, 8)))
    lab.frame(epochs=2)  # a trained network holds its optimizer and buffers too
    pg.rooms["boundaries"] = lab
    pg.rooms["notes"] = {"text": "no networks here"}
    pg.rooms["again"] = SimpleNamespace(networks=lambda: [nets[0], None])
    expected = sum(net.nbytes for net in [*nets, lab.net])
    assert sessions.playground_bytes(pg) == expected
    assert {id(n) for n in sessions.tab_networks(pg)} == {id(n) for n in [*nets, lab.net]}
    assert lab.net.nbytes > MLP([2, 8, 8, 2]).nbytes  # its optimizer state is counted


def test_the_store_drops_the_oldest_tab_for_its_boundaries_network():
    tabs = []
    for seed in range(2):
        pg = Playground()
        pg.rooms["boundaries"] = BoundaryLab(BoundaryConfig(hidden=(8, 8, 8), seed=seed))
        tabs.append(pg)
    one = sessions.playground_bytes(tabs[0])
    assert one > 0
    store = sessions.SessionStore(max_bytes=one + one // 2)
    store.put(tabs[0].token, tabs[0])
    store.put(tabs[1].token, tabs[1])  # two labs are over the bound: the older tab goes
    assert store.get(tabs[0].token) is None and store.get(tabs[1].token) is tabs[1]
