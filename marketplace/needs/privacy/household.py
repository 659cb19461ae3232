"""What identifies one household in particular: its head's name, its address, its phone and ID digits.

Each function takes the text and the household (anything with `head_name`, `address`, `phone`,
`id_number`, and optionally `district`/`street` regions) and yields (kind, start, end) over the
original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marketplace.needs.privacy.normalise import Traced, compact, numbers, plain

Found = tuple[str, int, int]
RUN = 4  # this many characters of an address, or digits of a number, in a row give it away

# Two-character surnames (复姓): the given name is what follows them.
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "轩辕", "端木", "西门", "南宫", "独孤", "百里", "呼延", "申屠", "太史", "闻人", "澹台", "公羊", "赫连", "钟离",
    "万俟", "司空", "濮阳", "淳于", "单于", "仲孙", "东郭", "南门", "梁丘", "左丘", "第五", "谷梁", "拓跋", "完颜",
    "巫马", "公西", "漆雕", "乐正", "壤驷", "公良", "宰父", "夹谷", "段干", "东门", "微生", "羊舌", "公冶", "太叔",
    "亓官", "司寇", "子车", "颛孙", "纳兰", "即墨", "归海",
))
_COMPOUND = frozenset(plain(surname) for surname in COMPOUND_SURNAMES)  # 第五 is compared as 第5
# How a one-character given name is used on its own: 阿明, 小明, 明仔, 明明.
_NICKNAMES = ("阿{}", "小{}", "{}仔", "{}{}")
_PROVINCE_CITY = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}省)?(?:[\u4e00-\u9fff]{2,3}市)?")


def given_names(head_name: str) -> list[str]:
    """The name without its surname: one character off, or two for a compound surname (or a long name)."""
    name = plain(head_name)
    if len(name) < 2:
        return []
    found = [name[2:]] if name[:2] in _COMPOUND else [name[1:]]
    if len(name) >= 4 and name[2:] not in found:  # 张王秀英: a double surname the list does not know
        found.append(name[2:])
    return [g for g in found if g]


def _find(view: Traced, needle: str) -> Iterator[tuple[int, int]]:
    start = view.text.find(needle)
    while needle and start >= 0:
        yield view.spans[start][0], view.spans[start + len(needle) - 1][1]
        start = view.text.find(needle, start + len(needle))


def names(text: str, household: Any) -> Iterator[Found]:
    """The head's full name, or their given name (alone, or as 阿明/小明 when it is one character)."""
    view = compact(text)
    full = plain(getattr(household, "head_name", "") or "")
    if len(full) >= 2:
        yield from (("name", a, b) for a, b in _find(view, full))
    for given in given_names(full):
        forms = [given] if len(given) >= 2 else [f.format(given, given) for f in _NICKNAMES]
        for form in forms:
            yield from (("given_name", a, b) for a, b in _find(view, form))


def _region_names(household: Any) -> list[str]:
    """The district and street names (free to mention), as the address may spell them."""
    found = []
    for region in (getattr(household, "district", None), getattr(household, "street", None)):
        name = plain(getattr(region, "name", "") or "")
        if name:
            found.append(name)
            if name.endswith("街道"):
                found.append(name[:-1])  # 大塘街道 is written 大塘街 in addresses
    return sorted(found, key=len, reverse=True)


def address_parts(household: Any) -> list[str]:
    """The address without province, city, district and street names: what only this household has."""
    parts = [_PROVINCE_CITY.sub("", plain(getattr(household, "address", "") or ""))]
    for region in _region_names(household):
        parts = [piece for part in parts for piece in part.split(region)]
    return [part for part in parts if len(part) >= RUN]


def _common_runs(text: str, secrets: list[str]) -> Iterator[tuple[int, int]]:
    """Where `text` holds RUN or more characters in a row of any secret (longest match from each start)."""
    i = 0
    while i <= len(text) - RUN:
        end = i + RUN
        if any(text[i:end] in secret for secret in secrets):
            while end < len(text) and any(text[i:end + 1] in secret for secret in secrets):
                end += 1
            yield i, end
            i = end
        else:
            i += 1


def address(text: str, household: Any) -> Iterator[Found]:
    """Four or more characters in a row of the household's own address."""
    parts = address_parts(household)
    if parts:
        view = compact(text)
        for a, b in _common_runs(view.text, parts):
            yield "address", view.spans[a][0], view.spans[b - 1][1]


def _digits(value: str) -> str:
    digits = re.sub(r"[^0-9X]", "", (value or "").upper())
    return re.sub(r"^(?:00)?86(?=1[3-9]\d{9}$)", "", digits)


def phone_and_id(text: str, household: Any) -> Iterator[Found]:
    """Four or more digits in a row of the household's phone or ID number, however they are spaced."""
    secrets = {kind: value for kind, value in (("phone", _digits(getattr(household, "phone", ""))),
                                                ("id_number", _digits(getattr(household, "id_number", ""))))
               if len(value) >= RUN}
    for number in numbers(text) if secrets else ():
        for kind, secret in secrets.items():
            for a, b in _common_runs(number.digits, [secret]):
                yield kind, number.spans[a][0], number.spans[b - 1][1]
