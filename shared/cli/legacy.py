"""`meshhook-secrets import-legacy`: MeshHook's plaintext `public.secrets` rows into
encrypted project secrets (shared/secrets/legacy_import.py). Dry run unless --apply.

One line per row as its page commits (so what a killed run printed is what it did), then
the counts and the throughput. With --json, one JSON object per line, the last the summary.
Exit codes: 0 done (rows reported are left in place: see `left`), 2 no legacy table or a
configuration error, 75 the database went away (nothing half-done: rerun to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid

_WORDS = {"imported": "imported", "name_invalid": "name invalid", "name_taken": "name taken",
          "not_utf8": "not UTF-8", "value_too_large": "value too large", "value_empty": "value empty",
          "project_missing": "project missing", "project_full": "project full"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-legacy", help="move MeshHook's public.secrets rows into encrypted secrets")
    p.add_argument("--apply", action="store_true", help="import and delete (default: a dry run)")
    p.add_argument("--project", type=uuid.UUID, help="only this project's rows")
    p.add_argument("--rename-invalid", action="store_true",
                   help="import rows with invalid names under the suggested name")
    p.add_argument("--batch-size", type=int, default=100, help="rows per transaction")
    p.add_argument("--json", action="store_true", help="JSON lines instead of text")
    p.set_defaults(func=run_import_legacy)


def _text_line(report, apply: bool) -> str:
    word = _WORDS[report.status] if report.status != "imported" or apply else "would import"
    line = f"{word:<15} {report.project_id}  {report.key}"
    if report.name and report.name != report.key:
        line += f" -> {report.name}"
    if report.suggestion:
        line += f"  (suggested: {report.suggestion})"
    return line


def run_import_legacy(args: argparse.Namespace) -> int:
    from shared.cli.keys import EX_TEMPFAIL, JsonLines
    from shared.config import ConfigError, load_settings
    from shared.container import build_container
    from shared.errors import Unavailable
    from shared.secrets.legacy_import import NoLegacyTable, Run, import_legacy

    if args.batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    container = build_container(load_settings())
    emit = JsonLines(sys.stdout)
    run = Run(container.service, apply=args.apply, project_id=args.project,
              rename_invalid=args.rename_invalid, batch_size=args.batch_size)
    on_row = ((lambda r: emit({"event": "row", **r.as_dict()})) if args.json
              else (lambda r: print(_text_line(r, args.apply), flush=True)))
    try:
        summary = import_legacy(run, on_row)
    except NoLegacyTable as exc:
        print(f"meshhook-secrets import-legacy: {exc}", file=sys.stderr)
        return 2
    except Unavailable:
        print("meshhook-secrets import-legacy: stopped: database unavailable; every row printed"
              " as imported is committed, the rest untouched: rerun to resume", file=sys.stderr)
        return EX_TEMPFAIL
    finally:
        container.close()
    if args.json:
        emit({"event": "summary", **summary.as_dict()})
        return 0
    done = summary.as_dict()
    verb = "imported" if args.apply else "would import"
    print(f"{verb} {summary.counts['imported']} of {summary.rows} rows in {done['seconds']} s"
          f" ({done['rows_per_second']} rows/s); left in place: {done['left']}"
          + ("" if args.apply else "  (dry run: nothing written; --apply to import)"))
    left = {k: v for k, v in summary.counts.items() if k != "imported"}
    if left:
        print("reported: " + json.dumps(left, sort_keys=True))
    return 0
