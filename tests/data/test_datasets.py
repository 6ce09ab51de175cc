"""Tests for nn_core.data.datasets: digits, IDX reading/writing, MNIST-style loading, downloads.

Nothing here touches the network: an autouse fixture lets urlopen serve only file:// URLs
and makes OpenML unreachable; download tests serve files written to tmp_path.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import struct
import tracemalloc
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn_core import datasets
from nn_core.data.datasets import (
    CorruptDataError,
    Dataset,
    DatasetUnavailableError,
    available,
    default_cache_dir,
    load,
    read_idx,
    write_idx,
)

#: The MNIST sample bundled with the repository (data/mnist-sample): always here.
SAMPLE_DIR = datasets.SAMPLE_DIR
STEMS = datasets.IDX_FILE_STEMS


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only file:// URLs open; OpenML always fails; the default cache is a temp folder."""
    real_urlopen = urllib.request.urlopen

    def file_only_urlopen(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        if not url.startswith("file:"):
            raise urllib.error.URLError(f"network disabled in tests: {url}")
        return real_urlopen(request, *args, **kwargs)

    def offline_fetch_openml(*args, **kwargs):
        raise OSError("OpenML disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", file_only_urlopen)
    monkeypatch.setattr("sklearn.datasets.fetch_openml", offline_fetch_openml)
    monkeypatch.setenv(datasets.CACHE_DIR_ENV_VAR, str(tmp_path / "default-cache"))


def make_idx_files(
    directory: Path, n_train: int = 30, n_test: int = 10, *, gz: bool = True, seed: int = 0
) -> dict[str, np.ndarray]:
    """Write a small, valid MNIST-style set of four IDX files; return the arrays by stem."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }
    arrays["train-images-idx3-ubyte"][0, 0, 0] = 255  # make sure the maximum is present
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        write_idx(directory / (f"{stem}.gz" if gz else stem), array)
    return arrays


def idx_bytes(array: np.ndarray) -> bytes:
    """The raw IDX encoding of a uint8 array, built by hand (independently of write_idx)."""
    header = struct.pack(f">HBB{array.ndim}I", 0, 0x08, array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, np.ndarray]]:
    """A file:// 'mirror' of a small MNIST, with the hash table pointed at its files."""
    served = tmp_path / "served"
    arrays = make_idx_files(served, gz=True, seed=7)
    monkeypatch.setitem(datasets.MIRRORS, "mnist", (served.as_uri() + "/",))
    for stem in STEMS:
        digest = hashlib.sha256((served / f"{stem}.gz").read_bytes()).hexdigest()
        monkeypatch.setitem(datasets.OFFICIAL_SHA256["mnist"], f"{stem}.gz", digest)
    return served, arrays


def visible_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


# --------------------------------------------------------------------------- digits


def test_digits_shapes_dtypes_and_range() -> None:
    data = load("digits")
    assert isinstance(data, Dataset)
    assert data.name == "digits"
    assert data.X_train.shape == (1347, 64) and data.X_test.shape == (450, 64)
    assert data.y_train.shape == (1347,) and data.y_test.shape == (450,)
    for features in (data.X_train, data.X_test):
        assert features.dtype == np.float32
        assert features.flags.c_contiguous
        assert features.min() == 0.0 and features.max() == 1.0
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    assert data.image_shape == (8, 8)
    assert data.class_names == tuple(str(digit) for digit in range(10))
    assert data.n_features == 64 and data.n_classes == 10
    assert data.description == (
        "scikit-learn 8x8 digits: 1,347 train / 450 test, 64 features scaled 0-16 -> 0-1"
    )


def test_digits_split_is_stratified() -> None:
    data = load("digits")
    train_counts = Counter(data.y_train.tolist())
    test_counts = Counter(data.y_test.tolist())
    assert set(train_counts) == set(test_counts) == set(range(10))
    for label in range(10):
        total = train_counts[label] + test_counts[label]
        # Stratified: each class is split 75/25 to within one example.
        assert abs(test_counts[label] - total * 0.25) <= 1


def test_digits_split_is_deterministic() -> None:
    first, second = load("digits"), load("digits")
    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


def test_digits_pixels_are_the_sklearn_pixels_divided_by_16() -> None:
    from sklearn.datasets import load_digits

    data = load("digits")
    original = load_digits()
    all_scaled = np.concatenate([data.X_train, data.X_test]) * 16
    # Same multiset of rows as scikit-learn's, only rescaled.
    assert sorted(map(tuple, all_scaled.astype(int))) == sorted(
        map(tuple, original.data.astype(int))
    )


# --------------------------------------------------------------------------- IDX format


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("shape", [(5, 28, 28), (7,), (3, 4, 5, 6), (0, 28, 28)])
def test_idx_round_trip(tmp_path: Path, compressed: bool, shape: tuple[int, ...]) -> None:
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / ("data.idx.gz" if compressed else "data.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.uint8 and back.shape == shape
    assert back.flags.c_contiguous and back.flags.writeable
    np.testing.assert_array_equal(back, array)
    stored = path.read_bytes()
    assert stored[:2] == b"\x1f\x8b" if compressed else stored[:2] == b"\x00\x00"
    assert (gzip.decompress(stored) if compressed else stored) == idx_bytes(array)


def test_idx_header_bytes_match_hand_built_headers(tmp_path: Path) -> None:
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    labels = np.array([1, 2, 3], dtype=np.uint8)
    write_idx(tmp_path / "images", images)
    write_idx(tmp_path / "labels", labels)
    image_bytes = (tmp_path / "images").read_bytes()
    label_bytes = (tmp_path / "labels").read_bytes()
    assert image_bytes[:16] == struct.pack(">HBBIII", 0, 0x08, 3, 3, 28, 28)
    assert struct.unpack(">IIII", image_bytes[:16]) == (2051, 3, 28, 28)
    assert label_bytes == struct.pack(">HBBI", 0, 0x08, 1, 3) + b"\x01\x02\x03"
    assert struct.unpack(">II", label_bytes[:8]) == (2049, 3)


def test_read_idx_detects_gzip_by_magic_not_name(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    disguised = tmp_path / "looks-raw.idx"
    disguised.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(disguised), array)
    np.testing.assert_array_equal(read_idx(io.BytesIO(disguised.read_bytes())), array)
    np.testing.assert_array_equal(read_idx(io.BytesIO(idx_bytes(array))), array)
    np.testing.assert_array_equal(read_idx(str(disguised)), array)


def test_read_idx_checks_expected_ndim(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.zeros(4, dtype=np.uint8))
    assert read_idx(path, ndim=1).shape == (4,)
    with pytest.raises(CorruptDataError, match=r"expected a 3-dimensional IDX file \(magic 2051\)"):
        read_idx(path, ndim=3)


def test_write_idx_accepts_small_integers_and_rejects_the_rest(tmp_path: Path) -> None:
    write_idx(tmp_path / "ints", np.array([0, 9, 255], dtype=np.int64))
    np.testing.assert_array_equal(read_idx(tmp_path / "ints"), [0, 9, 255])
    with pytest.raises(ValueError, match="0..255"):
        write_idx(tmp_path / "big", np.array([256]))
    with pytest.raises(ValueError, match="0..255"):
        write_idx(tmp_path / "float", np.array([0.5]))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "scalar", np.uint8(3))
    assert visible_files(tmp_path) == ["ints"]


# --------------------------------------------------------------------------- corrupt IDX


VALID_IMAGES = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)

