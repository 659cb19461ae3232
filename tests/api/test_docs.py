"""The API's documentation page reads in the reader's language; the OpenAPI document stays English.

Every description, summary and field text of the document is a msgid (marked `N_` where it is
declared) and the page shows it translated; code, field names, JSON, headers and patterns stay.
"""

from __future__ import annotations

import html
import re

from marketplace.api.document import document
from tests.api.support import BASE

# Texts of the document, one from each place they are declared, with the zh_Hans catalog's words.
KNOWN = {
    # document.py: the title, the introduction (with values in it), a summary, an error, a header
    "Shanlian referral intake API": "善联转介接收 API",
    "The assistance system refers needs to Shanlian and follows each one to its end.": "救助系统向善联转介需求",
    "Refer one need": "转介一项需求",
    "missing, unknown or revoked key": "密钥缺失、未知或已吊销",  # after its code, `unauthorized`
    "Unix time in seconds; at most 300 s off.": "Unix 时间，单位秒；与服务器时钟相差不超过 300 秒。",
    # households/contract.py: a model's description and a field's
    "The household the need is for (personal data: seen only by staff of its region).":
        "需求所属的家庭（个人信息：只有所在区域的工作人员可见）。",
    "Total for the whole quantity, in fen.": "全部数量的总价，单位为分。",
    # api/schemas.py, status.py, errors.py
    "1 to 500 referrals sent at once.": "一次发送的 1 至 500 个转介。",
    "Pass as `cursor` (alone) for the next page or later.": "作为 <code>cursor</code>（单独使用）传入",
    "The worst light of its needs.": "其各项需求中最严重的亮灯。",
    "The household as this source knows it: the same for referrals of this source with one ID number, "
    "whatever channel brought them in; it reveals nothing else.": "本来源所见的家庭标识",
    "The body of every error answer.": "所有错误应答的内容。",
}
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,;:]+[A-Za-z][A-Za-z'-]*)+")


def main_text(page: str) -> str:
    """What the page's main part says outside code, JSON examples and tags."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def english(text: str) -> str:
    """The English of a known text as the page shows it (backticks become <code>)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def test_docs_page_in_chinese_shows_every_text_translated_and_no_english_sentence(client):
    page = client.get(f"{BASE}/docs").get_data(as_text=True)
    for text, chinese in KNOWN.items():
        assert chinese in page, chinese
        assert english(text) not in page, text
    # Outside code, field names and examples no two English words follow each other.
    assert ENGLISH_WORDS.findall(main_text(page)) == []
    # The technical tokens stay as they are.
    for token in ("<code>Authorization: Bearer &lt;key&gt;</code>", "<code>X-Signature</code>",
                  "POST /api/v1/referrals", "<code>external_id</code>", "<code>application/json</code>"):
        assert token in page, token


def test_docs_page_in_english_shows_the_english(client):
    client.get("/lang/en")
    page = client.get(f"{BASE}/docs").get_data(as_text=True)
    for text, chinese in KNOWN.items():
        assert english(text) in page, text
        assert chinese not in page, chinese
    assert not CJK.search(main_text(page))  # Chinese only in the examples' data


def test_the_openapi_document_stays_english_whatever_the_readers_language(client):
    assert client.get(f"{BASE}/docs").status_code == 200  # a page in Chinese first, in the same session
    spec = client.get(f"{BASE}/openapi.json").get_json()
    assert spec == document()
    assert spec["info"]["title"] == "Shanlian referral intake API"
    assert "within 300 s of the server clock" in spec["info"]["description"]
    assert spec["paths"]["/api/v1/referrals"]["post"]["summary"] == "Refer one need"
    for schema in spec["components"]["schemas"].values():
        schema.pop("examples", None)  # the contract's example is Chinese data
    assert not CJK.search(str(spec))
