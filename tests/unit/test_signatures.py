import pytest

from hub.signatures import InvalidSignature, sign, verify, verify_hex

BODY = b'{"id":"dlv_1"}'
NOW = 1_800_000_000.0


def _header(secret: str, timestamp: str = str(int(NOW))) -> str:
    return f"v1={sign(secret, timestamp, BODY)}"


def test_verify_accepts_matching_signature() -> None:
    verify(secrets=["s1"], timestamp=str(int(NOW)), signature_header=_header("s1"), body=BODY, now=NOW)


def test_verify_accepts_second_secret_during_rotation() -> None:
    verify(
        secrets=["old", "new"], timestamp=str(int(NOW)), signature_header=_header("new"), body=BODY, now=NOW
    )


def test_verify_accepts_any_of_several_signatures() -> None:
    header = f"v1={'0' * 64}, {_header('s1')}"
    verify(secrets=["s1"], timestamp=str(int(NOW)), signature_header=header, body=BODY, now=NOW)


def test_verify_rejects_wrong_secret() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(secrets=["s1"], timestamp=str(int(NOW)), signature_header=_header("other"), body=BODY, now=NOW)


def test_verify_rejects_changed_body() -> None:
    with pytest.raises(InvalidSignature):
        verify(
            secrets=["s1"], timestamp=str(int(NOW)), signature_header=_header("s1"), body=BODY + b" ", now=NOW
        )


def test_verify_rejects_timestamp_older_than_five_minutes() -> None:
    old = str(int(NOW) - 301)
    with pytest.raises(InvalidSignature, match="300 seconds"):
        verify(secrets=["s1"], timestamp=old, signature_header=_header("s1", old), body=BODY, now=NOW)


def test_verify_accepts_timestamp_just_inside_window() -> None:
    recent = str(int(NOW) - 299)
    verify(secrets=["s1"], timestamp=recent, signature_header=_header("s1", recent), body=BODY, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "header"), [(None, "v1=ab"), ("1800000000", None), ("", ""), ("soon", "v1=ab")]
)
def test_verify_rejects_missing_or_malformed_headers(timestamp: str | None, header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify(secrets=["s1"], timestamp=timestamp, signature_header=header, body=BODY, now=NOW)


def test_verify_rejects_header_without_v1_scheme() -> None:
    with pytest.raises(InvalidSignature, match="no v1="):
        verify(secrets=["s1"], timestamp=str(int(NOW)), signature_header="sha256=abc", body=BODY, now=NOW)


def test_rejection_reason_never_contains_the_signature() -> None:
    header = _header("other")
    with pytest.raises(InvalidSignature) as caught:
        verify(secrets=["s1"], timestamp=str(int(NOW)), signature_header=header, body=BODY, now=NOW)
    assert header[3:] not in str(caught.value)


def test_verify_hex_accepts_zettle_signature() -> None:
    timestamp = "2026-12-01T10:00:00.000Z"
    verify_hex(secrets=["k1"], timestamp=timestamp, signature=sign("k1", timestamp, BODY), payload=BODY)


def test_verify_hex_accepts_second_key_during_rotation() -> None:
    timestamp = "2026-12-01T10:00:00.000Z"
    signature = sign("new", timestamp, BODY)
    verify_hex(secrets=["old", "new"], timestamp=timestamp, signature=signature, payload=BODY)


def test_verify_hex_rejects_other_timestamp() -> None:
    signature = sign("k1", "2026-12-01T10:00:00.000Z", BODY)
    with pytest.raises(InvalidSignature):
        verify_hex(secrets=["k1"], timestamp="2026-12-01T10:00:01.000Z", signature=signature, payload=BODY)


def test_verify_hex_rejects_without_configured_key() -> None:
    timestamp = "2026-12-01T10:00:00.000Z"
    with pytest.raises(InvalidSignature, match="no signing key"):
        verify_hex(secrets=[], timestamp=timestamp, signature=sign("k1", timestamp, BODY), payload=BODY)
