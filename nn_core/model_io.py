"""Model files: ``.npz`` arrays plus JSON metadata, read without pickle.

A model file is a NumPy ``.npz`` archive holding ``W0, W1, ...`` and
``b0, b1, ...`` and one ``meta`` entry: a 0-d unicode array with JSON
(``format``, ``version``, ``layer_sizes``, ``activation``, ``output``, and optionally
``loss``, ``bias``, ``init``, ``reduction``,
``dtype``). It is loaded with ``allow_pickle=False`` and checked end to end
(size, archive, entries, JSON, shapes, dtypes, finiteness) before any weight
reaches a network, because the app loads files that users upload: anything
that is not a valid model is a ``ValueError`` that says what is wrong, never
a crash and never code execution.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from .network import MLP

FORMAT = "mlp-playground/model"
VERSION = 1
#: Largest file accepted (and largest total uncompressed content): a 784-1024-1024-1024-10
#: float64 net is about 24 MB, so 64 MB leaves room while refusing zip bombs.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_MAX_LAYERS = 64


def _invalid(problem: str) -> ValueError:
    return ValueError(f"not a valid MLP Playground model file: {problem}")


def save_model(net: MLP, file: str | Path | BinaryIO) -> None:
    meta = {"format": FORMAT, "version": VERSION, **net.get_config()}
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta))}
    for i, (weight, bias) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"W{i}"] = weight
        arrays[f"b{i}"] = bias
    if isinstance(file, (str, os.PathLike)):
        # Write next to the target, then rename: a crash never leaves half a model file.
        path = Path(file)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    else:
        np.savez(file, **arrays)


def _read_bytes(file: Any, max_bytes: int, invalid: Callable[[str], ValueError]) -> bytes:
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    elif isinstance(file, (str, os.PathLike)):
        path = Path(file)
        if not path.is_file():
            raise invalid(f"{path} does not exist or is not a file")
        size = path.stat().st_size
        if size > max_bytes:
            raise invalid(f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = path.read_bytes()
    elif hasattr(file, "read"):
        data = file.read(max_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise invalid("the file object did not return bytes")
    else:
        raise invalid(f"expected a path or a binary file object, got {type(file).__name__}")
    if len(data) > max_bytes:
        raise invalid(f"the file is over the {max_bytes:,}-byte limit")
    if len(data) == 0:
        raise invalid("the file is empty")
    return bytes(data)


def read_npz(
    file: Any,
    max_bytes: int,
    invalid: Callable[[str], ValueError],
    max_entries: int | None = None,
    expected: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file that a user may have uploaded, read safely.

    Checked before anything is inflated: the size, that it is a zip archive, that its
    contents do not inflate past ``max_bytes`` (a zip bomb), the number of entries
    (``max_entries``) or their exact names (``expected``). Then read with
    ``allow_pickle=False``, so an object array is refused, never unpickled. Any
    problem is ``invalid(reason)``, a ``ValueError``. Model files and the Draw page's
    personal sets both come through here.
    """
    data = _read_bytes(file, max_bytes, invalid)
    if not data.startswith(b"PK"):
        raise invalid("it is not an .npz (zip) archive")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError for odd versions, EOFError, ...
        raise invalid(f"the archive is damaged ({type(exc).__name__}: {exc})") from None
    # Refuse archives that would inflate past the limit before reading any of them.
    if sum(info.file_size for info in infos) > max_bytes:
        raise invalid(f"its contents inflate past the {max_bytes:,}-byte limit")
    if max_entries is not None and len(infos) > max_entries:
        raise invalid(f"it holds {len(infos)} entries, more than a model has")
    if expected is not None:
        names = {info.filename.removesuffix(".npy") for info in infos}
        if names != expected or len(infos) != len(expected):
            missing, extra = sorted(expected - names), sorted(names - expected)
            detail = "; ".join(
                part for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                ) if part
            ) or "duplicate entries"
            raise invalid(f"it must hold exactly {', '.join(sorted(expected))} ({detail})")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            entries = {name: archive[name] for name in archive.files}
    except ValueError as exc:
        # allow_pickle=False refuses object arrays with a ValueError: say so plainly.
        raise invalid(f"an entry could not be read safely ({exc})") from None
    except Exception as exc:  # truncated members, bad headers, CRC errors, ...
        raise invalid(f"the archive could not be read ({type(exc).__name__}: {exc})") from None
    for name, value in entries.items():
        # NpzFile hands back raw bytes for members that are not .npy arrays.
        if not isinstance(value, np.ndarray):
            raise invalid(f"entry {name!r} could not be read as a NumPy array")
    return entries


