"""Datasets for the MLP playground: scikit-learn's 8x8 digits, an MNIST sample, MNIST and
Fashion-MNIST.

`load(name)` returns a `Dataset`: float32 features scaled to [0, 1] (one row per image,
C-contiguous), int64 labels, a fixed train/test split, and what the app needs to show it
(image shape, class names, a one-line description).

- "digits" ships with scikit-learn, so it always works offline.
- "mnist-sample" ships with this repository (``data/mnist-sample``: 6,000 train / 2,000
  test real MNIST digits, 1.3 MB), so it works offline too. Its four files are checked
  against their sha256 (``SAMPLE_SHA256``) on every load.
- "mnist" and "fashion-mnist" are read from the four original IDX files (gzipped or not)
  in a folder: `data_dir`, or `default_cache_dir(name)`. With `download=True`, missing or
  unreadable files are fetched once from the official mirrors, checked against the sha256
  of the official .gz files, and moved into place atomically; MNIST falls back to OpenML.

What it trades away:
- No in-memory caching: every `load` re-reads the files (the app wraps it in
  `st.cache_data`); full MNIST takes well under a second.
- Files already on disk are trusted if they are well formed: gzip's CRC, the IDX header
  against the data length, image/label counts and the label range are all checked, but
  not the official sha256, so one's own IDX files (such as the 8,000-image MNIST sample)
  load too. Only bytes coming off the network are held to the hash table.
- Only unsigned-byte IDX data (type code 0x08) is read: all that MNIST-style files use.
- Fashion-MNIST has no OpenML fallback; only MNIST's OpenML row order (first 60,000 train,
  last 10,000 test) is one this module relies on.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import os
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = [
    "BUNDLED_NAMES",
    "CACHE_DIR_ENV_VAR",
    "DATASET_NAMES",
    "FASHION_CLASS_NAMES",
    "IDX_FILE_STEMS",
    "MAX_IDX_PAYLOAD_BYTES",
    "MIRRORS",
    "OFFICIAL_SHA256",
    "SAMPLE_DIR",
    "SAMPLE_SHA256",
    "CorruptDataError",
    "Dataset",
    "DatasetUnavailableError",
    "ProgressCallback",
    "available",
    "default_cache_dir",
    "load",
    "read_idx",
    "write_idx",
]

DATASET_NAMES: tuple[str, ...] = ("digits", "mnist-sample", "mnist", "fashion-mnist")
#: Datasets whose files come with the code (no download, ever).
BUNDLED_NAMES: tuple[str, ...] = ("digits", "mnist-sample")
CACHE_DIR_ENV_VAR = "MLP_PLAYGROUND_DATA"

#: progress(bytes_done, bytes_total, filename); bytes_total is 0 when unknown.
#: Raising from it cancels the download (no partial file is left) and propagates.
ProgressCallback = Callable[[int, int, str], object]

DIGIT_CLASS_NAMES: tuple[str, ...] = tuple(str(digit) for digit in range(10))
FASHION_CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: The four files of MNIST-style datasets, without the optional ".gz".
IDX_FILE_STEMS: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS = IDX_FILE_STEMS

#: Base URLs tried in order; file names are appended.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}

#: sha256 of the official .gz files; every downloaded byte is checked against these.
#: The MNIST t10k-labels value once circulated with two stray hex digits ("...efc7f7");
#: the 64-digit value below is the one that tensorflow-datasets and others agree on.
OFFICIAL_SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

# Sizes of the official .gz files: the progress total when a server sends no Content-Length.
_OFFICIAL_SIZES: dict[str, dict[str, int]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
}

#: The bundled MNIST sample: its folder and the sha256 of its four files (checked on load).
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "mnist-sample"
SAMPLE_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "e0090c1b4b5e6c2b07d5fe656d922709dfd092ee749fed7efa033e605e0597e4",
    "train-labels-idx1-ubyte.gz": "dfa7f9db7d9fc32d08b07178ac96a2dd6ec2830af1f44b3733b11f3faff20862",
    "t10k-images-idx3-ubyte.gz": "4c26a300bdc43f405fe7f43e2697daa0d038f0cfa498af406b0d4c60d438f25f",
    "t10k-labels-idx1-ubyte.gz": "ebb92ce5ca0b0e23e8fe4ce14c901ff1d8d35eaee6a79b661fb315c58be6ee0b",
}

_DISPLAY_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "mnist-sample": "MNIST sample"}
_DESCRIPTION_TITLES = {
    "mnist-sample": "MNIST sample (bundled) 28x28 handwritten digits",
    "mnist": "MNIST 28x28 handwritten digits",
    "fashion-mnist": "Fashion-MNIST 28x28 clothing images",
}
_IMAGE_SHAPE = (28, 28)
_N_CLASSES = 10

IDX_UNSIGNED_BYTE = 0x08
_IDX_TYPE_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}
#: An IDX header claiming more data than this is rejected before anything is allocated.
MAX_IDX_PAYLOAD_BYTES = 1_000_000_000
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK_BYTES = 1 << 20
_DOWNLOAD_CHUNK_BYTES = 1 << 16
_DOWNLOAD_TIMEOUT_SECONDS = 30.0
_USER_AGENT = "mlp-playground/0.1 (+urllib)"
_OPENML_PROGRESS_LABEL = "mnist_784 (OpenML)"


class DatasetUnavailableError(RuntimeError):
    """The dataset's files are not on disk, and were not allowed to be or could not be downloaded."""


