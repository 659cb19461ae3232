"""Transfers of needs and referrals to government departments (转办转介)."""
