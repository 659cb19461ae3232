"""The staff closure dashboard: figures per district and street, precomputed by the scheduler."""