class CorruptDataError(ValueError):
    """A data file is present but malformed; `paths` names the file(s) at fault, if known."""

    def __init__(self, message: str, paths: tuple[Path, ...] = ()) -> None:
        super().__init__(message)
        self.paths = paths


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field-wise is ambiguous
class Dataset:
    """A train/test split of flattened images, ready for the network."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        for split, features, labels in (
            ("train", self.X_train, self.y_train),
            ("test", self.X_test, self.y_test),
        ):
            if features.ndim != 2 or labels.ndim != 1 or len(features) != len(labels):
                raise ValueError(
                    f"{self.name} {split}: features {features.shape} and labels "
                    f"{labels.shape} do not describe the same examples"
                )
            if features.shape[1] != math.prod(self.image_shape):
                raise ValueError(
                    f"{self.name} {split}: {features.shape[1]} features do not fit "
                    f"image_shape {self.image_shape}"
                )

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


# --------------------------------------------------------------------------- public API


def default_cache_dir(name: str | None = None) -> Path:
    """Where downloads go: $MLP_PLAYGROUND_DATA or ~/.cache/mlp-playground, plus /name if given."""
    configured = os.environ.get(CACHE_DIR_ENV_VAR, "").strip()
    root = (
        Path(configured).expanduser() if configured else Path.home() / ".cache" / "mlp-playground"
    )
    if name is None:
        return root
    _check_name(name)
    return root / name


def available(name: str, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """True if `load(name, data_dir)` needs no network: all four files are present (not parsed)."""
    _check_name(name)
    if name == "digits":
        return True
    if name == "mnist-sample":
        directory = SAMPLE_DIR if data_dir is None else Path(data_dir).expanduser()
        return all((directory / filename).is_file() for filename in SAMPLE_SHA256)
    directory = _resolve_dir(name, data_dir)
    return all(_find_local(directory, stem) is not None for stem in IDX_FILE_STEMS)


def load(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    progress: ProgressCallback | None = None,
) -> Dataset:
    """Load a dataset by name (see DATASET_NAMES).

    For "mnist"/"fashion-mnist", `data_dir` is the folder holding the four IDX files
    (default: `default_cache_dir(name)`). Without the files, `download=False` raises
    DatasetUnavailableError saying what to put where; `download=True` fetches what is
    missing (and replaces files that turn out unreadable), calling
    `progress(bytes_done, bytes_total, filename)` as it goes; raise from it to cancel.
    A malformed file raises CorruptDataError (a ValueError) naming the file and the problem.

    "mnist-sample" is read from `data_dir` (default: the bundled `SAMPLE_DIR`), each file
    checked against `SAMPLE_SHA256` first; there is nothing to download, so `download`
    and `progress` are ignored.
    """
    _check_name(name)
    if name == "digits":
        return _load_digits()
    if name == "mnist-sample":
        return _load_sample(SAMPLE_DIR if data_dir is None else Path(data_dir).expanduser())
    directory = _resolve_dir(name, data_dir)
    if not download:
        return _read_idx_dataset(name, directory, data_dir is None)

    # Each round may find one more corrupt file (or pair), so four files need at most five.
    for _ in range(len(IDX_FILE_STEMS)):
        _fetch_missing(name, directory, progress)
        try:
            return _read_idx_dataset(name, directory, data_dir is None)
        except CorruptDataError as corrupt:
            if not corrupt.paths:
                raise
            _delete_for_refetch(corrupt)
    _fetch_missing(name, directory, progress)
    return _read_idx_dataset(name, directory, data_dir is None)


def read_idx(source: str | os.PathLike[str] | BinaryIO, *, ndim: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (path or binary file object; gzip detected by magic bytes).

    Returns a writable, C-contiguous uint8 array shaped as the header says. Anything
    malformed (bad magic, unsupported type code, `ndim` mismatch, too little or too much
    data, a header claiming more than MAX_IDX_PAYLOAD_BYTES, broken gzip) raises
    CorruptDataError, a ValueError, naming the source and the problem.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with open(path, "rb") as stream:
            return _read_idx_stream(stream, str(path), ndim, (path,))
    label = str(getattr(source, "name", "") or "<IDX stream>")
    return _read_idx_stream(source, label, ndim, ())


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write `array` (uint8, or integers within 0..255) as an IDX file; gzip if path ends in .gz.

    The file appears atomically (temporary file + rename), so readers never see half of it.
    """
    values = np.asarray(array)
    if values.dtype != np.uint8:
        in_range = values.size == 0 or (int(values.min()) >= 0 and int(values.max()) <= 255)
        if values.dtype.kind not in "biu" or not in_range:
            raise ValueError(
                f"write_idx writes unsigned bytes: got {values.dtype} values that do not fit 0..255"
            )
        values = values.astype(np.uint8)
    if not 1 <= values.ndim <= 255:
        raise ValueError(f"IDX holds 1 to 255 dimensions, got {values.ndim}")
    if any(size > 0xFFFF_FFFF for size in values.shape):
        raise ValueError(f"IDX dimensions are 32-bit: shape {values.shape} does not fit")
    header = struct.pack(f">HBB{values.ndim}I", 0, IDX_UNSIGNED_BYTE, values.ndim, *values.shape)
    body = np.ascontiguousarray(values).reshape(-1).data
    destination = Path(path)
    with _atomic_write(destination) as out:
        if destination.name.endswith(".gz"):
            # mtime=0 and no embedded name: the same array always gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as gz:
                gz.write(header)
                gz.write(body)
        else:
            out.write(header)
            out.write(body)


