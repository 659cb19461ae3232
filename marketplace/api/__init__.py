"""The referral intake API (v1): sources, their keys, signed requests, status and the change feed."""
