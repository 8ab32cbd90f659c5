"""Facts a sentence states (assistant/facts.py): numbers with units, durations, dates, money, ages,
rates and bounds, English and Chinese."""

from __future__ import annotations

import pytest

from assistant.facts import asked_kinds, find_facts


def facts(text: str) -> list[tuple[str, float, str, str | None, str | None]]:
    return [(f.kind, f.value, f.unit, f.per, f.bound) for f in find_facts(text)]


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("within 30 days", "三十天内"),
        ("within thirty days", "30天内"),
        ("2 hours", "两个小时"),
        ("5 business days", "5个工作日"),
        ("a one-year warranty", "一年保修"),
        ("60 km", "六十公里"),
        ("€30", "30欧元"),
        ("16 years old or older", "16岁以上"),
        ("5%", "百分之五"),
    ],
)
def test_english_and_chinese_forms_of_a_fact_are_the_same_quantity(english: str, chinese: str) -> None:
    (en,), (zh,) = find_facts(english), find_facts(chinese)
    assert en.same_quantity(zh), (en, zh)


def test_units_convert_where_they_convert_exactly() -> None:
    (day,), (hours,), (week,), (seven,) = (find_facts(t) for t in ("1 day", "24 hours", "one week", "7 days"))
    assert day.same_quantity(hours) and week.same_quantity(seven)
    (months,), (year,) = find_facts("12 months"), find_facts("1 year")
    assert months.same_quantity(year)
    (business,), (calendar,) = find_facts("5 business days"), find_facts("5 days")
    assert not business.same_quantity(calendar)  # not the same length of time


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("NT$1,500", "TWD"),
        ("新台币1,500元", "TWD"),
        ("RM150", "MYR"),
        ("A$15", "AUD"),
        ("300 ringgit", "MYR"),
        ("HK$30", "HKD"),
        ("30港元", "HKD"),
    ],
)
def test_the_currencies_of_the_region_are_money(text: str, currency: str) -> None:
    (fact,) = find_facts(text)
    assert (fact.kind, fact.unit) == ("money", currency)


def test_an_amount_whose_mark_names_no_currency_is_the_same_amount_in_any() -> None:
    """A Taipei help centre's Chinese page writes "1,500元" where its English twin writes NT$1,500;
    a Singapore shop writes "$5" for S$5. Named currencies still differ."""
    (yuan,), (nt,), (hk,), (dollar,), (sgd,) = (
        find_facts(t) for t in ("每件1,500元", "NT$1,500 each", "HK$1,500", "$5", "S$5")
    )
    assert yuan.same_quantity(nt) and nt.same_quantity(yuan) and yuan.same_quantity(hk)
    assert dollar.same_quantity(sgd)
    assert not nt.same_quantity(hk)
    (other,) = find_facts("1,200元")
    assert not other.same_quantity(nt)


def test_a_different_number_or_unit_is_a_different_fact() -> None:
    (thirty,), (seven,), (hours,) = (find_facts(t) for t in ("30 days", "7 days", "30 hours"))
    assert not thirty.same_quantity(seven) and not thirty.same_quantity(hours)
    (km,), (miles,) = find_facts("60 km"), find_facts("60 miles")
    assert not km.same_quantity(miles)


def test_ranges_give_both_ends() -> None:
    assert [f[1] for f in facts("Refunds take 5-7 business days.")] == [5.0, 7.0]
    assert [f[1] for f in facts("标准配送需要3至5个工作日")] == [3.0, 5.0]
    assert [f.raw for f in find_facts("5-7 days")] == [5.0, 7.0]  # as written, not in minutes


def test_rates_are_kept_with_the_amount() -> None:
    assert facts("Unlocking costs €1, then €0.25 per minute.") == [
        ("money", 1.0, "EUR", None, None),
        ("money", 0.25, "EUR", "minute", None),
    ]
    assert facts("每分钟0.5元")[0][3] == "minute"
    assert facts("Monthly price: 30 euros")[0][3] == "month"
    assert facts("Support is open 24 hours a day")[0][:4] == ("duration", 1440.0, "minute", "day")


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("The minimum age is 16.", "min"),
        ("Riders must be at least 16 years old.", "min"),
        ("满16周岁", "min"),
        ("16岁以上", "min"),
        ("You can ride until you are 16.", "max"),
        ("Returns are accepted within 30 days.", "max"),
        ("可在购买后30天内退货", "max"),
        ("It can go up to 60 km.", "max"),
        ("超过10公斤怎么办", "min"),
        ("超出额度10公斤以上的行李", "min"),
        ("不超过10公斤的行李", "max"),
        ("The range is 60 km.", None),
    ],
)
def test_bounds(text: str, bound: str | None) -> None:
    (fact,) = find_facts(text)
    assert fact.bound == bound


