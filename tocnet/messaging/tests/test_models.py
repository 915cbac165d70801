"""The invariants the database keeps for announcements, whatever code writes them."""

from django.db import IntegrityError, transaction

from tocnet.messaging.models import Announcement, Channel, Delivery
from tocnet.testing import BaseTestCase


class AnnouncementModelTestCase(BaseTestCase):
    def _announcement(self) -> Announcement:
        return Announcement.objects.create(title="ปันผล", body="ข้อความ", author=self.staff)

    def test_it_refuses_an_approver_who_is_the_author(self) -> None:
        announcement = self._announcement()
        announcement.approver = self.staff
        with self.assertRaises(IntegrityError), transaction.atomic():
            announcement.save()

    def test_it_keeps_one_delivery_per_member_and_channel(self) -> None:
        announcement = self._announcement()
        Delivery.objects.create(
            announcement=announcement, channel=Channel.SMS, member=self.in_register
        )
        with self.assertRaises(IntegrityError), transaction.atomic():
            Delivery.objects.create(
                announcement=announcement, channel=Channel.SMS, member=self.in_register
            )
        # Another channel for the same member is a different delivery.
        Delivery.objects.create(
            announcement=announcement, channel=Channel.EMAIL, member=self.in_register
        )
        self.assertEqual(Delivery.objects.filter(announcement=announcement).count(), 2)

    def test_it_keeps_one_delivery_per_register_and_channel(self) -> None:
        announcement = self._announcement()
        Delivery.objects.create(
            announcement=announcement, channel=Channel.LINE_GROUP, register=self.register
        )
        with self.assertRaises(IntegrityError), transaction.atomic():
            Delivery.objects.create(
                announcement=announcement, channel=Channel.LINE_GROUP, register=self.register
            )

    def test_it_refuses_a_delivery_to_both_a_member_and_a_register(self) -> None:
        announcement = self._announcement()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Delivery.objects.create(
                announcement=announcement,
                channel=Channel.LINE_GROUP,
                register=self.register,
                member=self.in_register,
            )

    def test_it_gives_every_delivery_its_own_retry_key_before_any_try(self) -> None:
        announcement = self._announcement()
        a = Delivery.objects.create(
            announcement=announcement, channel=Channel.SMS, member=self.in_register
        )
        b = Delivery.objects.create(
            announcement=announcement, channel=Channel.SMS, member=self.rep_member
        )
        a.refresh_from_db()
        self.assertEqual(a.attempts, 0)
        self.assertIsNotNone(a.retry_key)
        self.assertNotEqual(a.retry_key, b.retry_key)
