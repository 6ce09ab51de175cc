"""A bounded, expiring server-side store that lets a tab survive a reload.

Streamlit forgets ``st.session_state`` when the page is reloaded: a new
connection is a new session. So each tab gets a random token in its URL
(``?sid=...``) and its :class:`~playground.common.state.Playground` (settings, the
current model, the finished runs, an unfinished run) is kept here under that
token. A reload finds it again.

What it keeps, and for how long (the README repeats this):

* at most ``MAX_SESSIONS`` tabs, each for ``TTL_SECONDS`` after its last page run;
* at most ``MAX_BYTES`` of networks in all (weights, gradients, optimizer state,
  per-batch buffers: ``MLP.nbytes``), counted per tab over every network it holds
  (its model, its run, the last good model, and the networks of its features' rooms);
  past either bound the tabs unused for longest are dropped first.

A feature whose room state holds networks says so with a ``networks()`` method
returning them (the Boundaries lab does); a room without one holds none. What the
count leaves out: a run's copy of its validation rows and the datasets, which all
tabs share.

It holds the same objects the live session uses (no copies), so while a tab is
open the store costs nothing extra; it only keeps a closed tab's state alive
until it expires. The token is 128 random bits: it cannot be guessed, but anyone
given the full address bar (``sid`` included) shares that tab's state, which
is why **Copy link** leaves it out.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_SESSIONS = 64
TTL_SECONDS = 2 * 60 * 60
MAX_BYTES = 512 * 2**20
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 22 characters


def is_token(text: Any) -> bool:
    return isinstance(text, str) and TOKEN_PATTERN.fullmatch(text) is not None


def network_bytes(net: Any) -> int:
    """Memory held by a network (``MLP.nbytes``); 0 for None."""
    return 0 if net is None else int(net.nbytes)


def tab_networks(pg: Any) -> list[Any]:
    """Every network a tab's state holds, each once: its model's, its run's, the last
    good model's, and those its rooms' states give by ``networks()``."""
    found = [getattr(getattr(pg, name, None), "net", None)
             for name in ("model", "run", "last_good_model")]
    for room in getattr(pg, "rooms", {}).values():
        networks = getattr(room, "networks", None)
        if callable(networks):
            found.extend(networks())
    return list({id(net): net for net in found if net is not None}.values())


def playground_bytes(pg: Any) -> int:
    """Memory a tab's state holds beyond the shared datasets (its networks)."""
    return sum(network_bytes(net) for net in tab_networks(pg))


@dataclass(eq=False)
class SessionStore:
    """Token -> state, least recently used first out, with a time to live."""

    max_sessions: int = MAX_SESSIONS
    ttl_seconds: float = TTL_SECONDS
    max_bytes: int = MAX_BYTES
    clock: Callable[[], float] = time.monotonic
    size_of: Callable[[Any], int] = playground_bytes
    _items: OrderedDict[str, tuple[float, Any]] = field(
        default_factory=OrderedDict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, token: str) -> Any | None:
        """The state kept under ``token``, or None (unknown, malformed or expired)."""
        if not is_token(token):
            return None
        with self._lock:
            self._expire()
            item = self._items.get(token)
            if item is None:
                return None
            self._items[token] = (self.clock(), item[1])
            self._items.move_to_end(token)
            return item[1]

    def put(self, token: str, state: Any) -> None:
        """Keep ``state`` under ``token`` (refreshing its time), then enforce the bounds."""
        if not is_token(token):
            raise ValueError(f"not a session token: {token!r}")
        with self._lock:
            self._items[token] = (self.clock(), state)
            self._items.move_to_end(token)
            self._expire()
            while len(self._items) > self.max_sessions:
                self._items.popitem(last=False)
            while len(self._items) > 1 and self.total_bytes() > self.max_bytes:
                self._items.popitem(last=False)

    def total_bytes(self) -> int:
        return sum(self.size_of(state) for _, state in self._items.values())

    def _expire(self) -> None:
        cutoff = self.clock() - self.ttl_seconds
        while self._items:
            token, (seen, _) = next(iter(self._items.items()))
            if seen >= cutoff:
                break
            del self._items[token]


#: The server process's one store (every tab of every browser).
STORE = SessionStore()
