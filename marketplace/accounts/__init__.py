"""Accounts, roles, sign-in and the per-user session version that makes sign-out real."""
