import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocnet.messaging.responses.matcher import MAX_LENGTH, is_acknowledgement

YES = [
    "รับทราบ",
    "รับทราบค่ะ",
    "รับทราบครับ",
    "รับทราบครับผม",
    "รับทราบคะ",
    "รับทราบค่า",
    "รับทราบจ้า",
    "รับทราบนะคะ",
    "รับทราบแล้ว",
    "รับทราบแล้วครับ",
    "ทราบแล้ว",
    "ทราบแล้วค่ะ",
    "ทราบค่ะ",
    "ทราบ",
    " รับทราบค่ะ 🙏 ",
    "รับทราบครับ ขอบคุณครับ",
    "รับทราบ!!",
    "รับทราบค่ะ😊",
    "👍",
    "👍👍👍",
    "👍🏻",
    "👍🏽 รับทราบ",
    "รับทราบบบบ",
    "รับทาบ",  # ร left out
    "รบทราบ",  # ั left out
    "รับทรบ",
    "รัยทราบ",  # neighbouring key
    "รับ ทราบ",
    "รับ\u200bทราบ",  # zero-width space from a copy-paste
    "iy[mik[",  # keyboard in English layout
    "Rub Trab",
    "rubtrab krub",
    "rabsap ka",
    "RUBTRAP",
]

NO = [
    "",
    "   ",
    "ok",
    "สวัสดีครับ",
    "ยังไม่ทราบ",
    "ไม่ทราบค่ะ",
    "ไม่รับทราบ",
    "ทราย",
    "รับ",
    "ขอบคุณค่ะ",
    "รับทราบแต่ยังไม่เข้าใจเรื่องเงินปันผลครับ ช่วยอธิบายหน่อย",
    "ใครรับทราบบ้าง",
    "รับทราบไหม",
    "🙏",
    "😊👍 ไปกินข้าวกัน",
    "TOC-ABC234",
    "100123",
    "rub",
    "trab",
]


@pytest.mark.parametrize("text", YES)
def test_it_accepts_acknowledgements(text: str) -> None:
    assert is_acknowledgement(text), text


@pytest.mark.parametrize("text", NO)
def test_it_refuses_everything_else(text: str) -> None:
    assert not is_acknowledgement(text), text


def test_it_refuses_none() -> None:
    assert not is_acknowledgement(None)


@given(st.text(min_size=MAX_LENGTH + 1, max_size=200))
def test_it_refuses_long_messages(text: str) -> None:
    assert not is_acknowledgement(text)


@given(st.text(alphabet="กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ", min_size=1, max_size=6))
def test_it_never_accepts_short_thai_without_the_word(text: str) -> None:
    # Random consonant strings are neither the word nor one slip away from it, unless they are.
    if "ทราบ" in text or len(text) >= 5:
        return
    assert not is_acknowledgement(text)
