"""Logs and metrics (docs/operations.md#alarms-and-metrics): a JSON log line per request, one metrics interface with a
CloudWatch (EMF) backend on Lambda and a Prometheus backend under `serve`/`dev`.

Nothing here imports Powertools or prometheus-client at import time."""
