"""Needs (micro-wishes, services, renovations) and their closed loop: claim, evidence, confirmation."""
