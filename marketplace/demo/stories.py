"""The shape of the demo households and their wishes; the data itself is in homes_yuexiu/homes_tianhe.

Public texts (titles, stories, feedback, reasons) write the head of household's surname as "{x}",
its pinyin initial ("L阿姨"), so they never carry a name; personal data lives only in `Home`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Surname → pinyin initial, for pseudonyms such as "L阿姨", "小C".
INITIALS = {
    "李": "L", "陈": "C", "黄": "H", "张": "Z", "刘": "L", "吴": "W", "何": "H", "罗": "L", "麦": "M",
    "梁": "L", "郑": "Z", "周": "Z", "谢": "X", "冯": "F", "邓": "D", "曾": "Z", "彭": "P", "苏": "S",
    "卢": "L", "蔡": "C", "王": "W", "甘": "G", "简": "J", "唐": "T", "潘": "P", "杨": "Y", "林": "L",
    "谭": "T", "温": "W", "莫": "M", "钟": "Z", "余": "Y", "徐": "X", "孙": "S", "马": "M", "胡": "H",
    "郭": "G", "高": "G", "邱": "Q", "叶": "Y", "黎": "L", "赵": "Z", "朱": "Z", "伍": "W", "袁": "Y",
}


@dataclass(frozen=True)
class Wish:
    """One need of a household, and the state the demo leaves it in.

    state: a NeedStatus value, or "received"/"declined" for a referral left untriaged/declined.
    words: the feedback of a closed need, the reason of a cancelled need or declined referral;
    for a claimed need, a rejection it went through; for a published need, a claim released.
    """

    state: str
    category: str
    title: str
    yuan: int
    story: str
    kind: str = "wish"
    urgent: bool = False
    rating: int = 0
    words: str = ""
    via: str = "caseworker"


@dataclass(frozen=True)
class Home:
    """A household as the assistance system knows it: personal data plus its wishes."""

    key: str
    street: str
    group: str
    category: str
    members: int
    name: str
    sex: str  # "M" or "F": the ID number's sequence digit follows it
    age: int
    address: str  # without the district, which is prefixed
    wishes: tuple[Wish, ...]

    @property
    def initial(self) -> str:
        """The pseudonym letter of the head's surname."""
        return INITIALS[self.name[0]]

    def public(self, text: str) -> str:
        """A public text with the pseudonym filled in."""
        return text.replace("{x}", self.initial)
