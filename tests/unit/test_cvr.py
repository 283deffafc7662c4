import pytest

from hub.cvr import is_valid_gln, normalize_cvr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345674", "12345674"),
        ("DK12345674", "12345674"),
        ("DK 12 34 56 74", "12345674"),
        ("12-34-56-74", "12345674"),
        ("dk12345674", "12345674"),
        (" 12345674 ", "12345674"),
    ],
)
def test_normalize_cvr_accepts_valid_forms(raw: str, expected: str) -> None:
    assert normalize_cvr(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345678",  # fails the modulus-11 check
        "1234567",  # too short
        "123456749",  # too long
        "SE556000000001",  # a Swedish VAT number is not a CVR
        "DE123456789",  # a German VAT number is not a CVR
        "02345674",  # CVR numbers do not start with 0
        "",
        "DK",
        "1234567A",
    ],
)
def test_normalize_cvr_rejects_invalid(raw: str) -> None:
    assert normalize_cvr(raw) is None


def test_normalize_cvr_of_none_is_none() -> None:
    assert normalize_cvr(None) is None


@pytest.mark.parametrize("gln", ["5790000000012", "5798000416604", "579 8000 4166 04"])
def test_gln_with_valid_check_digit(gln: str) -> None:
    assert is_valid_gln(gln)


@pytest.mark.parametrize("gln", ["5790000000013", "579000000001", "57900000000120", "579000000001X", None])
def test_gln_invalid(gln: str | None) -> None:
    assert not is_valid_gln(gln)
