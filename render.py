"""Render the momentum explainer: ``python render.py --format mp4`` (gif, png, all)."""

import os
import signal
import sys


def _exit_on_signal(signum, frame):
    # Until the command line installs its own handlers, a signal during the
    # imports ends the program without a traceback; no file exists yet.
    name = "interrupted" if signum == signal.SIGINT else "terminated"
    print(f"render.py: {name}", file=sys.stderr)
    sys.exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _exit_on_signal)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Everything is drawn on matplotlib's Agg canvas. An MPLBACKEND naming an
    # unknown backend would otherwise stop `import matplotlib` with an error.
    os.environ["MPLBACKEND"] = "agg"

    from animator.cli import main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main(prog="render.py"))
