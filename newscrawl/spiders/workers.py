"""Worker processes the crawl's event loop feeds through pipes, without a thread in the crawler.

``concurrent.futures.ProcessPoolExecutor`` passes every task and result through two threads of the
calling process (a queue feeder and a result manager). In a crawler whose event loop keeps its CPU
busy, each hand-off waits for the GIL: with one worker on two CPUs the event loop was busy 96 % of
the time and the worker 58 %, slower than reading in the crawl process. Here the event loop
itself writes each task to a worker's pipe (an asyncio transport buffers what the pipe cannot take
yet, so it never blocks) and is called back when the result comes in.

Messages are pickles framed like ``multiprocessing.connection`` (a 4-byte length, or -1 and an
8-byte length beyond 2 GiB), so the worker side is a plain ``Connection.recv_bytes`` loop. Each
worker answers in the order it was asked, so its pending futures form a queue. A worker that dies
fails only the task it was running when it died (:class:`WorkerGone`: that page may be what killed
it) and leaves the pool; the tasks queued behind it run again on another worker or, with no worker
left, in the calling process, like every later task.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import signal
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_SIZE = struct.Struct("!i")
_LONG_SIZE = struct.Struct("!Q")


class WorkerGone(RuntimeError):
    """The worker process that held a task exited before answering."""


def _frame(payload: bytes) -> bytes:
    if len(payload) > 0x7FFFFFFF:
        return _SIZE.pack(-1) + _LONG_SIZE.pack(len(payload)) + payload
    return _SIZE.pack(len(payload)) + payload


def serve(tasks: Any, results: Any, initializer: Callable[[], None] | None) -> None:
    """A worker's life: run each ``(function, args, kwargs)`` received, send back ``(ok, value)``."""
    # Ctrl-C reaches the whole process group: the crawl shuts down gracefully and still needs its
    # readers; a worker ends when its task pipe closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer()
    while True:
        try:
            message = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            function, args, kwargs = pickle.loads(message)
            outcome: tuple[bool, Any] = (True, function(*args, **kwargs))
        except Exception as error:  # raised again in the caller
            outcome = (False, error)
        try:
            results.send_bytes(_answer(outcome))
        except OSError:  # the crawl is gone
            return


def _answer(outcome: tuple[bool, Any]) -> bytes:
    """The pickled outcome; what cannot travel back arrives as a RuntimeError saying what it was."""
    ok, value = outcome
    try:
        payload = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        if not ok:
            pickle.loads(payload)  # exceptions whose __init__ wants other arguments than their args fail here
        return payload
    except Exception as problem:
        what = f"{type(value).__name__}: {value}" if not ok else f"result not picklable ({problem})"
        return pickle.dumps((False, RuntimeError(what)))


def _settle(future: asyncio.Future[Any], done: asyncio.Future[Any]) -> None:
    """Give ``future`` the outcome of ``done``."""
    if future.done():
        return
    if done.cancelled():
        future.cancel()
    elif done.exception() is not None:
        future.set_exception(done.exception())  # type: ignore[arg-type]
    else:
        future.set_result(done.result())


def _run_here(future: asyncio.Future[Any], message: bytes) -> None:
    if future.done():
        return
    try:
        function, args, kwargs = pickle.loads(message)
        future.set_result(function(*args, **kwargs))
    except Exception as error:
        future.set_exception(error)


