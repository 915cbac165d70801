import pytest

from tocnet.members.provinces import short_unit_name
from tocnet.reports.templatetags.reports_tags import thousands


@pytest.mark.parametrize(
    ("value", "expected"), [(10463, "10,463"), (0, "0"), (None, ""), ("–", "–"), (True, "True")]
)
def test_thousands(value: object, expected: str) -> None:
    assert thousands(value) == expected


def test_short_unit_name() -> None:
    assert short_unit_name("สำนักงานพัฒนาชุมชนจังหวัดตาก") == "สนง.พช.จ.ตาก"
    assert short_unit_name("ศูนย์ศึกษาและพัฒนาชุมชนลำปาง") == "ศพช.ลำปาง"
    assert short_unit_name("หน่วยงานอื่น") == "หน่วยงานอื่น"
