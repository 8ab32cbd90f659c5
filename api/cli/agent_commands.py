"""`kefu agent ...`: the human side of an escalation — inbox, claim, reply, resolve."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import JsonFlag, console, print_json
from api.cli.exits import ExitCode, KefuGroup, exit_with
from ingest.config import get_settings

if TYPE_CHECKING:
    from assistant.escalation.agents import AgentDesk

agent_app = typer.Typer(
    help="Work escalated conversations as a human agent.", no_args_is_help=True, cls=KefuGroup
)

AgentOption = typer.Option(..., "--agent", "-a", envvar="KEFU_AGENT", help="Your agent id (or KEFU_AGENT).")


def register(app: typer.Typer) -> None:
    app.add_typer(agent_app, name="agent")


def _desk() -> AgentDesk:
    from assistant.escalation.agents import AgentDesk

    return AgentDesk(get_settings())


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@agent_app.command("inbox")
def inbox(
    status: str = typer.Option("open,claimed", "--status", help="Comma-separated: open, claimed, resolved."),
    tenant: str | None = typer.Option(None, "--tenant"),
    kb: str | None = typer.Option(None, "--kb"),
    assignee: str | None = typer.Option(None, "--assignee"),
    breached: bool = typer.Option(False, "--breached", help="Only tickets past an SLA due time."),
    limit: int = typer.Option(50, "--limit"),
    as_json: JsonFlag = False,
) -> None:
    """Escalated conversations, most urgent and oldest first (--json: as GET /v1/agent/inbox)."""
    try:
        tickets = _desk().inbox(
            statuses=_split(status),
            tenant=tenant,
            kb_name=kb,
            assignee=assignee,
            breached=True if breached else None,
            limit=limit,
        )
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    if as_json:
        from api.tickets import ticket_out

        print_json([ticket_out(t) for t in tickets])
        return
    table = Table()
    for column in ("id", "priority", "status", "assignee", "kb", "reasons", "age", "SLA", "summary"):
        table.add_column(column)
    from ingest.models import utcnow

    now = utcnow()
    for t in tickets:
        age = f"{(now - t.created_at).total_seconds() / 60:.0f} min"
        sla = "[red]breached[/]" if t.breached else f"reply by {t.first_response_due_at:%H:%M}"
        table.add_row(
            str(t.id),
            t.priority_name,
            t.status,
            t.assignee or "",
            t.kb_name,
            ", ".join(t.reasons),
            age,
            sla,
            escape(t.summary[:80]),
        )
    console.print(table)


@agent_app.command("show")
def show(
    ticket_id: int = typer.Argument(...),
    raw: bool = typer.Option(False, "--json", help="The handoff package as JSON."),
) -> None:
    """A ticket's handoff package and the conversation so far."""
    desk = _desk()
    ticket = desk.ticket(ticket_id)
    if raw:
        print_json(ticket.package)
        return
    package = ticket.package
    console.print(
        f"[bold]ticket #{ticket.id}[/] {ticket.status} · {ticket.priority_name} · {', '.join(ticket.reasons)}"
        f" · assignee {ticket.assignee or '-'}"
    )
    console.print(f"customer: {escape(json.dumps(package.get('customer', {}), ensure_ascii=False))}")
    console.print(f"summary: {escape(ticket.summary)}")
    for reason in package.get("reasons", []):
        console.print(f"  [yellow]{reason['code']}[/]: {escape(reason['detail'])}")
    for message in desk.transcript(ticket_id):
        console.print(f"[cyan]{message.role}>[/] {escape(message.content)}")


@agent_app.command("claim")
def claim(ticket_id: int = typer.Argument(...), agent: str = AgentOption) -> None:
    """Take a ticket (fails if another agent holds it)."""
    try:
        ticket = _desk().claim(ticket_id, agent)
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    console.print(f"ticket #{ticket.id} claimed by {ticket.assignee}")


@agent_app.command("reply")
def reply(
    ticket_id: int = typer.Argument(...), text: str = typer.Argument(...), agent: str = AgentOption
) -> None:
    """Send a message to the customer in their conversation."""
    try:
        _desk().reply(ticket_id, agent, text)
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    console.print(f"sent to ticket #{ticket_id}'s conversation")


@agent_app.command("resolve")
def resolve(
    ticket_id: int = typer.Argument(...),
    resolution: str = typer.Argument("", help="The answer that solved it (default: your last reply)."),
    agent: str = AgentOption,
    faq: bool = typer.Option(True, "--faq/--no-faq", help="Propose the answer as an FAQ entry."),
) -> None:
    """Close the ticket; the bot takes the conversation back."""
    try:
        result = _desk().resolve(ticket_id, agent, resolution, propose_faq=faq)
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    console.print(f"ticket #{ticket_id} resolved")
    if result.candidate is not None:
        c = result.candidate
        near = (
            f" (similar to {c.similar_to['question']!r}, {c.similarity:.2f})"
            if c.similar_to and c.similarity
            else ""
        )
        console.print(f"FAQ candidate #{c.id} ({c.status}){escape(near)}: review with `kefu faq candidates`")
