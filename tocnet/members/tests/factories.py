"""Small typed factories for members tests; complex state goes through services."""

import itertools

from tocnet.members.models import Member, Phone, Unit

_numbers = itertools.count(900_000)


def make_unit(**overrides: object) -> Unit:
    n = next(_numbers)
    values: dict[str, object] = {
        "name": f"หน่วยทดสอบ {n}",
        "kind": Unit.Kind.OTHER,
        "abbreviation": f"ทส{n}",
    }
    values.update(overrides)
    return Unit.objects.create(**values)


def make_member(*, unit: Unit, phone: str | None = None, **overrides: object) -> Member:
    values: dict[str, object] = {
        "number": f"{next(_numbers):06d}",
        "title": "นาง",
        "first_name": "มาลี",
        "last_name": "ทดสอบ",
        "unit": unit,
    }
    values.update(overrides)
    member = Member.objects.create(**values)
    if phone:
        Phone.objects.create(member=member, raw=phone, e164="+66" + phone.lstrip("0"))
    return member
