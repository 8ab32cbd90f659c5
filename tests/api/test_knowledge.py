"""Knowledge bases for owners: uploads as background jobs, validation, delete, re-ingest, FAQs, jobs."""

from __future__ import annotations

from pathlib import Path

from api_fixture import Harness, api_settings, auth, upload, wait_job
from sqlalchemy import func, select

from api.app import create_app
from api.jobs import RUNNER
from api.models import Job
from ingest.models import Document


def _documents(harness: Harness) -> list[str]:
    response = harness.client.get("/v1/kbs/shop/documents", headers=auth(harness.acme["owner"]))
    return sorted(d["source"] for d in response.json())


def _job_count(harness: Harness) -> int:
    with harness.services.db.session() as session:
        return session.scalar(select(func.count()).select_from(Job)) or 0


def _uploads(harness: Harness) -> list[str]:
    folder = harness.services.settings.uploads_dir / "shop"
    return sorted(p.name for p in folder.iterdir())


def test_list_and_create_knowledge_bases(harness: Harness) -> None:
    owner = auth(harness.acme["owner"])
    shop = next(kb for kb in harness.client.get("/v1/kbs", headers=owner).json() if kb["name"] == "shop")
    assert shop["tenant"] == "acme" and shop["documents"] >= 3 and shop["embedded"] == shop["chunks"] > 0
    assert harness.client.post("/v1/kbs", json={"name": "shop"}, headers=owner).status_code == 409
    bad = harness.client.post("/v1/kbs", json={"name": "../etc"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "name"]


def test_rejected_uploads_store_nothing(harness: Harness) -> None:
    owner = auth(harness.acme["owner"])
    before = (_documents(harness), _uploads(harness), _job_count(harness))
    good = ("files", ("fine.md", b"# Fine\n\nA good file.\n"))
    cases = {
        415: [good, ("files", ("virus.exe", b"MZ\x90\x00"))],
        413: [good, ("files", ("huge.txt", b"x" * (1024 * 1024 + 1)))],
        422: [good, ("files", ("empty.md", b""))],
    }
    for status, files in cases.items():
        response = harness.client.post("/v1/kbs/shop/documents", files=files, headers=owner)
        assert response.status_code == status, response.text
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert "unsupported file type '.exe'" in harness.client.post(
        "/v1/kbs/shop/documents", files=cases[415], headers=owner).json()["detail"]
    twice = harness.client.post("/v1/kbs/shop/documents", files=[good, good], headers=owner)
    assert twice.status_code == 422
    nothing = harness.client.post("/v1/kbs/shop/documents", data={"x": "1"}, headers=owner)
    assert nothing.status_code == 422
    # The whole request over max_upload_mb (3 MB here) is refused from its Content-Length.
    whole = harness.client.post(
        "/v1/kbs/shop/documents", files=[("files", (f"f{i}.txt", b"y" * 900_000)) for i in range(4)], headers=owner
    )
    assert whole.status_code == 413
    assert (_documents(harness), _uploads(harness), _job_count(harness)) == before


def test_upload_job_search_delete(harness: Harness, tmp_path: Path) -> None:
    owner_key = harness.acme["owner"]
    owner = auth(owner_key)
    files = [
        ("files", ("../../warranty.md", b"# Warranty\n\nEvery Lumo lamp has a two-year warranty against defects.\n")),
        ("files", ("gift-cards.txt", "Gift cards never expire and can be used online.".encode())),
    ]
    accepted = harness.client.post("/v1/kbs/shop/documents", files=files, headers=owner)
    assert accepted.status_code == 202
    assert accepted.json()["files"] == ["warranty.md", "gift-cards.txt"]  # path parts dropped
    job = wait_job(harness.client, owner_key, accepted.json()["job"]["id"])
    assert job["status"] == "succeeded" and job["done"] == job["total"]
    assert {f["source"]: f["outcome"] for f in job["files"]} == {"warranty.md": "added", "gift-cards.txt": "added"}
    assert {"warranty.md", "gift-cards.txt"} <= set(_documents(harness))
    assert (harness.services.settings.uploads_dir / "shop" / "warranty.md").is_file()
    hits = harness.client.post("/v1/search", json={"kb": "shop", "query": "lamp warranty two years"}, headers=owner)
    top = hits.json()["hits"][0]
    assert top["source"] == "warranty.md" and {"bm25", "dense"} <= top["scores"].keys() and top["ranks"]

    doc_id = top["doc_id"]
    assert harness.client.delete(f"/v1/kbs/shop/documents/{doc_id}", headers=owner).status_code == 204
    assert "warranty.md" not in _documents(harness)
    assert not (harness.services.settings.uploads_dir / "shop" / "warranty.md").exists()
    after = harness.client.post("/v1/search", json={"kb": "shop", "query": "lamp warranty two years"}, headers=owner)
    assert all(h["source"] != "warranty.md" for h in after.json()["hits"])
    assert harness.client.delete(f"/v1/kbs/shop/documents/{doc_id}", headers=owner).status_code == 404


def test_reingest_parses_uploaded_files_again(harness: Harness) -> None:
    owner_key = harness.acme["owner"]
    docs = harness.client.get("/v1/kbs/shop/documents", headers=auth(owner_key)).json()
    shipping = next(d for d in docs if d["source"] == "shipping.md")
    started = harness.client.post("/v1/kbs/shop/reingest", json={"doc_ids": [shipping["id"]]}, headers=auth(owner_key))
    assert started.status_code == 202 and started.json()["kind"] == "reingest"
    job = wait_job(harness.client, owner_key, started.json()["id"])
    assert job["status"] == "succeeded" and [f["outcome"] for f in job["files"]] == ["added"]
    assert "shipping.md" in _documents(harness)
    unknown = harness.client.post("/v1/kbs/shop/reingest", json={"doc_ids": ["nope"]}, headers=auth(owner_key))
    assert unknown.status_code == 404


def test_a_file_without_text_fails_its_job_with_a_reason(harness: Harness) -> None:
    owner_key = harness.acme["owner"]
    accepted = harness.client.post(
        "/v1/kbs/shop/documents", files=[("files", ("blank.md", b"   \n\n  \n"))], headers=auth(owner_key)
    )
    job = wait_job(harness.client, owner_key, accepted.json()["job"]["id"])
    assert job["status"] == "failed" and job["error"] == "no file could be ingested"
    assert job["files"][0]["outcome"] == "failed" and job["files"][0]["reason"]


def test_faq_crud(harness: Harness) -> None:
    owner = auth(harness.acme["owner"])
    client = harness.client
    created = client.post("/v1/kbs/shop/faqs", json={
        "question": "Can I change my delivery address?",
        "similar_questions": ["How do I update where my parcel goes?", ""],
        "answer": "Yes, until the parcel ships: open the order and choose Change address.",
    }, headers=owner)
    assert created.status_code == 201, created.text
    faq = created.json()
    assert faq["similar_questions"] == ["How do I update where my parcel goes?"]
    listed = client.get("/v1/kbs/shop/faqs", headers=owner).json()
    assert [f for f in listed if f["id"] == faq["id"]] == [faq]
    hits = client.post("/v1/search", json={"kb": "shop", "query": "update where my parcel goes"}, headers=owner).json()
    assert hits["hits"][0]["doc_id"] == faq["id"] and hits["hits"][0]["kind"] == "faq"

    updated = client.put(f"/v1/kbs/shop/faqs/{faq['id']}", json={
        "question": "Can I change my delivery address?", "answer": "Only before the parcel ships.",
    }, headers=owner)
    assert updated.status_code == 200 and updated.json()["answer"] == "Only before the parcel ships."
    assert updated.json()["version"] > faq["version"]
    assert client.post("/v1/kbs/shop/faqs", json={"question": "", "answer": "x"}, headers=owner).status_code == 422
    docs = client.get("/v1/kbs/shop/documents", headers=owner).json()
    not_faq = next(d for d in docs if d["source"] == "returns.md")
    assert client.put(f"/v1/kbs/shop/faqs/{not_faq['id']}", json={"question": "q", "answer": "a"},
                      headers=owner).status_code == 404
    assert client.delete(f"/v1/kbs/shop/faqs/{faq['id']}", headers=owner).status_code == 204
    assert all(f["id"] != faq["id"] for f in client.get("/v1/kbs/shop/faqs", headers=owner).json())


def test_jobs_survive_a_restart(harness: Harness, tmp_path: Path) -> None:
    settings = api_settings(tmp_path / "data")
    first = create_app(settings)
    svc = first.state.services
    with svc.db.session() as session:
        session.add(Job(kind="ingest", kb_name="shop", tenant="acme", params={}, files=[], status="running",
                        runner=RUNNER.rsplit(":", 1)[0] + ":999999999"))
        session.add(Job(kind="ingest", kb_name="shop", tenant="acme", params={}, files=[], status="running",
                        runner=RUNNER))
    second = create_app(settings)  # a new process on the same database, as after a restart
    assert second.state.services.jobs.recover() == 1
    with svc.db.session() as session:
        statuses = sorted((j.status, j.error or "") for j in session.scalars(select(Job)))
    assert statuses[0][0] == "failed" and "interrupted" in statuses[0][1]
    assert statuses[1] == ("running", "")  # this process is alive: its job is left alone


def test_delete_knowledge_base(harness: Harness, tmp_path: Path) -> None:
    owner_key = harness.acme["owner"]
    owner = auth(owner_key)
    assert harness.client.post("/v1/kbs", json={"name": "scratch"}, headers=owner).status_code == 201
    (tmp_path / "a.md").write_text("# A\n\nScratch text.\n")
    assert upload(harness.client, owner_key, "scratch", [tmp_path / "a.md"])["status"] == "succeeded"
    assert harness.client.delete("/v1/kbs/scratch", headers=owner).status_code == 204
    assert harness.client.get("/v1/kbs/scratch", headers=owner).status_code == 404
    assert not (harness.services.settings.uploads_dir / "scratch").exists()
    with harness.services.db.session() as session:
        assert not session.scalars(select(Document).where(Document.source == "a.md")).all()
