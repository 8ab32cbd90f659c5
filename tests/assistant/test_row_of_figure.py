"""The table row whose band holds the customer's figure is read (issue 12): retrieval keeps one
row per table, and "a block of 6 rooms" had found the flexible rate's row, not "5 rooms or more"."""

from __future__ import annotations

from assistant.answering import with_row_named, with_row_of_figure
from assistant.facts import customer_figures, stated_bands, states_band_of
from assistant.types import Passage


def _row(chunk_id: str, text: str, doc_id: str = "policy") -> Passage:
    return Passage(
        chunk_id=chunk_id, doc_id=doc_id, title="Cancellation policy", text=text, n=0, kind="table"
    )


def _page(chunk_id: str) -> Passage:
    return Passage(
        chunk_id=chunk_id, doc_id=chunk_id, title=chunk_id, text="Flexible rate: cancel for free.", n=0
    )


FLEXIBLE = _row(
    "flexible", "Booking: Flexible rate; Free cancellation until: 6:00 pm on the day before arrival"
)
GROUPS = _row(
    "groups", "Booking: 5 rooms or more on one booking; Free cancellation until: 21 days before arrival"
)
PREPAID = _row("prepaid", "Booking: Advance Purchase rate; Free cancellation until: Not refundable")
FOUND = [_page("rates"), FLEXIBLE, _page("faq"), _page("dining"), _page("spa")]


def rows_of(doc_id: str, k: int) -> list[Passage]:
    return [FLEXIBLE, PREPAID, GROUPS][:k] if doc_id == "policy" else []


def test_the_row_whose_band_holds_the_figure_is_read_before_the_row_found() -> None:
    figures = customer_figures("And if it's a block of 6 rooms for a family reunion?")
    found = with_row_of_figure(FOUND, figures, rows_of)
    assert [p.chunk_id for p in found] == ["rates", "groups", "flexible", "faq", "dining"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]


def test_no_figure_or_no_band_holding_it_changes_nothing() -> None:
    assert with_row_of_figure(FOUND, customer_figures("Until when can I cancel for free?"), rows_of) == FOUND
    assert with_row_of_figure(FOUND, customer_figures("We are 2 guests. Until when?"), rows_of) == FOUND
    # A year names an edition, not a case.
    assert with_row_of_figure(FOUND, customer_figures("Under the 2024 policy?"), rows_of) == FOUND


def test_bands_open_above() -> None:
    assert stated_bands("5 rooms or more; 5+ rooms; at least 5 nights; 5间或以上; 超过10公斤") == [
        (5.0, float("inf")),
        (5.0, float("inf")),
        (5.0, float("inf")),
        (5.0, float("inf")),
        (10.0, float("inf")),
    ]
    assert stated_bands("500 to 1,999 parcels a month") == [(500.0, 1999.0)]
    # The unit may stand between the figure and 以上; "不超过" is the band below, not above.
    assert stated_bands("超出额度10公斤以上的行李不能带上车") == [(10.0, float("inf"))]
    assert stated_bands("超出免费额度不超过10公斤的，可补交超重费") == []


DELAYS = _page("delays")
DELAY_ROWS = [
    _row("d15", "Delay at your arrival station: 15 to 29 minutes; Compensation: 10% of the fare", "delays"),
    _row("d30", "Delay at your arrival station: 30 to 59 minutes; Compensation: 25% of the fare", "delays"),
]


def test_with_no_row_read_the_first_pages_row_holding_the_figure_goes_second() -> None:
    """ "My train got in 45 minutes late" read the delay page's prose, never its table."""
    found = [DELAYS, _page("faq"), _page("refunds")]

    def delay_rows(doc_id: str, k: int) -> list[Passage]:
        assert doc_id == "delays"
        return [DELAYS, *DELAY_ROWS][:k]

    figures = customer_figures("My train got in 45 minutes late. What do I get back?")
    assert [p.chunk_id for p in with_row_of_figure(found, figures, delay_rows)] == [
        "delays",
        "d30",
        "faq",
    ]
    # No figure of the customer's: nothing is looked up.
    assert with_row_of_figure(found, customer_figures("What do I get back?"), delay_rows) == found


def test_the_row_a_question_names_of_the_first_page_goes_second() -> None:
    """ "I booked a Lite fare. Can I put a suitcase in the hold ...?" read the baggage page's prose
    on fare families, never its Lite row."""
    prose = Passage(chunk_id="fares", doc_id="baggage", title="Baggage allowance", text="Fare families.", n=0)
    lite = _row("lite", "Fare family: Lite; Checked bags: 0", "baggage")
    flex = _row("flex", "Fare family: Flex; Checked bags: 2", "baggage")
    found = [prose, _page("faq"), _page("pets")]

    def rows(doc_id: str, k: int) -> list[Passage]:
        assert doc_id == "baggage"
        return [prose, flex, lite][:k]

    question = "I booked a Lite fare. Can I put a suitcase in the hold without paying extra?"
    assert [p.chunk_id for p in with_row_named(found, question, rows)] == ["fares", "lite", "faq"]
    # No name written, or a name no row holds: nothing changes.
    assert with_row_named(found, "Can I put a suitcase in the hold?", rows) == found
    assert with_row_named(found, "I booked a Value fare. Can I check a bag?", rows) == found


def test_the_band_row_of_a_page_read_below_a_row_of_another_table_is_read() -> None:
    """ "We're taking our 8-year-old ... How much is breakfast for her if we pay at the
    restaurant?": a tier table's row was read first and the breakfast page second; only the
    tier table had been searched for the child's band, and the breakfast prices never read."""
    kids = _page("kids")
    breakfast = Passage(
        chunk_id="buffet", doc_id="dining", title="Breakfast", text="Each hotel serves a buffet.", n=0
    )
    tier = _row("platinum", "Tier: Platinum; Free breakfast: Yes, for 2 guests", doc_id="tiers")
    child = _row("child", "Guest: Child aged 6 to 11; Paid at the restaurant: MOP 98", doc_id="dining")
    adult = _row("adult", "Guest: Adult; Paid at the restaurant: MOP 198", doc_id="dining")
    pages = {"tiers": [tier], "dining": [breakfast, adult, child]}
    found = [kids, breakfast, tier, _page("faq"), _page("spa")]
    figures = customer_figures("We're taking our 8-year-old. How much is breakfast for her?")
    read = with_row_of_figure(found, figures, lambda doc_id, k: pages.get(doc_id, [])[:k])
    assert [p.chunk_id for p in read] == ["kids", "buffet", "child", "platinum", "faq"]


def test_a_figure_over_a_bound_lies_in_the_band_above_it() -> None:
    """ "超过230度的那部分每度多少钱？" asks the band from 231 kWh, not "0至230千瓦时", which holds
    230 itself; "under 20 kg" is the band below 20."""
    over = customer_figures("我这个月用了350度电，超过230度的那部分每度多少钱？")
    assert not states_band_of("档次: 第一档; 月用电量: 0至230千瓦时", [f for f in over if f.raw == 230])
    assert states_band_of("档次: 第二档; 月用电量: 231至400千瓦时", over)
    below = customer_figures("My parcel weighs under 20 kg. What does it cost?")
    assert states_band_of("Weight: 10 to 19.9 kg; Price: ¥18", below)
    assert not states_band_of("Weight: 20 to 30 kg; Price: ¥25", below)
