from django.test import SimpleTestCase, override_settings

from tocnet.messaging.responses.links import TOKEN_LENGTH, link_token_key, link_token_new


class LinkTokenTestCase(SimpleTestCase):
    def test_it_round_trips(self) -> None:
        key, token = link_token_new()
        self.assertEqual(len(token), TOKEN_LENGTH)
        self.assertTrue(token.isalnum())
        self.assertEqual(link_token_key(token), key)

    def test_it_is_random(self) -> None:
        tokens = {link_token_new()[1] for _ in range(200)}
        self.assertEqual(len(tokens), 200)

    def test_it_refuses_a_changed_character(self) -> None:
        _key, token = link_token_new()
        for i in range(TOKEN_LENGTH):
            swapped = "a" if token[i] != "a" else "b"
            forged = token[:i] + swapped + token[i + 1 :]
            with self.subTest(position=i):
                self.assertIsNone(link_token_key(forged))

    def test_it_refuses_malformed_tokens(self) -> None:
        _key, token = link_token_new()
        for bad in ("", token[:-1], token + "x", token[:-1] + "-", "ก" * TOKEN_LENGTH):
            with self.subTest(bad=bad):
                self.assertIsNone(link_token_key(bad))

    def test_it_depends_on_the_secret_key(self) -> None:
        _key, token = link_token_new()
        with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789"):
            self.assertIsNone(link_token_key(token))
