"""`python -m emulator` and the `im-emulator` command: the collector is paused before the first
import (core/gctune.py: start-up); create_app resumes it once the modules are loaded."""


def main() -> int:
    from emulator.core import gctune
    gctune.pause_for_start()
    from emulator.cli import main as cli_main
    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
