"""A synthetic cooperative shaped like the real one, for benchmarks and property tests.

76 provincial offices (district offices of a few to two dozen members each), study centres,
the central office (departments as districts), central pensioners and other agencies (no
district), one representative per ~50 members, some units without any.
"""

from __future__ import annotations

import random

from tocnet.core.thai import thai_sort_key

from .types import MemberIn, UnitInput

FIRST_NAMES = [
    "สมชาย", "สมศรี", "ประเสริฐ", "สุภาพร", "วันชัย", "นงลักษณ์", "ปิยะนุช", "ธีรวัฒน์",
    "สายสุนีย์", "อรุณี", "กิตติ", "มาลัย", "ชัยวัฒน์", "เพ็ญศรี", "บุญมี", "ไพโรจน์",
]  # fmt: skip
LAST_NAMES = [
    "ใจดี", "พรหมมา", "ภูมิใจ", "นาคสวัสดิ์", "เจริญผล", "อุดมสุข", "แก้วมณี", "ทองดี",
    "คำแก้ว", "ชัยมงคล", "กิตติคุณ", "ศรีสุข", "บุญเรือง", "สุขสวัสดิ์", "วงศ์ไทย", "มั่นคง",
]  # fmt: skip


def _unit(
    rng: random.Random,
    key: str,
    district_sizes: list[int],
    next_number: list[int],
    reps_per_50: bool = True,
    representatives: int | None = None,
) -> UnitInput:
    members = []
    for d, size in enumerate(district_sizes):
        district = f"อำเภอ{d:02d}" if len(district_sizes) > 1 else ""
        for _ in range(size):
            next_number[0] += 1
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            members.append(MemberIn(str(next_number[0]), district, thai_sort_key(name)))
    n = len(members)
    k = representatives if representatives is not None else max(1, round(n / 50))
    reps = [m.number for m in rng.sample(members, min(k, n))] if reps_per_50 else []
    return UnitInput(key=key, abbreviation=key, members=members, representatives=sorted(reps))


def synthetic_cooperative(scale: int = 1, seed: int = 0) -> list[UnitInput]:
    """About 10,700 members in ~94 units per ``scale`` (scale=100: about a million)."""
    rng = random.Random(seed)
    number = [500000]
    units: list[UnitInput] = []
    for copy in range(scale):
        suffix = "" if copy == 0 else f"-{copy}"
        for p in range(76):
            districts = rng.randint(5, 22)
            sizes = [max(1, int(rng.lognormvariate(1.85, 0.6))) for _ in range(districts)]
            sizes[0] += rng.randint(8, 25)  # the provincial office itself
            units.append(_unit(rng, f"จ{p:02d}{suffix}", sizes, number))
        for c in range(12):
            units.append(
                _unit(rng, f"ศพช.{c:02d}{suffix}", [rng.randint(10, 40)], number, c % 3 != 0)
            )
        departments = [rng.randint(10, 80) for _ in range(22)]
        units.append(_unit(rng, f"สก{suffix}", departments, number))
        units.append(_unit(rng, f"บณก{suffix}", [600], number))
        units.append(_unit(rng, f"อื่น{suffix}", [150], number))
    return units
