"""``python -m sim``: the ``omnisim`` command line (sim/interfaces/cli.py), for an environment without the console
script on its PATH."""

from __future__ import annotations

import sys

from sim.interfaces.cli import main

if __name__ == "__main__":
    sys.exit(main())