class _Results(asyncio.Protocol):
    """Reassembles a worker's framed answers from the pipe's chunks."""

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= _SIZE.size:
            (size,) = _SIZE.unpack_from(buffer)
            start = _SIZE.size
            if size == -1:
                if len(buffer) < start + _LONG_SIZE.size:
                    return
                (size,) = _LONG_SIZE.unpack_from(buffer, start)
                start += _LONG_SIZE.size
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            self.worker.answered(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.gone()


class _Worker:
    def __init__(self, pool: WorkerPool, process: Any) -> None:
        self.pool = pool
        self.process = process
        self.pending: deque[tuple[asyncio.Future[Any], bytes]] = deque()
        """Futures of the tasks sent, oldest first, with their messages (to run them again elsewhere)."""
        self.tasks: asyncio.WriteTransport | None = None
        self.results: asyncio.ReadTransport | None = None
        self.alive = True

    def submit(self, message: bytes) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((future, message))
        assert self.tasks is not None
        self.tasks.write(_frame(message))
        return future

    def answered(self, payload: bytes) -> None:
        future, _message = self.pending.popleft()
        if future.cancelled():
            return
        try:
            ok, value = pickle.loads(payload)
        except Exception as error:  # a result class this process cannot rebuild
            ok, value = False, RuntimeError(f"unreadable answer from a page reader: {error!r}")
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def gone(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.pool.lost(self)
        if not self.pending:
            return
        # The worker answers in order: the oldest task is the one it was running when it died.
        running, _message = self.pending.popleft()
        if not running.done():
            running.set_exception(WorkerGone(f"page reader process {self.process.pid} exited"))
        while self.pending:
            self.pool.run_again(*self.pending.popleft())

    def close(self) -> None:
        self.alive = False
        if self.tasks is not None:
            self.tasks.abort()
        if self.results is not None:
            self.results.close()
        for transport in (self.tasks, self.results):
            if transport is not None:
                # The transport would close its pipe on the next loop turn: close it now, so the
                # worker sees the end of its task pipe and exits while we wait for it.
                transport.get_extra_info("pipe").close()
        while self.pending:
            self.pending.popleft()[0].cancel()


class WorkerPool:
    """``size`` worker processes started on first use (forkserver: the crawler itself is never forked)."""

    def __init__(self, size: int, initializer: Callable[[], None] | None = None) -> None:
        self.size = size
        self.initializer = initializer
        self.workers: list[_Worker] = []
        self._starting: asyncio.Future[None] | None = None
        self.closed = False

    def start_soon(self) -> None:
        """Start the workers now rather than with the first task (call it with the event loop running)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start_or_fall_back())

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` in the least busy worker (here when none is left)."""
        self.start_soon()
        assert self._starting is not None
        if not self._starting.done():
            await asyncio.shield(self._starting)
        if not self.workers:
            return function(*args, **kwargs)
        return await self._least_busy().submit(
            pickle.dumps((function, args, kwargs), pickle.HIGHEST_PROTOCOL)
        )

    def _least_busy(self) -> _Worker:
        return min(self.workers, key=lambda w: len(w.pending))

    def run_again(self, future: asyncio.Future[Any], message: bytes) -> None:
        """A task queued behind a worker that died: another worker's, or this process's, answers it."""
        if future.done() or self.closed:
            future.cancel()
            return
        if self.workers:
            self._least_busy().submit(message).add_done_callback(lambda done: _settle(future, done))
            return
        asyncio.get_running_loop().call_soon(_run_here, future, message)

    async def _start_or_fall_back(self) -> None:
        try:
            await self._start()
        except (OSError, ValueError, RuntimeError) as error:
            log.error(
                "page reader processes could not start (%s); pages are read in the crawl process", error
            )
            self.close()

    async def _start(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("forkserver")
        loop = asyncio.get_running_loop()
        for _ in range(self.size):
            task_reader, task_writer = context.Pipe(duplex=False)
            result_reader, result_writer = context.Pipe(duplex=False)
            process = context.Process(
                target=serve,
                args=(task_reader, result_writer, self.initializer),
                name="newscrawl-reader",
                daemon=True,
            )
            process.start()
            task_reader.close()
            result_writer.close()
            worker = _Worker(self, process)
            worker.tasks, _ = await loop.connect_write_pipe(asyncio.Protocol, task_writer)
            worker.results, _ = await loop.connect_read_pipe(lambda w=worker: _Results(w), result_reader)
            self.workers.append(worker)
        if self.closed:  # closed while starting
            self.close()

    def lost(self, worker: _Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        if not self.closed:
            worker.process.join(timeout=1)  # it closed its pipe: exiting, if not gone yet
            log.error(
                "page reader process %s exited (exit code %s); %s",
                worker.process.pid,
                worker.process.exitcode,
                f"{len(self.workers)} left" if self.workers else "pages are read in the crawl process now",
            )

    def close(self) -> None:
        """End the workers: their task pipes close, they exit (pending tasks are cancelled)."""
        self.closed = True
        for worker in list(self.workers):
            worker.close()
        for worker in self.workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():  # busy on a page nobody waits for any more
                worker.process.terminate()
        self.workers.clear()
