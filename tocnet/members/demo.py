"""A realistic synthetic cooperative for demos, tests and benchmarks; deterministic per seed.

Names are common Thai given names and surnames combined at random: nobody real is described.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.members.models import Member, Phone, Representative, Unit, UnitAgent
from tocnet.members.provinces import (
    office_provinces,
    province_office_name,
    study_centre_abbreviation,
    study_centre_name,
)

DEFAULT_MEMBERS = 10_669
DEMO_PASSWORD = "tocnet-demo-2564"  # noqa: S105 - printed for the demo logins on purpose
TERM_YEARS = 4
# Units whose representatives' terms end within 90 days, and one whose terms have ended, so
# the demo shows both flags; every other term is running.
UNITS_TERM_ENDING = {"กพ", "ขก"}
UNITS_TERM_ENDED = {"นว"}


def demo_terms(abbreviation: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Term dates relative to today: running (started two years ago), ending in ~60 days, or
    ended 30 days ago, by unit."""
    if abbreviation in UNITS_TERM_ENDING:
        end = today + dt.timedelta(days=60)
    elif abbreviation in UNITS_TERM_ENDED:
        end = today - dt.timedelta(days=30)
    else:
        end = dt.date(today.year + 2, 1, 1) - dt.timedelta(days=1)
    start = dt.date(end.year - TERM_YEARS, end.month, 1) + dt.timedelta(days=end.day)
    return start, end


STUDY_CENTRE_PROVINCES = [
    "ลำปาง", "ขอนแก่น", "นครราชสีมา", "อุบลราชธานี", "พิษณุโลก",
    "สุราษฎร์ธานี", "นครศรีธรรมราช", "ชลบุรี", "มหาสารคาม", "ลพบุรี", "ปัตตานี",
]  # fmt: skip
SPECIAL_UNITS = [
    ("ส่วนกลาง กรมการพัฒนาชุมชน", Unit.Kind.CENTRAL, "สนก", Unit.Responsible.AGENT, 640),
    ("ข้าราชการบำนาญส่วนกลาง", Unit.Kind.PENSION, "บณก", Unit.Responsible.MANAGEMENT, 593),
    ("หน่วยงานอื่น", Unit.Kind.OTHER, "อื่น", Unit.Responsible.MANAGEMENT, 96),
]
# Units left without a representative, to show the "needs a representative" flag.
UNITS_WITHOUT_REPRESENTATIVE = {"ศพช.ปน", "ศพช.มค", "มส"}

