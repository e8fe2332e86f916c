"""Render the momentum explainer: ``python render.py --format mp4`` (gif, png, all)."""

import sys

from animator.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="render.py"))
