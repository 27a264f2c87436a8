"""Client-certificate validation on HTTPS ports (Gateway `spec.tls.frontend`, GEP-91).

AllowValidOnly is plain OpenSSL peer verification (`CERT_REQUIRED`). AllowInsecureFallback must
still *ask* for a certificate (clients only send one when asked) yet accept any answer, which
needs an OpenSSL verify callback that always succeeds. Python's `ssl` has no such knob, so this
module installs one through ctypes on the `SSL_CTX` of the listening context, after checking
that the pointer it found really is that context.
"""

from __future__ import annotations

import ctypes
import ssl
import sys

from reference_impl.routing_table import ClientValidation

_SSL_VERIFY_PEER = 0x01
_VerifyCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)


class ClientVerificationUnavailable(ValueError):
    """The running Python/OpenSSL cannot be given an accept-any verify callback (the table
    asking for it is refused like any table the proxy cannot serve)."""


def _always_valid(preverify_ok: int, store_ctx: int | None) -> int:
    del preverify_ok, store_ctx
    return 1


# Module-level so the C callback outlives every context it is installed on.
_ACCEPT_ANY = _VerifyCallback(_always_valid)


def _libssl_path() -> str:
    """The libssl the `ssl` module is linked against (the one already in this process)."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and "/libssl.so" in fields[-1]:
                return fields[-1]
    raise ClientVerificationUnavailable("libssl is not mapped into this process")


_libssl: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL:
    global _libssl
    if _libssl is None:
        lib = ctypes.CDLL(_libssl_path())
        lib.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, _VerifyCallback]
        lib.SSL_CTX_set_verify.restype = None
        lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
        lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
        lib.SSL_CTX_get_options.restype = ctypes.c_uint64
        _libssl = lib
    return _libssl


def _ssl_ctx_pointer(context: ssl.SSLContext) -> int:
    """The `SSL_CTX *` CPython keeps right after the object header of an SSLContext."""
    if sys.implementation.name != "cpython":
        raise ClientVerificationUnavailable("only CPython's SSLContext layout is known")
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not pointer:
        raise ClientVerificationUnavailable("SSLContext holds no SSL_CTX")
    return pointer


def accept_any_client_certificate(context: ssl.SSLContext) -> None:
    """Ask clients for a certificate and accept whatever they send, or nothing."""
    lib = _lib()
    context.verify_mode = ssl.CERT_OPTIONAL
    pointer = _ssl_ctx_pointer(context)
    # Guard against a different object layout: both values must be this context's.
    if lib.SSL_CTX_get_verify_mode(pointer) != _SSL_VERIFY_PEER or lib.SSL_CTX_get_options(
        pointer
    ) != int(context.options):
        raise ClientVerificationUnavailable("could not locate the SSL_CTX of an SSLContext")
    lib.SSL_CTX_set_verify(pointer, _SSL_VERIFY_PEER, _ACCEPT_ANY)


def apply_client_validation(context: ssl.SSLContext, validation: ClientValidation | None) -> None:
    """Set how the listening context of a port treats client certificates.

    The CA itself lives in the per-certificate contexts the SNI callback switches to (OpenSSL
    verifies against the switched-to context's store but keeps this context's verify mode).
    """
    if validation is None:
        context.verify_mode = ssl.CERT_NONE
        return
    context.load_verify_locations(cadata=validation.ca_pem)
    if validation.mode == "AllowValidOnly":
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        accept_any_client_certificate(context)
