import pytest

from chalicelib.http.errors import BadRequest
from chalicelib.identity import passwords


@pytest.mark.parametrize("level,good,bad", [
    ("Low", "abcdef", "abcde"),
    ("Medium", "abcdefg1", "abcdefgh"),
    ("High", "Abcdefghij1!", "abcdefghij1!"),
])
def test_policy_levels(level, good, bad):
    passwords.check_policy(good, level)
    with pytest.raises(BadRequest) as e:
        passwords.check_policy(bad, level)
    assert level in e.value.message and e.value.field == "password"


def test_overlong_password_refused_before_hashing():
    with pytest.raises(BadRequest):
        passwords.check_policy("a1" * 65, "Low")


def test_hash_is_argon2id_and_verifies():
    h = passwords.hash_password("s3cret-Pass")
    assert h.startswith("$argon2id$")
    assert passwords.verify(h, "s3cret-Pass")
    assert not passwords.verify(h, "s3cret-pass")
    assert not passwords.verify("not-a-hash", "x")
