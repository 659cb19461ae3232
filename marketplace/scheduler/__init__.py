"""The single scheduler process: a database lease elects the one runner; jobs are idempotent."""
