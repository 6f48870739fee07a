"""Printing the bench: each figure with its baseline, ratio, goal and whether it is met,
and the same ratios next to a saved run (`--compare`)."""

from __future__ import annotations

import json
from pathlib import Path

Row = dict[str, object]


def verdict(row: Row) -> str:
    ratio = row.get("ratio")
    if ratio is None:
        return ""
    if row.get("target") is not None:
        return f"goal <= {row['target']}x: {'met' if ratio <= row['target'] else 'NOT met'}"
    if row.get("target_min") is not None:
        return f"goal >= {row['target_min']}x: {'met' if ratio >= row['target_min'] else 'NOT met'}"
    return ""


def print_table(rows: list[Row]) -> None:
    print(f"{'bench':<48} {'baseline ms':>12} {'measured ms':>12} {'ratio':>7}  note")
    for r in rows:
        base = f"{r['baseline_ms']:.3f}" if r.get("baseline_ms") is not None else "-"
        measured = f"{r['measured_ms']:.3f}" if r.get("measured_ms") is not None else "-"
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else "-"
        note = "; ".join(x for x in (verdict(r), str(r.get("goal") or "")) if x)
        print(f"{r['bench']:<48} {base:>12} {measured:>12} {ratio:>7}  {note}")


def print_compare(rows: list[Row], saved_path: str) -> None:
    """Each ratio of this run next to the same row of a saved run (`--json`)."""
    saved = {r["bench"]: r for r in json.loads(Path(saved_path).read_text())["rows"]}
    print(f"\ncompared with {saved_path}")
    print(f"{'bench':<48} {'then':>8} {'now':>8} {'now/then':>9}")
    for r in rows:
        old = saved.get(r["bench"])
        if r.get("ratio") is None or old is None or old.get("ratio") is None:
            continue
        changed = "  (baseline then: " + str(old.get("baseline")) + ")" \
            if old.get("baseline") not in (None, r.get("baseline")) else ""  # None: a run that did not say
        print(f"{r['bench']:<48} {old['ratio']:>7.2f}x {r['ratio']:>7.2f}x {r['ratio'] / old['ratio']:>8.2f}x{changed}")
