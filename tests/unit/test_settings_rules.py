import pytest

from functions.core.settings_rules import check_activity_types, check_settings

EXPECTED = "https://calbridge.example.com/oauth_callback"
GOOD = {
    "api_key": "AIza" + "B" * 35,
    "client_id": "123456789012-abc123def.apps.googleusercontent.com",
    "client_secret": "GOCSPX-secret",
    "redirect_url": EXPECTED,
}


def test_good_settings_pass_trimmed() -> None:
    checked, errors = check_settings(dict(GOOD, client_id=" " + GOOD["client_id"] + " "), EXPECTED, False)
    assert errors == {}
    assert checked is not None and checked.client_id == GOOD["client_id"] and checked.client_secret == "GOCSPX-secret"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_key", "AIza-too-short"),
        ("api_key", "BIza" + "B" * 35),
        ("api_key", 42),
        ("client_id", "abc-123.apps.googleusercontent.com"),
        ("client_id", "123-abc.apps.googleusercontent.com.evil.com"),
        ("client_id", "123-a_b.apps.googleusercontent.com"),
        ("client_id", None),
        ("client_secret", ""),
        ("client_secret", "with space"),
        ("client_secret", ["x"]),
        ("redirect_url", EXPECTED + "/"),
        ("redirect_url", "http://calbridge.example.com/oauth_callback"),
    ],
)
def test_one_wrong_field_one_message(field: str, value: object) -> None:
    checked, errors = check_settings(dict(GOOD, **{field: value}), EXPECTED, secret_already_set=False)
    assert checked is None
    assert list(errors) == [field]


def test_the_secret_may_be_omitted_once_one_is_stored() -> None:
    body = {k: v for k, v in GOOD.items() if k != "client_secret"}
    checked, errors = check_settings(body, EXPECTED, secret_already_set=True)
    assert errors == {} and checked is not None and checked.client_secret is None
    assert list(check_settings(body, EXPECTED, secret_already_set=False)[1]) == ["client_secret"]


def test_the_redirect_message_names_the_expected_url() -> None:
    _, errors = check_settings(dict(GOOD, redirect_url="https://x"), EXPECTED, False)
    assert EXPECTED in errors["redirect_url"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (["Call", "Meeting", "Task"], True),
        ([" Call "], True),
        ([], False),
        ("Call", False),
        (["Call", "CALL"], False),
        (["a/b"], False),
        ([".."], False),
        (["__x__"], False),
        ([""], False),
        ([1], False),
        (["x" * 65], False),
    ],
)
def test_activity_types(value: object, ok: bool) -> None:
    cleaned, error = check_activity_types(value)
    assert (cleaned is not None, error is None) == (ok, ok)
