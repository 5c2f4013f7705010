"""``python -m tiktok_pixel``: the command line.

Each sub-command lives in its own module of this package with ``add_parser(subparsers)``; the
parser sets ``handler`` to a function ``(args) -> int`` that returns the exit code. Exit codes:
0 success, 1 the command ran and found failures, 2 bad arguments or unreadable input.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator, Sequence

from .. import __version__

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("render", "check", "send", "demo")


class CommandError(Exception):
    """Bad arguments or unreadable input: printed as one line on stderr, exit code 2."""


def warn(command: str, message: str) -> None:
    """One warning line on stderr, with the prefix every warning of ``command`` carries."""
    print(f"tiktok-pixel {command}: warning: {message}", file=sys.stderr)


class _CommandFormatter(logging.Formatter):
    """``tiktok-pixel render: warning: …``: the library's log records in the CLI's own words."""

    def __init__(self, command: str) -> None:
        super().__init__()
        self.command = command

    def format(self, record: logging.LogRecord) -> str:
        return f"tiktok-pixel {self.command}: {record.levelname.lower()}: {record.getMessage()}"


@contextlib.contextmanager
def _library_log(command: str) -> Iterator[None]:
    """While a command runs, the ``tiktok_pixel`` logger's warnings go to stderr with its prefix.

    Without this, records would reach stderr through logging's last-resort handler as bare
    lines, unlike the command's own warnings.
    """
    logger = logging.getLogger("tiktok_pixel")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_CommandFormatter(command))
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tiktok_pixel",
        description="Render the TikTok Pixel with server-side hashed PII, and tools around it.",
        epilog="Run 'python -m tiktok_pixel COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"tiktok-pixel {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with _library_log(args.command):
            return int(args.handler(args))
    except CommandError as exc:
        print(f"tiktok-pixel {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tiktok-pixel {args.command}: interrupted", file=sys.stderr)
        return 130
