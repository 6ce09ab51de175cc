"""The compiled training steps (``kernels.train_batches``, ``MLP.train_batches``).

A run with Adam and no penalty takes its batches in chunks of compiled steps, with the
Adam update inside; every other run (and ``train_batch``) takes one batch at a time,
with the optimizer's own Python ``update``. The two must agree bit for bit, on one
thread or two, and stop a diverging run at the same batch. The gradients themselves
are checked against the NumPy path (its own tests check it against finite differences
and PyTorch).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from nn_core import blas, kernels
from nn_core import trainer as trainer_module
from nn_core.network import MLP

pytestmark = pytest.mark.skipif(not kernels.steps_available(),
                                reason="no compiled steps here (numba or NumPy's BLAS missing)")


def _data(n=203, features=12, classes=5, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(dtype)
    y = (X @ rng.standard_normal((features, classes))).argmax(axis=1)
    return X, y


def _state(net: MLP) -> np.ndarray:
    optimizer = net.optimizer_
    return np.concatenate([net.get_flat_params(), optimizer.state("m"), optimizer.state("v")])


def _batch_by_batch(net: MLP, X, y, epochs: int, batch: int, rate: float) -> list[float]:
    """The run ``fit`` takes, written out with ``train_batch`` (Python's Adam update)."""
    X, y, _ = net.checked_data(X, y)
    optimizer = net.use_optimizer("adam")
    optimizer.learning_rate = rate
    losses = []
    for _ in range(epochs):
        order = net.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch):
            rows = order[start : start + batch]
            x = net.batch_buffer(batch)[: len(rows)]
            np.take(X, rows, axis=0, out=x)
            loss, _ = net.train_batch(x, y[rows])
            total += loss * len(rows)
        losses.append(total / len(y))
    net.settle()
    return losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", [(), (16,), (12, 7)])
def test_chunked_steps_are_bit_identical_to_batch_by_batch_steps(dtype, hidden):
    X, y = _data(dtype=dtype)
    sizes = [X.shape[1], *hidden, 5]
    chunked, single = MLP(sizes, seed=4, dtype=dtype), MLP(sizes, seed=4, dtype=dtype)
    history = chunked.fit(X, y, epochs=3, batch_size=32, optimizer="adam", learning_rate=0.01)
    losses = _batch_by_batch(single, X, y, epochs=3, batch=32, rate=0.01)
    assert chunked.optimizer_.steps == single.optimizer_.steps == 3 * 7  # 203 rows: 7 batches
    np.testing.assert_array_equal(_state(chunked), _state(single))
    assert history.loss == losses
    assert history.loss[0] > history.loss[1] > history.loss[2]  # and it learns


