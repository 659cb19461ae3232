"""Demo data: believable Chinese organisations, staff and an admin, loaded idempotently."""
