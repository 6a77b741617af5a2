"""CPU time spent by processes and everything they started, read from ``/proc`` (Linux).

The benchmark uses it to say where a stream's CPU goes (the worker, PostgreSQL, Redis, the
client) in the same run as its throughput figures, so a throughput target can be checked
against the CPU the machine has.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its children it has reaped)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    fields = text[text.rindex(")") + 2 :].split()
    parent = int(fields[1])
    user, system, children_user, children_system = (int(value) for value in fields[11:15])
    return parent, (user + system + children_user + children_system) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of ``root`` and all its live descendants, and of those that ended.

    A live process's time is in its own fields; an ended child's time moves to its parent's
    reaped-children fields, so summing both over the tree counts each second once.
    """
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            total += stats[pid][1]
        pending.extend(children.get(pid, []))
    return total


class CpuMeter:
    """CPU seconds used between :meth:`start` and :meth:`stop` by each named process tree,
    and by this process (``client``: the benchmark's clients run in it)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        readings = {name: tree_cpu_seconds(pid) for name, pid in self.roots.items()}
        readings["client"] = time.process_time()
        return readings

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.used = {name: after[name] - self.before[name] for name in after}
        return self.used
