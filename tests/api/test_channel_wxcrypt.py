"""WeChat safe-mode crypto: Tencent's published vectors, round trips against an independent
implementation (tests/api/channel_support.py), and every way a message can be tampered with."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from channel_support import OFFICIAL, OFFICIAL_ECHO, OFFICIAL_MESSAGE, ref_decrypt, ref_encrypt, ref_sign

from api.channels.wxcrypt import (
    BadCiphertext,
    BadSignature,
    WrongReceiver,
    WXBizMsgCrypt,
    WxCryptError,
    aes_key,
)

OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _official() -> WXBizMsgCrypt:
    return WXBizMsgCrypt(OFFICIAL["token"], OFFICIAL["key"], OFFICIAL["app_id"])


def test_official_vectors_decrypt() -> None:
    crypt = _official()
    echo = OFFICIAL_ECHO
    assert (
        crypt.open(echo["msg_signature"], echo["timestamp"], echo["nonce"], echo["echostr"]) == echo["plain"]
    )
    message = OFFICIAL_MESSAGE
    text = crypt.open(message["msg_signature"], message["timestamp"], message["nonce"], message["encrypt"])
    fields = {child.tag: child.text for child in ET.fromstring(text)}
    assert fields["Content"] == "hello" and fields["MsgId"] == "4561255354251345929"
    assert (
        crypt.signature(message["timestamp"], message["nonce"], message["encrypt"])
        == message["msg_signature"]
    )


@pytest.mark.parametrize("size", [0, 1, 11, 12, 31, 32, 33, 64, 300])
def test_round_trips_with_the_reference_implementation(size: int) -> None:
    crypt = _official()
    # Lengths around the 32-byte block (the plaintext adds 16 + 4 + 18 bytes of app id), multi-byte text.
    text = ("退款x" * 200)[:size]
    assert ref_decrypt(OFFICIAL["key"], crypt.encrypt(text)) == (text, OFFICIAL["app_id"])
    assert crypt.decrypt(ref_encrypt(OFFICIAL["key"], OFFICIAL["app_id"], text)) == text
    assert crypt.encrypt(text) != crypt.encrypt(text)  # a fresh random prefix every time


def test_sealed_reply_is_signed_and_decrypts() -> None:
    crypt = _official()
    document = ET.fromstring(crypt.seal("<xml><Content><![CDATA[您好]]></Content></xml>", nonce="n1"))
    fields = {child.tag: child.text or "" for child in document}
    assert set(fields) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"} and fields["Nonce"] == "n1"
    assert fields["MsgSignature"] == ref_sign(OFFICIAL["token"], fields["TimeStamp"], "n1", fields["Encrypt"])
    inner, receiver = ref_decrypt(OFFICIAL["key"], fields["Encrypt"])
    assert receiver == OFFICIAL["app_id"] and "您好" in inner


def test_tampering_is_refused() -> None:
    crypt = _official()
    sealed = ref_encrypt(OFFICIAL["key"], OFFICIAL["app_id"], "<xml>ok</xml>")
    good = ref_sign(OFFICIAL["token"], "1700000000", "n", sealed)
    assert crypt.open(good, "1700000000", "n", sealed) == "<xml>ok</xml>"
    with pytest.raises(BadSignature):
        crypt.open("0" * 40, "1700000000", "n", sealed)
    with pytest.raises(BadSignature):  # the signature covers timestamp, nonce and ciphertext
        crypt.open(good, "1700000001", "n", sealed)
    raw = bytearray(base64.b64decode(sealed))
    raw[0] ^= 0x01  # garbles the random block and flips the first byte of the length after it
    flipped = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(BadSignature):
        crypt.open(good, "1700000000", "n", flipped)
    with pytest.raises(BadCiphertext, match="length"):  # even when re-signed by someone with the token
        crypt.open(ref_sign(OFFICIAL["token"], "1700000000", "n", flipped), "1700000000", "n", flipped)
    with pytest.raises(BadCiphertext, match="base64"):
        crypt.decrypt("not base64 !")
    with pytest.raises(BadCiphertext, match="blocks"):
        crypt.decrypt(base64.b64encode(b"x" * 20).decode())
    with pytest.raises(BadCiphertext, match="blocks"):
        crypt.decrypt("")


def test_wrong_app_id_or_key_is_refused() -> None:
    for_other_app = ref_encrypt(OFFICIAL["key"], "wx0000000000000000", "<xml>hi</xml>")
    with pytest.raises(WrongReceiver, match="wx0000000000000000"):
        _official().decrypt(for_other_app)
    with pytest.raises(WrongReceiver):  # an app id that merely starts like ours
        _official().decrypt(ref_encrypt(OFFICIAL["key"], OFFICIAL["app_id"] + "x", "<xml>hi</xml>"))
    wrong_key = WXBizMsgCrypt(OFFICIAL["token"], OTHER_KEY, OFFICIAL["app_id"])
    with pytest.raises(WxCryptError):  # garbage padding, length or app id: never a "message"
        wrong_key.decrypt(ref_encrypt(OFFICIAL["key"], OFFICIAL["app_id"], "<xml>hi</xml>"))


def test_encoding_aes_key_is_checked() -> None:
    assert len(aes_key(OFFICIAL["key"])) == 32
    with pytest.raises(ValueError, match="43 characters"):
        aes_key(OFFICIAL["key"][:-1])
    with pytest.raises(ValueError, match="base64"):
        aes_key("!" * 43)
    with pytest.raises(ValueError, match="AppID"):
        WXBizMsgCrypt(OFFICIAL["token"], OFFICIAL["key"], "")
