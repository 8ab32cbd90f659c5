"""`python -m api.cli ...` runs the `kefu` command."""

from api.cli import app

app(prog_name="kefu")
