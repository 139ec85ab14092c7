"""``python -m custom_components.spinstack.engine replay FILE.jsonl``: print the plays a recording yields."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
import sys

from .replay import ReplayError, run
from .rules import Rules


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m custom_components.spinstack.engine")
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("replay", help="replay observations (JSON lines) and print the counted plays")
    replay.add_argument("file", help="a JSON-lines file of observations, or - for standard input")
    replay.add_argument("--lenient", action="store_true", help="skip bad lines (logged) instead of stopping")
    defaults = Rules()
    replay.add_argument("--min-track-seconds", type=float, default=defaults.min_track_seconds)
    replay.add_argument("--threshold-fraction", type=float, default=defaults.threshold_fraction)
    replay.add_argument("--threshold-cap-seconds", type=float, default=defaults.threshold_cap_seconds)
    replay.add_argument("--radio-min-seconds", type=float, default=defaults.radio_min_seconds)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    rules = Rules(
        min_track_seconds=args.min_track_seconds,
        threshold_fraction=args.threshold_fraction,
        threshold_cap_seconds=args.threshold_cap_seconds,
        radio_min_seconds=args.radio_min_seconds,
    )
    try:
        if args.file == "-":
            run(sys.stdin, sys.stdout, rules, strict=not args.lenient)
        else:
            with Path(args.file).open(encoding="utf-8") as source:
                run(source, sys.stdout, rules, strict=not args.lenient)
    except ReplayError as err:
        print(f"error: {args.file}: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
