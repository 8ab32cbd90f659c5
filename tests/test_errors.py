"""The one error tree (ingest.errors): every error class the packages define is a KefuError of one
kind, and each kind has its HTTP status (api.errors) and its exit code (api.cli.exits)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import errors
from api.cli.exits import CODES, ExitCode, exit_code_for
from ingest.errors import KINDS, Conflict, InvalidInput, KefuError, NotFound, Unavailable, kind_of

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "assistant", "eval", "api")
_ERROR_BASE = ("Error", "Exception", "NotFound", "Conflict", "Unavailable", "InvalidInput")
# Raised and caught inside one function's module, never shown to anyone.
INTERNAL = {"assistant.extractive.NoAnswerInPassages", "assistant.extractive.FactOfAnotherThing"}


def _modules_defining_errors() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "data" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                bases = [ast.unparse(base) for base in getattr(node, "bases", [])]
                if isinstance(node, ast.ClassDef) and any(b.endswith(_ERROR_BASE) for b in bases):
                    found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
                    break
    return found


def _error_classes() -> list[type[BaseException]]:
    classes = []
    for module_name in _modules_defining_errors():
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module_name and issubclass(cls, BaseException):
                classes.append(cls)
    return classes


def test_every_error_class_of_the_packages_is_a_kefu_error_with_a_status_and_an_exit_code() -> None:
    classes = _error_classes()
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in classes}
    assert {"ingest.registry.KnowledgeBaseNotFound", "eval.arms.ArmUnavailable"} <= names  # the scan works
    outside = sorted(
        name
        for cls, name in ((c, f"{c.__module__}.{c.__qualname__}") for c in classes)
        if not issubclass(cls, KefuError) and not cls.__name__.startswith("_") and name not in INTERNAL
    )
    assert outside == [], "not in the error tree (ingest/errors.py)"
    for cls in classes:
        if issubclass(cls, KefuError):
            assert errors.status_for(cls) in {404, 422, 409, 503, 500}, cls
            assert exit_code_for(cls) in set(ExitCode) - {ExitCode.OK}, cls


def test_every_kind_maps_to_one_status_and_one_exit_code() -> None:
    assert set(errors.STATUS) == set(KINDS) == set(CODES)
    assert [
        errors.status_for(kind) for kind in (NotFound, InvalidInput, Conflict, Unavailable, KefuError)
    ] == [
        404,
        422,
        409,
        503,
        500,
    ]
    assert [exit_code_for(kind) for kind in (NotFound, InvalidInput, Conflict, Unavailable, KefuError)] == [
        ExitCode.NOT_FOUND,
        ExitCode.USAGE,
        ExitCode.CONFLICT,
        ExitCode.UNAVAILABLE,
        ExitCode.FAILURE,
    ]
    assert exit_code_for(ValueError("a bug")) is None  # not ours: its traceback is shown


def test_the_first_base_decides_and_the_old_builtin_bases_are_kept() -> None:
    from eval.datasets import DatasetError, DatasetNotFound
    from ingest.registry import KnowledgeBaseNotFound
    from ingest.versions import NameTaken, VersionError

    assert kind_of(DatasetNotFound) is NotFound and issubclass(DatasetNotFound, DatasetError)
    assert kind_of(DatasetError) is InvalidInput
    assert issubclass(KnowledgeBaseNotFound, LookupError) and issubclass(NameTaken, ValueError)
    assert kind_of(VersionError("nothing to roll back to")) is Conflict


class _Missing(NotFound, LookupError):
    pass


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    errors.install(app, ("/v1/chat/",))
    raised: dict[str, KefuError] = {
        "missing": _Missing("no such thing"),
        "invalid": InvalidInput("bad value"),
        "conflict": Conflict("held by someone else"),
        "down": Unavailable("the model is not loaded"),
        "failed": KefuError("it broke"),
    }

    @app.get("/v1/things/{what}")
    def thing(what: str) -> None:
        raise raised[what]

    @app.get("/v1/chat/{what}")
    def chat(what: str) -> None:
        raise raised[what]

    return TestClient(app)


@pytest.mark.parametrize(
    ("what", "status"),
    [("missing", 404), ("invalid", 422), ("conflict", 409), ("down", 503), ("failed", 500)],
)
def test_the_api_answers_each_kind_with_its_status_in_the_api_error_shape(
    client: TestClient, what: str, status: int
) -> None:
    response = client.get(f"/v1/things/{what}")
    assert response.status_code == status and isinstance(response.json()["detail"], str)
    assert response.json()["detail"]
    assert ("retry-after" in response.headers) == (status == 503)


def test_the_openai_routes_answer_in_openai_s_error_shape(client: TestClient) -> None:
    missing = client.get("/v1/chat/missing")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"message": "no such thing", "type": "not_found_error", "param": None, "code": None}
    }
    invalid = client.get("/v1/chat/invalid")
    assert invalid.status_code == 400 and invalid.json()["error"]["type"] == "invalid_request_error"
    down = client.get("/v1/chat/down")
    assert down.status_code == 503 and down.headers["retry-after"] == str(errors.RETRY_AFTER_S)
