"""What a workflow worker uses: resolve a run's secrets, render placeholders, redact logs."""
