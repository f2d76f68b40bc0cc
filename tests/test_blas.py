"""The package's one BLAS-threads policy (psychometrics._blas): one thread for small matrices, the caller's
threads for large products, and a limit the caller set is never raised."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from psychometrics import _blas


def _threads() -> int:
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def test_small_matrices_run_on_one_thread_and_large_products_get_the_callers_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        with _blas.single_threaded():
            assert _threads() == 1
            with _blas.threads_for(_blas.THREADED_FLOPS):
                assert _threads() == 2
            with _blas.threads_for(_blas.THREADED_FLOPS / 10):
                assert _threads() == 1
            assert _threads() == 1
        assert _threads() == 2
        assert _blas.small_matrices(_threads)() == 1


def test_a_limit_set_by_the_caller_is_kept():
    with threadpool_limits(limits=1, user_api="blas"):
        with _blas.threads_for(_blas.THREADED_FLOPS * 10):
            assert _threads() == 1
        assert _threads() == 1


def test_cross_product_is_a_transpose_times_b():
    a, b = np.arange(12.0).reshape(4, 3), np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(_blas.cross_product(a), a.T @ a)
    np.testing.assert_array_equal(_blas.cross_product(a, b), a.T @ b)
