import pytest

from tocnet.members.provinces import short_unit_name
from tocnet.reports.templatetags.reports_tags import break_after_dots


def test_short_unit_name() -> None:
    assert short_unit_name("สำนักงานพัฒนาชุมชนจังหวัดตาก") == "สนง.พช.จ.ตาก"
    assert short_unit_name("ศูนย์ศึกษาและพัฒนาชุมชนลำปาง") == "ศพช.ลำปาง"
    assert short_unit_name("หน่วยงานอื่น") == "หน่วยงานอื่น"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("สนง.พช.จ.กำแพงเพชร", "สนง.<wbr>พช.<wbr>จ.<wbr>กำแพงเพชร"),
        ("สอ.พช.กพ.1", "สอ.<wbr>พช.<wbr>กพ.1"),  # never before the register's number
        ("<b>ก.ข</b>", "&lt;b&gt;ก.<wbr>ข&lt;/b&gt;"),  # the name itself is escaped
        (None, ""),
    ],
)
def test_break_after_dots(value: object, expected: str) -> None:
    assert break_after_dots(value) == expected
