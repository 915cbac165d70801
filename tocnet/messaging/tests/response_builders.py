"""Sent announcements with recipients, built straight from the models (the send itself is
the announcements' work; here only its result matters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone

from tocnet.members.models import Member
from tocnet.messaging.models import (
    Announcement,
    Channel,
    Delivery,
    DeliveryStatus,
    Recipient,
)
from tocnet.messaging.responses.models import Ask, PollOption
from tocnet.registers.models import RegisterMembership


def sent_announcement(
    members: Iterable[Member],
    *,
    title: str = "เงินปันผลประจำปี 2569",
    kind: str | None = Ask.Kind.ACKNOWLEDGE,
    options: Sequence[str] = (),
    question: str = "",
    audience: str = Ask.Audience.MEMBERS,
    group_message_id: str = "",
) -> Announcement:
    now = timezone.now()
    announcement = Announcement.objects.create(
        title=title,
        body="สหกรณ์จะโอนเงินปันผลเข้าบัญชีสมาชิก",
        state=Announcement.State.SENT,
        send_started_at=now,
    )
    if kind:
        ask = Ask.objects.create(
            announcement=announcement,
            kind=kind,
            question=question,
            audience=audience,
            opened_at=now,
            stage_at=now,
        )
        for i, label in enumerate(options, start=1):
            PollOption.objects.create(ask=ask, position=i, label=label)
    groups: dict[int, Delivery] = {}
    for member in members:
        membership = (
            RegisterMembership.objects.filter(member=member, until__isnull=True)
            .select_related("register")
            .first()
        )
        register = membership.register if membership else None
        if register is not None:
            delivery = groups.get(register.pk)
            if delivery is None:
                delivery = groups[register.pk] = Delivery.objects.create(
                    announcement=announcement,
                    channel=Channel.LINE_GROUP,
                    register=register,
                    address=register.line_group_id or "",
                    status=DeliveryStatus.SENT,
                    sent_at=now,
                    provider_message_id=group_message_id,
                )
            channel = Channel.LINE_GROUP
        else:
            channel = Channel.SMS
            delivery = Delivery.objects.create(
                announcement=announcement,
                channel=Channel.SMS,
                member=member,
                status=DeliveryStatus.SENT,
                sent_at=now,
            )
        Recipient.objects.create(
            announcement=announcement,
            member=member,
            register=register,
            unit=member.unit,
            channel=channel,
            delivery=delivery,
        )
    return announcement
