from __future__ import annotations

import pytest

from assistant.guards import GuardSettings, PiiRedactor, detect_pii


# --- independent reference implementations (not the code under test) -------------------------
def luhn_check_digit(payload: str) -> str:
    """Check digit that makes payload + digit pass Luhn: double every second digit from the right
    of the final number, i.e. the rightmost payload digit."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        doubled = int(ch) * (2 if i % 2 == 0 else 1)
        total += doubled // 10 + doubled % 10
    return str((10 - total % 10) % 10)


def cn_id_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2: weights are 2**(17-i) mod 11; check value (12 - sum mod 11) mod 11,
    written as X when it is 10."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_card(prefix: str, length: int) -> str:
    payload = prefix + "3" * (length - 1 - len(prefix))
    return payload + luhn_check_digit(payload)


def make_id(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + cn_id_check_char(body)


CARD_19 = make_card("62", 19)


def redact(text: str, **settings: object) -> str:
    return PiiRedactor(GuardSettings(**settings)).run(text).text  # type: ignore[arg-type]


def kinds(text: str) -> list[str]:
    return [match.kind for match in detect_pii(text)]


# --- reference helpers agree with documented numbers ------------------------------------------
def test_reference_helpers_match_documented_numbers() -> None:
    assert cn_id_check_char("11010519491231002") == "X"  # GB 11643 documented example
    assert luhn_check_digit("411111111111111") == "1"  # Visa test card 4111 1111 1111 1111
    assert luhn_check_digit("37828224631000") == "5"  # Amex test card 378282246310005


# --- bank cards --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "3782 822463 10005",
        CARD_19,  # UnionPay length
        make_card("6222", 16),
        make_card("4", 13),
    ],
)
def test_luhn_valid_cards_are_redacted(card: str) -> None:
    assert redact(f"my card is {card}, thanks") == "my card is [BANK_CARD_1], thanks"


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # 16 digits failing Luhn
        "4111 1111 1111 1112",
        CARD_19[:-1] + str((int(CARD_19[-1]) + 1) % 10),  # check digit off by one
        "0000000000000000",  # passes Luhn but is a placeholder, not a card
        "411111111111",  # 12 digits: too short
    ],
)
def test_luhn_invalid_numbers_are_left_alone(number: str) -> None:
    assert redact(f"reference {number} please") == f"reference {number} please"


# --- Chinese resident IDs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "cn_id",
    [
        "11010519491231002X",
        "11010519491231002x",
        make_id("440524", "19880101", "001"),
        make_id("310104", "20000229", "123"),  # leap day
        "110105491231002",  # 15-digit legacy ID, born 1949-12-31
    ],
)
def test_valid_cn_ids_are_redacted(cn_id: str) -> None:
    assert redact(f"身份证号{cn_id}，请核实") == "身份证号[CN_ID_1]，请核实"
    assert kinds(cn_id) == ["cn_id"]


def test_invalid_cn_ids_are_not_ids() -> None:
    good = make_id("440524", "19880101", "001")
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    body_feb30 = "440524" + "19880230" + "001"
    future = "440524" + "20990101" + "001"
    for fake in (wrong_check, body_feb30 + cn_id_check_char(body_feb30), future + cn_id_check_char(future)):
        assert "cn_id" not in kinds(f"证件 {fake}")
    assert "cn_id" not in kinds("110105491331002")  # legacy ID with month 13


# --- phones ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "0086 13812345678",
        "(+86) 13812345678",
        "138 1234 5678",
        "010-62345678",
        "0755-82345678",
        "(021)62345678",
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "+49 30 1234567",
        "(555) 123-4567",
    ],
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    assert redact(f"电话{phone}，谢谢") == "电话[PHONE_1]，谢谢"


def test_service_hotlines_are_not_personal() -> None:
    assert redact("客服热线 400-820-8820 或 800-555-0199") == "客服热线 400-820-8820 或 800-555-0199"


# --- e-mail ------------------------------------------------------------------------------------
@pytest.mark.parametrize("email", ["zhang.san+kefu@example.com.cn", "A_B@mail.example.org", "x@y.io"])
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"邮箱{email}谢谢") == "邮箱[EMAIL_1]谢谢"


# --- look-alikes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Order ORD-2024-118833 shipped on 2024-11-24.",
        "订单号 ORD-2024-118833，下单时间 2024年11月24日 13:45",
        "Date 20241124, invoice INV/2024/13812345678",
        "Price ¥1,299.00 or $13,999.99 (was 12999.00)",
        "Tracking SF1234567890123, model HUB-13812345678",
        "Router at 192.168.1.100, firmware v2.13812345678",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "ref 4111111111111112 and 1234567890123",
        "version 1.4111111111111111",
    ],
)
def test_look_alikes_are_not_redacted(text: str) -> None:
    assert redact(text) == text


# --- redaction results -------------------------------------------------------------------------
def test_placeholders_are_numbered_and_reused_per_value() -> None:
    text = "a@x.com b@x.com A@X.com, call 13812345678 or +86 138-1234-5678 or 13900001111"
    assert redact(text) == "[EMAIL_1] [EMAIL_2] [EMAIL_1], call [PHONE_1] or [PHONE_1] or [PHONE_2]"


def test_findings_carry_span_and_salted_hash_not_raw() -> None:
    text = "card 4111 1111 1111 1111 ok"
    result = PiiRedactor(GuardSettings(pii_salt="s1")).run(text)
    (finding,) = result.findings
    assert (finding.kind, finding.placeholder, finding.raw) == ("bank_card", "[BANK_CARD_1]", None)
    assert text[finding.start : finding.end] == "4111 1111 1111 1111"
    assert "4111" not in str(finding.as_dict())
    other_salt = PiiRedactor(GuardSettings(pii_salt="s2")).run(text).findings[0]
    same_salt_other_format = PiiRedactor(GuardSettings(pii_salt="s1")).run("4111-1111-1111-1111").findings[0]
    assert finding.value_hash != other_salt.value_hash
    assert finding.value_hash == same_salt_other_format.value_hash


def test_keep_raw_policy_keeps_the_value() -> None:
    finding = PiiRedactor(GuardSettings(pii_keep_raw=True)).run("mail me: a@x.com").findings[0]
    assert finding.raw == "a@x.com" and finding.as_dict()["raw"] == "a@x.com"


def test_kinds_can_be_limited_and_are_validated() -> None:
    assert redact("a@x.com 13812345678", pii_kinds=("email",)) == "[EMAIL_1] 13812345678"
    with pytest.raises(ValueError):
        PiiRedactor(GuardSettings(pii_kinds=("passport",)))


def test_allowed_values_stay() -> None:
    redactor = PiiRedactor()
    allowed = {match.key for match in redactor.detect("+86 138 1234 5678")}
    assert (
        redactor.run("call 13812345678 or 13900001111", allowed=allowed).text
        == "call 13812345678 or [PHONE_1]"
    )
