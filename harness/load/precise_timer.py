"""Wake a gevent greenlet at a monotonic instant with sub-millisecond precision.

gevent's own timers (libev/libuv over epoll) round to whole milliseconds, which
would add up to ~1 ms of false latency to every open-loop request measured from
its intended send time. A Linux ``timerfd`` armed at an absolute
``CLOCK_MONOTONIC`` instant and waited on through the gevent hub wakes within
tens of microseconds without spinning. Elsewhere this falls back to
``gevent.sleep`` (millisecond precision).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time

import gevent
from gevent.socket import wait_read

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = os.O_CLOEXEC
_TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class MonotonicWaiter:
    """Blocks the calling greenlet (not the process) until a ``time.monotonic()`` instant."""

    def __init__(self) -> None:
        self._fd = -1
        self._libc: ctypes.CDLL | None = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fd = int(libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC))
        except (OSError, AttributeError):
            return
        if fd >= 0:
            self._fd, self._libc = fd, libc

    @property
    def precise(self) -> bool:
        return self._fd >= 0

    def wait_until(self, deadline: float) -> None:
        if self._libc is None:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                gevent.sleep(remaining)
            return
        nanos = max(int(deadline * 1e9), 1)
        seconds, nanos = divmod(nanos, 1_000_000_000)
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(seconds, nanos))
        if self._libc.timerfd_settime(self._fd, _TFD_TIMER_ABSTIME, ctypes.byref(spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")
        while time.monotonic() < deadline:
            wait_read(self._fd)
            try:
                os.read(self._fd, 8)
            except BlockingIOError:
                continue

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._libc = None