FIRST_NAMES_M = [
    "สมชาย",
    "สมศักดิ์",
    "สมพงษ์",
    "ประเสริฐ",
    "ประยุทธ",
    "วิชัย",
    "สุชาติ",
    "สมบัติ",
    "บุญมี",
    "สมหมาย",
    "ธนากร",
    "ณัฐพล",
    "อนุชา",
    "กิตติพงษ์",
    "ชัยวัฒน์",
    "ไพโรจน์",
    "เอกชัย",
    "วีระ",
    "สุรชัย",
    "ธีรวุฒิ",
    "พงศกร",
    "อภิชาติ",
    "จักรพันธ์",
    "ปิยะ",
    "ศักดิ์ชัย",
    "มานพ",
    "สุวิทย์",
    "ทองดี",
    "บุญเลิศ",
    "เกรียงไกร",
]
FIRST_NAMES_F = [
    "สมศรี",
    "สุดา",
    "มาลี",
    "วันเพ็ญ",
    "กาญจนา",
    "ศิริพร",
    "นภา",
    "อรุณี",
    "จันทร์เพ็ญ",
    "พรทิพย์",
    "สุภาพร",
    "ปราณี",
    "วิไลวรรณ",
    "รัตนา",
    "อัมพร",
    "ละเอียด",
    "บุษบา",
    "ดวงใจ",
    "ณัฐธิดา",
    "กนกวรรณ",
    "ปิยนุช",
    "ชุติมา",
    "เยาวลักษณ์",
    "สายสุนีย์",
    "ลำดวน",
    "อุไรวรรณ",
    "ศศิธร",
    "จิราพร",
    "ธนพร",
    "เพ็ญศรี",
]
LAST_NAMES = [
    "ใจดี",
    "สุขสวัสดิ์",
    "ศรีสุข",
    "วงศ์ใหญ่",
    "แก้วมณี",
    "ทองคำ",
    "บุญมา",
    "พรหมมา",
    "สายทอง",
    "จันทร์แก้ว",
    "ศรีวงศ์",
    "ชัยมงคล",
    "มั่นคง",
    "รุ่งเรือง",
    "เพชรรัตน์",
    "อินทร์แก้ว",
    "สมบูรณ์",
    "บุญเรือง",
    "ปัญญาดี",
    "คงสวัสดิ์",
    "ทองสุข",
    "นาคประเสริฐ",
    "แสงทอง",
    "ภูมิใจ",
    "ศรีประเสริฐ",
    "วงศ์สวัสดิ์",
    "กิตติศักดิ์",
    "พูลผล",
    "ดวงดี",
    "ทิพย์มณี",
    "สุวรรณรัตน์",
    "เจริญสุข",
    "ประเสริฐวงศ์",
    "หอมจันทร์",
    "มีสุข",
    "ชูชาติ",
    "อ่อนศรี",
    "ธรรมรักษ์",
    "คำแก้ว",
    "ศรีทอง",
]
DISTRICT_NAMES = [
    "เมือง",
    "บ้านใหม่",
    "หนองบัว",
    "ท่าศาลา",
    "นาดี",
    "บ้านนา",
    "โพธิ์ทอง",
    "สามชัย",
    "วังทอง",
    "ศรีสำราญ",
    "ห้วยยาง",
    "เขาสวนกวาง",
    "นาคู",
    "ปากพลี",
    "โนนสูง",
]
POSITIONS = [
    "นักวิชาการพัฒนาชุมชน", "นักพัฒนาชุมชน", "เจ้าพนักงานธุรการ", "พัฒนาการอำเภอ",
    "เจ้าพนักงานพัฒนาชุมชน", "ลูกจ้างประจำ", "พนักงานราชการ", "ข้าราชการบำนาญ",
]  # fmt: skip


@dataclass
class DemoResult:
    units: int = 0
    members: int = 0
    representatives: int = 0
    logins: dict[str, str] = field(default_factory=dict)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _ensure_units(rng: random.Random) -> list[Unit]:
    units = list(Unit.objects.filter(kind=Unit.Kind.PROVINCE))
    if len(units) < len(office_provinces()):
        for p in office_provinces():
            unit, _ = Unit.objects.get_or_create(
                name=province_office_name(p.name_th),
                defaults={
                    "kind": Unit.Kind.PROVINCE,
                    "province": p.name_th,
                    "abbreviation": p.abbr_th,
                },
            )
        units = list(Unit.objects.filter(kind=Unit.Kind.PROVINCE))
    for province in STUDY_CENTRE_PROVINCES:
        unit, _ = Unit.objects.get_or_create(
            name=study_centre_name(province),
            defaults={
                "code": _uuid(rng),
                "kind": Unit.Kind.CENTRE,
                "province": province,
                "abbreviation": study_centre_abbreviation(province),
            },
        )
        units.append(unit)
    for name, kind, abbr, responsible, _size in SPECIAL_UNITS:
        unit, _ = Unit.objects.get_or_create(
            name=name,
            defaults={
                "code": _uuid(rng),
                "kind": kind,
                "abbreviation": abbr,
                "responsible": responsible,
                "province": "กรุงเทพมหานคร" if kind != Unit.Kind.OTHER else "",
            },
        )
        units.append(unit)
    return sorted(units, key=lambda u: (u.kind, u.name))


