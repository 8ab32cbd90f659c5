"""The deployment files, checked by reading (no Docker daemon here): the compose topology uses
settings kefu really reads, the image is multi-stage with a compiler-free, non-root final stage
and a /readyz HEALTHCHECK, and the build context leaves out the virtualenv, data and git history."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from ingest.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / ".deploy" / "compose.yml"
COMPILERS = ("build-essential", "gcc", "g++", "cmake", "clang", "make ")


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} forms."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in env:
            return env[name]
        if op == ":-":
            return rest
        raise KeyError(name)

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


def test_compose_runs_postgres_chroma_api_workers_and_ingest_workers() -> None:
    services = _compose()["services"]
    assert {"postgres", "chroma", "api", "worker"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["chroma"]["command"][:2] == ["chroma", "run"]
    api_command = services["api"]["command"]
    assert api_command[:2] == ["kefu", "serve"] and "--workers" in api_command
    assert int(_interpolate(api_command[api_command.index("--workers") + 1], {})) >= 2
    assert services["worker"]["command"] == ["kefu", "worker"]
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["healthcheck"] == {"disable": True}  # no HTTP port to probe
    # Start order: the database before the API (it migrates), the API before the workers.
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_compose_settings_are_ones_kefu_reads_and_agree() -> None:
    services = _compose()["services"]
    env = {"POSTGRES_PASSWORD": "s3cret"}
    fields = set(Settings.model_fields)
    for name in ("api", "worker"):
        variables = {k: _interpolate(str(v), env) for k, v in services[name]["environment"].items()}
        kefu = {k: v for k, v in variables.items() if k.startswith("KEFU_")}
        unknown = [k for k in kefu if k[5:].lower() not in fields]
        assert not unknown, f"{name}: settings kefu does not read: {unknown}"
        settings = Settings(**{k[5:].lower(): v for k, v in kefu.items()})  # validators included
        assert settings.job_queue == "procrastinate"
        assert settings.sql_url == "postgresql+psycopg://kefu:s3cret@postgres:5432/kefu"
        assert settings.chroma_url == "http://chroma:8000"
        # Uploaded files: written by the API, read by the workers from the same volume.
        assert f"kefu-data:{settings.data_dir}" in services[name]["volumes"]
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("kefu", "kefu")
    assert "${POSTGRES_PASSWORD:?" in postgres["POSTGRES_PASSWORD"]  # no default password
    assert "--port" in services["chroma"]["command"]
    assert services["chroma"]["command"][services["chroma"]["command"].index("--port") + 1] == "8000"


def test_readme_gives_the_exact_compose_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker compose -f .deploy/compose.yml up -d --build" in readme
    assert "docker compose -f .deploy/compose.yml exec api kefu keys create" in readme
    assert "kefu worker" in readme


def _stages(dockerfile: str) -> list[list[str]]:
    """Instructions (continuation lines joined) grouped by build stage."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    stages: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_dockerfile_final_stage_is_small_non_root_and_health_checked() -> None:
    stages = _stages((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert len(stages) >= 2, "a build stage and a final stage"
    build, final = stages[0], stages[-1]
    assert any("build-essential" in line for line in build)  # llama.cpp is compiled there
    assert not [line for line in final if any(c in line for c in COMPILERS)]
    assert any(line.startswith("COPY --from=") for line in final)

    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0"), users

    checks = [line for line in final if line.upper().startswith("HEALTHCHECK ")]
    assert len(checks) == 1 and "/readyz" in checks[0]
    port = re.search(r"127\.0\.0\.1:(\d+)/readyz", checks[0])
    cmd = next(line for line in final if line.upper().startswith("CMD "))
    assert port and f'"{port.group(1)}"' in cmd  # the check probes the port the server listens on


def test_the_health_checked_route_exists(tmp_path: Path) -> None:
    from api.app import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False))
    assert "get" in app.openapi()["paths"]["/readyz"]


def _ignored(path: str, patterns: list[str]) -> bool:
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, f"**/{pattern}") for p in prefixes):
            result = not negate
    return result


def test_dockerignore_keeps_the_venv_data_and_git_out_and_the_sources_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (
        ".venv/bin/python",
        ".kefu/kefu.db",
        ".git/HEAD",
        ".env",
        "api/__pycache__/app.cpython-311.pyc",
    ):
        assert _ignored(path, patterns), path
    copied = []
    for line in _stages((ROOT / "Dockerfile").read_text(encoding="utf-8"))[0]:
        if line.startswith("COPY ") and "--from" not in line:
            copied += shlex.split(line)[1:-1]
    assert {"pyproject.toml", ".constraints.txt", "README.md", "api", "ingest"} <= set(copied)
    for path in copied:
        assert (ROOT / path).exists(), path
        assert not _ignored(path, patterns), f"{path} is copied but left out of the build context"
