"""What a network holds in memory (``MLP.nbytes``), and what a tab's state holds.

``nbytes`` is checked against an independent count: ``tracemalloc`` sees every array
NumPy allocates, so the memory a network keeps alive is the traced memory that goes
away when it does. The session store's count of a tab (``playground_bytes``) must take
in every network the tab holds, those in its features' rooms included.
"""

from __future__ import annotations

import gc
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

from nn_core import MLP
from nn_core.optimizers import make_optimizer
from playground.boundaries.lab import BoundaryConfig, BoundaryLab
from playground.common import sessions
from playground.common.models import ActiveModel
from playground.common.state import Playground

#: Python objects around the arrays (lists of views, the History, the generator):
#: measured at about 12 kB, next to megabytes of arrays here.
OBJECT_SLACK = 32 * 1024


def _data(n=500, n_features=200, n_classes=10):
    rng = np.random.default_rng(0)
    return rng.random((n, n_features)).astype(np.float32), rng.integers(0, n_classes, n)


def _traced_by(make):
    """(object, bytes it keeps alive by tracemalloc): what ``make()`` built and kept."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        kept = make()
        gc.collect()
        return kept, tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_nbytes_is_the_memory_a_network_keeps_alive(optimizer):
    X, y = _data()

    def built():
        return MLP([200, 300, 100, 10], seed=0)

    def trained():
        net = MLP([200, 300, 100, 10], seed=0)
        net.fit(X, y, epochs=1, batch_size=64, optimizer=optimizer, l2=1e-4)
        return net

    def probed():
        net = trained()
        net.flat_loss_and_gradient(X[:50], y[:50])  # its own buffers, kept between calls
        return net

    sizes = []
    for make in (built, trained, probed):
        net, traced = _traced_by(make)
        assert 0 <= traced - net.nbytes < OBJECT_SLACK, (make.__name__, traced, net.nbytes)
        sizes.append(net.nbytes)
    assert sizes[0] < sizes[1] < sizes[2]
    n = 200 * 300 + 300 * 100 + 100 * 10 + 300 + 100 + 10
    # Before training: the two parameter vectors and the gradient, nothing else.
    assert sizes[0] == 3 * n * 4


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
