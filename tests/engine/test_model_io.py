"""Model files: round trip, and every kind of bad file is a ValueError (never a crash or code)."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn_core import MLP
from nn_core.model_io import FORMAT


def _trained(dtype=np.float32):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)
    net = MLP([6, 8, 5, 3], activation="tanh", output="softmax", seed=4, dtype=dtype)
    net.fit(X, y, epochs=2, batch_size=8)
    return net, X


def _model_bytes(net) -> bytes:
    buffer = io.BytesIO()
    net.save(buffer)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _valid_arrays(net):
    meta = {"format": FORMAT, "version": 1, **net.get_config()}
    arrays = {"meta": np.array(json.dumps(meta))}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w.copy(), b.copy()
    return arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_through_a_path_and_a_file_object(tmp_path, dtype):
    net, X = _trained(dtype)
    path = tmp_path / "model.npz"
    net.save(path)
    for loaded in (MLP.load(path), MLP.load(io.BytesIO(path.read_bytes()))):
        assert loaded.get_config() == net.get_config()
        np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert not list(tmp_path.glob("*.tmp"))
    # The file is a plain npz: readable without pickle.
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["meta"]))["layer_sizes"] == [6, 8, 5, 3]


def test_pickled_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    net, _ = _trained()
    arrays = _valid_arrays(net)
    arrays["W0"] = np.array([Exploit()], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="not a valid MLP Playground model"):
        MLP.load(path)
    # A raw pickle pretending to be a model, too.
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match="not an .npz"):
        MLP.load(raw)
    assert not marker.exists()


def _mutations(net):
    good = _valid_arrays(net)
    yield "random bytes", np.random.default_rng(0).bytes(2000), "not an .npz"
    yield "empty", b"", "empty"
    whole = _model_bytes(net)
    yield "truncated", whole[: len(whole) // 2], "damaged|could not be read"
    missing = dict(good)
    del missing["b1"]
    yield "missing array", _npz(**missing), "missing arrays b1"
    shaped = dict(good, W1=np.zeros((3, 3), np.float32))
    yield "inconsistent shape", _npz(**shaped), "W1 has shape"
    typed = dict(good, W0=good["W0"].astype(np.float64))
    yield "wrong dtype", _npz(**typed), "W0 has dtype float64"
    nan = dict(good, b0=np.full_like(good["b0"], np.nan))
    yield "non-finite", _npz(**nan), "b0 contains NaN"
    bad_meta = dict(good, meta=np.array("{not json"))
    yield "bad json", _npz(**bad_meta), "not valid JSON"
    meta = json.loads(str(good["meta"]))
    wrong_format = dict(good, meta=np.array(json.dumps({**meta, "format": "keras"})))
    yield "foreign format", _npz(**wrong_format), "format"
    unknown = dict(good, meta=np.array(json.dumps({**meta, "activation": "swish"})))
    yield "unknown activation", _npz(**unknown), "activation must be one of"
    huge = dict(good, meta=np.array(json.dumps({**meta, "layer_sizes": [10**6, 10**6, 3]})))
    yield "absurd layer sizes", _npz(**huge), "too many"
    yield "no meta", _npz(**{k: v for k, v in good.items() if k != "meta"}), "meta"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("W0.npy", b"not an npy header at all")
    yield "bad npy member", buffer.getvalue(), "could not be read|damaged|safely"


def test_every_bad_file_is_a_clear_value_error(tmp_path):
    net, _ = _trained()
    for label, data, message in _mutations(net):
        path = tmp_path / f"{label.replace(' ', '_')}.npz"
        path.write_bytes(data)
        with pytest.raises(ValueError, match=message) as info:
            MLP.load(path)
        assert "not a valid MLP Playground model file" in str(info.value), label


@pytest.mark.slow
def test_oversized_files_are_refused_before_reading(tmp_path):
    net, _ = _trained()
    path = tmp_path / "big.npz"
    net.save(path)
    with pytest.raises(ValueError, match="limit"):
        MLP.load(path, max_bytes=100)
    # A zip bomb: small on disk, huge once inflated.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("W0.npy", b"\0" * (80 * 1024 * 1024))
    assert len(bomb.getvalue()) < 1024 * 1024
    with pytest.raises(ValueError, match="inflate"):
        MLP.load(io.BytesIO(bomb.getvalue()))


def test_missing_path_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        MLP.load(tmp_path / "nope.npz")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), cut=st.integers(min_value=0, max_value=10_000),
       flip=st.integers(min_value=0, max_value=255))
@pytest.mark.slow
def test_load_on_arbitrary_bytes_returns_a_model_or_raises_value_error(data, cut, flip):
    net = MLP([3, 4, 2], seed=0)
    valid = bytearray(_model_bytes(net))
    if cut < len(valid):
        valid[cut] ^= flip  # one corrupted byte somewhere in a real model file
    for candidate in (data, bytes(valid), b"PK" + data):
        try:
            loaded = MLP.load(io.BytesIO(candidate))
        except ValueError:
            continue
        assert isinstance(loaded, MLP)
        assert all(np.isfinite(w).all() for w in loaded.weights + loaded.biases)


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    net, _ = _trained()
    path = tmp_path / "model.npz"
    net.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError):
        net.save(path)
    assert path.read_bytes() == before
    assert not Path(str(path) + ".tmp").exists()
