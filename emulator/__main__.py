"""Run emulated Sonos speakers from the command line.

python -m emulator                      # the demo day, three rooms, at 10x
python -m emulator --rate 60 --loop     # faster, over and over
python -m emulator --scenario idle --speakers 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from .clock import RealtimeClock
from .household import Household
from .scenario import demo_day, demo_household

_LOGGER = logging.getLogger("emulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=(
            "Emulated Sonos speakers speaking the real UPnP protocol (SoCo works against them) on 127.0.0.2, "
            "127.0.0.3, ... port 1400, playing a scripted day at an accelerated clock."
        ),
    )
    parser.add_argument(
        "--scenario",
        choices=("demo", "idle"),
        default="demo",
        help="demo: three rooms playing a scripted day; idle: speakers that only answer (default: demo)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="clock speed against real time (default: 10)")
    parser.add_argument("--speakers", type=int, default=3, help="number of speakers for --scenario idle (default: 3)")
    parser.add_argument("--first-ip", default="127.0.0.2", help="the first speaker's address (default: 127.0.0.2)")
    parser.add_argument("--port", type=int, default=1400, help="port of every speaker (SoCo needs 1400)")
    parser.add_argument("--loop", action="store_true", help="play the demo day again and again")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after this many real seconds (0: never)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request and event")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be positive")
    if args.first_ip == "127.0.0.1":
        parser.error("127.0.0.1 is left to SoCo's event listener")
    return args


async def run(args: argparse.Namespace) -> None:
    """Serve the speakers (and play the scenario) until interrupted or `--duration` has passed."""
    clock = RealtimeClock(rate=args.rate)
    if args.scenario == "demo":
        household = demo_household(clock, first_ip=args.first_ip, port=args.port)
    else:
        household = Household(clock, first_ip=args.first_ip, port=args.port)
        for number in range(1, args.speakers + 1):
            household.add_speaker(f"Room {number}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with household:
        for speaker in household.speakers:
            sys.stdout.write(f"{speaker.name}: {speaker.uid} at http://{speaker.ip}:{household.port}\n")
        sys.stdout.flush()

        def report(line: str) -> None:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

        async def scenario() -> None:
            if args.scenario != "demo":
                return
            while True:
                await demo_day(household, report=report)
                if not args.loop:
                    return

        task = asyncio.create_task(scenario())
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if args.duration > 0:
            waiters.append(asyncio.create_task(asyncio.sleep(args.duration)))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for pending in (task, *waiters):
            pending.cancel()
        for pending in (task, *waiters):
            with contextlib.suppress(asyncio.CancelledError):
                await pending


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
        sys.stderr.write(f"cannot serve the speakers: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
