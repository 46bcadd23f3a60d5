"""The `b24names` command line: serve, emulator, demo and format."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from domain.errors import B24NamesError

if TYPE_CHECKING:
    from adapters.sealing import Sealer
    from application.ports import TokenRepository
    from entrypoints.container import Container

#: Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration.
EXIT_FAILURE = 1
EXIT_USAGE = 2

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and return its exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is not _emulator and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.emulator_args = extra
    command: Callable[[argparse.Namespace], int] = args.command

    try:
        return command(args)
    except B24NamesError as error:
        print(f"b24names: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("b24names: interrupted; run the same command to resume", file=sys.stderr)
        return EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    from entrypoints.format_command import add_format_arguments

    parser = argparse.ArgumentParser(
        prog="b24names", description="Keeps Bitrix24 contact names tidy."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service (B24_* variables)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_count,
        default=2,
        help="contact workers inside the service (0: run `b24names worker` instead)",
    )
    serve.set_defaults(command=_serve)

    worker = commands.add_parser("worker", help="run contact workers on their own")
    worker.add_argument("--workers", type=_count, default=2)
    worker.set_defaults(command=_worker)

    jobs = commands.add_parser("jobs", help="list pending and failed jobs")
    jobs.add_argument("--portal", metavar="MEMBER_ID", type=_member_id)
    jobs.add_argument(
        "--requeue", action="store_true", help="send failed jobs back to the queue"
    )
    jobs.set_defaults(command=_jobs)

    backfill = commands.add_parser(
        "backfill", help="format the contacts a portal already has"
    )
    backfill.add_argument(
        "--portal", metavar="MEMBER_ID", required=True, type=_member_id
    )
    backfill.add_argument(
        "--dry-run", action="store_true", help="print the changes, write nothing"
    )
    backfill.add_argument(
        "--restart", action="store_true", help="ignore where a previous run stopped"
    )
    backfill.set_defaults(command=_backfill)

    emulator = commands.add_parser(
        "emulator",
        help="run the local Bitrix24 emulator (see docs/emulator.md)",
        add_help=False,
    )
    emulator.set_defaults(command=_emulator)

    rotate = commands.add_parser(
        "rotate-key", help="seal stored tokens under a new key (see README)"
    )
    rotate.add_argument(
        "--drop-old",
        action="store_true",
        help="after a rotation: keep only the newest key in the key file",
    )
    rotate.set_defaults(command=_rotate_key)

    demo = commands.add_parser("demo", help="show the service on two emulated portals")
    demo.set_defaults(command=_demo)

    fmt = commands.add_parser("format", help="format names read from standard input")
    add_format_arguments(fmt)
    fmt.set_defaults(command=_format)
    return parser


def _member_id(text: str) -> str:
    from entrypoints.payloads import MEMBER_ID

    if not MEMBER_ID.fullmatch(text):
        raise argparse.ArgumentTypeError("a member_id is 8 to 64 letters and digits")
    return text


def _count(text: str) -> int:
    if not text.isdigit() or int(text) > 64:
        raise argparse.ArgumentTypeError("a whole number from 0 to 64")
    return int(text)


def _open_storage(container: "Container") -> None:
    """Open the stores now, so a bad configuration is one clear line at start."""
    container.portals()
    container.inbox()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from entrypoints.container import Container
    from entrypoints.settings import Settings
    from entrypoints.web import create_app

    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    container = Container(settings=settings)
    _open_storage(container)
    app = create_app(container, workers=args.workers)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from entrypoints.operations import container_from_env, run_workers

    container = container_from_env()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    _open_storage(container)
    asyncio.run(run_workers(container, args.workers))
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from entrypoints.operations import container_from_env, requeue_jobs, show_jobs

    container = container_from_env()
    if args.requeue:
        requeue_jobs(container, args.portal, sys.stdout)
    show_jobs(container, args.portal, sys.stdout)
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from entrypoints.operations import backfill, container_from_env, print_summary

    container = container_from_env()
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    progress = asyncio.run(
        backfill(container, args.portal, args.dry_run, args.restart, sys.stdout)
    )
    print_summary(progress, args.dry_run, sys.stdout)
    return EXIT_FAILURE if progress.failed else 0


def _emulator(args: argparse.Namespace) -> int:
    from emulator.server import main as emulator_main

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    return emulator_main(args.emulator_args)


def _rotate_key(args: argparse.Namespace) -> int:
    from entrypoints.container import build_repository
    from entrypoints.keys import drop_old_keys, rotate_key
    from entrypoints.settings import Settings

    settings = Settings.from_env()
    if settings.sealing_keys:
        print(
            "b24names: keys come from B24_SEALING_KEYS; put a new key first in it,"
            " restart, and save every portal again (see docs/decisions/sealing.md)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    def open_repository(sealer: "Sealer") -> "TokenRepository":
        return build_repository(settings.storage_url, sealer)

    path = settings.sealing_key_file
    if args.drop_old:
        dropped = drop_old_keys(path, open_repository)
        print(f"dropped {dropped} old key(s) from {path}")
    else:
        count = rotate_key(path, open_repository)
        print(f"new key in {path}; {count} portal(s) sealed under it")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from entrypoints.demo import run_demo

    return run_demo()


def _format(args: argparse.Namespace) -> int:
    from entrypoints.format_command import run_format

    return run_format(args, sys.stdin, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
