"""The reader worker pool: results and exceptions travel back, a dead worker fails only the task it ran."""

from __future__ import annotations

import asyncio
import operator
import os
import time
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import ExtractionError
from newscrawl.spiders.reading import PageReader, read_comment_page
from newscrawl.spiders.workers import WorkerGone, WorkerPool
from storage import InvalidRecord


def raise_invalid_record():
    raise InvalidRecord("sections", "bad")


def exit_after(seconds: float, code: int) -> None:
    time.sleep(seconds)
    os._exit(code)


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_results_exceptions_and_order_come_back_from_the_workers():
    async def scenario():
        pool = WorkerPool(2)
        try:
            assert await pool.run(operator.add, 2, 3) == 5
            pids = set(await asyncio.gather(*(pool.run(os.getpid) for _ in range(8))))
            assert os.getpid() not in pids
            squares = await asyncio.gather(*(pool.run(operator.mul, i, i) for i in range(50)))
            assert squares == [i * i for i in range(50)]
            big = bytes(range(256)) * 40_000  # 10 MB: more than a pipe holds, both ways
            assert await pool.run(bytes, big) == big
            with pytest.raises(ValueError, match="invalid literal"):
                await pool.run(int, "x")
            with pytest.raises(RuntimeError, match="InvalidRecord: sections: bad"):
                await pool.run(raise_invalid_record)  # its exception does not unpickle as such
            with pytest.raises(ExtractionError):
                await pool.run(
                    read_comment_page,
                    b"",
                    "https://example.test/a/?cpage=2",
                    content_type="text/html",
                    fetched_at=datetime.now(UTC),
                    profile=None,
                    domains=("example.test",),
                )
            processes = [worker.process for worker in pool.workers]
        finally:
            pool.close()
        assert not any(process.is_alive() for process in processes)

    asyncio.run(scenario())


def test_a_dead_worker_fails_the_task_it_ran_and_its_queue_runs_here(caplog):
    async def scenario():
        pool = WorkerPool(1)
        try:
            worker_pid = await pool.run(os.getpid)
            fatal = asyncio.ensure_future(pool.run(exit_after, 0.3, 3))
            queued = [asyncio.ensure_future(pool.run(operator.mul, i, i)) for i in range(5)]
            queued_pid = asyncio.ensure_future(pool.run(os.getpid))
            with pytest.raises(WorkerGone):
                await fatal
            # The tasks queued behind the one that killed the worker are not lost: read here instead.
            assert [await task for task in queued] == [0, 1, 4, 9, 16]
            assert await queued_pid == os.getpid() != worker_pid
            assert await pool.run(os.getpid) == os.getpid()
        finally:
            pool.close()

    asyncio.run(scenario())
    assert "page reader process" in caplog.text and "exit code 3" in caplog.text


def test_the_queue_of_a_dead_worker_moves_to_a_live_one():
    async def scenario():
        pool = WorkerPool(2)
        try:
            first, second = set(await asyncio.gather(pool.run(pid_after, 0.2), pool.run(pid_after, 0.2)))
            fatal = asyncio.ensure_future(
                pool.run(exit_after, 0.3, 3)
            )  # to the first (least busy, first listed)
            busy = asyncio.ensure_future(pool.run(pid_after, 0.6))  # the second one
            queued = asyncio.ensure_future(pool.run(os.getpid))  # behind `fatal` (a tie goes to the first)
            with pytest.raises(WorkerGone):
                await fatal
            survivor = await busy
            assert survivor in (first, second)
            assert await queued == survivor
            assert [worker.process.pid for worker in pool.workers] == [survivor]
        finally:
            pool.close()

    asyncio.run(scenario())


def test_page_reader_without_workers_reads_here():
    reader = PageReader(0)
    assert asyncio.run(reader.run(os.getpid)) == os.getpid()
    reader.close()


def test_workers_can_start_before_the_first_task():
    """The spider starts its readers as the crawl starts: they import while discovery pages download."""

    async def scenario():
        pool = WorkerPool(1)
        try:
            pool.start_soon()
            for _ in range(200):
                if pool.workers:
                    break
                await asyncio.sleep(0.05)
            assert len(pool.workers) == 1 and pool.workers[0].process.is_alive()
            started = pool.workers[0].process.pid
            assert await pool.run(os.getpid) == started  # the first task goes to the worker already there
        finally:
            pool.close()

    asyncio.run(scenario())
