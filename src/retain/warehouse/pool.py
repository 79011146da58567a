"""Warehouse connections for the web server: kept warm while requests come, released when idle.

Opening a DuckDB file costs ~10 ms, as much as a whole customer-360 read. Holding it open for the
server's lifetime would lock out every other process (an import, ``retain metrics``), so idle
connections are closed after ``idle_seconds`` without a request, and the file is free again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from ibis.backends import BaseBackend

from retain.warehouse.connection import connect


class WarehousePool:
    """Connections to one warehouse URL, each leased to one request at a time."""

    def __init__(self, url: str, *, idle_seconds: float) -> None:
        self.url = url
        self.idle_seconds = idle_seconds
        self._idle: list[BaseBackend] = []
        self._leased = 0
        self._last_used = time.monotonic()
        self._lock = threading.Lock()
        self._tables_ensured = False
        self._reaper: threading.Thread | None = None

    @contextmanager
    def lease(self) -> Iterator[BaseBackend]:
        """A connection for the caller alone; one that failed is closed instead of reused."""
        backend = self.acquire()
        try:
            yield backend
        except BaseException:
            self.release(backend, broken=True)
            raise
        self.release(backend)

    def acquire(self) -> BaseBackend:
        """An idle connection, or a new one; hand it back with ``release``."""
        with self._lock:
            self._leased += 1
            if self._idle:
                return self._idle.pop()
            ensure = not self._tables_ensured
        try:
            # A request answers 503 at once rather than wait out another process's import.
            backend = connect(self.url, create_tables=ensure, busy_wait_seconds=0)
        except BaseException:
            with self._lock:
                self._leased -= 1
            raise
        with self._lock:
            self._tables_ensured = True
        self._start_reaper()
        return backend

    def release(self, backend: BaseBackend, *, broken: bool = False) -> None:
        """Return a leased connection; a broken one is closed."""
        with self._lock:
            self._leased -= 1
            self._last_used = time.monotonic()
            if not broken:
                self._idle.append(backend)
                return
        # Already broken: closing it is all that is wanted, whatever it says.
        with suppress(Exception):
            backend.disconnect()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._idle) + self._leased

    def close_idle(self, *, force: bool = False) -> int:
        """Close the idle connections if nothing used the pool for ``idle_seconds``."""
        with self._lock:
            quiet = time.monotonic() - self._last_used >= self.idle_seconds
            if not (force or (quiet and self._leased == 0)):
                return 0
            closing, self._idle = self._idle, []
        for backend in closing:
            backend.disconnect()
        return len(closing)

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None and self._reaper.is_alive():
                return
            self._reaper = threading.Thread(target=self._reap, daemon=True, name="warehouse-reaper")
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(max(self.idle_seconds / 2, 0.05))
            self.close_idle()
            with self._lock:
                if not self._idle and self._leased == 0:
                    self._reaper = None
                    return


_pools: dict[tuple[str, float], WarehousePool] = {}
_pools_lock = threading.Lock()


def pool_for(url: str, *, idle_seconds: float) -> WarehousePool:
    """The process's pool for ``url``."""
    with _pools_lock:
        key = (url, idle_seconds)
        if key not in _pools:
            _pools[key] = WarehousePool(url, idle_seconds=idle_seconds)
        return _pools[key]
