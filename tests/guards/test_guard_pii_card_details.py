"""A card's expiry date and security code are redacted with its number (English and Chinese), and only
near a card: ordinary dates and numbers stay."""

from __future__ import annotations

import pytest

from assistant.guards import GuardSettings, PiiRedactor, detect_pii

CARD = "4111 1111 1111 1111"  # Visa's documented test number (passes Luhn)


def redact(text: str, **settings: object) -> str:
    return PiiRedactor(GuardSettings(**settings)).run(text).text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"card {CARD} exp 12/29 cvv 123", "card [BANK_CARD_1] exp [CARD_EXPIRY_1] cvv [CARD_CVV_1]"),
        (f"{CARD}, expiry: 01/2031, CVC: 4821", "[BANK_CARD_1], expiry: [CARD_EXPIRY_1], CVC: [CARD_CVV_1]"),
        (
            f"my visa {CARD} expires 7/30 and the security code is 987",
            "my visa [BANK_CARD_1] expires [CARD_EXPIRY_1] and the security code is [CARD_CVV_1]",
        ),
        (f"card number {CARD} valid thru 03-28", "card number [BANK_CARD_1] valid thru [CARD_EXPIRY_1]"),
        (
            f"{CARD} 12/29 123",
            "[BANK_CARD_1] [CARD_EXPIRY_1] [CARD_CVV_1]",
        ),  # unlabelled, right after the number
        (
            f"卡号{CARD}，有效期12/29，安全码123",
            "卡号[BANK_CARD_1]，有效期[CARD_EXPIRY_1]，安全码[CARD_CVV_1]",
        ),
        ("信用卡有效期至2029年12月，安全码是 456", "信用卡有效期至[CARD_EXPIRY_1]，安全码是 [CARD_CVV_1]"),
        ("my credit card cvv2: 321", "my credit card cvv2: [CARD_CVV_1]"),  # the code alone, no number given
        ("CVV 5678 on the back", "CVV [CARD_CVV_1] on the back"),
    ],
)
def test_card_expiry_and_security_code_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Your order shipped on 12/29 and arrives 01/05.",
        "The warranty expires 12/29; keep the receipt.",
        "优惠券有效期至2025年12月，满100减20。",
        "有效期12/29的会员卡可以续费吗？",  # a membership card's validity, no card number or code
        "Order 123 was placed 03/28, reference 456.",
        "Enter the security code 4455 at the building door.",
        "Set the expiry to 12/29 in the coupon form.",
    ],
)
def test_ordinary_dates_and_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_card_details_follow_the_bank_card_kind() -> None:
    text = f"card {CARD} exp 12/29 cvv 123"
    assert [m.kind for m in detect_pii(text)] == ["bank_card", "card_expiry", "card_cvv"]
    assert redact(text, pii_kinds=("email",)) == text  # card PII not asked for: nothing of the card redacted


def test_the_same_code_gets_the_same_placeholder_and_a_hash_not_the_value() -> None:
    result = PiiRedactor().run(f"cvv 123, I repeat: CVV 123 for card {CARD}")
    assert result.text == "cvv [CARD_CVV_1], I repeat: CVV [CARD_CVV_1] for card [BANK_CARD_1]"
    assert all(f.raw is None and f.value_hash for f in result.findings)
