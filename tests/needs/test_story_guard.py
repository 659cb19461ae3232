"""The story guard: a corpus of public texts that give a household (or anyone) away, and of stories that don't.

The guard reads any object with a household's fields, so the corpus runs without a database; the
pages and every other write path are tested in test_story_guard_pages.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from marketplace.needs.privacy import PrivacyError, leaks_in, personal_data_in, refuse_leaks
from marketplace.needs.privacy.household import given_names
from marketplace.needs.privacy.normalise import compact, numbers


def _household(name: str, phone: str, id_number: str, address: str, district: str, street: str) -> SimpleNamespace:
    return SimpleNamespace(head_name=name, phone=phone, id_number=id_number, address=address,
                           district=SimpleNamespace(name=district), street=SimpleNamespace(name=street))


HOUSEHOLDS = {
    # The outsider's household: its address on file carries the district and "之二".
    "jian": _household("简国华", "139 2608 1357", "44010419620315771X", "越秀区东风东路733号之二",
                       "越秀区", "大东街道"),
    "ouyang": _household("欧阳晓明", "13711112222", "440106195511224466", "天河区天河北路188号",
                         "天河区", "天河南街道"),
    "liming": _household("李明", "13699990000", "", "越秀区人民中路301号", "越秀区", "人民街道"),
}

# (household, text, what the guard names, the fragment it quotes)
LEAKS = [
    # The outsider's findings, and the same address however it is typed.
    ("jian", "简伯伯，64岁，住东风东路733号，屋顶漏水。", "address", "东风东路733号"),
    ("jian", "简伯伯，64岁，住越秀区东风东路733号之二，屋顶漏水。", "address", "东风东路733号之二"),
    ("jian", "住东风东路733号之二", "address", "东风东路733号之二"),
    ("jian", "简伯伯住东风东路七三三号", "address", "东风东路七三三号"),
    ("jian", "简伯伯住东风东路七百三十三号", "address", "东风东路七百三十三号"),
    ("jian", "简伯伯住东风东路７３３号", "address", "东风东路７３３号"),
    ("jian", "简伯伯住东风东路 733 号", "address", "东风东路 733 号"),
    ("jian", "简伯伯住东风东路，733号", "address", "东风东路，733号"),
    ("jian", "家就在东风东路旁边", "address", "东风东路"),
    ("jian", "住在风东路733号", "address", "风东路733号"),
    ("jian", "门牌是733号之二", "address", "733号之二"),
    ("jian", "东风東路733号", "street_address", "东风東路733号"),  # a traditional character: still an address
    # The head's name: full, spaced, the given name alone.
    ("jian", "简国华伯伯独居。", "name", "简国华"),
    ("jian", "简 国 华，64岁。", "name", "简 国 华"),
    ("jian", "国华伯伯今年64岁。", "given_name", "国华"),
    ("jian", "邻居都叫他国华。", "given_name", "国华"),
    ("ouyang", "欧阳晓明奶奶腿脚不便。", "name", "欧阳晓明"),  # a compound surname
    ("ouyang", "晓明奶奶腿脚不便。", "given_name", "晓明"),
    ("ouyang", "阳晓明奶奶腿脚不便。", "given_name", "晓明"),
    ("liming", "李明爷爷需要轮椅。", "name", "李明"),  # a one-character given name, as it is used alone
    ("liming", "阿明今年70岁。", "given_name", "阿明"),
    ("liming", "小明爷爷需要轮椅。", "given_name", "小明"),
    # The household's phone and ID digits, however spaced, four or more in a row.
    ("jian", "联系电话13926081357", "phone", "13926081357"),
    ("jian", "电话139 2608 1357", "phone", "139 2608 1357"),
    ("jian", "电话139-2608-1357", "phone", "139-2608-1357"),
    ("jian", "手机：＋86 139 2608 1357", "mobile", "＋86 139 2608 1357"),
    ("jian", "尾号1357可联系本人", "phone", "1357"),
    ("jian", "手机一三九二六〇八一三五七", "phone", "一三九二六〇八一三五七"),
    ("jian", "身份证号44010419620315771X", "id_number", "44010419620315771X"),
    ("jian", "身份证后四位771X", "id_number", "771X"),
    ("jian", "证件尾号771x", "id_number", "771x"),
    ("jian", "生日19620315", "id_number", "19620315"),
    ("jian", "身份证4401 0419 6203 1577 1X", "id_number", "4401 0419 6203 1577 1X"),
    # Anyone's phone or ID number, whatever the household.
    ("jian", "请联系女儿13800138000", "mobile", "13800138000"),
    ("jian", "女儿电话138 0013 8000", "mobile", "138 0013 8000"),
    ("jian", "女儿电话+86 138-0013-8000", "mobile", "+86 138-0013-8000"),
    ("jian", "女儿电话１３８００１３８０００", "mobile", "１３８００１３８０００"),
    ("jian", "儿子身份证440104195201011234", "id_shape", "440104195201011234"),
    ("jian", "老身份证440104520101123", "id_shape", "440104520101123"),
    ("jian", "社工站座机020-8333 0000", "landline", "020-8333 0000"),
    ("jian", "请致电（020）83330000", "landline", "020）83330000"),
    ("jian", "联系电话：83330000", "landline", "83330000"),
    ("jian", "银行卡6222 0212 3456 7890", "long_number", "6222 0212 3456 7890"),
    # Anyone's street address, whatever the household.
    ("jian", "女儿住中山五路218号", "street_address", "中山五路218号"),
    ("jian", "住在中山五路二百一十八号", "street_address", "中山五路二百一十八号"),
    ("jian", "住在西华路一二三号", "street_address", "西华路一二三号"),
    ("jian", "女儿住天河北路188号3楼", "street_address", "天河北路188号"),
    ("jian", "住在幸福小区3栋502", "street_address", "幸福小区3栋"),
    ("jian", "住8号楼2单元301", "street_address", "8号楼2单元"),
    ("jian", "住在三元里大道1号", "street_address", "三元里大道1号"),
    ("jian", "家住广州大道中988号", "street_address", "广州大道中988号"),
    ("jian", "住在农林下路83号702房", "street_address", "农林下路83号"),
    ("jian", "住在德安里5号", "street_address", "德安里5号"),
    ("jian", "家住沙河村12巷", "street_address", "沙河村12巷"),
    ("jian", "lives at 733 Dongfeng East Road with his wife", "street_address", "733 Dongfeng East Road"),
    ("jian", "Flat 502, on the fifth floor", "street_address", "Flat 502"),
]

STORIES = [
    "简伯伯，64岁，独居在越秀区大东街道，老房子屋顶漏水。",
    "L女士，72岁，独居，电饭煲坏了半年。",
    "王阿姨家里三口人，住在没有电梯的7楼。",
    "陈老师退休后独居，希望有人每周上门陪伴。",
    "需要一台价值¥1,500的轮椅。",
    "培训费约1500元，自己暂时拿不出来。",
    "希望在2026年12月31日前送到。",
    "需要120套冬季被褥，分发给街道的困难家庭。",
    "孩子今年读四年级，成绩中上。",
    "每月1号和15号去医院复诊。",
    "坐地铁到体育西路3号线换乘很不方便。",
    "简伯伯的老伴行动不便，需要一台助行器。",
    "家住越秀区，靠近北京路步行街。",
    "小C今年10岁，喜欢画画。",
    "需要3台电风扇、2床被子。",
    "住在一栋没有电梯的旧楼的顶层。",
    "Mr J, 64, lives alone in Dadong Street and needs a rice cooker.",
    "他在2024年失去了工作，目前在找新工作。",
    "价格约2,300元，包括安装。",
    "每周二、四下午3点上门辅导。",
    "老房子建于1980年代，电线老化。",
    "已经等了三个月，家里只有一床薄被。",
    "希望有志愿者陪同去医院，挂号、取药。",
    "家中有两位80岁以上的老人。",
    "轮椅宽度约60厘米，能折叠。",
    "需要一部老人手机，按键要大。",
    "邻居张叔叔偶尔帮忙买菜。",
    "H先生，52岁，在外务工多年。",
    "社区居委会3楼有活动室，他每周去一次。",
    "每天要走2公里路去买菜。",
    "第二次复查在3月5日。",
    "共需资金12,000元，已筹到一半。",
    "孙女今年8岁，读二年级。",
    "希望更换老化电线、加装漏电开关，预算约1200元。",
    "He walks 2 km along the road to the market every morning.",
]


@pytest.mark.parametrize(("key", "text", "kind", "fragment"), LEAKS, ids=[t for _, t, _, _ in LEAKS])
def test_the_guard_refuses_each_leak_and_quotes_it(key, text, kind, fragment):
    leak = personal_data_in(text, HOUSEHOLDS[key])
    assert leak is not None, text
    assert (leak.kind, leak.fragment) == (kind, fragment)


@pytest.mark.parametrize("story", STORIES)
def test_a_pseudonymous_story_passes(story):
    for household in HOUSEHOLDS.values():
        assert leaks_in(story, household) == [], story


def test_the_corpus_is_as_large_as_the_issue_asks():
    assert len(LEAKS) >= 50 and len(STORIES) >= 30


def test_the_old_exact_match_would_have_let_most_of_the_corpus_through():
    """Why the corpus matters: today's leaks are mostly not the stored value typed exactly."""
    exact = [t for key, t, _, _ in LEAKS
             if any(v and v.replace(" ", "") in t for v in (HOUSEHOLDS[key].head_name, HOUSEHOLDS[key].address,
                                                             HOUSEHOLDS[key].phone, HOUSEHOLDS[key].id_number))]
    assert len(exact) < len(LEAKS) // 4


