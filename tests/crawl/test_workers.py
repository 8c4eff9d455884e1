"""The reader worker pool: results and exceptions travel back, a dead worker fails only its tasks."""

from __future__ import annotations

import asyncio
import operator
import os
from datetime import UTC, datetime

import pytest

from newscrawl.extraction import ExtractionError
from newscrawl.spiders.reading import PageReader, read_comment_page
from newscrawl.spiders.workers import WorkerGone, WorkerPool
from storage import InvalidRecord


def raise_invalid_record():
    raise InvalidRecord("sections", "bad")


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


def test_a_dead_worker_fails_its_tasks_and_the_rest_runs_here(caplog):
    async def scenario():
        pool = WorkerPool(1)
        try:
            worker_pid = await pool.run(os.getpid)
            with pytest.raises(WorkerGone):
                await pool.run(os._exit, 3)
            assert await pool.run(os.getpid) == os.getpid() != worker_pid
        finally:
            pool.close()

    asyncio.run(scenario())
    assert "page reader process" in caplog.text and "exit code 3" in caplog.text


def test_page_reader_without_workers_reads_here():
    reader = PageReader(0)
    assert asyncio.run(reader.run(os.getpid)) == os.getpid()
    reader.close()
