"""One phone format: national 08x-xxx-xxxx where people read, E.164 where machines do."""

import pytest
from django.template import Context, Template

from tocnet.core.thai import phone_display


@pytest.mark.parametrize(
    ("e164", "raw", "extension", "shown"),
    [
        ("+66641396924", "+66 64 139 6924", "", "064-139-6924"),
        ("+66872725879", "0872725879", "", "087-272-5879"),
        ("+66823206040", "082-320-6040", "", "082-320-6040"),
        ("+6621438144", "02-143-8144", "701", "02-143-8144 ต่อ 701"),
        ("+6653123456", "053123456", "", "053-123-456"),
        ("+14155552671", "+1 415 555 2671", "", "+1 415-555-2671"),
        ("", "12345", "", "12345"),
    ],
)
def test_phone_display(e164: str, raw: str, extension: str, shown: str) -> None:
    assert phone_display(e164, raw=raw, extension=extension) == shown


def test_filters_give_people_the_national_form_and_machines_e164() -> None:
    class P:
        e164 = "+66826345704"
        raw = "+66826345704"
        extension = ""

    html = Template('{% load thai %}<a href="{{ p|tel_uri }}">{{ p|phone }}</a>').render(
        Context({"p": P()})
    )
    assert html == '<a href="tel:+66826345704">082-634-5704</a>'