def test_fit_takes_the_compiled_steps_in_chunks(monkeypatch):
    calls = []
    original = MLP.train_batches

    def counting(self, *args, **kwargs):
        calls.append(args[4])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "train_batches", counting)
    X, y = _data(n=640)
    MLP([12, 8, 5], seed=0).fit(X, y, epochs=2, batch_size=16, optimizer="adam",
                                health_samples=0)
    # 40 batches an epoch, in chunks of CHUNK (8)
    assert calls == [trainer_module.CHUNK] * (2 * 40 // trainer_module.CHUNK)
    calls.clear()
    MLP([12, 8, 5], seed=0).fit(X, y, epochs=1, batch_size=16, optimizer="adam", l2=1e-4)
    assert calls == []  # a penalty: batch by batch


def test_chunks_stop_at_each_health_sample_and_the_epoch_end():
    X, y = _data(n=300)
    net = MLP([12, 8, 5], seed=0)
    history = net.fit(X, y, epochs=2, batch_size=20, optimizer="adam", health_samples=4)
    # 15 batches an epoch: a sample after every 3rd, taken after exactly that batch
    assert [h["batch"] for h in history.health] == [3, 6, 9, 12, 15] * 2
    assert len(history.loss) == 2


def test_stepping_a_trainer_by_any_count_gives_the_same_run():
    X, y = _data(n=250)
    whole = MLP([12, 9, 5], seed=2)
    whole.fit(X, y, epochs=2, batch_size=16, optimizer="adam", learning_rate=0.02)
    stepped = MLP([12, 9, 5], seed=2)
    trainer = stepped.trainer(X, y, epochs=2, batch_size=16, optimizer="adam",
                              learning_rate=0.02)
    counts = iter([1, 3, 5, 2, 11, 1, 7] * 5)
    while not trainer.done:
        trainer.step(max_batches=next(counts))
    np.testing.assert_array_equal(whole.get_flat_params(), stepped.get_flat_params())
    assert whole.history_.loss == stepped.history_.loss


def test_one_thread_and_two_threads_give_the_same_run():
    X, y = _data(n=400, features=30)
    runs = []
    for threads in (2, 1):
        with threadpool_limits(threads, user_api="blas"):
            with kernels.step_threads() as used:
                assert used == threads
            net = MLP([30, 24, 5], seed=7)
            net.fit(X, y, epochs=2, batch_size=64, optimizer="adam", learning_rate=0.01)
        runs.append(_state(net))
    np.testing.assert_array_equal(*runs)


def test_two_threads_set_blas_to_one_meanwhile_and_restore_it_even_on_error():
    functions = blas.numpy_blas()
    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(RuntimeError), kernels.step_threads() as used:
            assert used == 2 and functions.threads() == 1
            raise RuntimeError("a run failed")
        assert functions.threads() == 2
        assert kernels.PARALLEL.acquire(blocking=False)  # released too
        kernels.PARALLEL.release()


def test_a_second_run_takes_one_thread_while_another_holds_two():
    holding, release = threading.Event(), threading.Event()

    def first_run():
        with kernels.step_threads():
            holding.set()
            release.wait(10)

    with threadpool_limits(2, user_api="blas"):
        other = threading.Thread(target=first_run)
        other.start()
        assert holding.wait(10)
        try:
            with kernels.step_threads() as used:
                assert used == 1
        finally:
            release.set()
            other.join(10)
        with kernels.step_threads() as used:
            assert used == 2


@pytest.mark.parametrize("compiled", [True, False])
def test_a_diverging_run_stops_at_the_same_batch_either_way(compiled, monkeypatch):
    X, y = _data(n=320)
    X[80:] *= 1e4  # the sixth batch blows the loss up: inside the first chunk of eight
    reference = MLP([12, 10, 5], seed=1)
    monkeypatch.setattr(MLP, "can_train_batches", lambda *args: False)
    expected = reference.fit(X, y, epochs=1, batch_size=16, optimizer="adam",
                             learning_rate=0.5, shuffle=False)
    monkeypatch.undo()
    if not compiled:
        monkeypatch.setattr(MLP, "can_train_batches", lambda *args: False)
    net = MLP([12, 10, 5], seed=1)
    history = net.fit(X, y, epochs=1, batch_size=16, optimizer="adam", learning_rate=0.5,
                      shuffle=False)
    assert expected.diverged and history.diverged
    assert history.diverged_at == expected.diverged_at
    assert history.diverged_reason == expected.diverged_reason
    np.testing.assert_array_equal(net.get_flat_params(), reference.get_flat_params())
    assert net.parameters_finite()


def test_the_per_batch_gradient_matches_the_numpy_path_in_float64(monkeypatch):
    X, y = _data(n=48, dtype=np.float64)
    fused = MLP([12, 9, 6, 5], seed=3, dtype=np.float64)
    fused.use_optimizer("sgd")
    loss = fused.train_batch(np.ascontiguousarray(X), y.astype(np.intp))[0]
    monkeypatch.setattr(kernels, "ENABLED", False)
    plain = MLP([12, 9, 6, 5], seed=3, dtype=np.float64)
    expected_loss, weights, biases = plain.loss_and_gradients(X, y)
    assert abs(loss - expected_loss) < 1e-12
    got = fused._grad
    np.testing.assert_allclose(got, np.concatenate([*(w.ravel() for w in weights), *biases]),
                               rtol=0, atol=1e-14)


def test_without_numpys_blas_functions_training_takes_the_numpy_path(monkeypatch):
    monkeypatch.setattr(blas, "_blas", None)
    monkeypatch.setattr(blas, "_searched", True)
    assert not kernels.steps_available()
    X, y = _data()
    net = MLP([12, 8, 5], seed=0)
    assert not net.can_train_batches(0.0, 0.0, None, y)
    history = net.fit(X, y, epochs=3, batch_size=32, optimizer="adam", learning_rate=0.01)
    with kernels.step_threads() as used:
        assert used == 1
    assert history.loss[0] > history.loss[1] > history.loss[2]


def test_gemm_refuses_scalars_of_two_kinds():
    import numba

    @numba.njit
    def mixed(address, a, c):
        blas.gemm(address, 111, 111, 1, 1, 1, np.float32(1), a.ctypes.data, 1,
                  a.ctypes.data, 1, 0.0, c.ctypes.data, 1)

    a = np.ones((1, 1), np.float32)
    with pytest.raises((TypeError, numba.core.errors.TypingError), match="float32 or float64"):
        mixed(blas.numpy_blas().sgemm, a, a.copy())


def test_gemm_is_numpys_matmul_bit_for_bit():
    import numba

    @numba.njit
    def product(address, a, b, c, transpose_b):
        m, k = a.shape
        n = c.shape[1]
        one, zero = c.dtype.type(1), c.dtype.type(0)
        ldb = k if transpose_b else n
        blas.gemm(address, 111, 112 if transpose_b else 111, m, n, k, one, a.ctypes.data, k,
                  b.ctypes.data, ldb, zero, c.ctypes.data, n)

    rng = np.random.default_rng(0)
    functions = blas.numpy_blas()
    for dtype in (np.float32, np.float64):
        a, b = rng.standard_normal((37, 23)).astype(dtype), rng.standard_normal((23, 19)).astype(dtype)
        c = np.empty((37, 19), dtype)
        product(functions.gemm_for(dtype), a, b, c, False)
        np.testing.assert_array_equal(c, a @ b)
        bt = np.ascontiguousarray(b.T)
        product(functions.gemm_for(dtype), a, bt, c, True)
        np.testing.assert_array_equal(c, a @ bt.T)


@pytest.mark.parametrize("where", [0, 17, -1])
def test_the_data_check_finds_a_nan_or_an_infinity_anywhere(where):
    X, y = _data(n=40)
    net = MLP([12, 5], seed=0)
    for bad in (np.nan, np.inf, -np.inf):
        broken = X.copy()
        broken.reshape(-1)[where] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            net.fit(broken, y, epochs=1)
    big = np.full_like(X, np.finfo(np.float32).max)  # huge but finite: accepted
    assert net._finite(big) and kernels.all_finite(big.reshape(-1))


@pytest.mark.subprocess
def test_after_warm_up_a_read_only_dataset_compiles_nothing_new():
    """The app's datasets are read-only, which numba compiles for separately: warm_up
    must have loaded that kind too, or a user's first run waits seconds for a compile."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import json
import numpy as np
from nn_core import kernels
from nn_core.network import MLP
kernels.warm_up()
counts = lambda: [len(k.signatures) for k in (kernels.train_batches, kernels.all_finite)]
before = counts()
rng = np.random.default_rng(0)
X = rng.standard_normal((300, 12)).astype(np.float32)
y = rng.integers(0, 4, 300)
X.flags.writeable = False
y.flags.writeable = False
MLP([12, 8, 4], seed=0).fit(X, y, epochs=1, batch_size=32, optimizer="adam")
print(json.dumps([before, counts()]))
"""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=root,
                          env={**__import__("os").environ, "PYTHONPATH": str(root),
                               "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert after == before
    assert before[0] >= 4 and before[1] >= 4  # two dtypes, writable and read-only each
