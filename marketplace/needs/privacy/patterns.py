"""What identifies a person whatever the household: a street address, a phone number, an ID number.

Each function takes the text and yields (kind, start, end) over the original text. They read the
normalised forms of `normalise.py`, so "东风东路七三三号" is an address and "138 0013 8000" a mobile
number just as their plain spellings are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from marketplace.needs.privacy.normalise import compact, numbers

Found = tuple[str, int, int]  # (kind, start, end) in the original text

_CJK = "\u3400-\u9fff"
# A road, street, lane or estate: any unit may follow its number ("北京路88号", "幸福小区3栋").
_STRONG = "大道|大街|路|街|巷|弄|胡同|小区|花园|新村|公寓|大厦|社区"
# Words that also end ordinary phrases ("这里", "农村"): only "号" and the like make them an address.
_WEAK = "里|坊|村|苑|庄|围|广场"
_UNIT = "号楼|号院|号|栋|幢|座|楼|层|室|房|单元|巷|弄|梯|户|铺"
_ADDRESS = re.compile(
    rf"(?:(?:{_STRONG})(?:[东西南北中]{{1,2}}段?)?\d+(?:{_UNIT})|(?:{_WEAK})\d+(?:号|巷|弄))"
    r"(?![线车])"  # "体育西路3号线" is a metro line
)
_NAME = re.compile(rf"[{_CJK}\d]")
# Where the road's name cannot go on backwards: a filler word ("住东风东路733号"), an age, a district.
_STOP = frozenset("住在于到近家位至是的从去往过回岁年月日区市省县镇道")
# A building, entrance or flat without the road: "3栋502", "8号楼2单元301", "3号502房" (not "1号15号",
# which is two days of a month).
_FLAT = re.compile(r"\d+(?:号楼|栋|幢|座)\d+(?:单元|室|房|层|楼|号)?|\d+号\d{3,4}(?:房|室)|\d+单元\d+")
# In English only capitalised names count: "733 Dongfeng East Road", not "walks 2 km along the road".
_ENGLISH = re.compile(
    r"\b(?:No\.?\s*)?\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z]*\.?\s+){1,4}"
    r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Alley|Boulevard|Blvd|Village)\b\.?"
    r"|\b(?:Road|Rd|Street|Lane|Avenue|Ave)\.?,?\s*No\.?\s*\d{1,5}\b"
    r"|\b(?:[Rr]oom|Rm|[Ff]lat|Apt|[Aa]partment)\.?\s*\d{2,5}\b"
)
_PHONE_WORDS = re.compile(r"(?:电话|手机|座机|固话|联系|致电|拨打|号码|微信|TEL|PHONE|CALL|MOBILE|WECHAT).{0,3}$",
                          re.IGNORECASE)
_MOBILE = re.compile(r"(?:0{0,2}86)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")
_LOCAL = re.compile(r"\d{3,4}[\s\-‐‑–—]\d{4}")


def street_addresses(text: str) -> Iterator[Found]:
    """Road + number + unit (Chinese or English), and building/flat numbers."""
    view = compact(text)
    for match in _ADDRESS.finditer(view.text):
        start = match.start()
        while (start > max(0, match.start() - 4) and _NAME.match(view.text[start - 1])
               and view.text[start - 1] not in _STOP
               and view.spans[start - 1][1] == view.spans[start][0]):  # nor over punctuation: "改造前：北京路"
            start -= 1
        if start < match.start():  # a road needs a name: "东风东路733号", not "一路3号"
            yield "street_address", view.spans[start][0], view.spans[match.end() - 1][1]
    for match in _FLAT.finditer(view.text):
        yield "street_address", view.spans[match.start()][0], view.spans[match.end() - 1][1]
    for match in _ENGLISH.finditer(text):
        yield "street_address", match.start(), match.end()


def _kind_of(digits: str, raw: str, before: str) -> str | None:
    """Which kind of identifying number a run of digits is shaped like, if any."""
    if re.fullmatch(r"[1-9]\d{16}[\dX]", digits) or re.fullmatch(r"[1-9]\d{14}", digits):
        return "id_shape"
    if "X" in digits:
        return None
    if _MOBILE.fullmatch(digits):
        return "mobile"
    local = 7 <= len(digits) <= 8 and (_LOCAL.fullmatch(raw) or _PHONE_WORDS.search(before))
    if _LANDLINE.fullmatch(digits) or local:
        return "landline"
    if len(digits) >= 11:  # a card or account number, or numbers typed together
        return "mobile" if _MOBILE.search(digits) else "long_number"
    return None


def phone_and_id_numbers(text: str) -> Iterator[Found]:
    """Mobile, landline, ID and other long numbers, however they are spaced."""
    for number in numbers(text):
        start, end = number.spans[0][0], number.spans[-1][1]
        kind = _kind_of(number.digits, number.raw, text[max(0, start - 8):start])
        if kind:
            yield kind, start - (text[start - 1:start] in "+＋" and start > 0), end