CORRUPTIONS = {
    "truncated data": (idx_bytes(VALID_IMAGES)[:-5], "truncated"),
    "truncated header": (idx_bytes(VALID_IMAGES)[:10], "truncated header"),
    "too short for magic": (b"\x00\x00", "too short"),
    "empty": (b"", "too short"),
    "bad magic": (b"\x12\x34" + idx_bytes(VALID_IMAGES)[2:], "magic number"),
    "float dtype code": (b"\x00\x00\x0d\x03" + idx_bytes(VALID_IMAGES)[4:], "0x0d"),
    "zero dimensions": (b"\x00\x00\x08\x00", "0 dimensions"),
    "extra data": (idx_bytes(VALID_IMAGES) + b"\x00", "more data"),
    "absurd header": (
        struct.pack(">HBBIII", 0, 8, 3, 2**32 - 1, 60_000, 28) + b"\x00" * 64,
        "limit",
    ),
}


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_idx_raises_value_error_naming_file(
    tmp_path: Path, case: str, compressed: bool
) -> None:
    content, problem = CORRUPTIONS[case]
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(content) if compressed else content)
    with pytest.raises(ValueError, match=re.escape(problem)) as raised:
        read_idx(path, ndim=3)
    assert str(path) in str(raised.value)
    assert isinstance(raised.value, CorruptDataError) and raised.value.paths == (path,)


