"""Print a fresh local .env for development: random secrets, SQLite, plain-HTTP cookies."""

import secrets

print(f"SECRET_KEY={secrets.token_urlsafe(48)}")
print(f"HASH_KEY={secrets.token_urlsafe(48)}")
print("# Local development serves plain HTTP on 127.0.0.1; production keeps secure cookies.")
print("SESSION_COOKIE_SECURE=0")
print("# No SMTP server here: emails (reset links) are written to the server's log instead.")
print("MAIL_ECHO=1")
