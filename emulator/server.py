"""Runs the emulator on loopback sockets, in-process or from the command line.

`EmulatorServer` serves the main address (OAuth server, server endpoint,
control API) with one uvicorn server and gives every new portal its own
uvicorn server on a fresh port, all on the caller's event loop:

    server = EmulatorServer(AppRegistration(install_url="http://127.0.0.1:8000/install"))
    base_url = await server.start()          # e.g. "http://127.0.0.1:38211"
    ...
    await server.stop()

`python -m emulator --port 9000 --install-url ...` runs it until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator, Sequence
from typing import Literal

import httpx
import uvicorn
from starlette.types import ASGIApp

from emulator.core import Emulator
from emulator.courier import DEFAULT_CONCURRENCY, DEFAULT_DELIVERY_TIMEOUT, Courier
from emulator.faults import DroppedConnection
from emulator.limits import PLANS, LimitSettings
from emulator.model import CALL_LOG_LIMIT
from emulator.registration import DEFAULT_ACCESS_TOKEN_LIFETIME, AppRegistration
from emulator.web import EmulatorApp, create_app

logger = logging.getLogger(__name__)

_STARTUP_POLL = 0.01


class _QuietDrops(logging.Filter):
    """Keeps uvicorn from logging a `drop` fault as an application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, DroppedConnection)


def _quiet_drops() -> None:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_QuietDrops())


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host program."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopbackServer:
    """Serves any ASGI app with uvicorn on one loopback socket, as a task.

    `start` binds (port 0 picks a free port) and returns the port once the
    server accepts connections; it runs on the caller's event loop and leaves
    signal handling to the host program. Tests use it to serve a stub app.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: Literal["on", "off"] = "off",
    ) -> None:
        # log_config=None: an embedded server must not reconfigure the host's logging.
        config = uvicorn.Config(
            app, lifespan=lifespan, log_config=None, log_level="warning"
        )
        _quiet_drops()
        self._server = _EmbeddedServer(config)
        self._host = host
        self._port = port
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        self._socket = _bind(self._host, self._port)
        self._task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[self._socket])
        )
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(_STARTUP_POLL)
        return int(self._socket.getsockname()[1])

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
            self._task = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class _SocketPorts:
    """Opens a listening loopback socket and a uvicorn server per portal."""

    def __init__(self, host: str) -> None:
        self._host = host
        self._listeners: list[LoopbackServer] = []
        self.app: EmulatorApp | None = None

    async def open(self) -> int:
        assert self.app is not None, "attach the app before opening ports"

        listener = LoopbackServer(self.app, self._host)
        port = await listener.start()
        self._listeners.append(listener)
        return port

    async def close_all(self) -> None:
        listeners, self._listeners = self._listeners, []
        await asyncio.gather(*(listener.stop() for listener in listeners))


class EmulatorServer:
    """The whole emulator on real loopback sockets.

    `transport` replaces the network for outbound POSTs (events, installs);
    by default they go over real HTTP. `limits` are what new portals start
    with (by default the bucket is on, as on Bitrix24); `concurrency` bounds
    deliveries on the wire; each portal keeps `call_log_limit` calls.
    """

    def __init__(
        self,
        registration: AppRegistration | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delivery_timeout: float = DEFAULT_DELIVERY_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: LimitSettings | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        call_log_limit: int = CALL_LOG_LIMIT,
    ) -> None:
        self._registration = registration or AppRegistration()
        self._host = host
        self._port = port
        self._limits = limits
        self._call_log_limit = call_log_limit
        self._courier = Courier(
            timeout=delivery_timeout, transport=transport, concurrency=concurrency
        )
        self._ports = _SocketPorts(host)
        self._main: LoopbackServer | None = None
        self._emulator: Emulator | None = None
        self.base_url = ""

    @property
    def emulator(self) -> Emulator:
        """The core state, for in-process inspection; only after `start`."""
        if self._emulator is None:
            raise RuntimeError("the emulator server is not started")
        return self._emulator

    async def start(self) -> str:
        """Bind, serve, and return the main base URL (`http://host:port`)."""
        self._emulator = Emulator(
            self._registration,
            "",
            sink=self._courier.send,
            host=self._host,
            limits=self._limits,
            call_log_limit=self._call_log_limit,
        )
        app = create_app(self._emulator, self._courier, self._ports)
        self._ports.app = app
        self._main = LoopbackServer(app, self._host, self._port, lifespan="on")
        port = await self._main.start()

        # Known only once bound; no request can arrive before this line runs
        # because nothing knows the port yet.
        self._emulator.main_address = f"{self._host}:{port}"
        self.base_url = f"http://{self._emulator.main_address}"
        logger.info("Bitrix24 emulator listening on %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Stop every portal server, then the main one (closing deliveries)."""
        if self._ports.app is not None:
            self._ports.app.release_hangs()
        await self._ports.close_all()
        if self._main is not None:
            await self._main.stop()
            self._main = None


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = AppRegistration()
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="A local Bitrix24 portal emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument("--install-url", default=defaults.install_url)
    parser.add_argument("--app-version", default=defaults.version)
    parser.add_argument("--scope", default=defaults.scope)
    parser.add_argument(
        "--token-lifetime", type=int, default=DEFAULT_ACCESS_TOKEN_LIFETIME
    )
    parser.add_argument(
        "--delivery-timeout", type=float, default=DEFAULT_DELIVERY_TIMEOUT
    )
    parser.add_argument("--plan", choices=sorted(PLANS), default="professional")
    parser.add_argument(
        "--no-bucket", action="store_true", help="no leaky-bucket limit"
    )
    return parser.parse_args(argv)


async def _serve_until_stopped(args: argparse.Namespace) -> None:
    registration = AppRegistration(
        client_id=args.client_id,
        client_secret=args.client_secret,
        install_url=args.install_url,
        version=args.app_version,
        scope=args.scope,
        access_token_lifetime=args.token_lifetime,
    )
    limits = LimitSettings().changed({"plan": args.plan, "bucket": not args.no_bucket})
    server = EmulatorServer(
        registration,
        args.host,
        args.port,
        delivery_timeout=args.delivery_timeout,
        limits=limits,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)

    print(f"Bitrix24 emulator: {await server.start()}", flush=True)
    await stopped.wait()
    await server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; prints the main URL first."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    asyncio.run(_serve_until_stopped(_arguments(argv)))
    return 0