# --------------------------------------------------------------------------- digits


def _load_digits() -> Dataset:
    # Imported here so that importing nn_core stays cheap.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    features = np.multiply(digits.data, 1.0 / 16.0, dtype=np.float32)  # pixels are 0..16
    labels = np.asarray(digits.target, dtype=np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.25, stratify=labels, random_state=0
    )
    return Dataset(
        name="digits",
        X_train=np.ascontiguousarray(X_train),
        y_train=np.ascontiguousarray(y_train),
        X_test=np.ascontiguousarray(X_test),
        y_test=np.ascontiguousarray(y_test),
        image_shape=(8, 8),
        class_names=DIGIT_CLASS_NAMES,
        description=(
            f"scikit-learn 8x8 digits: {len(y_train):,} train / {len(y_test):,} test, "
            f"64 features scaled 0-16 -> 0-1"
        ),
    )


# --------------------------------------------------------------------------- the MNIST sample


def _load_sample(directory: Path) -> Dataset:
    """The bundled MNIST sample, every file's sha256 checked before it is parsed."""
    missing = [f for f in SAMPLE_SHA256 if not (directory / f).is_file()]
    if missing:
        raise DatasetUnavailableError(
            f"The MNIST sample is incomplete: {directory} is missing {', '.join(missing)}. "
            "It ships with the code (data/mnist-sample/); restore it from the repository."
        )
    for filename, expected in SAMPLE_SHA256.items():
        path = directory / filename
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise CorruptDataError(
                f"{path}: sha256 {actual} does not match the MNIST sample's {expected}; "
                "the file was changed or damaged. Restore it from the repository.",
                (path,),
            )
    return _read_idx_dataset("mnist-sample", directory, False)


# --------------------------------------------------------------------------- IDX datasets


def _check_name(name: str) -> None:
    if name not in DATASET_NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")


def _resolve_dir(name: str, data_dir: str | os.PathLike[str] | None) -> Path:
    return default_cache_dir(name) if data_dir is None else Path(data_dir).expanduser()


