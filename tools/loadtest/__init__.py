"""A bounded load test over loopback: mixed operations from many concurrent clients
against a running server, then a check that every acknowledged write is there.

    python -m tools.loadtest [--seconds 60] [--clients 64]
        starts `meshhook-secrets dev` in a temporary folder (its own embedded Postgres,
        reveal rate limit raised) and runs against it
    python -m tools.loadtest --base-url http://127.0.0.1:8787 --project UUID \\
        --token ADMIN_TOKEN --runner-token RUNNER_TOKEN
        against a server already running (loopback only)
    python -m tools.loadtest --chaos [--seconds 60] [--clients 64]
        the same load while Postgres restarts twice, PgBouncer once and KMS is down for
        10 s (tools/loadtest/chaos.py); only 503s are allowed, and nothing may be lost

Each client owns its secrets (so it knows exactly what each read must return) and also
races the others on a few shared secrets with If-Match: two clients must never both be
acknowledged for the same version. At the end every surviving secret must be listed at
its last acknowledged version and reveal (and resolve) to its last acknowledged value;
every deleted one must be gone. Any 5xx, timeout or mismatch is a failure (in the chaos
run, a 503 during a fault is not).

Modules: ops (one client, a method per operation), ledger (what was acknowledged), final
(the check), runner (the threads and figures), kms (moto server behind a fault proxy),
stack and chaos (the chaos run), __main__ (the command line).
"""

from tools.loadtest.runner import LoadError, run_load

__all__ = ["LoadError", "run_load"]
