"""`python -m sim`: the command line (sim.app.cli), its Ctrl-C handler installed before the
command line's imports (`sim.app.interrupts`), so that a Ctrl-C during them is not lost
and ends in the same one line as one during the run."""

import sys

from sim.app import interrupts
from sim.errors import fault_report

interrupts.install()
try:
    from sim.app.cli import main
except KeyboardInterrupt as interrupted:
    line, status = fault_report(interrupted)
    print(f"error: {line}", file=sys.stderr)
    raise SystemExit(status) from None

if __name__ == "__main__":
    main()
