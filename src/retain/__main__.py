"""python -m retain: the same as the retain command."""

from retain.cli import app

app(prog_name="retain")