def test_several_leaks_in_one_text_are_each_found_in_order():
    text = "简国华住东风东路733号，电话13926081357，女儿138 0013 8000。"
    kinds = [leak.kind for leak in leaks_in(text, HOUSEHOLDS["jian"])]
    assert kinds == ["name", "address", "phone", "mobile"]


def test_without_a_household_only_the_general_shapes_count():
    assert leaks_in("简国华住东风东路附近", None) == []
    assert [leak.kind for leak in leaks_in("住东风东路733号，电话13800138000")] == ["street_address", "mobile"]


@pytest.mark.parametrize(("name", "given"), [
    ("简国华", ["国华"]), ("李明", ["明"]), ("欧阳晓明", ["晓明"]), ("司马光", ["光"]),
    ("张王秀英", ["王秀英", "秀英"]),
])
def test_given_names_drop_a_one_or_two_character_surname(name, given):
    assert given_names(name) == given


@pytest.mark.parametrize(("typed", "read"), [
    ("东风东路 七三三 号", "东风东路733号"), ("七百三十三", "733"), ("三百零五", "305"), ("二〇二四年", "2024年"),
    ("１２３ＡＢ", "123AB"), ("十五", "15"), ("一千零二十", "1020"),
])
def test_text_is_compared_in_one_spelling(typed, read):
    assert compact(typed).text == read


def test_numbers_are_read_across_the_separators_people_type():
    assert [n.digits for n in numbers("电话：138 0013 8000，¥1,500、2,300元")] == ["13800138000", "1500", "2300"]


def test_the_refusal_names_the_field_and_the_fragment_in_the_readers_language(app):
    with pytest.raises(PrivacyError) as refused:
        refuse_leaks(HOUSEHOLDS["jian"], title="屋顶漏水", story="简伯伯，64岁，住东风东路733号，屋顶漏水。")
    assert refused.value.field == "story"
    with app.test_request_context(), force_locale("zh_Hans"):
        assert "公开故事含有该户地址的一部分：「东风东路733号」" in refused.value.message
    with app.test_request_context(), force_locale("en"):
        assert refused.value.message.startswith("The public story contains part of the household's address: "
                                                "“东风东路733号”")
