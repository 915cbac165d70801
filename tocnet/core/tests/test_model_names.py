"""The admin reads Thai: model and app names, the site header; nothing in English."""

import re

from django.apps import apps
from django.urls import reverse
from django.utils import translation

from tocnet.core.model_names import MODEL_NAMES
from tocnet.testing import BaseTestCase

LATIN = re.compile(r"[A-Za-z]")


def _without_line(text: str) -> str:
    return text.replace("LINE", "").replace("TOC-Net", "")


class ModelNamesTestCase(BaseTestCase):
    def test_it_names_every_listed_model_in_thai(self) -> None:
        with translation.override("th"):
            for label in MODEL_NAMES:
                try:
                    model = apps.get_model(label)
                except LookupError:
                    continue
                with self.subTest(model=label):
                    for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                        self.assertIsNone(LATIN.search(_without_line(str(name))), str(name))

    def test_it_shows_the_admin_index_in_thai(self) -> None:
        self.staff.is_superuser = True
        self.staff.save(update_fields=["is_superuser"])
        self.login_as(self.staff)
        body = self.client.get(reverse("admin:index")).content.decode()
        self.assertNotIn("Django", body.split("<body", 1)[1].split("<footer", 1)[0])
        self.assertIn("ผู้ดูแลระบบ TOC-Net", body)
        with translation.override("th"):
            for label in ("accounts.LoginFailure", "line.GroupMemberSighting", "line.WebhookEvent"):
                plural = str(apps.get_model(label)._meta.verbose_name_plural)
                self.assertIn(plural[:1].upper() + plural[1:], body)
        for english in ("Login failures", "Group member sightings", "Webhook events"):
            self.assertNotIn(english, body)
