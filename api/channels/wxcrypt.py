"""WeChat / WeCom message encryption ("safe mode"): the WXBizMsgCrypt scheme, on `cryptography`.

Tencent ships the scheme only as sample code (Python 2, pycrypto), so it is written out here:

    AESKey     = base64decode(EncodingAESKey + "=")            32 bytes, AES-256
    plaintext  = 16 random bytes | msg length (4 bytes, big-endian) | msg | receive id
    Encrypt    = base64(AES-256-CBC(PKCS#7 padded to 32-byte blocks, key=AESKey, iv=AESKey[:16]))
    msg_signature = sha1(sorted [token, timestamp, nonce, Encrypt] concatenated)

The receive id is the Official Account's AppID or the WeCom CorpID: checking it stops a message
encrypted for another account (that shares the token) from being accepted here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ingest.errors import InvalidInput

BLOCK = 32  # the scheme pads to 32 bytes (not AES's 16)
ENCODING_AES_KEY_LENGTH = 43


class WxCryptError(InvalidInput, ValueError):
    """A message that cannot be accepted; subclasses tell the HTTP layer which status to use."""


class BadSignature(WxCryptError):
    pass


class WrongReceiver(WxCryptError):
    pass


class BadCiphertext(WxCryptError):
    pass


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey of the platform's console."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise ValueError(
            f"an EncodingAESKey has {ENCODING_AES_KEY_LENGTH} characters, got {len(encoding_aes_key)}"
        )
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the EncodingAESKey is not base64: {exc}") from exc
    if len(key) != 32:  # cannot happen for 43 valid characters; kept as the invariant AES-256 needs
        raise ValueError("the EncodingAESKey does not decode to 32 bytes")
    return key


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class WXBizMsgCrypt:
    """Verify, decrypt and encrypt the messages of one account (token, EncodingAESKey, receive id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token or not receive_id:
            raise ValueError("encrypted mode needs the token and the AppID/CorpID")
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.receive_id = receive_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return msg_signature(self.token, timestamp, nonce, encrypted)

    def verify(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise BadSignature("bad msg_signature")

    def encrypt(self, text: str, *, random16: bytes | None = None) -> str:
        """Base64 ciphertext of `text`; `random16` only for reproducing a known vector."""
        prefix = os.urandom(16) if random16 is None else random16
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        msg = text.encode()
        raw = prefix + len(msg).to_bytes(4, "big") + msg + self.receive_id.encode()
        pad = BLOCK - len(raw) % BLOCK  # 1..32: a full block of padding when already aligned
        encryptor = self._cipher().encryptor()
        sealed = encryptor.update(raw + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside `encrypted`; raises unless it decrypts cleanly and is for this account."""
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadCiphertext(f"Encrypt is not valid base64: {exc}") from exc
        if not sealed or len(sealed) % 16:
            raise BadCiphertext("Encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        raw = decryptor.update(sealed) + decryptor.finalize()
        pad = raw[-1]
        if not 1 <= pad <= BLOCK or raw[-pad:] != bytes([pad]) * pad:
            raise BadCiphertext("cannot decrypt the message (bad padding): is the EncodingAESKey right?")
        body = raw[16:-pad]
        if len(body) < 4:
            raise BadCiphertext("the decrypted message is too short")
        size = int.from_bytes(body[:4], "big")
        if size > len(body) - 4:
            raise BadCiphertext("the decrypted message length is out of range")
        msg, receiver = body[4 : 4 + size], body[4 + size :]
        if not hmac.compare_digest(receiver, self.receive_id.encode()):
            shown = receiver.decode(errors="replace")[:64]
            raise WrongReceiver(
                f"the message was encrypted for app id {shown!r}, not for this channel's app id"
            )
        try:
            return msg.decode()
        except UnicodeDecodeError as exc:
            raise BadCiphertext("the decrypted message is not UTF-8") from exc

    def open(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Verify the signature, then decrypt (the signature check comes first: it is cheap and
        keeps unauthenticated bytes away from the cipher)."""
        self.verify(signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def seal(self, text: str, *, timestamp: str | None = None, nonce: str | None = None) -> str:
        """The encrypted reply document WeChat expects in safe mode."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(int.from_bytes(os.urandom(4), "big"))
        encrypted = self.encrypt(text)
        return (
            f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{_cdata(self.signature(timestamp, nonce, encrypted))}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
        )
