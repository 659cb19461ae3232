"""The admin area: users and roles, and links to settings and the audit log."""
