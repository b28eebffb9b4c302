"""im-emulator benchmarks: `python -m bench` prints the figures beside their targets (bench/README.md)."""
