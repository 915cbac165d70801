"""Thailand's provinces (pythainlp) and the names of the offices the cooperative serves."""

from dataclasses import dataclass
from functools import cache
from typing import cast

BANGKOK = "กรุงเทพมหานคร"
PROVINCE_OFFICE_PREFIX = "สำนักงานพัฒนาชุมชนจังหวัด"
STUDY_CENTRE_PREFIX = "ศูนย์ศึกษาและพัฒนาชุมชน"
STUDY_CENTRE_ABBREVIATION_PREFIX = "ศพช."


@dataclass(frozen=True)
class Province:
    name_th: str
    abbr_th: str
    name_en: str


@cache
def all_provinces() -> tuple[Province, ...]:
    """The 77 provinces, Bangkok included, in pythainlp's order."""
    from pythainlp.corpus import provinces  # imported on use: slow, and rarely needed

    details = cast(list[dict[str, str]], provinces(details=True))
    return tuple(Province(p["name_th"], p["abbr_th"], p["name_en"]) for p in details)


def office_provinces() -> tuple[Province, ...]:
    """The 76 provinces with a provincial community development office (all but Bangkok)."""
    return tuple(p for p in all_provinces() if p.name_th != BANGKOK)


@cache
def province_by_name() -> dict[str, Province]:
    return {p.name_th: p for p in all_provinces()}


def province_office_name(province: str) -> str:
    return f"{PROVINCE_OFFICE_PREFIX}{province}"


def study_centre_name(province: str) -> str:
    return f"{STUDY_CENTRE_PREFIX}{province}"


def study_centre_abbreviation(province: str) -> str:
    return f"{STUDY_CENTRE_ABBREVIATION_PREFIX}{province_by_name()[province].abbr_th}"


def short_unit_name(name: str) -> str:
    """สนง.พช.จ.ตาก for สำนักงานพัฒนาชุมชนจังหวัดตาก, ศพช. for the study centres (charts)."""
    return name.replace(PROVINCE_OFFICE_PREFIX, "สนง.พช.จ.").replace(
        STUDY_CENTRE_PREFIX, STUDY_CENTRE_ABBREVIATION_PREFIX
    )
