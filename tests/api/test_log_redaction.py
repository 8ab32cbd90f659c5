"""The customer's text stays out of the logs: SQL errors carry no statement parameters, and what
kefu's JSON log lines do carry (messages, tracebacks) has its PII redacted."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.logs import JsonFormatter
from ingest.db import Database

SECRET = "my card is 4111 1111 1111 1111, mail li.lei@example.com"


def _failing_statement_logged(database: Database, caplog: pytest.LogCaptureFixture) -> str:
    log = logging.getLogger("kefu.test.sql")
    with caplog.at_level(logging.ERROR, logger="kefu.test.sql"):
        try:
            with database.engine.connect() as connection:
                connection.execute(text("SELECT no_such_column, :question"), {"question": SECRET})
        except SQLAlchemyError as exc:
            log.exception("the statement failed: %s", exc)
        else:
            pytest.fail("the statement should fail")
    return caplog.text


def test_sql_errors_do_not_log_parameters_on_sqlite(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    database = Database(f"sqlite:///{tmp_path / 'kefu.db'}")
    try:
        logged = _failing_statement_logged(database, caplog)
    finally:
        database.dispose()
    assert "no_such_column" in logged  # the error itself is still there to debug
    assert "4111" not in logged and "li.lei" not in logged


@pytest.mark.postgres
def test_sql_errors_do_not_log_parameters_on_postgres(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(postgres_url)
    try:
        logged = _failing_statement_logged(database, caplog)
    finally:
        database.dispose()
    assert "no_such_column" in logged
    assert "4111" not in logged and "li.lei" not in logged


def test_json_log_lines_redact_pii_in_messages_and_tracebacks() -> None:
    try:
        raise ValueError(f"could not answer {SECRET!r}")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("kefu.api", logging.ERROR, __file__, 1, "question was %s", (SECRET,), exc_info)
    line = json.loads(JsonFormatter().format(record))
    assert "4111" not in line["msg"] and "li.lei@example.com" not in line["msg"]
    assert "[BANK_CARD_1]" in line["msg"] and "[EMAIL_1]" in line["msg"]
    assert (
        "ValueError" in line["exc"] and "4111" not in line["exc"] and "li.lei@example.com" not in line["exc"]
    )
