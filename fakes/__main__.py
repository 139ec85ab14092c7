"""Run the fake music APIs from the command line, for manual checks and demos.

python -m fakes                       # all four on ephemeral ports of 127.0.0.1; prints their base URLs
python -m fakes --port 8700           # Deezer on 8700, MusicBrainz 8701, Discogs 8702, Odesli 8703
python -m fakes --synthetic 10000     # the curated catalogue and 10,000 synthetic tracks
python -m fakes --no-rate-limit --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys

from .catalogue import Catalogue
from .discogs import DEFAULT_TOKEN
from .services import FakeServices


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m fakes",
        description="Local fakes of Deezer's, MusicBrainz', Discogs' and Odesli's public APIs, on 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="Deezer's port, the others following it (default: ephemeral ports)"
    )
    parser.add_argument("--synthetic", type=int, default=0, help="add this many synthetic tracks to the catalogue")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not enforce the services' rate limits")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0: never)")
    parser.add_argument("--json", action="store_true", help="print the base URLs as one JSON object")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request and its outcome")
    args = parser.parse_args(argv)
    if args.synthetic < 0:
        parser.error("--synthetic must not be negative")
    return args


async def run(args: argparse.Namespace) -> None:
    """Serve the four fakes until interrupted or `--duration` has passed."""
    catalogue = Catalogue.default()
    if args.synthetic:
        catalogue = catalogue + Catalogue.synthetic(args.synthetic)
    services = FakeServices(catalogue, host=args.host, rate_limit=not args.no_rate_limit)
    if args.port:
        for offset, service in enumerate(services):
            service.port = args.port + offset
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with services:
        if args.json:
            sys.stdout.write(json.dumps({**services.base_urls, "discogs_token": DEFAULT_TOKEN}) + "\n")
        else:
            for name, url in services.base_urls.items():
                sys.stdout.write(f"{name}: {url}\n")
            sys.stdout.write(f"discogs token: {DEFAULT_TOKEN}\n")
            sys.stdout.write(f"catalogue: {len(catalogue)} tracks\n")
        sys.stdout.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=args.duration or None)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        asyncio.run(run(args))
    except OSError as error:
        sys.stderr.write(f"cannot serve the fakes: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
