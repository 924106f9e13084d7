"""`python -m sim`: the command line (sim.app.cli), its Ctrl-C handler installed before the
command line's imports (`sim.app.interrupts`), so that a Ctrl-C during them is not lost
and ends in the same one line as one during the run."""

from sim.app import interrupts
from sim.errors import exit_for

interrupts.install()
try:
    from sim.app.cli import main
except KeyboardInterrupt as interrupted:
    exit_for(interrupted)

if __name__ == "__main__":
    main()
