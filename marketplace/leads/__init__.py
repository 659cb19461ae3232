"""Community leads: households reported by the public, organisations and social workers (主动发现)."""
