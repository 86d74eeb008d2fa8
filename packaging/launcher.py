"""Entry script of the frozen app (PyInstaller needs a script, not a console_scripts entry point).

The same binary is the GUI and, with ``--run-simulator`` as its first argument, the embedded
simulator's child process (see mesodesk.sim.embedded.simulator_command).
"""

import sys

from mesodesk.app import main

if __name__ == "__main__":
    sys.exit(main())
