"""`python -m sim`: the command line (sim.app.cli), its Ctrl-C handler installed before the
command line's imports (`sim.app.interrupts`), so that a Ctrl-C during them is not lost."""

from sim.app import interrupts

interrupts.install()

from sim.app.cli import main  # noqa: E402  (after the handler, on purpose)

if __name__ == "__main__":
    main()
