"""The referral change stamp: every change of a referral's status object gets the next number, app-wide."""
