"""Admin settings (caps, thresholds) with documented defaults, stored in the database."""
