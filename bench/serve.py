"""Run the emulator with only some providers (used while a provider does not import yet).

Once all three import, the benchmarks start `python -m emulator` itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from emulator.cli import loop_factory, serve
from emulator.settings import Settings


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--providers", required=True)
    p.add_argument("--scenario", type=Path, default=None)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--loop", default="asyncio")
    a = p.parse_args()
    logging.basicConfig(level="WARNING")
    with asyncio.Runner(loop_factory=loop_factory(a.loop)[1]) as runner:
        runner.run(serve(Settings(port=a.port, scenario=a.scenario, log_level="WARNING",
                                  providers=tuple(a.providers.split(",")))))


if __name__ == "__main__":
    main()
