"""`python -m bench [--quick] [--only throughput,startup,memory,scaling,journal,durability,messages,callbacks]`

Runs the benchmarks and prints one table per measurement, each figure beside its target.
Nothing is asserted: the figures are for reading (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

SECTIONS = ("throughput", "startup", "memory", "scaling", "journal", "durability", "messages", "callbacks")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="a ~30 s pass: 1 s cells, 1,000-group memory, 100,000-request journal")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument("--seconds", type=float, default=None, help="seconds per throughput cell")
    ap.add_argument("--providers", default=None, help="comma-separated subset of the providers")
    a = ap.parse_args(argv)
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}")

    from bench import loadgen
    from bench.common import available_providers

    why: list[str] = []
    providers = available_providers(why)
    missing = [p for p in ("tencent", "openim", "rongcloud") if p not in providers]
    if a.providers:
        providers = [p for p in a.providers.split(",") if p in providers]
    if not providers:
        print("no provider imports; nothing to measure", file=sys.stderr)
        return 1

    import aiohttp
    print(f"# im-emulator benchmarks{' (quick)' if a.quick else ''}\n")
    print(f"python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
          f"{os.cpu_count()} CPUs (affinity {sorted(os.sched_getaffinity(0))}), "
          f"load generator: {'wrk' if loadgen.have_wrk() else 'bench.pyload (wrk not installed)'}; "
          f"providers: {', '.join(providers)}"
          + (f" (left out: {'; '.join(why)})" if missing else "") + "\n")
    t_all = time.perf_counter()
    for section in only:
        t0 = time.perf_counter()
        try:
            out = _section(section, a, providers)
        except Exception:  # one broken section must not hide the others' figures
            import traceback
            out = f"### {section}: FAILED\n\n```\n{traceback.format_exc()[-1500:]}```\n"
        print(out)
        print(f"({section}: {time.perf_counter() - t0:.0f} s)\n", flush=True)
    print(f"total {time.perf_counter() - t_all:.0f} s")
    return 0


def _section(section: str, a, providers: list[str]) -> str:
    if section == "throughput":
        from bench import throughput
        seconds = a.seconds or (1 if a.quick else 2)
        out = throughput.run(providers, seconds, warmup=0 if a.quick else 1)
    elif section == "startup":
        from bench import startup
        out = startup.run(providers, runs=3 if a.quick else 5)
    elif section == "memory":
        from bench import memory
        out = memory.run(providers, n_groups=1_000 if a.quick else 10_000)
    elif section == "scaling":
        from bench import scaling
        out = scaling.run(providers, reps=3 if a.quick else 5, read_reps=5 if a.quick else 20)
    elif section == "durability":
        from bench import durability
        out = durability.run(providers, a.seconds or (1 if a.quick else 2),
                             writes=20_000 if a.quick else durability.WRITES)
    elif section == "messages":
        from bench import messages
        if "tencent" not in providers:
            return "### messages: skipped (the Tencent provider does not import)\n"
        out = messages.run(a.seconds or (1 if a.quick else 2), reps=3 if a.quick else 5,
                           batch=200 if a.quick else 500, n_memory=20_000 if a.quick else 100_000)
    elif section == "callbacks":
        from bench import callbacks
        out = callbacks.run(1_000, 200) if a.quick else callbacks.run()
    else:
        from bench import journal
        out = journal.run(providers, total=100_000 if a.quick else 1_000_000,
                          real=500 if a.quick else 2_000)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
