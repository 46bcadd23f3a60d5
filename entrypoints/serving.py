"""Running the web application inside an existing event loop.

The demo and the end-to-end tests run the service next to the emulator in one
process. The listening socket is bound first, so its port is known before the
application (which must know its own public URL) is built.
"""

import asyncio
import socket
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on `host`; port 0 picks a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class BackgroundServer:
    """Serves an ASGI app on a bound socket in a task of the running loop."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._socket = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return socket_url(self._socket)

    async def start(self) -> str:
        """Start serving and return once requests are accepted."""
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("server stopped while starting")
            await asyncio.sleep(0.01)
        return self.url

    async def stop(self) -> None:
        """Finish requests in flight, run the app's shutdown, close the socket."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None

    async def __aenter__(self) -> "BackgroundServer":
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()
