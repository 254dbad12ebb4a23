"""The local executor: input order, progress as items finish, the first failure wins."""

from __future__ import annotations

import time

import pytest

from gittrain.core.data.executor import ThreadExecutor, executor_for
from gittrain.errors import GittrainError


def slow_square(n: int) -> int:
    time.sleep(0.001 * (5 - n % 5))
    return n * n


def test_results_come_back_in_input_order_and_each_is_reported_once() -> None:
    seen: list[int] = []
    out = ThreadExecutor(4).map(slow_square, list(range(20)), lambda i, r: seen.append(i))
    assert out == [n * n for n in range(20)]
    assert sorted(seen) == list(range(20))


def test_a_failed_item_fails_the_map() -> None:
    def boom(n: int) -> int:
        if n == 3:
            raise GittrainError("s3://b/3: no such object")
        return n

    with pytest.raises(GittrainError, match="no such object"):
        ThreadExecutor(4).map(boom, list(range(8)))


def test_unknown_executor_is_a_usage_error() -> None:
    with pytest.raises(GittrainError) as info:
        executor_for("ray")
    assert info.value.code == 2
    assert isinstance(executor_for("local"), ThreadExecutor)
