"""Logs and metrics (DESIGN §8): a JSON log line per request, one metrics interface with a
CloudWatch (EMF) backend on Lambda and a Prometheus backend under `serve`/`dev`.

Nothing here imports Powertools or prometheus-client at import time."""
