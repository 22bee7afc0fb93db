"""LineOutput (core/logging.py, issue 19): the access lines of one event-loop iteration are
written in one system call after it, in order with every other line, and none is lost — not
when another line comes first, not outside a loop, not when a loop closes before it ran the
write, not at exit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

from cloudlysis_control.core.logging import LineOutput


class Raw:
    """A binary stream that records each write (one system call each, on an unbuffered stdout)
    and, once closed, raises as a closed file does."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, b: bytes) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        self.writes.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def close(self) -> None:
        self.closed = True


class Stream:
    def __init__(self) -> None:
        self.buffer = Raw()


def test_the_lines_of_one_iteration_are_one_write_after_it() -> None:
    stream = Stream()
    out = LineOutput(stream)

    async def serve() -> list[bytes]:
        for n in range(3):
            out.access(b"access %d\n" % n)
        during = list(stream.buffer.writes)
        await asyncio.sleep(0)  # the loop runs the iteration's callbacks
        return during

    during = asyncio.run(serve())
    assert during == []
    assert stream.buffer.writes == [b"access 0\naccess 1\naccess 2\n"]


def test_another_line_writes_the_pending_ones_first() -> None:
    stream = Stream()
    out = LineOutput(stream)

    async def serve() -> None:
        out.access(b"access\n")
        out.write(b"error\n")  # e.g. an error line of the next request
        out.access(b"access 2\n")
        await asyncio.sleep(0)

    asyncio.run(serve())
    assert b"".join(stream.buffer.writes) == b"access\nerror\naccess 2\n"


def test_outside_an_event_loop_a_line_is_written_at_once() -> None:
    stream = Stream()
    out = LineOutput(stream)
    out.access(b"from a thread\n")
    assert stream.buffer.writes == [b"from a thread\n"]


def test_a_full_batch_is_written_without_waiting_for_the_iteration() -> None:
    stream = Stream()
    out = LineOutput(stream)

    async def serve() -> int:
        for n in range(LineOutput.MAX_PENDING):
            out.access(b"%d\n" % n)
        return len(stream.buffer.writes)

    assert asyncio.run(serve()) == 1
    assert b"".join(stream.buffer.writes).count(b"\n") == LineOutput.MAX_PENDING


def test_a_loop_that_closed_before_the_write_loses_nothing() -> None:
    stream = Stream()
    out = LineOutput(stream)
    loop = asyncio.new_event_loop()

    async def one() -> None:
        out.access(b"first loop\n")

    loop.run_until_complete(one())
    loop.close()  # whether or not it ran the write

    async def two() -> None:
        out.access(b"second loop\n")
        await asyncio.sleep(0)

    asyncio.run(two())
    assert b"".join(stream.buffer.writes) == b"first loop\nsecond loop\n"


def test_pending_access_lines_are_written_at_exit() -> None:
    # The loop ends right after the request: the line is still written, by the exit hook.
    code = textwrap.dedent(
        """
        import asyncio
        from cloudlysis_control.core.logging import access_line, configure_logging
        configure_logging("info", "json")

        async def main():
            for n in range(5):
                access_line("GET", "/admin/v1/whoami", 200, float(n))

        loop = asyncio.new_event_loop()
        loop.run_until_complete(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=True)
    lines = done.stdout.decode().splitlines()
    assert [line.count('"route":"/admin/v1/whoami"') for line in lines] == [1] * 5, done


def test_a_closed_stream_never_raises_into_the_caller() -> None:
    stream = Stream()
    out = LineOutput(stream)
    stream.buffer.close()
    out.write(b"error line\n")  # e.g. a NATS error callback logging after the test's capture ended
    out.access(b"access\n")
    out.flush()