def test_ages_are_ages_whatever_the_wording() -> None:
    kinds = {
        find_facts(t)[0].kind for t in ("The minimum age is 16.", "until you are 16", "16 years old", "16岁")
    }
    assert kinds == {"age"}


def test_dates_in_several_forms() -> None:
    (a,), (b,), (c,) = (find_facts(t) for t in ("2024-03-01", "1 March 2024", "2024年3月1日"))
    assert a.same_quantity(b) and b.same_quantity(c)
    (no_year,) = find_facts("March 1")
    assert no_year.same_quantity(a) and not no_year.same_quantity(find_facts("March 2")[0])


def test_number_words_without_a_unit_state_no_fact() -> None:
    # "on one charge" says nothing checkable; requiring "1" in the passage rejected a right answer.
    assert facts("It can go up to 60 kilometres on one charge") == [
        ("distance", 60000.0, "metre", None, "max")
    ]


def test_a_connection_speed_is_a_speed() -> None:
    # "How fast is my internet once my data runs out?" is answered by "reduced to 512 kbps".
    assert facts("your speed is reduced to 512 kbps") == [("speed", 512.0, "kbps", None, None)]
    assert find_facts("up to 1 Gbps")[0].same_quantity(find_facts("1000 Mbps")[0])
    assert facts("a 5 GB add-on") == [("data", 5120.0, "mb", None, None)]


def test_bare_digits_are_numbers_and_full_width_digits_are_read() -> None:
    assert facts("Press button 3") == [("number", 3.0, "", None, None)]
    assert facts("The Lumo Hub LH-300 and the X2") == []  # model codes are names, not numbers
    # A status code is a name too: a count asked for is not "HTTP status 429".
    assert facts("Requests over the limit receive HTTP status 429.") == []
    assert find_facts("３０天")[0].same_quantity(find_facts("30 days")[0])


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("When did the 2024 policy take effect?", {"date"}),
        ("When do the new terms come into force?", {"date"}),
        ("What is the start date of the promotion?", {"date"}),
        ("2024年版政策何时生效？", {"date"}),
        ("新条款什么时候开始实施？", {"date"}),
        # A "when" about what will happen is answered by a date or a time from now.
        ("When will my refund arrive?", {"duration", "date"}),
        ("退款什么时候到账？", {"duration", "date"}),
        ("How long did delivery take, and when was it shipped?", {"duration", "date"}),
        ("And when will I get the final bill?", {"duration", "date"}),
        ("Can you tell me when the Xihu hall opens?", {"duration", "date"}),
        # A "when" inside a clause joins it to another, asking no time: the deposit question had
        # been answered with "by SMS within 1 working day".
        ("Do I have to pay a deposit when I open an account?", {"money", "percent"}),
        ("Is parking free when I stay at the hotel?", set()),
        # When a notice comes is what sets it off as much as a time: "we send you an SMS when the
        # balance falls below ¥50" had been refused for stating neither a date nor a duration.
        ("When do you warn me that my balance is running low?", set()),
        ("And when will you remind me to renew?", set()),
        ("When does the prepaid gas card meter warn me?", set()),
        ("When does the email with my code arrive?", {"duration", "date"}),
        ("When do you send the bill?", {"duration", "date"}),
        # How long a period (期, 期限) lasts is a duration, not a length.
        ("保修期多长？", {"duration", "date"}),
        ("退货期限有多长？", {"duration", "date"}),
        ("充电线有多长？", set()),
        # How far ahead is a lead time, not a distance.
        ("How far ahead do I need to book the engineer?", {"duration", "date"}),
        ("How far in advance must I tell you?", {"duration", "date"}),
        ("How much in advance do I book?", {"duration", "date"}),
        ("How far is the station from the airport?", {"distance"}),
    ],
)
def test_a_question_for_a_point_in_time_asks_for_a_date(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("What do I pay for a replacement card?", {"money", "percent"}),
        ("Do I pay for return shipping?", {"money", "percent"}),
        # Paying with something, or how to pay, asks for a way to pay, not an amount: "Can I pay
        # with PayPal?" was answered with the instalment plan's S$100 minimum.
        ("Can I pay with PayPal?", set()),
        ("Can I pay by bank transfer?", set()),
        ("How do I pay my bill?", set()),
        ("Can I pay my bill at a convenience store?", set()),
        # A denomination or a sum is an amount.
        ("电子礼品卡面额范围是多少？", {"money", "percent"}),
        ("最低充值金额是多少？", {"money", "percent"}),
        # So is a threshold, a minimum spend, and what a plan is billed.
        ("What is the free shipping threshold for Singapore orders?", {"money", "percent"}),
        ("免运费门槛是多少？", {"money", "percent"}),
        ("How is the Team plan billed?", {"money", "percent"}),
        # A bare 多少 closing a question asks what it costs; before a unit or a thing, not.
        ("另外选一个前排座位要多少？", {"money", "percent"}),
        ("兑换一张机票要多少积分？", set()),
        ("最多能代收多少？", {"money", "percent", "number"}),
        # How much luggage is a weight or a number of bags; what luggage costs is an amount.
        ("How much luggage can I check in for my baby?", {"weight", "number"}),
        ("How much is the excess baggage fee?", {"money", "percent"}),
    ],
)
def test_paying_asks_for_an_amount_only_when_it_asks_what_is_paid(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


def test_power_and_energy_are_facts_of_their_own() -> None:
    # A rooftop system's 30 kW is its size; 300 kWh a month's use: neither is a bare number.
    assert [(f.kind, f.value) for f in find_facts("超过30千瓦的系统不能接入居民供电。")] == [
        ("power", 30000.0)
    ]
    assert [(f.kind, f.value) for f in find_facts("Systems of up to 30 kW")] == [("power", 30000.0)]
    assert [(f.kind, f.value) for f in find_facts("某月用电300千瓦时")] == [("energy", 300.0)]
    assert [(f.kind, f.value) for f in find_facts("You used 350 kWh")] == [("energy", 350.0)]
    assert "power" in asked_kinds("家里的系统最大可以装多大？")
    assert asked_kinds("What is the maximum capacity of a home solar system?") == {"power"}
    assert "power" not in asked_kinds("孩子多大年纪可以单独乘车？")


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("What's the maximum size of a cabin bag?", {"distance"}),
        ("What are the dimensions of a carry-on bag?", {"distance"}),
        ("How big can my suitcase be?", {"distance"}),
        ("手提行李的尺寸是多少？", {"distance"}),
        # A team's or a file's size is a count or an amount of data, not lengths.
        ("What is the maximum team size?", set()),
    ],
)
def test_a_size_asks_for_lengths(question: str, kinds: set[str]) -> None:
    # "56 × 36 × 23 cm": the cabin bag's limits, and the personal item's no longer join them.
    assert asked_kinds(question) == kinds