def _unit_sizes(rng: random.Random, units: list[Unit], total: int) -> dict[int, int]:
    """Members per unit summing exactly to total, shaped like the real cooperative."""
    special = {name: size for name, _k, _a, _r, size in SPECIAL_UNITS}
    weights: dict[int, float] = {}
    for unit in units:
        if unit.name in special:
            weights[unit.pk] = special[unit.name]
        elif unit.kind == Unit.Kind.CENTRE:
            weights[unit.pk] = rng.randint(14, 45)
        else:
            weights[unit.pk] = rng.triangular(45, 260, 100)
    scale = total / sum(weights.values())
    sizes = {pk: max(1, int(w * scale)) for pk, w in weights.items()}
    remainder = total - sum(sizes.values())
    order = sorted(sizes, key=lambda pk: -weights[pk])
    i = 0
    while remainder != 0:
        pk = order[i % len(order)]
        step = 1 if remainder > 0 else -1
        if sizes[pk] + step >= 1:
            sizes[pk] += step
            remainder -= step
        i += 1
    return sizes


def _thai_mobile(rng: random.Random) -> tuple[str, str]:
    prefix = rng.choice(["08", "09", "06"])
    rest = f"{rng.randint(10_000_000, 99_999_999)}"
    local = prefix + rest
    e164 = "+66" + local[1:]
    style = rng.random()
    if style < 0.5:
        raw = local
    elif style < 0.85:
        raw = f"{local[:3]}-{local[3:6]}-{local[6:]}"
    else:
        raw = f"+66 {local[1:3]} {local[3:6]} {local[6:]}"
    return raw, e164


