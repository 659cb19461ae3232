"""Organisations (charities, companies, social-work projects): registration and approval."""
