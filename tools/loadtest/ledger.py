"""What the server acknowledged, and the final check that all of it is there.

A write answered 2xx is acknowledged: it must be found at the end, at its version with its
value, unless the same client acknowledged a later write of that secret. A write answered
503 (or not answered) is ambiguous: its transaction may have committed just before the
connection died. It is kept as a "maybe" until the client learns the outcome (a later read),
and the final check accepts it either way: it was never acknowledged.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Own:
    """A secret one client owns: its last acknowledged version and value."""

    id: str
    version: int
    value: str
    maybe: tuple[int, str] | None = None  # an unacknowledged rotation: (version, value)
    maybe_deleted: bool = False  # a delete answered 503


@dataclass
class Shared:
    """What the server acknowledged for one contended secret: version -> value."""

    id: str
    acked: dict[int, str] = field(default_factory=dict)
    maybe: set[str] = field(default_factory=set)  # values sent in writes answered 503


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    ops: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    timeline: list[tuple[float, float, int, str]] = field(default_factory=list)  # start, end, status, op
    lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def record(self, op: str, status: int, started: float, ended: float, elapsed: float) -> None:
        with self.lock:
            self.latencies.append(elapsed)
            self.ops[op] += 1
            self.statuses[status] += 1
            self.timeline.append((started, ended, status, op))


@dataclass
class Ledger:
    """Every client's acknowledged state (each client writes only its own slot)."""

    shared: dict[str, Shared]
    owned: list[dict[str, Own]]
    deleted: list[list[str]]
    pending_creates: list[dict[str, str]]  # name -> value of creates answered 503
    shared_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_clients(cls, shared: dict[str, Shared], clients: int) -> Ledger:
        return cls(shared, [{} for _ in range(clients)], [[] for _ in range(clients)],
                   [{} for _ in range(clients)])

    def expected(self) -> dict[str, tuple[str, int, str, Own | Shared]]:
        """name -> (id, last acknowledged version, its value, the record)."""
        out: dict[str, tuple[str, int, str, Own | Shared]] = {}
        for mine in self.owned:
            for name, own in mine.items():
                out[name] = (own.id, own.version, own.value, own)
        for name, s in self.shared.items():
            last = max(s.acked)
            out[name] = (s.id, last, s.acked[last], s)
        return out

    def maybe_created(self) -> dict[str, str]:
        return {name: value for pending in self.pending_creates for name, value in pending.items()}

    def gone(self) -> list[str]:
        return [secret_id for ids in self.deleted for secret_id in ids]


def found_as_acknowledged(record: Own | Shared, acked_version: int, stored: tuple[int, str] | None) -> bool:
    """Whether the stored (version, value) keeps the acknowledged write: the same, or a later
    write that was sent but answered 503 (it committed anyway)."""
    if stored is None:
        return isinstance(record, Own) and record.maybe_deleted
    version, value = stored
    if isinstance(record, Own):
        if version == acked_version:
            return value == record.value
        return record.maybe is not None and record.maybe == (version, value)
    if version in record.acked:
        return version >= acked_version and record.acked[version] == value
    return version > acked_version and value in record.maybe