def test_a_figure_right_after_a_chinese_character_is_read() -> None:
    assert facts("须扣除商品价格15%的重新上架费") == [("percent", 15.0, "%", None, None)]
    assert facts("每月5GB数据") == [("data", 5120.0, "mb", "month", None)]
    assert facts("型号X15") == []  # still not the digits of a model code
    assert facts("每件包裹最多2个") == [("number", 2.0, "", None, "max")]  # a count after Chinese text


def test_times_of_day_are_minutes_after_midnight() -> None:
    assert facts("open from 10 am to 7:30 p.m.") == [
        ("time", 600.0, "time", None, None),
        ("time", 1170.0, "time", None, None),
    ]
    assert facts("每日上午8时至晚上11时") == [
        ("time", 480.0, "time", None, None),
        ("time", 1380.0, "time", None, None),
    ]
    assert find_facts("晚上七点半")[0].same_quantity(find_facts("7:30 pm")[0])
    assert facts("18:00") == [("time", 1080.0, "time", None, None)]
    assert facts("便宜一点") == []  # 一点 alone is "a little", not one o'clock
    assert facts("24小时内") == [("duration", 1440.0, "minute", None, "max")]


def test_a_chinese_discount_is_the_share_of_the_price_paid() -> None:
    assert facts("白金会员九折") == [("percent", 90.0, "%", None, None)]
    assert facts("金卡会员九五折") == [("percent", 95.0, "%", None, None)]
    assert facts("无折扣") == []


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many webhooks can I create on the Team plan?", {"number"}),
        ("每个账户最多可以加几个号码？", {"number"}),
        ("每月可以免费换几次？", {"number"}),
        # How many units of time is a duration, not a count.
        ("How many days do I have to return it?", {"duration", "date"}),
        ("保修有几个月？", {"duration", "date"}),
        ("What time does the collection counter close?", {"time"}),
        ("What are your opening hours?", {"time"}),
        ("客服热线几点开放？", {"time"}),
        # When a bus leaves is a time of day as much as a date: "And when does the last one leave
        # Jade Harbour Cotai?" had been answered by the shuttle's "Every: 30 minutes".
        ("And when does the last one leave Jade Harbour Cotai?", {"time", "duration", "date"}),
        ("What discount do platinum members get?", {"money", "percent"}),
        ("金卡会员打几折？", {"money", "percent"}),
        ("开通月结账户每月至少要寄多少件？", {"number"}),
        # A limit asked with a bare 多少 is an amount or a count.
        ("代收货款每件最多能代收多少？", {"money", "percent", "number"}),
        # A window or a deadline is a period, or the date it ends.
        ("What was the return window under the 2022 policy?", {"duration", "date"}),
        ("What is the deadline for a damage claim?", {"duration", "date"}),
    ],
)
def test_counts_times_of_day_and_discounts_are_asked_for(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds
