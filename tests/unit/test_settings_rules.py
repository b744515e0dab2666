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
        ("client_secret", "GOCSPX-s\u00e9cret"),  # non-ASCII: Google's secrets never are
        ("client_secret", "GOCSPX-\ud800"),  # a lone surrogate (JSON "\\ud800") cannot even be encoded
        ("client_secret", "tab\tinside"),
        ("client_secret", "x" * 513),
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
        (["Réunion", "Appel téléphonique", "会議", "a/b", "__x__", "Démo #1 (é)"], True),
        (["Réunion", "RÉUNION"], False),
        ([".."], False),
        (["Call\n"], True),  # trimmed
        (["Ca\nll"], False),
        (["zero\u200bwidth"], False),
        (["\ud800"], False),
        ([""], False),
        ([1], False),
        (["x" * 65], False),
    ],
)
def test_activity_types(value: object, ok: bool) -> None:
    cleaned, error = check_activity_types(value)
    assert (cleaned is not None, error is None) == (ok, ok)


def test_activity_type_names_are_trimmed_and_normalised() -> None:
    cleaned, error = check_activity_types([" Re\u0301union "])  # "e" + combining accent
    assert error is None and cleaned == ["Réunion"]  # one code point, as the page sends it back


def test_the_secret_message_says_what_a_secret_looks_like() -> None:
    _, errors = check_settings(dict(GOOD, client_secret="GOCSPX-s\u00e9cret"), EXPECTED, False)
    assert "printable ASCII" in errors["client_secret"]
