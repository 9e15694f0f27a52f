"""A fault-injecting TCP/HTTP proxy on 127.0.0.1, in front of one real server.

With no fault it pipes bytes both ways. `set_fault(name)` switches every new connection (and
drops the open ones, so a pooled keep-alive connection cannot slip past) to one of FAULTS.
It runs its own event loop on a thread, so synchronous tests and the hub's threads can use it.
"""

from __future__ import annotations

import asyncio
import threading

from tests.server_process import free_port

FAULTS = ("refused", "hang", "500", "401", "403", "malformed", "truncated", "huge", "trickle", "redirect")
HUGE_BYTES = 20 * 1024 * 1024


def _response(status: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    )
    return head.encode() + body


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.fault: str | None = None
        # Added before each chunk a client sends upstream: a slow network or a loaded server
        # without breaking anything (set from any thread; read on the proxy's loop).
        self.latency_seconds = 0.0
        self.connections = 0
        # Path-selective mode (`fail_only`): each request is read, recorded in `requests` as
        # (method, path), and answered 500 (recorded in `failed`) when it is one of `failing`,
        # else forwarded.
        self.selective = False
        self.failing: frozenset[str] = frozenset()
        self.requests: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str]] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- control (from any thread) ------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self._call(self._close_all(stop_listening=True))
        self._call(self._cancel_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def set_fault(self, fault: str | None) -> None:
        assert fault is None or fault in FAULTS, fault
        self._call(self._apply(fault))

    def fail_only(self, *requests: str) -> None:
        """From now on, record every request, and fail with a 500 only those named: a path
        ("/api/2.0/mlflow/model-versions/set-tag", any method) or a method and a path
        ("POST /api/v2/silences"). None named: record and forward all."""
        self.failing = frozenset(requests)
        self.selective = True
        self._call(self._close_all(stop_listening=False))  # pooled connections re-open in this mode

    def _call(self, coro) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # -- on the proxy's loop -------------------------------------------------------------------
    async def _cancel_tasks(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _apply(self, fault: str | None) -> None:
        self.fault = fault
        await self._close_all(stop_listening=fault == "refused")
        if fault != "refused":
            await self._listen()

    async def _close_all(self, stop_listening: bool) -> None:
        if stop_listening and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        fault = self.fault
        try:
            if fault is None and self.selective:
                await self._selective(reader, writer)
            elif fault is None:
                await self._pipe(reader, writer)
            elif fault == "hang":
                while await reader.read(65536):
                    pass  # accepted, read, never answered
                await asyncio.Event().wait()
            else:
                path = await self._request_path(reader)
                await self._answer(fault, path, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _request_path(reader: asyncio.StreamReader) -> str:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        if length:
            await reader.readexactly(length)
        return lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"

    async def _answer(self, fault: str, path: str, writer: asyncio.StreamWriter) -> None:
        if fault in ("500", "401", "403"):
            status = {"500": "500 Internal Server Error", "401": "401 Unauthorized", "403": "403 Forbidden"}[fault]
            writer.write(_response(status, b"injected fault", "text/plain"))
        elif fault == "malformed":
            writer.write(_response("200 OK", b'{"data": [{"oops": '))
        elif fault == "truncated":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n"
                b"Connection: close\r\n\r\n" + b'{"data": [' + b'"x",' * 20
            )
        elif fault == "huge":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {HUGE_BYTES}\r\nConnection: close\r\n\r\n".encode()
            )
            # 20 MB that never becomes JSON: a valid JSON object with unknown keys would read as
            # an empty answer to MLflow, whose own API leaves out empty lists (`{}`)
            pad = HUGE_BYTES - len(b'{"pad": "}')
            writer.write(b'{"pad": "')
            chunk = b"x" * 65536
            while pad > 0 and not writer.is_closing():
                writer.write(chunk[: min(pad, len(chunk))])
                pad -= len(chunk)
                await writer.drain()
            writer.write(b"}")
        elif fault == "trickle":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
            )
            for _ in range(100):
                if writer.is_closing():
                    break
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(1.0)
        elif fault == "redirect":
            writer.write(_response("302 Found", b"", "text/plain", f"Location: {self.url}{path}\r\n"))
        await writer.drain()

    async def _selective(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request per connection: fail it if its path is chosen, else forward it upstream
        (with `Connection: close`) and pipe the whole answer back."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target = [*lines[0].split(" "), "", ""][:2]
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
            if line and name.strip().lower() != "connection":
                kept.append(line)
        body = await reader.readexactly(length) if length else b""
        path = target.split("?")[0]
        self.requests.append((method, path))
        if path in self.failing or f"{method} {path}" in self.failing:
            self.failed.append((method, path))
            writer.write(
                _response("500 Internal Server Error", b'{"error_code": "INTERNAL_ERROR", "message": "injected fault"}')
            )
            await writer.drain()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.add(up_writer)
        try:
            up_writer.write(("\r\n".join([*kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1") + body)
            await up_writer.drain()
            while data := await up_reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(up_writer)
            up_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.add(up_writer)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter, delayed: bool) -> None:
            try:
                while data := await src.read(65536):
                    if delayed and self.latency_seconds:
                        await asyncio.sleep(self.latency_seconds)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(copy(reader, up_writer, True), copy(up_reader, writer, False))
        finally:
            self._writers.discard(up_writer)
            up_writer.close()


def main() -> None:
    """`python -m tests.faults.proxy UPSTREAM_PORT`: the proxy in a process of its own (as a
    misbehaving server is), so a benchmark of the app does not count the proxy's own work.
    Prints its port, then reads one fault name (or "none") a line and answers "ok"."""
    import sys

    proxy = FaultProxy(int(sys.argv[1])).start()
    print(proxy.port, flush=True)
    for line in sys.stdin:
        name = line.strip()
        proxy.set_fault(None if name == "none" else name)
        print("ok", flush=True)
    proxy.stop()


if __name__ == "__main__":
    main()
