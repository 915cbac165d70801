from django.contrib.humanize.templatetags.humanize import intcomma
from django.test import SimpleTestCase
from django.utils import translation

from tocnet.core.templatetags.thai import thousands


class ThousandsTestCase(SimpleTestCase):
    def test_it_prints_what_intcomma_prints_in_thai_and_english(self) -> None:
        for language in ("th", "en"):
            with translation.override(language):
                for value in (0, 7, 999, 1000, 10463, 1234567, -2500, 12.5, "3000", "–", True):
                    with self.subTest(language=language, value=value):
                        self.assertEqual(thousands(value), str(intcomma(value)))

    def test_a_figure_not_computed_prints_nothing(self) -> None:
        # The reports' tables leave a missing figure blank (intcomma would print "None").
        self.assertEqual(thousands(None), "")