def _find_local(directory: Path, stem: str) -> Path | None:
    # The .gz is preferred: it is what downloads produce.
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def _read_idx_dataset(name: str, directory: Path, is_default_dir: bool) -> Dataset:
    paths = {stem: _find_local(directory, stem) for stem in IDX_FILE_STEMS}
    missing = [stem for stem, path in paths.items() if path is None]
    if missing:
        raise DatasetUnavailableError(
            _missing_files_message(name, directory, missing, is_default_dir)
        )
    X_train, y_train = _read_images_and_labels(paths[_TRAIN_IMAGES], paths[_TRAIN_LABELS])
    X_test, y_test = _read_images_and_labels(paths[_TEST_IMAGES], paths[_TEST_LABELS])
    class_names = FASHION_CLASS_NAMES if name == "fashion-mnist" else DIGIT_CLASS_NAMES
    return Dataset(
        name=name,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        image_shape=_IMAGE_SHAPE,
        class_names=class_names,
        description=(
            f"{_DESCRIPTION_TITLES[name]}: {len(y_train):,} train / {len(y_test):,} test, "
            f"{X_train.shape[1]} features scaled 0-255 -> 0-1"
        ),
    )


def _read_images_and_labels(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    labels = read_idx(labels_path, ndim=1)  # small: read and check it before the images
    if labels.size and int(labels.max()) >= _N_CLASSES:
        raise CorruptDataError(
            f"{labels_path}: label {int(labels.max())} is outside 0..{_N_CLASSES - 1}",
            (labels_path,),
        )
    images = read_idx(images_path, ndim=3)
    if images.shape[1:] != _IMAGE_SHAPE:
        height, width = images.shape[1:]
        raise CorruptDataError(
            f"{images_path}: expected 28x28 images, found {height}x{width}", (images_path,)
        )
    if len(images) != len(labels):
        raise CorruptDataError(
            f"{images_path} holds {len(images):,} images but {labels_path} holds "
            f"{len(labels):,} labels",
            (images_path, labels_path),
        )
    if len(images) == 0:
        raise CorruptDataError(f"{images_path} holds no images", (images_path, labels_path))
    # One uint8 -> float32 pass; no float64 intermediate. Division keeps 255 -> exactly 1.0.
    features = np.divide(images.reshape(len(images), -1), np.float32(255), dtype=np.float32)
    return features, labels.astype(np.int64)


def _missing_files_message(
    name: str, directory: Path, missing_stems: list[str], is_default_dir: bool
) -> str:
    total_mb = sum(_OFFICIAL_SIZES[name].values()) / 1e6
    message = (
        f"{_DISPLAY_NAMES[name]} is not available offline: {directory} is missing "
        f"{', '.join(f'{stem}.gz' for stem in missing_stems)} (uncompressed copies, without "
        f".gz, work too). Either put the original IDX files there (from {MIRRORS[name][0]}), "
        f"or call load({name!r}, download=True) to fetch them (about {total_mb:.0f} MB) "
        f"into that folder."
    )
    if is_default_dir:
        message += f" Set {CACHE_DIR_ENV_VAR} to keep the data somewhere else."
    return message


def _delete_for_refetch(corrupt: CorruptDataError) -> None:
    for path in corrupt.paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as unlink_error:
            raise CorruptDataError(
                f"{corrupt} (it could not be deleted for a fresh download: {unlink_error})",
                corrupt.paths,
            ) from corrupt


# --------------------------------------------------------------------------- downloading


class _ChecksumMismatchError(Exception):
    pass


class _ProgressCallbackRaised(Exception):
    """Carries an exception out of `progress` past the handlers that try the next mirror."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


def _report(progress: ProgressCallback | None, done: int, total: int, filename: str) -> None:
    if progress is None:
        return
    try:
        progress(done, total, filename)
    except Exception as exc:
        raise _ProgressCallbackRaised(exc) from exc


def _fetch_missing(name: str, directory: Path, progress: ProgressCallback | None) -> None:
    missing = [stem for stem in IDX_FILE_STEMS if _find_local(directory, stem) is None]
    if not missing:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetUnavailableError(
            f"cannot create {directory} to download {_DISPLAY_NAMES[name]} into: {exc}"
        ) from exc

    failure = None
    for stem in missing:
        failure = _download_from_mirrors(name, f"{stem}.gz", directory, progress)
        if failure is not None:
            break  # the mirrors are unreachable or serving bad data; don't wait on each file
    if failure is None:
        return

    failures = [failure]
    if name == "mnist":
        _report(progress, 0, 0, _OPENML_PROGRESS_LABEL)
        try:
            _write_mnist_from_openml(directory)
        except Exception as exc:  # whatever OpenML or the network raise, it joins the report
            failures.append(f"OpenML fallback fetch_openml('mnist_784'): {exc}")
        else:
            _report(progress, 1, 1, _OPENML_PROGRESS_LABEL)
            return
    files = ", ".join(f"{stem}.gz" for stem in IDX_FILE_STEMS)
    raise DatasetUnavailableError(
        f"Could not download {_DISPLAY_NAMES[name]} into {directory}: {'; '.join(failures)}. "
        f"To use it without network, put the original IDX files ({files}) in {directory} "
        f"(from {MIRRORS[name][0]})."
    )


def _download_from_mirrors(
    name: str, filename: str, directory: Path, progress: ProgressCallback | None
) -> str | None:
    """Download one file from the first mirror that serves the right bytes; None, or why not."""
    reasons = []
    try:
        for base_url in MIRRORS[name]:
            url = base_url + filename
            try:
                _download_verified(
                    url,
                    directory / filename,
                    OFFICIAL_SHA256[name][filename],
                    _OFFICIAL_SIZES[name].get(filename, 0),
                    progress,
                )
                return None
            except (OSError, ValueError, http.client.HTTPException, _ChecksumMismatchError) as exc:
                reasons.append(f"{url}: {exc}")
    except _ProgressCallbackRaised as raised:
        # The caller's callback raised (e.g. to cancel): hand back its own exception, as is.
        raise raised.original from None
    return "; ".join(reasons)


def _download_verified(
    url: str,
    destination: Path,
    expected_sha256: str,
    expected_size: int,
    progress: ProgressCallback | None,
) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with _atomic_write(destination) as out:
        digest = hashlib.sha256()
        with urllib.request.urlopen(request, timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            total = _content_length(response) or expected_size
            done = 0
            _report(progress, 0, total, destination.name)
            while chunk := response.read(_DOWNLOAD_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                _report(progress, done, max(total, done), destination.name)
        actual = digest.hexdigest()
        if actual != expected_sha256:
            # Raising inside _atomic_write discards the temporary file.
            raise _ChecksumMismatchError(
                f"sha256 {actual} of the {done:,} bytes received does not match the "
                f"official {expected_sha256}"
            )


def _content_length(response: object) -> int:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return max(int(value), 0) if value is not None else 0
    except ValueError:
        return 0


def _write_mnist_from_openml(directory: Path) -> None:
    """Fetch mnist_784 from OpenML and store it as the four IDX files (60,000 / 10,000)."""
    from sklearn.datasets import fetch_openml

    bunch = fetch_openml("mnist_784", version=1, as_frame=False, parser="liac-arff")
    data = bunch.data.toarray() if hasattr(bunch.data, "toarray") else np.asarray(bunch.data)
    labels = np.asarray(bunch.target).astype(np.int64)
    if data.shape != (70_000, 784) or labels.shape != (70_000,):
        raise ValueError(
            f"expected 70,000 x 784 pixels and labels, got {data.shape} and {labels.shape}"
        )
    if data.dtype != np.uint8:
        if float(data.min()) < 0 or float(data.max()) > 255:
            raise ValueError("pixel values outside 0..255")
        data = data.astype(np.uint8)
    if int(labels.min()) < 0 or int(labels.max()) >= _N_CLASSES:
        raise ValueError("labels outside 0..9")
    images = data.reshape(-1, *_IMAGE_SHAPE)
    n_train = 60_000
    for stem, array in (
        (_TRAIN_IMAGES, images[:n_train]),
        (_TRAIN_LABELS, labels[:n_train]),
        (_TEST_IMAGES, images[n_train:]),
        (_TEST_LABELS, labels[n_train:]),
    ):
        write_idx(directory / f"{stem}.gz", array)


@contextlib.contextmanager
def _atomic_write(destination: Path) -> Iterator[BinaryIO]:
    """Yield a temporary file beside `destination`; rename it into place only on success."""
    fd, temp_name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_path, 0o644)  # mkstemp makes it 0600
        os.replace(temp_path, destination)
    except BaseException:  # also on KeyboardInterrupt: never leave a partial file
        temp_path.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- IDX parsing


class _PrefixedStream:
    """Replays `prefix` before the rest of `stream`, so gzip can be sniffed on unseekable input."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        if not self._prefix:
            return self._stream.read(size) or b""
        if size is None or size < 0:
            data, self._prefix = self._prefix + (self._stream.read() or b""), b""
            return data
        head, self._prefix = self._prefix[:size], self._prefix[size:]
        if len(head) < size:
            head += self._stream.read(size - len(head)) or b""
        return head


def _read_up_to(stream: BinaryIO | _PrefixedStream | gzip.GzipFile, size: int) -> bytes:
    """Read `size` bytes, fewer only at end of stream (plain read() may return short)."""
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _read_idx_stream(
    stream: BinaryIO, label: str, ndim: int | None, paths: tuple[Path, ...]
) -> np.ndarray:
    try:
        prefix = _read_up_to(stream, 2)
        replayed = _PrefixedStream(prefix, stream)
        if prefix == _GZIP_MAGIC:
            with gzip.GzipFile(filename="", mode="rb", fileobj=replayed) as unzipped:  # type: ignore[arg-type]
                return _parse_idx(unzipped, label, ndim, paths)
        return _parse_idx(replayed, label, ndim, paths)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # Truncated gzip raises EOFError; a flipped bit fails the CRC (BadGzipFile).
        detail = str(exc) or type(exc).__name__
        raise CorruptDataError(
            f"{label}: corrupt or truncated gzip data ({detail})", paths
        ) from exc


def _parse_idx(
    stream: BinaryIO | _PrefixedStream | gzip.GzipFile,
    label: str,
    ndim: int | None,
    paths: tuple[Path, ...],
) -> np.ndarray:
    def corrupt(problem: str) -> CorruptDataError:
        return CorruptDataError(f"{label}: {problem}", paths)

    magic_bytes = _read_up_to(stream, 4)
    if len(magic_bytes) < 4:
        raise corrupt(f"truncated: {len(magic_bytes)} bytes, too short for an IDX magic number")
    zeros, type_code, found_ndim = struct.unpack(">HBB", magic_bytes)
    magic = int.from_bytes(magic_bytes, "big")
    if zeros != 0:
        raise corrupt(f"not an IDX file: magic number {magic:#010x} must start with two zero bytes")
    if type_code != IDX_UNSIGNED_BYTE:
        type_name = _IDX_TYPE_NAMES.get(type_code, "unknown")
        raise corrupt(
            f"IDX data type code {type_code:#04x} ({type_name}) is not supported, "
            f"only 0x08 (unsigned byte)"
        )
    if found_ndim == 0:
        raise corrupt("IDX header declares 0 dimensions")
    if ndim is not None and found_ndim != ndim:
        raise corrupt(
            f"expected a {ndim}-dimensional IDX file (magic {0x800 + ndim}), found magic "
            f"{magic} ({found_ndim} dimensions)"
        )
    dims_bytes = _read_up_to(stream, 4 * found_ndim)
    if len(dims_bytes) < 4 * found_ndim:
        raise corrupt(f"truncated header: {found_ndim} dimensions need {4 * found_ndim} bytes")
    shape = struct.unpack(f">{found_ndim}I", dims_bytes)
    size = math.prod(shape)
    if size > MAX_IDX_PAYLOAD_BYTES:
        raise corrupt(
            f"header shape {shape} claims {size:,} bytes of data, over the "
            f"{MAX_IDX_PAYLOAD_BYTES:,}-byte limit; refusing to allocate it"
        )
    # Grow the buffer with the data actually received, so a lying header costs nothing.
    payload = bytearray()
    while len(payload) < size:
        chunk = stream.read(min(_READ_CHUNK_BYTES, size - len(payload)))
        if not chunk:
            break
        payload += chunk
    if len(payload) < size:
        raise corrupt(
            f"truncated: header shape {shape} needs {size:,} bytes of data, found {len(payload):,}"
        )
    # Reading past the end also makes gzip check its CRC and length trailer.
    if stream.read(1):
        raise corrupt(f"more data than the {size:,} bytes that header shape {shape} describes")
    if size == 0:
        return np.zeros(shape, dtype=np.uint8)
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)
