"""The `kefu` command. Each command group lives in its own module and is registered here; every
command exits with the codes of api/cli/exits.py."""

from __future__ import annotations

import typer

from api.cli import (
    agent_commands,
    answer_commands,
    config_command,
    demo_command,
    eval_commands,
    faq_commands,
    kb_commands,
    kb_version_commands,
    keys_commands,
    release_commands,
    report_command,
    serve_command,
    worker_command,
)
from api.cli.exits import KefuGroup

app = typer.Typer(
    name="kefu",
    help="kefu (客服): a self-hostable customer-service assistant that answers from your documents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=KefuGroup,  # exit codes: api/cli/exits.py
)

for commands in (
    demo_command,
    kb_commands,
    kb_version_commands,
    answer_commands,
    eval_commands,
    agent_commands,
    faq_commands,
    release_commands,
    serve_command,
    worker_command,
    keys_commands,
    report_command,
    config_command,
):
    commands.register(app)
