from hypothesis import given, settings
from hypothesis import strategies as st

from tocnet.line.signature import is_valid_signature, sign_body

# LINE's official example (developers.line.biz/en/docs/messaging-api/verify-webhook-signature/).
OFFICIAL_BODY = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
OFFICIAL_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
OFFICIAL_SIGNATURE = "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="


def test_it_matches_lines_official_test_vector() -> None:
    assert sign_body(OFFICIAL_BODY, OFFICIAL_SECRET) == OFFICIAL_SIGNATURE
    assert is_valid_signature(OFFICIAL_BODY, OFFICIAL_SIGNATURE, OFFICIAL_SECRET)


def test_it_rejects_missing_wrong_and_reencoded() -> None:
    assert not is_valid_signature(OFFICIAL_BODY, None, OFFICIAL_SECRET)
    assert not is_valid_signature(OFFICIAL_BODY, "", OFFICIAL_SECRET)
    assert not is_valid_signature(OFFICIAL_BODY, OFFICIAL_SIGNATURE, "another-secret")
    assert not is_valid_signature(OFFICIAL_BODY, OFFICIAL_SIGNATURE, "")
    # The body must be verified byte for byte: re-serialising with spaces breaks it.
    spaced = b'{"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": []}'
    assert not is_valid_signature(spaced, OFFICIAL_SIGNATURE, OFFICIAL_SECRET)
    assert not is_valid_signature(b"\xff\xfe", OFFICIAL_SIGNATURE, OFFICIAL_SECRET)


@settings(max_examples=40, deadline=None)
@given(body=st.text(max_size=200), secret=st.text(min_size=1, max_size=40), flip=st.integers(0, 10))
def test_it_accepts_its_own_signature_and_no_other_body(body: str, secret: str, flip: int) -> None:
    signature = sign_body(body, secret)
    assert is_valid_signature(body.encode(), signature, secret)
    assert not is_valid_signature((body + "x" * (flip + 1)).encode(), signature, secret)
