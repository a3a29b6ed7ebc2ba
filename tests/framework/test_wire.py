"""The shared wire format: signing vectors from API-FACTS.md, encoding, envelopes."""
import datetime as dt

import pytest

from marvin2 import wire

BASE = {"apiKey": "foo", "command": "listVirtualMachines", "response": "json"}


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({"listall": "true"}, "B0d6hBsZTcFVCiioSxzwKA9Pke8="),
        ({"page": "1", "pageSize": "10", "temPlateidd": "4", "templateId": "3", "zoneId": "2"}, "mMS7XALuGkCXk7kj5SywySku0Z0="),
        ({"listall": "1", "unicode_param": "éèààû"}, "gABU/KFJKD3FLAgKDuxQoryu4sA="),
    ],
)
def test_signature_vectors_secret_bar(extra, expected):
    assert wire.sign({**BASE, **extra}, "bar") == expected


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"command": "listZones"}, "oW4LJwZ7g1v4YmFMYq7Yap6JAnw="),
        ({"command": "listZones", "signatureVersion": "3", "expires": "2030-01-01T00:00:00+0000"}, "5Rv1j2g0zpFsbziV2b79kZX5Sq8="),
    ],
)
def test_signature_vectors_secret_secret(params, expected):
    assert wire.sign({"apiKey": "KEY", "response": "json", **params}, "SECRET") == expected


def test_signature_ignores_signature_param_and_verifies():
    params = {**BASE, "listall": "true"}
    signature = wire.sign(params, "bar")
    assert wire.sign({**params, "signature": "whatever"}, "bar") == signature
    assert wire.verify_signature(params, "bar", signature)
    assert not wire.verify_signature(params, "baz", signature)
    assert not wire.verify_signature(params, "bar", "")


def test_java_urlencode_differs_from_python_quote_where_java_does():
    assert wire.java_urlencode("a~b") == "a%7Eb"
    assert wire.java_urlencode("a b+c,d/e:f") == "a%20b%2Bc%2Cd%2Fe%3Af"
    assert wire.java_urlencode("A-z_0.9*") == "A-z_0.9*"
    assert wire.java_urlencode("é") == "%C3%A9"


def test_sort_is_case_sensitive_before_lowercasing():
    # 'B' sorts before 'a' case-sensitively; lower-casing first would reverse them.
    assert wire.signing_string({"a": "1", "B": "2"}) == "b=2&a=1"


def test_tzdate_round_trip_uses_plus0000():
    moment = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert wire.format_tzdate(moment) == "2030-01-01T00:00:00+0000"
    assert wire.parse_tzdate("2030-01-01T00:00:00Z") == moment
    assert wire.parse_tzdate("2030-01-01T01:00:00+01:00") == moment


def test_encode_params_types():
    encoded = wire.encode_params(
        {
            "listall": True,
            "ids": ["a", "", "b"],
            "startdate": dt.date(2026, 11, 24),
            "tags": {"k1": "v1"},
            "details": {"cpunumber": 2},
            "skipped": None,
        }
    )
    assert encoded == {
        "listall": "true",
        "ids": "a,b",
        "startdate": "2026-11-24",
        "tags[0].key": "k1",
        "tags[0].value": "v1",
        "details[0].cpunumber": "2",
    }


def test_encode_params_list_of_maps():
    encoded = wire.encode_params({"iptonetworklist": [{"ip": "10.1.1.5", "networkid": "n1"}, {"networkid": "n2"}]})
    assert encoded == {
        "iptonetworklist[0].ip": "10.1.1.5",
        "iptonetworklist[0].networkid": "n1",
        "iptonetworklist[1].networkid": "n2",
    }


def test_decode_map_param_orders_entries_and_rejects_malformed():
    params = {"tags[1].key": "b", "tags[0].key": "a", "Tags[0].value": "1", "tags[1].value": "2", "other": "x"}
    assert wire.decode_map_param(params, "tags") == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    with pytest.raises(ValueError, match=r"tags\[x\]"):
        wire.decode_map_param({"tags[x].key": "a"}, "tags")


def test_error_envelope_and_unwrap():
    body = wire.error_envelope("listZones", 431, "bad", 4350)
    assert body == {"listzonesresponse": {"uuidList": [], "errorcode": 431, "cserrorcode": 4350, "errortext": "bad"}}
    assert wire.error_envelope(None, 401, "x", None) == {"errorresponse": {"uuidList": [], "errorcode": 401, "errortext": "x"}}
    assert wire.unwrap_envelope({"a": {"b": 1}}) == ("a", {"b": 1})
    with pytest.raises(ValueError):
        wire.unwrap_envelope({"a": 1, "b": 2})


def test_mask_secrets():
    masked = wire.mask_secrets({"password": "p", "secretKey": "s", "signature": "sig", "name": "n"})
    assert masked["name"] == "n"
    assert "p" not in masked.values() and "s" not in masked.values() and "sig" not in masked.values()


def test_encode_params_leaves_out_none_map_values():
    # deleteTags with a key only: no value field at all, never the text "None".
    assert wire.encode_params({"tags": {"owner": None}}) == {"tags[0].key": "owner"}
    assert wire.encode_params({"details": [{"a": "1", "b": None}]}) == {"details[0].a": "1"}
