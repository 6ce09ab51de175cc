"""NumPy's own BLAS, callable from compiled code: ``gemm`` for the epoch kernel.

``kernels.train_batches`` runs whole training steps in compiled code, matrix
products included, so that it can split each step over two threads without
going back to Python. For the products it calls the very ``cblas_sgemm`` /
``cblas_dgemm`` that ``np.matmul`` calls (the results are bit-identical to
``np.matmul``'s), because that BLAS runs two threads' products side by side.
numba's own ``np.dot`` calls SciPy's OpenBLAS instead, which ran two threads'
products one after the other here (0.599 s against 0.288 s for one thread's).

No public NumPy API hands out its BLAS functions, so they are found this way:
``threadpoolctl.threadpool_info()`` (public) gives the path of each BLAS library
loaded in the process; OpenBLAS exports its C API (``cblas_sgemm``,
``openblas_get_num_threads``, ...) under a build's symbol prefix and suffix, and
NumPy's wheels build it with 64-bit integers as ``scipy_cblas_sgemm64_``. The
first library exporting one of ``NAMINGS`` is used. Where none does (NumPy built
against MKL or Accelerate, say), ``numpy_blas()`` is None and the engine trains through
its per-batch NumPy path instead, as it did before this module.

The function addresses are passed to the compiled kernels as plain integers
(``gemm`` below turns one back into a call): a kernel that refers to a ctypes
function object could not be cached on disk by numba.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

try:
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - kernels.ENABLED is False then
    intrinsic = None

#: (prefix, suffix) of OpenBLAS builds with 64-bit integers, NumPy's first.
NAMINGS = (("scipy_", "64_"), ("", "64_"))

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


class _Blas:
    """The addresses of one library's gemm and thread-count functions."""

    def __init__(self, library: ctypes.CDLL, prefix: str, suffix: str) -> None:
        def address(name: str) -> int:
            return ctypes.cast(getattr(library, prefix + name + suffix), ctypes.c_void_p).value

        self.sgemm = address("cblas_sgemm")
        self.dgemm = address("cblas_dgemm")
        self._get_threads = ctypes.CFUNCTYPE(ctypes.c_int)(address("openblas_get_num_threads"))
        self._set_threads = ctypes.CFUNCTYPE(None, ctypes.c_int)(address("openblas_set_num_threads"))

    def gemm_for(self, dtype: np.dtype) -> int:
        """The address of ``cblas_sgemm`` for float32, ``cblas_dgemm`` for float64."""
        return self.sgemm if np.dtype(dtype) == np.float32 else self.dgemm

    def threads(self) -> int:
        """BLAS threads NumPy's products may use now (``threadpool_limits`` sets it)."""
        return int(self._get_threads())

    def set_threads(self, count: int) -> None:
        """Let NumPy's products use ``count`` threads (OpenBLAS only records the number:
        no thread is started or woken)."""
        self._set_threads(int(count))


def _find() -> _Blas | None:
    if intrinsic is None:
        return None
    try:
        import threadpoolctl

        libraries = [info["filepath"] for info in threadpoolctl.threadpool_info()
                     if info.get("internal_api") == "openblas"]
    except Exception:  # threadpoolctl missing or unable to read the process: no BLAS here
        return None
    # NumPy's own first: its wheel keeps the library under numpy.libs.
    libraries.sort(key=lambda path: "numpy" not in path)
    for path in libraries:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in NAMINGS:
            try:
                return _Blas(library, prefix, suffix)
            except AttributeError:
                continue
    return None


_lock = threading.Lock()
_blas: _Blas | None = None
_searched = False


def numpy_blas() -> _Blas | None:
    """NumPy's BLAS functions, or None where they cannot be found (see the module)."""
    global _blas, _searched
    with _lock:
        if not _searched:
            _blas, _searched = _find(), True
        return _blas


if intrinsic is not None:

    @intrinsic
    def gemm(typingctx, address, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb,
             beta, c, ldc):
        """``c = alpha * op(a) @ op(b) + beta * c`` (row-major, cblas's arguments) through
        the cblas ``?gemm`` at ``address``; the pointers and sizes are integers, alpha
        and beta float32 or float64 (which picks sgemm's or dgemm's signature)."""
        if alpha not in (types.float32, types.float64) or beta != alpha:
            # sgemm takes float scalars, dgemm doubles: one of the other kind would be read
            # as garbage, so the scalars' type must say which.
            raise TypeError(f"gemm's alpha and beta must both be float32 or float64, not "
                            f"{alpha} and {beta}")
        signature = types.void(address, transpose_a, transpose_b, m, n, k, alpha, a, lda, b,
                               ldb, beta, c, ldc)

        def codegen(context, builder, sig, args):
            i32, i64 = ir.IntType(32), ir.IntType(64)
            real = ir.FloatType() if sig.args[6] == types.float32 else ir.DoubleType()
            pointer = ir.IntType(8).as_pointer()
            function_type = ir.FunctionType(
                ir.VoidType(), [i32, i32, i32, i64, i64, i64, real, pointer, i64, pointer, i64,
                                real, pointer, i64])
            function = builder.inttoptr(args[0], function_type.as_pointer())

            def integer(i, width):
                return context.cast(builder, args[i], sig.args[i], width)

            def address_of(i):
                return builder.inttoptr(integer(i, types.int64), pointer)

            values = [ir.Constant(i32, ROW_MAJOR), integer(1, types.int32),
                      integer(2, types.int32), integer(3, types.int64), integer(4, types.int64),
                      integer(5, types.int64), args[6], address_of(7), integer(8, types.int64),
                      address_of(9), integer(10, types.int64),
                      args[11], address_of(12),
                      integer(13, types.int64)]
            builder.call(function, values)
            return context.get_dummy_value()

        return signature, codegen

else:  # pragma: no cover
    gemm = None


__all__ = ["NO_TRANS", "TRANS", "gemm", "numpy_blas"]
