"""`meshhook-secrets rotate-keks` and `rekey-root`: the jobs, with progress.

On a terminal: a progress bar. Otherwise (cron, CI, a pipe): one JSON object per line, one
per step and per batch, flushed at once so a supervisor sees exactly how far a run got.
Exit codes: 0 done; 75 (EX_TEMPFAIL) stopped early with work left, or stopped by a
transient fault (KMS throttling or unreachable, the database down): nothing is half-done,
rerun to resume; 1 failed for a cause an operator must fix (a disabled, deleted or
inaccessible KMS key, the wrong root key, a tampered row): fix it, then rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TextIO

from shared.config import ConfigError, Settings, get_settings, parse_root_key
from shared.crypto.aead import DecryptionError
from shared.crypto.root_keys import (
    KmsRootKey,
    LocalRootKey,
    RootKey,
    RootKeyUnavailable,
)
from shared.errors import Unavailable
from shared.keys.keystore import RootKeyMismatch
from shared.store.database import Database

EX_TEMPFAIL = 75
_KNOWN_FAILURES = (RootKeyMismatch, DecryptionError, Unavailable)


def _known(exc: Exception) -> bool:
    """An operator-facing failure (one line, exit 1) rather than a bug (a traceback).
    KMS refusals (access denied, a disabled key) count; botocore is imported only for KMS."""
    return isinstance(exc, _KNOWN_FAILURES) or type(exc).__module__.startswith("botocore.")


class JsonLines:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out

    def __call__(self, event: dict[str, Any]) -> None:
        print(json.dumps(event, separators=(",", ":"), default=str), file=self._out, flush=True)


class ProgressBar:
    def __init__(self, out: TextIO = sys.stdout, width: int = 32) -> None:
        self._out, self._width, self._mid_line = out, width, False

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "activated":
            self._line(f"new active KEK {event['active_kek_id']} (retired {event['retired_kek_id']})")
        elif kind == "not_due":
            age, kek = event["age_seconds"] or 0, event["active_kek_id"]
            why = (f"is only {age} s old: not rotating again (--force waits 60 s between rotations)"
                   if event["force"] else f"is {age / 86400:.1f} days old: not due")
            self._line(f"KEK {kek} {why}; finishing any unfinished re-wrap")
        elif kind == "rewrap":
            total = event["rewrapped"] + event["remaining"]
            filled = self._width * event["rewrapped"] // max(total, 1)
            bar = "#" * filled + "." * (self._width - filled)
            self._out.write(f"\rre-wrap [{bar}] {event['rewrapped']}/{total} DEKs")
            self._out.flush()
            self._mid_line = True
        elif kind == "destroyed":
            self._line(f"destroyed retired KEK {event['kek_id']}")
        elif kind == "end":
            state = "done" if event["complete"] else f"unfinished (KEKs {event['pending']} pending)"
            self._line(f"{state}: {event['rewrapped']} DEKs re-wrapped in {event['seconds']} s,"
                       f" active KEK {event['active_kek_id']}")

    def _line(self, text: str) -> None:
        if self._mid_line:
            self._out.write("\n")
            self._mid_line = False
        print(text, file=self._out, flush=True)


def run_job(job: str, settings: Settings, work: Callable[[Database], int],
            *expected: type[BaseException]) -> int:
    """Run a key job on its own small pool: its exit code, or, for a failure an operator can
    act on (a known service error, or one of `expected`), one line saying what to do."""
    db = Database(settings.database_url.get_secret_value(), max_size=3)  # 2 workers + 1
    try:
        return work(db)
    except Exception as exc:
        if not (_known(exc) or isinstance(exc, expected)):
            raise
        return _fail(job, exc)
    finally:
        db.close()


_KMS_HINTS = {
    "DisabledException": "the KMS key is disabled: enable it (aws kms enable-key)",
    "KMSInvalidStateException": "the KMS key is pending deletion or unusable: cancel the deletion"
                                " (aws kms cancel-key-deletion), then enable it",
    "NotFoundException": "no such KMS key: check MESHHOOK_KMS_KEY_ID and AWS_REGION",
    "AccessDeniedException": "this role may not use the KMS key: grant kms:Encrypt and kms:Decrypt",
}


def _fail(job: str, exc: BaseException) -> int:
    if isinstance(exc, Unavailable) and exc.transient:
        what = f"KMS unavailable ({exc.cause})" if isinstance(exc, RootKeyUnavailable) else "database unavailable"
        print(f"meshhook-secrets {job}: stopped: {what}; nothing is half-done: rerun to resume",
              file=sys.stderr)
        return EX_TEMPFAIL
    if isinstance(exc, RootKeyUnavailable):
        hint = _KMS_HINTS.get(exc.cause, "see docs/operations.md, When a dependency fails")
        print(f"meshhook-secrets {job}: failed, nothing changed: KMS refused {exc.operation} with"
              f" {exc.cause} for key {exc.key_id}; {hint}; then rerun", file=sys.stderr)
        return 1
    hint = {
        RootKeyMismatch: "the configured root key is not the one that wrapped the KEKs",
        DecryptionError: "a KEK did not unwrap: wrong root key, wrong KMS key or EncryptionContext,"
                         " or a tampered row",
    }.get(type(exc), "")
    print(f"meshhook-secrets {job}: failed, nothing changed by the failed step: "
          f"{type(exc).__name__}: {exc}{'; ' + hint if hint else ''}", file=sys.stderr)
    return 1


def run_rotate_keks(args: argparse.Namespace) -> int:
    from shared.container import root_key_from
    from shared.keys.rotate import DekIntegrityError, Policy, rotate_keks
    from shared.keys.status import kek_status

    settings = get_settings()
    if args.batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    policy = Policy(max_age=timedelta(days=settings.kek_max_age_days), force=args.force)

    def work(db: Database) -> int:
        if args.status:
            with db.as_system() as conn:
                status = kek_status(conn, policy)
            _print_status(status, sys.stdout)
            return 0
        progress = ProgressBar() if sys.stdout.isatty() else JsonLines()
        report = rotate_keks(db, root_key_from(settings), policy=policy,
                             batch_size=args.batch_size, progress=progress)
        return 0 if report.complete else EX_TEMPFAIL

    return run_job("rotate-keks", settings, work, DekIntegrityError)


def _print_status(status: dict[str, Any], out: TextIO) -> None:
    if not out.isatty():
        print(json.dumps(status, default=str), file=out)
        return
    print(f"active KEK: {status['active_kek_id']}, {status['active_age_days']} days old"
          f" (max {status['max_age_days']:g})", file=out)
    print(f"rotation due: {'yes' if status['rotation_due'] else 'no'}", file=out)
    if status["unfinished"]:
        print(f"unfinished rotation: {status['deks_under_retired']} DEKs under retired KEKs;"
              " run `meshhook-secrets rotate-keks` to finish", file=out)
    print(f"{'id':>5}  {'state':<9}  {'deks':>8}  {'created (UTC)':<19}  root key", file=out)
    for k in status["keks"]:
        print(f"{k['id']:>5}  {k['state']:<9}  {k['deks']:>8}  {k['created_at'][:19]:<19}"
              f"  {k['root_key_id']}", file=out)


def new_root_key(args: argparse.Namespace, settings: Settings) -> RootKey:
    """The rekey target: a KMS key (--new-kms-key-id) or a local key from the named variable."""
    if args.new_kms_key_id:
        region = settings.aws_region or os.environ.get("AWS_REGION")
        if not region:
            raise ConfigError("AWS_REGION must be set with --new-kms-key-id")
        return KmsRootKey.connect(args.new_kms_key_id, region)
    name = args.new_root_key_env
    raw_b64 = os.environ.get(name)
    if not raw_b64:
        raise ConfigError(f"{name} is not set (or give --new-kms-key-id)")
    try:
        return LocalRootKey(parse_root_key(raw_b64))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def run_rekey_root(args: argparse.Namespace) -> int:
    from shared.container import root_key_from
    from shared.keys.rekey import RekeyError, rekey_root

    settings = get_settings()
    old, new = root_key_from(settings), new_root_key(args, settings)

    def work(db: Database) -> int:
        report = rekey_root(db, old, new)
        JsonLines()({"event": "rekeyed", **report.as_dict()})
        swap = ("MESHHOOK_KMS_KEY_ID (and unset MESHHOOK_ROOT_KEY)" if isinstance(new, KmsRootKey)
                else "MESHHOOK_ROOT_KEY")
        print(f"re-wrapped {len(report.rewrapped)} KEKs under {new.key_id}; now set {swap} to the new"
              " key everywhere and restart. The old root key no longer opens anything.", file=sys.stderr)
        return 0

    return run_job("rekey-root", settings, work, RekeyError)
