"""Meals (M餐): companies pledge meals at their outlets, residents book anonymously, outlets redeem once."""
