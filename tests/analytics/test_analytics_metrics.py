"""Every metric against the hand-computed fixture (conversation_fixture.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from conversation_fixture import NOW, SINCE, UNTIL, build

from assistant.analytics.facts import Scope
from assistant.analytics.metrics import MetricsService
from ingest.config import AnalyticsSettings, Settings
from ingest.db import Database
from ingest.embedding import Embedder


def test_metrics_match_the_hand_computed_fixture(
    store_settings: Settings, db: Database, embedder: Embedder
) -> None:
    build(store_settings, db, embedder)
    report = MetricsService(db).run(Scope(SINCE, UNTIL, tenant="default"), now=NOW)
    m = report.overall
    assert (m.sessions, m.contacts) == (8, 7)
    assert (m.automated_resolutions, m.automated_resolution_rate) == (1, round(1 / 7, 4))
    assert (m.first_contact_resolutions, m.first_contact_resolution_rate) == (2, round(2 / 7, 4))
    assert (m.transfers, m.transfer_rate, m.repeat_contacts) == (2, round(2 / 7, 4), 2)
    assert m.answers_by_mode == {"extractive": 2, "generated": 4, "refused": 2}
    assert (m.answers, m.refusals, m.refusal_rate) == (8, 2, 0.25)
    assert (m.thumbs_up, m.thumbs_down, m.thumbs_up_rate) == (3, 1, 0.75)
    assert (m.scores, m.score_mean, m.csat) == (3, round(11 / 3, 4), round(2 / 3, 4))
    # full latencies [10, 50, 100, 150, 200, 250, 300, 400]; first tokens [10, 40, 50, 60, 90, 100, 200, 300]
    assert (m.answer_ms_p50, m.answer_ms_p95) == (175.0, 365.0)
    assert (m.first_token_ms_p50, m.first_token_ms_p95) == (75.0, 265.0)
    assert (m.tickets, m.tickets_resolved, m.handling_s_p50, m.handling_s_p95) == (2, 1, 1680.0, 1680.0)
    assert (m.sla_breaches, m.sla_breach_rate) == (1, 0.5)

    by = {name: {b.key: b.metrics for b in rows} for name, rows in report.by.items()}
    assert set(by["day"]) == {"2026-11-02", "2026-11-03", "2026-11-04"}
    day2, day3, day4 = by["day"]["2026-11-02"], by["day"]["2026-11-03"], by["day"]["2026-11-04"]
    assert (day2.contacts, day2.automated_resolutions, day2.first_contact_resolutions, day2.transfers) == (
        3,
        1,
        2,
        1,
    )
    assert (day2.answers, day2.refusal_rate, day2.thumbs_up_rate, day2.csat) == (
        4,
        0.25,
        round(2 / 3, 4),
        round(2 / 3, 4),
    )
    assert (day3.contacts, day3.transfers, day3.repeat_contacts, day3.sla_breaches) == (3, 1, 1, 1)
    assert (day3.answer_ms_p50, day3.first_token_ms_p50, day3.handling_s_p50) == (150.0, 60.0, None)
    assert (day4.sessions, day4.contacts, day4.repeat_contacts, day4.automated_resolution_rate) == (
        2,
        1,
        1,
        0.0,
    )

    assert set(by["kb"]) == {"shop", "bank"}
    bank, shop = by["kb"]["bank"], by["kb"]["shop"]
    assert (bank.contacts, bank.transfer_rate, bank.refusal_rate, bank.sla_breach_rate) == (2, 0.5, 0.5, 1.0)
    assert (
        shop.sessions,
        shop.contacts,
        shop.automated_resolution_rate,
        shop.first_contact_resolution_rate,
    ) == (6, 5, 0.2, 0.4)
    assert (shop.handling_s_p50, shop.score_mean) == (1680.0, round(11 / 3, 4))

    assert set(by["channel"]) == {"web", "wechat", "api"}
    assert (by["channel"]["wechat"].contacts, by["channel"]["wechat"].refusals) == (2, 2)
    assert (by["channel"]["web"].answers, by["channel"]["web"].answer_ms_p95) == (
        6,
        round(300 + 0.75 * 100, 2),
    )
    assert by["channel"]["api"].contacts == 0 and by["channel"]["api"].automated_resolution_rate is None

    assert set(by["lang"]) == {"en", "zh", "unknown"}
    assert (by["lang"]["zh"].first_contact_resolutions, by["lang"]["zh"].tickets_resolved) == (1, 1)
    assert set(by["arm"]) == {"stable", "canary", "none"}
    assert (by["arm"]["stable"].automated_resolutions, by["arm"]["canary"].thumbs_down) == (1, 1)
    assert by["arm"]["canary"].answer_ms_p50 == 250.0


def test_repeat_window_and_score_thresholds_are_settings(
    store_settings: Settings, db: Database, embedder: Embedder
) -> None:
    build(store_settings, db, embedder)
    scope = Scope(SINCE, UNTIL, tenant="default")
    # 20 h: C5 -> C7 (23 h) and C7 -> C10 (25 h) are no longer repeats; C5 and C7 resolve.
    short = MetricsService(db).run(scope, repeat_window_hours=20, now=NOW).overall
    assert (short.repeat_contacts, short.automated_resolutions, short.first_contact_resolutions) == (0, 3, 4)
    # A score of 2 no longer negative: C2 still got a thumbs down, so nothing changes there...
    lenient = MetricsService(db, AnalyticsSettings(negative_score_max=1, satisfied_score_min=5)).run(
        scope, now=NOW
    )
    assert lenient.overall.csat == round(1 / 3, 4) and lenient.overall.automated_resolutions == 1


def test_scope_by_knowledge_base_and_tenant(
    store_settings: Settings, db: Database, embedder: Embedder
) -> None:
    build(store_settings, db, embedder)
    service = MetricsService(db)
    bank = service.run(Scope(SINCE, UNTIL, tenant="default", kbs=("bank",)), dimensions=["kb"], now=NOW)
    assert (
        bank.overall.sessions == 2 and [b.key for b in bank.by["kb"]] == ["bank"] and set(bank.by) == {"kb"}
    )
    beta = service.run(Scope(SINCE, UNTIL, tenant="beta"), now=NOW).overall
    assert (beta.sessions, beta.answers, beta.repeat_contacts) == (1, 1, 0)
    with pytest.raises(ValueError, match="unknown dimensions"):
        service.run(Scope(SINCE, UNTIL), dimensions=["weekday"])
