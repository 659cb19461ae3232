"""Tests of meals (M餐): booking, codes, redemption, and the company, staff and outlet pages."""
