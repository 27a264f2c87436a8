"""Read the SNI of a TLS ClientHello without terminating TLS (for Passthrough listeners)."""

from __future__ import annotations

MAX_CLIENT_HELLO = 64 * 1024
_HANDSHAKE = 0x16
_CLIENT_HELLO = 0x01
_SERVER_NAME = 0x0000
_HOST_NAME = 0x00


class NotClientHello(ValueError):
    """The bytes are not (the start of) a TLS ClientHello."""


def _handshake_bytes(buf: bytes) -> bytes | None:
    """The handshake payload of the leading records, or None when a record is still partial."""
    out = bytearray()
    pos = 0
    while True:
        if len(buf) - pos < 5:
            return None
        if buf[pos] != _HANDSHAKE or buf[pos + 1] != 0x03:
            raise NotClientHello("the first record is not a TLS handshake record")
        length = int.from_bytes(buf[pos + 3 : pos + 5], "big")
        if len(buf) - pos - 5 < length:
            return None
        out += buf[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if len(out) >= 4:
            if out[0] != _CLIENT_HELLO:
                raise NotClientHello("the first handshake message is not a ClientHello")
            if len(out) >= 4 + int.from_bytes(out[1:4], "big"):
                return bytes(out)


def client_hello_sni(buf: bytes) -> tuple[bool, str | None]:
    """(complete, sni): complete=False means more bytes are needed; sni None = no server_name.

    Raises NotClientHello when the bytes cannot be a ClientHello (or it exceeds 64 KiB).
    """
    if len(buf) > MAX_CLIENT_HELLO:
        raise NotClientHello("the ClientHello is larger than 64 KiB")
    hs = _handshake_bytes(buf)
    if hs is None:
        return False, None
    body = hs[4 : 4 + int.from_bytes(hs[1:4], "big")]
    try:
        pos = 2 + 32  # client_version, random
        pos += 1 + body[pos]  # session_id
        pos += 2 + int.from_bytes(body[pos : pos + 2], "big")  # cipher_suites
        pos += 1 + body[pos]  # compression_methods
        if pos >= len(body):
            return True, None  # no extensions
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= end:
            ext_type = int.from_bytes(body[pos : pos + 2], "big")
            ext_len = int.from_bytes(body[pos + 2 : pos + 4], "big")
            data = body[pos + 4 : pos + 4 + ext_len]
            pos += 4 + ext_len
            if ext_type != _SERVER_NAME:
                continue
            inner = 2
            list_end = 2 + int.from_bytes(data[0:2], "big")
            while inner + 3 <= list_end:
                name_type = data[inner]
                name_len = int.from_bytes(data[inner + 1 : inner + 3], "big")
                name = data[inner + 3 : inner + 3 + name_len]
                inner += 3 + name_len
                if name_type == _HOST_NAME:
                    return True, name.decode("ascii").lower()
            return True, None
    except (IndexError, UnicodeDecodeError) as exc:
        raise NotClientHello(f"malformed ClientHello: {exc}") from None
    return True, None