@transaction.atomic
def demo_cooperative_create(*, members: int = DEFAULT_MEMBERS, seed: int = 2564) -> DemoResult:
    """Fill an empty database with a synthetic cooperative. Refuses when members exist."""
    if Member.objects.exists():
        raise ValueError("The database already has members; the demo fills only an empty one.")
    rng = random.Random(seed)
    units = _ensure_units(rng)
    sizes = _unit_sizes(rng, units, members)
    result = DemoResult(units=len(units))

    member_rows: list[Member] = []
    phone_specs: list[tuple[int, list[tuple[str, str, str]]]] = []
    number = 100_000
    for unit in units:
        province = unit.province or "กรุงเทพมหานคร"
        district_count = (
            1 if unit.kind in (Unit.Kind.CENTRE, Unit.Kind.OTHER) else rng.randint(4, 12)
        )
        districts = ["อำเภอเมือง" + province] + [
            "อำเภอ" + name for name in rng.sample(DISTRICT_NAMES[1:], district_count - 1)
        ]
        if unit.kind == Unit.Kind.CENTRE:
            districts = [unit.name]
        elif unit.kind in (Unit.Kind.PENSION, Unit.Kind.CENTRAL):
            districts = [f"กลุ่ม {i}" for i in range(1, 9)]
        for _ in range(sizes[unit.pk]):
            number += rng.randint(1, 3)
            female = rng.random() < 0.55
            first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
            title = rng.choice(["นาง", "นางสาว"]) if female else "นาย"
            if rng.random() < 0.02:
                title = rng.choice(["ว่าที่ร้อยตรี", "ดร."])
            status = Member.Status.ACTIVE
            roll = rng.random()
            if roll < 0.015:
                status = Member.Status.RESIGNED
            elif roll < 0.02:
                status = Member.Status.DECEASED
            has_line = rng.random() < 0.72
            member = Member(
                code=_uuid(rng),
                number=f"{number:06d}",
                title=title,
                first_name=first,
                last_name=rng.choice(LAST_NAMES),
                position=rng.choice(POSITIONS),
                unit=unit,
                district=rng.choices(districts, weights=range(len(districts) + 1, 1, -1))[0],
                member_type=Member.MemberType.ASSOCIATE
                if rng.random() < 0.08
                else Member.MemberType.ORDINARY,
                status=status,
                email=f"member{number}@example.com" if rng.random() < 0.35 else "",
                line_id=f"line{number}" if has_line and rng.random() < 0.6 else "",
                no_line=not has_line and rng.random() < 0.6,
            )
            member_rows.append(member)
            phones: list[tuple[str, str, str]] = []
            if rng.random() < 0.88:
                raw, e164 = _thai_mobile(rng)
                phones.append((raw, e164, Phone.Kind.MOBILE))
            if rng.random() < 0.08:
                raw, e164 = _thai_mobile(rng)
                phones.append((raw, e164, Phone.Kind.MOBILE))
            phone_specs.append((len(member_rows) - 1, phones))
    Member.objects.bulk_create(member_rows, batch_size=2000)
    saved = {m.number: m for m in Member.objects.only("pk", "number")}
    Phone.objects.bulk_create(
        [
            Phone(
                member_id=saved[member_rows[i].number].pk,
                raw=raw,
                e164=e164,
                kind=kind,
                position=pos,
            )
            for i, phones in phone_specs
            for pos, (raw, e164, kind) in enumerate(phones)
        ],
        batch_size=5000,
    )
    result.members = len(member_rows)

    by_unit: dict[int, list[Member]] = {}
    for m in member_rows:
        if m.status == Member.Status.ACTIVE:
            by_unit.setdefault(m.unit.pk, []).append(m)
    reps: list[Representative] = []
    today = timezone.localdate()
    for unit in units:
        term_start, term_end = demo_terms(unit.abbreviation, today)
        active = by_unit.get(unit.pk, [])
        if unit.abbreviation in UNITS_WITHOUT_REPRESENTATIVE or not active:
            continue
        wanted = max(1, round(len(active) / 50))
        for m in rng.sample(active, min(wanted, len(active))):
            reps.append(
                Representative(
                    code=_uuid(rng),
                    member_id=saved[m.number].pk,
                    unit=unit,
                    term_start=term_start,
                    term_end=term_end,
                )
            )
    Representative.objects.bulk_create(reps)
    result.representatives = len(reps)
    result.logins = _create_logins(rng, units)
    audit_record(
        actor=None,
        action="demo.created",
        target=None,
        changes={"members": result.members, "units": result.units, "seed": seed},
    )
    return result


def _create_logins(rng: random.Random, units: list[Unit]) -> dict[str, str]:
    """One login per role: staff, agent (two provinces), representative, board."""
    logins: dict[str, str] = {}

    def make(username: str, role: str, display: str, **extra: Any) -> User:
        user = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, role=role, display_name=display, **extra
        )
        logins[username] = role
        return user

    make("staff", User.Role.STAFF, "เจ้าหน้าที่สหกรณ์ (demo)", is_staff=True, is_superuser=True)
    agent = make("agent", User.Role.AGENT, "ตัวแทนสหกรณ์ (demo)")
    assistant = make("assistant", User.Role.AGENT, "ผู้ช่วยตัวแทน (demo)")
    make("board", User.Role.BOARD, "กรรมการ (demo)")
    by_abbr = {u.abbreviation: u for u in units}
    for abbr in ("กพ", "นว"):
        if abbr in by_abbr:
            UnitAgent.objects.create(unit=by_abbr[abbr], user=agent, role=UnitAgent.Role.AGENT)
    if "กพ" in by_abbr:
        UnitAgent.objects.create(unit=by_abbr["กพ"], user=assistant, role=UnitAgent.Role.ASSISTANT)
    rep = (
        Representative.objects.filter(unit__abbreviation="กพ", ended_on__isnull=True)
        .select_related("member")
        .order_by("member__number")
        .first()
    )
    if rep is not None:
        user = make("rep", User.Role.REPRESENTATIVE, rep.member.full_name)
        Member.objects.filter(pk=rep.member.pk).update(user=user)
    return logins
