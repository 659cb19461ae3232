"""Households in hardship and the referrals the assistance system (or staff) make for them."""