def load_model(cls: type[MLP], file: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> MLP:
    entries = read_npz(file, max_bytes, _invalid, max_entries=2 * _MAX_LAYERS + 1)
    meta = _parse_meta(entries)
    sizes = meta["layer_sizes"]
    n_layers = len(sizes) - 1
    expected = {"meta"} | {f"W{i}" for i in range(n_layers)} | {f"b{i}" for i in range(n_layers)}
    missing = sorted(expected - entries.keys())
    if missing:
        raise _invalid(f"missing arrays {', '.join(missing)}")
    extra = sorted(entries.keys() - expected)
    if extra:
        raise _invalid(f"unexpected arrays {', '.join(extra)}")
    dtype = np.dtype(meta["dtype"])
    for i in range(n_layers):
        for name, shape in ((f"W{i}", (sizes[i], sizes[i + 1])), (f"b{i}", (sizes[i + 1],))):
            array = entries[name]
            if array.shape != shape:
                raise _invalid(f"{name} has shape {array.shape}, expected {shape} from layer_sizes")
            if array.dtype != dtype:
                raise _invalid(f"{name} has dtype {array.dtype}, expected {dtype}")
            if not np.isfinite(array).all():
                raise _invalid(f"{name} contains NaN or infinity")

    try:
        net = cls(sizes, activation=meta["activation"], output=meta["output"],
                  seed=meta.get("seed"), dtype=dtype, **_options(meta))
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    for i in range(n_layers):
        net.weights[i][...] = entries[f"W{i}"]
        net.biases[i][...] = entries[f"b{i}"]
    return net


def _options(meta: dict[str, Any]) -> dict[str, Any]:
    """The optional training-definition keys (absent in older files: the defaults)."""
    options = {}
    for key, kind in (("loss", (str, type(None))), ("bias", bool), ("init", str),
                      ("reduction", str)):
        if key in meta:
            if not isinstance(meta[key], kind):
                raise _invalid(f"'{key}' has the wrong type: {meta[key]!r}")
            options[key] = meta[key]
    return options


def read_json_meta(
    raw: np.ndarray, invalid: Callable[[str], ValueError], fmt: str, version: int
) -> dict[str, Any]:
    """A file's ``meta`` entry: a 0-d text array holding a JSON object of format ``fmt``
    and a version from 1 to ``version`` (not a bool: ``true == 1`` in Python)."""
    if raw.shape != () or raw.dtype.kind != "U":
        raise invalid("'meta' must be a JSON text")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise invalid(f"'meta' is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise invalid("'meta' must be a JSON object")
    if meta.get("format") != fmt:
        raise invalid(f"'meta.format' is {meta.get('format')!r}, expected {fmt!r}")
    found = meta.get("version")
    if isinstance(found, bool) or not isinstance(found, int) or not 1 <= found <= version:
        raise invalid(f"unsupported version {found!r} (this build reads version {version})")
    return meta


def _parse_meta(entries: dict[str, np.ndarray]) -> dict[str, Any]:
    if "meta" not in entries:
        raise _invalid("missing its 'meta' entry (architecture and version)")
    meta = read_json_meta(entries["meta"], _invalid, FORMAT, VERSION)
    sizes = meta.get("layer_sizes")
    if (
        not isinstance(sizes, list)
        or not 2 <= len(sizes) <= _MAX_LAYERS + 1
        or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s for s in sizes)
    ):
        raise _invalid(f"'layer_sizes' must be a list of 2 or more positive integers; got {sizes!r}")
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    if n_params > DEFAULT_MAX_BYTES or not math.isfinite(n_params):
        raise _invalid(f"'layer_sizes' {sizes} describes {n_params:,} parameters, too many")
    if meta.get("dtype") not in ("float32", "float64"):
        raise _invalid(f"'dtype' must be 'float32' or 'float64'; got {meta.get('dtype')!r}")
    seed = meta.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        meta["seed"] = None
    for key in ("activation", "output"):
        if not isinstance(meta.get(key), str):
            raise _invalid(f"'{key}' must be a string; got {meta.get(key)!r}")
    return meta