@pytest.mark.parametrize(
    "damage",
    ["truncated gzip", "flipped bit", "garbage after gzip"],
)
def test_damaged_gzip_raises_value_error_naming_file(tmp_path: Path, damage: str) -> None:
    packed = bytearray(gzip.compress(idx_bytes(VALID_IMAGES)))
    if damage == "truncated gzip":
        packed = packed[: len(packed) // 2]
    elif damage == "flipped bit":
        packed[len(packed) // 2] ^= 0x10
    else:
        packed += b"not gzip"
    path = tmp_path / "images.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        read_idx(path)


def test_header_claiming_nearly_a_gigabyte_allocates_only_what_arrives() -> None:
    # Under MAX_IDX_PAYLOAD_BYTES, so it is not refused up front: the data must run out.
    lying = struct.pack(">HBBIII", 0, 8, 3, 1000, 1000, 900) + b"\x07" * 100
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="truncated"):
            read_idx(io.BytesIO(lying))
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 5_000_000


# --------------------------------------------------------------------------- hypothesis


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_read_idx_on_arbitrary_bytes_returns_array_or_raises_value_error(data: bytes) -> None:
    for blob in (data, gzip.compress(data)):
        try:
            array = read_idx(io.BytesIO(blob))
        except ValueError:
            continue
        assert isinstance(array, np.ndarray) and array.dtype == np.uint8


@st.composite
def mutated_idx(draw: st.DrawFn) -> bytes:
    """A valid small IDX file (maybe gzipped) with a few bytes overwritten, cut or added."""
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    values = draw(st.binary(min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    blob = struct.pack(f">HBB{len(shape)}I", 0, 8, len(shape), *shape) + values
    if draw(st.booleans()):
        blob = gzip.compress(blob, mtime=0)
    mutable = bytearray(blob)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["overwrite", "truncate", "append"]))
        if kind == "overwrite" and mutable:
            # Mostly hit the header, where the interesting failures are.
            position = draw(st.integers(0, min(len(mutable), 24) - 1))
            mutable[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del mutable[draw(st.integers(0, len(mutable))) :]
        else:
            mutable += draw(st.binary(min_size=1, max_size=8))
    return bytes(mutable)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_idx())
def test_read_idx_on_mutated_files_returns_array_or_raises_value_error(blob: bytes) -> None:
    try:
        array = read_idx(io.BytesIO(blob))
    except ValueError:
        return
    assert isinstance(array, np.ndarray) and array.dtype == np.uint8
    assert array.size == int(np.prod(array.shape))


# --------------------------------------------------------------------------- loading MNIST-style


@pytest.mark.parametrize("compressed", [True, False], ids=["gz", "raw"])
def test_load_mnist_from_small_idx_files(tmp_path: Path, compressed: bool) -> None:
    arrays = make_idx_files(tmp_path, n_train=30, n_test=10, gz=compressed)
    data = load("mnist", data_dir=tmp_path)
    assert data.name == "mnist"
    assert data.X_train.shape == (30, 784) and data.X_test.shape == (10, 784)
    assert data.X_train.dtype == np.float32 and data.X_train.flags.c_contiguous
    assert data.y_train.dtype == np.int64
    assert data.image_shape == (28, 28) and data.n_features == 784 and data.n_classes == 10
    assert data.X_train.max() == 1.0 and data.X_train.min() >= 0.0
    expected = arrays["train-images-idx3-ubyte"].reshape(30, 784) / 255.0
    np.testing.assert_allclose(data.X_train, expected, rtol=1e-6)
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert data.description == (
        "MNIST 28x28 handwritten digits: 30 train / 10 test, 784 features scaled 0-255 -> 0-1"
    )


def test_load_fashion_mnist_has_fashion_class_names(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    data = load("fashion-mnist", data_dir=str(tmp_path))
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    assert data.description.startswith("Fashion-MNIST 28x28")


def test_load_rejects_image_label_count_mismatch(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros(9, dtype=np.uint8))
    with pytest.raises(ValueError, match="10 images but .*t10k-labels-idx1-ubyte.gz holds 9"):
        load("mnist", data_dir=tmp_path)


def test_load_rejects_labels_outside_0_to_9(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(labels, np.full(30, 10, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.gz: label 10 is outside 0..9"):
        load("mnist", data_dir=tmp_path)


def test_load_rejects_swapped_files(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    images, labels = tmp_path / "t10k-images-idx3-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte.gz"
    images_bytes = images.read_bytes()
    images.write_bytes(labels.read_bytes())
    labels.write_bytes(images_bytes)
    with pytest.raises(ValueError, match="magic 2049"):
        load("mnist", data_dir=tmp_path)


def test_load_rejects_images_that_are_not_28x28(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((30, 8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 28x28 images, found 8x8"):
        load("mnist", data_dir=tmp_path)


def test_truncated_file_without_download_is_reported_not_deleted(tmp_path: Path) -> None:
    make_idx_files(tmp_path)
    broken = tmp_path / "train-images-idx3-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:100])
    with pytest.raises(ValueError, match=re.escape(str(broken))):
        load("mnist", data_dir=tmp_path)
    assert broken.exists()


def test_unknown_dataset_name() -> None:
    with pytest.raises(ValueError, match="digits, mnist-sample, mnist, fashion-mnist"):
        load("cifar10")
    with pytest.raises(ValueError):
        available("MNIST")


# --------------------------------------------------------------------------- missing files


def test_missing_files_error_says_what_to_put_where(tmp_path: Path) -> None:
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"")  # one present, three missing
    with pytest.raises(DatasetUnavailableError) as raised:
        load("mnist", data_dir=tmp_path)
    message = str(raised.value)
    assert isinstance(raised.value, RuntimeError)
    assert str(tmp_path) in message
    for stem in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert f"{stem}.gz" in message
    assert "train-labels-idx1-ubyte.gz" not in message.split("(")[0]
    assert "download=True" in message
    assert visible_files(tmp_path) == ["train-labels-idx1-ubyte.gz"]  # nothing was written


def test_missing_files_in_default_cache_mention_the_env_var(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailableError) as raised:
        load("fashion-mnist")
    message = str(raised.value)
    assert str(tmp_path / "default-cache" / "fashion-mnist") in message
    assert datasets.CACHE_DIR_ENV_VAR in message and "download=True" in message


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_cache_dir() == tmp_path / "default-cache"
    assert default_cache_dir("mnist") == tmp_path / "default-cache" / "mnist"
    monkeypatch.delenv(datasets.CACHE_DIR_ENV_VAR)
    assert default_cache_dir("fashion-mnist") == (
        Path.home() / ".cache" / "mlp-playground" / "fashion-mnist"
    )


def test_available(tmp_path: Path) -> None:
    assert available("digits")
    assert not available("mnist", tmp_path)
    assert not available("mnist")
    make_idx_files(tmp_path, gz=False)
    assert available("mnist", tmp_path)
    make_idx_files(default_cache_dir("fashion-mnist"))
    assert available("fashion-mnist")


# --------------------------------------------------------------------------- downloads (no network)


def test_download_fetches_verifies_and_reports_progress(
    tmp_path: Path, mirror: tuple[Path, dict[str, np.ndarray]]
) -> None:
    served, arrays = mirror
    target = tmp_path / "cache"
    calls: list[tuple[int, int, str]] = []
    data = load("mnist", data_dir=target, download=True, progress=lambda *args: calls.append(args))

    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    assert visible_files(target) == sorted(f"{stem}.gz" for stem in STEMS)  # no temp files left
    for stem in STEMS:
        assert (target / f"{stem}.gz").read_bytes() == (served / f"{stem}.gz").read_bytes()
        file_calls = [(done, total) for done, total, name in calls if name == f"{stem}.gz"]
        size = (served / f"{stem}.gz").stat().st_size
        assert file_calls[0] == (0, size) and file_calls[-1] == (size, size)
        done_counts = [done for done, _ in file_calls]
        assert done_counts == sorted(done_counts)
    assert available("mnist", target)

    # A second load finds everything in place and does not download again.
    calls.clear()
    load("mnist", data_dir=target, download=True, progress=lambda *args: calls.append(args))
    assert calls == []


def test_download_goes_to_default_cache_dir(
    tmp_path: Path, mirror: tuple[Path, dict[str, np.ndarray]]
) -> None:
    load("mnist", download=True)
    assert available("mnist")
    assert (tmp_path / "default-cache" / "mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_download_falls_back_to_second_mirror(
    tmp_path: Path, mirror: tuple[Path, dict[str, np.ndarray]], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, _ = mirror
    missing_mirror = (tmp_path / "nowhere").as_uri() + "/"
    monkeypatch.setitem(datasets.MIRRORS, "mnist", (missing_mirror, served.as_uri() + "/"))
    data = load("mnist", data_dir=tmp_path / "cache", download=True)
    assert data.X_train.shape == (30, 784)


def test_sha_mismatch_leaves_no_file_and_raises(
    tmp_path: Path, mirror: tuple[Path, dict[str, np.ndarray]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(datasets.OFFICIAL_SHA256["mnist"], "train-labels-idx1-ubyte.gz", "0" * 64)
    target = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="sha256") as raised:
        load("mnist", data_dir=target, download=True)
    assert "OpenML" in str(raised.value)  # the fallback was tried (and is offline here)
    # train-images arrived before the bad file; no trace of train-labels, no temp files.
    assert visible_files(target) == ["train-images-idx3-ubyte.gz"]


def test_fashion_sha_mismatch_has_no_openml_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "served"
    make_idx_files(served)
    monkeypatch.setitem(datasets.MIRRORS, "fashion-mnist", (served.as_uri() + "/",))
    target = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="does not match the official") as raised:
        load("fashion-mnist", data_dir=target, download=True)
    assert "OpenML" not in str(raised.value) and str(target) in str(raised.value)
    assert visible_files(target) == []


class _FailingResponse:
    """A fake HTTP response that sends two chunks, then drops the connection."""

    headers = {"Content-Length": "1000000"}

    def __init__(self) -> None:
        self.chunks_sent = 0

    def read(self, size: int = -1) -> bytes:
        if self.chunks_sent == 2:
            raise ConnectionResetError("connection reset by peer")
        self.chunks_sent += 1
        return b"\x00" * 1000

    def __enter__(self) -> _FailingResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_connection_drop_mid_download_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: _FailingResponse())
    calls: list[tuple[int, int, str]] = []
    target = tmp_path / "cache"
    with pytest.raises(DatasetUnavailableError, match="connection reset"):
        load("mnist", data_dir=target, download=True, progress=lambda *a: calls.append(a))
    assert visible_files(target) == []
    first_file = [done for done, total, name in calls if name == "train-images-idx3-ubyte.gz"]
    assert first_file == [0, 1000, 2000] * 2  # both mirrors were tried, then it gave up
    assert all(total == 1_000_000 for _, total, name in calls if name.endswith(".gz"))
    assert calls[-1] == (0, 0, "mnist_784 (OpenML)")  # then the OpenML fallback was tried


class Cancelled(Exception):
    pass


@pytest.mark.parametrize("exception_type", [Cancelled, ValueError, OSError, KeyboardInterrupt])
def test_cancel_from_progress_callback_propagates_and_leaves_no_file(
    tmp_path: Path,
    mirror: tuple[Path, dict[str, np.ndarray]],
    exception_type: type[BaseException],
) -> None:
    # Even exception types the download loop treats as "try the next mirror" must propagate.
    def cancel_after_first_file(done: int, total: int, filename: str) -> None:
        if filename == "train-labels-idx1-ubyte.gz" and done > 0:
            raise exception_type("cancelled by the user")

    target = tmp_path / "cache"
    with pytest.raises(exception_type, match="cancelled by the user"):
        load("mnist", data_dir=target, download=True, progress=cancel_after_first_file)
    assert visible_files(target) == ["train-images-idx3-ubyte.gz"]


def test_corrupt_cached_file_is_deleted_and_refetched_with_download(
    tmp_path: Path, mirror: tuple[Path, dict[str, np.ndarray]]
) -> None:
    served, arrays = mirror
    target = tmp_path / "cache"
    make_idx_files(target, seed=99)
    truncated = target / "t10k-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:50])
    (target / "train-labels-idx1-ubyte.gz").unlink()
    (target / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01garbage")  # raw, corrupt

    with pytest.raises(ValueError, match="train-labels-idx1-ubyte"):
        load("mnist", data_dir=target)  # without download: reported, left alone
    assert truncated.exists()

    data = load("mnist", data_dir=target, download=True)
    assert truncated.read_bytes() == (served / "t10k-images-idx3-ubyte.gz").read_bytes()
    assert not (target / "train-labels-idx1-ubyte").exists()
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])


@pytest.mark.slow
def test_openml_fallback_when_mirrors_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = np.zeros((70_000, 784), dtype=np.uint8)
    rows[:, 0] = np.arange(70_000) % 251
    labels = np.array([str(i % 10) for i in range(70_000)], dtype=object)
    requests = []

    def fake_fetch_openml(name, **kwargs):
        requests.append((name, kwargs))
        from sklearn.utils import Bunch

        return Bunch(data=rows, target=labels)

    monkeypatch.setattr("sklearn.datasets.fetch_openml", fake_fetch_openml)
    target = tmp_path / "cache"
    calls: list[tuple[int, int, str]] = []
    data = load("mnist", data_dir=target, download=True, progress=lambda *a: calls.append(a))

    assert requests == [("mnist_784", {"version": 1, "as_frame": False, "parser": "liac-arff"})]
    assert data.X_train.shape == (60_000, 784) and data.X_test.shape == (10_000, 784)
    assert data.X_test[0, 0] * 255 == pytest.approx(60_000 % 251)  # last 10,000 are the test set
    assert data.y_test[0] == 0 and data.y_train[7] == 7
    assert visible_files(target) == sorted(f"{stem}.gz" for stem in STEMS)
    assert any(name == "mnist_784 (OpenML)" for _, _, name in calls)


def test_official_hash_table_is_well_formed() -> None:
    for name, table in datasets.OFFICIAL_SHA256.items():
        assert set(table) == {f"{stem}.gz" for stem in STEMS}, name
        for digest in table.values():
            assert re.fullmatch(r"[0-9a-f]{64}", digest), digest


# --------------------------------------------------------------------------- the real MNIST sample


def test_real_mnist_sample_loads() -> None:
    data = load("mnist", data_dir=SAMPLE_DIR)
    assert data.X_train.shape == (6000, 784) and data.X_test.shape == (2000, 784)
    assert data.X_train.dtype == np.float32 and data.X_train.flags.c_contiguous
    assert 0.0 <= data.X_train.min() and data.X_train.max() == 1.0
    assert set(data.y_train.tolist()) == set(range(10)) == set(data.y_test.tolist())
    assert data.image_shape == (28, 28)
    assert "6,000 train / 2,000 test" in data.description
    # MNIST digits are mostly background: a loose sanity check that pixels are not garbage.
    assert 0.05 < float(data.X_train.mean()) < 0.25
    assert available("mnist", SAMPLE_DIR)


def test_real_mnist_sample_matches_its_readme_hashes() -> None:
    readme = (SAMPLE_DIR / "README.md").read_text()
    listed = dict(re.findall(r"^\s+(\S+\.gz)\s+([0-9a-f]{64})\s*$", readme, flags=re.MULTILINE))
    assert set(listed) == {f"{stem}.gz" for stem in STEMS}
    for filename, digest in listed.items():
        assert hashlib.sha256((SAMPLE_DIR / filename).read_bytes()).hexdigest() == digest


# --------------------------------------------------------------------------- "mnist-sample"


def test_the_bundled_sample_loads_by_name_offline() -> None:
    assert "mnist-sample" in datasets.DATASET_NAMES and "mnist-sample" in datasets.BUNDLED_NAMES
    assert available("mnist-sample")
    data = load("mnist-sample")  # no data_dir, no download: the copy in the repository
    assert data.name == "mnist-sample"
    assert data.X_train.shape == (6000, 784) and data.X_test.shape == (2000, 784)
    assert data.image_shape == (28, 28) and data.class_names == tuple("0123456789")
    assert data.description.startswith("MNIST sample") and "6,000 train / 2,000 test" in data.description
    # The same digits as reading the folder the MNIST way.
    same = load("mnist", data_dir=SAMPLE_DIR)
    np.testing.assert_array_equal(data.X_train, same.X_train)
    np.testing.assert_array_equal(data.y_test, same.y_test)
    # download=True has nothing to fetch (the network is disabled here) and loads the same.
    np.testing.assert_array_equal(load("mnist-sample", download=True).y_train, data.y_train)


def test_the_bundled_sample_hashes_are_the_readmes() -> None:
    readme = (SAMPLE_DIR / "README.md").read_text()
    listed = dict(re.findall(r"^\s+(\S+\.gz)\s+([0-9a-f]{64})\s*$", readme, flags=re.MULTILINE))
    assert listed == datasets.SAMPLE_SHA256
    assert "CC BY-SA 3.0" in readme and "MIT" in readme and "LeCun" in readme


@pytest.mark.parametrize("filename", sorted(datasets.SAMPLE_SHA256))
def test_a_changed_sample_file_is_refused_by_its_sha256(tmp_path: Path, filename: str) -> None:
    import shutil

    for name in datasets.SAMPLE_SHA256:
        shutil.copy(SAMPLE_DIR / name, tmp_path / name)
    assert load("mnist-sample", data_dir=tmp_path).n_features == 784  # the copy is fine
    # A valid gzip with one label changed: well formed, so only the hash can tell.
    if "labels" in filename:
        labels = read_idx(tmp_path / filename)
        labels[0] = (labels[0] + 1) % 10
        write_idx(tmp_path / filename, labels)
    else:
        images = read_idx(tmp_path / filename)
        images[0, 0, 0] ^= 1
        write_idx(tmp_path / filename, images)
    with pytest.raises(CorruptDataError, match="sha256") as caught:
        load("mnist-sample", data_dir=tmp_path)
    assert caught.value.paths == (tmp_path / filename,)


def test_a_missing_sample_file_says_which(tmp_path: Path) -> None:
    import shutil

    for name in list(datasets.SAMPLE_SHA256)[1:]:
        shutil.copy(SAMPLE_DIR / name, tmp_path / name)
    assert not available("mnist-sample", tmp_path)
    with pytest.raises(DatasetUnavailableError, match=list(datasets.SAMPLE_SHA256)[0]):
        load("mnist-sample", data_dir=tmp_path)
