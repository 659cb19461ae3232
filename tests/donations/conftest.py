"""Fixtures of the donation tests: a localstripe server, and the live app receiving its webhooks."""

from tests.browser.conftest import live_server, server_errors  # noqa: F401
from tests.donations.support import hooked, localstripe_url  # noqa: F401
