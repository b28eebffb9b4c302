"""`python -m emulator` and the `im-emulator` command: the collector is paused before the first
import (core/gctune.py: start-up); create_app resumes it once the modules are loaded. marshmallow
is imported without compiling the e-mail regexes of its validate module (core/quickimport.py)."""


def main() -> int:
    from emulator.core import gctune
    gctune.pause_for_start()
    from emulator.core import quickimport
    quickimport.import_marshmallow()   # without the e-mail regexes no schema uses (quickimport.py)
    from emulator.cli import main as cli_main
    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
