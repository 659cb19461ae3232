"""Print a fresh local .env for development: random secrets, SQLite, plain-HTTP cookies."""

import secrets

print(f"SECRET_KEY={secrets.token_urlsafe(48)}")
print(f"HASH_KEY={secrets.token_urlsafe(48)}")
print("# Local development serves plain HTTP on 127.0.0.1; production keeps secure cookies.")
print("SESSION_COOKIE_SECURE=0")
print("# The demo operator's office in the footer (placeholders; set the real ones in production).")
print("OFFICE_NAME=善联平台运营办公室（演示）")
print("OFFICE_PHONE=020-0000-0000")
print("OFFICE_EMAIL=help@shanlian.local")
print("ICP_NUMBER=粤ICP备00000000号-1（演示）")
print("# No SMTP server here: emails (reset links) are written to the server's log instead.")
print("MAIL_ECHO=1")
print("# The demo's staff and admins sign in with their password alone; production asks them for a second factor.")
print("REQUIRE_SECOND_FACTOR=0")
