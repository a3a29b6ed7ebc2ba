"""The request pipeline of CloudStack 4.20's Java server (ApiServlet, ApiServer, ParamUnpackWorker,
ParamProcessWorker, BaseListCmd, the login authenticator), one behaviour per test: request -> exact status,
envelope key, cserrorcode and text."""
from __future__ import annotations

import pytest
import requests

from marvin2 import wire
from sim_testlib import RawClient

SIG_TEXT = "unable to verify user credentials and/or request signature"
SESSION_TEXT = "unable to verify user credentials"
DECODE_HINT = "; if specifying an object array, please use parameter[index].field=XXX, e.g. userGroupList[0].group=httpGroup"


@pytest.fixture(scope="module")
def user_keys(admin) -> dict:
    """A plain user in a sub-domain: its keys, password, user id and domain path."""
    domain = admin.ok("createDomain", name="pipeline")["domain"]
    account = admin.ok("createAccount", method="POST", username="plain", password="pw-plain", email="p@x.org",
                       firstname="P", lastname="L", accounttype=0, domainid=domain["id"])["account"]
    user = account["user"][0]
    keys = admin.ok("registerUserKeys", id=user["id"])["userkeys"]
    return {**keys, "userid": user["id"], "username": "plain", "password": "pw-plain", "domainpath": "/pipeline/",
            "domainid": domain["id"]}


def query(pairs) -> str:
    """A query string exactly as given (repeated names kept, names not encoded)."""
    return "&".join(f"{name}={wire.java_urlencode(str(value))}" for name, value in pairs)


def signed(admin: RawClient, pairs, *, signature_name: str = "signature") -> list[tuple[str, str]]:
    """``pairs`` + apiKey + a signature over what the server will dispatch (the last of a repeated name)."""
    pairs = [*pairs, ("apiKey", admin.api_key)]
    seen = dict(pairs)
    return [*pairs, (signature_name, wire.sign(seen, admin.secret))]


def get(sim, pairs, **kwargs) -> requests.Response:
    return requests.get(f"{sim.endpoint}?{query(pairs)}", timeout=10, **kwargs)


def error(status, key, text, cserrorcode=9999):
    inner = {"uuidList": [], "errorcode": status}
    if cserrorcode is not None:
        inner["cserrorcode"] = cserrorcode
    inner["errortext"] = text
    return {key: inner}


def check(reply: requests.Response, status: int, body: dict) -> None:
    assert (reply.status_code, reply.json()) == (status, body)


def login(sim, username="admin", password="password", **extra) -> requests.Session:
    http = requests.Session()
    reply = http.post(sim.endpoint, data={"command": "login", "username": username, "password": password,
                                          "response": "json", **extra}, timeout=10)
    assert reply.status_code == 200, reply.text
    http.sessionkey = reply.json()["loginresponse"]["sessionkey"]
    return http


def session_get(sim, http: requests.Session, pairs, *, key: str | None = None) -> requests.Response:
    key = http.sessionkey if key is None else key
    return http.get(f"{sim.endpoint}?{query([*pairs, ('sessionkey', key)])}", timeout=10)


# --- command, response and sessionkey are spelled exactly ---------------------------------------


def test_command_spelled_otherwise_is_no_command_401_with_a_key_under_null(sim, admin):
    reply = get(sim, signed(admin, [("Command", "listZones"), ("response", "json")]))
    check(reply, 401, error(401, "null", SIG_TEXT, None))


def test_no_command_in_a_session_is_400_under_null(sim):
    http = login(sim)
    check(session_get(sim, http, [("Command", "listZones"), ("response", "json")]), 400,
          error(400, "null", "no command specified", None))
    assert session_get(sim, http, [("command", "listZones"), ("response", "json")]).status_code == 200


def test_response_spelled_otherwise_is_no_response(sim, admin):
    # RESPONSE=json is not response=json: a real server answers XML; the simulator speaks only JSON and says so.
    reply = get(sim, signed(admin, [("command", "listZones"), ("RESPONSE", "json")]))
    check(reply, 431, error(431, "listzonesresponse", "The marvin2 simulator only answers JSON: add response=json "
                                                      "to the request (got response=<absent, meaning xml>)"))


def test_sessionkey_spelled_otherwise_is_missing_and_ends_the_session(sim):
    http = login(sim)
    reply = http.get(f"{sim.endpoint}?{query([('command', 'listZones'), ('response', 'json'), ('SessionKey', http.sessionkey)])}",
                     timeout=10)
    check(reply, 401, error(401, "listzonesresponse", SESSION_TEXT, None))
    check(session_get(sim, http, [("command", "listZones"), ("response", "json")]), 401,
          error(401, "listzonesresponse", SIG_TEXT, None))      # the session is gone: the API-key path answers


def test_role_check_runs_before_the_signature_check(sim, admin, user_keys):
    user = RawClient(sim.endpoint, user_keys["apikey"], user_keys["secretkey"])
    params = user.signed_params("listHosts")
    params["signature"] = "AAAA" + params["signature"][4:]
    check(requests.get(sim.endpoint, params=params, timeout=10), 432, error(
        432, "errorresponse",
        f"The API [listHosts] does not exist or is not available for the account for user id [{user_keys['userid']}]."))
    params = user.signed_params("listZones")         # an allowed command with a bad signature: 401
    params["signature"] = "AAAA" + params["signature"][4:]
    check(requests.get(sim.endpoint, params=params, timeout=10), 401, error(401, "listzonesresponse", SIG_TEXT, None))


def test_signature_is_left_out_of_signing_whatever_its_case(sim, admin):
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json")], signature_name="Signature"))
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["count"] == 1


# --- 432s and cserrorcodes ---------------------------------------------------------------------


def test_unknown_command_root_admin_session_is_432_unknown(sim):
    http = login(sim)
    check(session_get(sim, http, [("command", "listZonez"), ("response", "json")]), 432,
          error(432, "errorresponse", "Unknown API command: listZonez"))


def test_unknown_command_other_role_session_is_432_not_available(sim, user_keys):
    http = login(sim, user_keys["username"], user_keys["password"], domain=user_keys["domainpath"])
    check(session_get(sim, http, [("command", "listZonez"), ("response", "json")]), 432, error(
        432, "errorresponse",
        f"The API [listZonez] does not exist or is not available for the account for user id [{user_keys['userid']}]."))


def test_unknown_command_with_a_key_is_401_errorresponse(sim, admin):
    check(get(sim, signed(admin, [("command", "listZonez"), ("response", "json")])), 401,
          error(401, "errorresponse", SIG_TEXT, None))


def test_cserrorcode_9999_for_the_api_layer_and_the_exception_code_for_business_errors(sim, admin):
    # API layer (a ServerApiException without a cause): 9999.
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "x"), ("pagesize", "1")])),
          431, error(431, "listzonesresponse", "Unable to execute API command listzones due to invalid value x for parameter page"))
    # Business logic (InvalidParameterValueException from BaseListCmd.getPageSize): its own 4350.
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "1"), ("pagesize", "501")])),
          431, error(431, "listzonesresponse", "Page size can't exceed max allowed page size value: 500", 4350))


# --- parameter processing, field by field in the server's order --------------------------------


def test_fields_are_checked_in_the_server_order(sim, admin):
    # 4.20's DeployVMCmdByAdmin: podid, clusterid, zoneid ... so the missing zoneid decides, not the bad offering.
    check(get(sim, signed(admin, [("command", "deployVirtualMachine"), ("response", "json"), ("serviceofferingid", "x")])),
          431, error(431, "deployvirtualmachineresponse",
                     "Unable to execute API command deployvirtualmachine due to missing parameter zoneid"))


def test_required_and_empty_is_invalid_value_4350(sim, admin):
    check(get(sim, signed(admin, [("command", "listTemplates"), ("response", "json"), ("templatefilter", "")])),
          431, error(431, "listtemplatesresponse", "Invalid value provided for API arg: templatefilter", 4350))


def test_optional_uuid_sent_empty_is_an_invalid_value(sim, admin):
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", "")])), 431, error(
        431, "listzonesresponse",
        "Unable to execute API command listzones due to invalid value. Invalid parameter id value= due to incorrect "
        "long value format, or entity does not exist or due to incorrect parameter annotation for the field in api cmd "
        "class."))


def test_minus_one_passes_any_uuid_parameter(sim, admin):
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", "-1")])), 200,
          {"listzonesresponse": {}})


def test_numeric_internal_id_for_uuid_parameters_without_since(sim, admin):
    zone = admin.ok("listZones")["zone"][0]
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", "1")]))
    assert reply.status_code == 200 and [z["id"] for z in reply.json()["listzonesresponse"]["zone"]] == [zone["id"]]
    root = get(sim, signed(admin, [("command", "listDomains"), ("response", "json"), ("id", "1")])).json()
    assert [d["name"] for d in root["listdomainsresponse"]["domain"]] == ["ROOT"]
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", "0")])), 431, error(
        431, "listzonesresponse", "Unable to execute API command listzones due to invalid value. "
                                  "Invalid value provided for API arg: id"))


def test_non_uuid_text_is_ignored_for_uuid_parameters_with_since(sim, admin):
    everything = admin.ok("listDiskOfferings")["count"]
    reply = get(sim, signed(admin, [("command", "listDiskOfferings"), ("response", "json"), ("zoneid", "not-a-uuid")]))
    assert reply.status_code == 200 and reply.json()["listdiskofferingsresponse"]["count"] == everything
    # Without since the same text is refused.
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", "not-a-uuid")]))
    assert reply.status_code == 431


def test_uuids_match_in_any_letter_case(sim, admin):
    zone = admin.ok("listZones")["zone"][0]
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("id", zone["id"].upper())]))
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["zone"][0]["id"] == zone["id"]


def test_over_long_string_names_the_java_field(sim, admin):
    check(get(sim, signed(admin, [("command", "listPods"), ("response", "json"), ("name", "p" * 256)])), 431, error(
        431, "listpodsresponse", "Unable to execute API command listpods due to invalid value. "
                                 "Value greater than max allowed length 255 for param: podName"))
    # 255 UTF-16 units pass; Java counts a character outside the BMP as two.
    assert get(sim, signed(admin, [("command", "listPods"), ("response", "json"), ("name", "p" * 255)])).status_code == 200
    assert get(sim, signed(admin, [("command", "listPods"), ("response", "json"),
                                   ("name", "\U0001F600" * 128)])).status_code == 431


def test_lists_and_maps_have_no_length_check(sim, admin):
    zone = admin.ok("listZones")["zone"][0]
    ids = ",".join([zone["id"]] * 10)          # 369 characters
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("ids", ids)]))
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["count"] == 1
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("tags[0].key", "k"),
                                    ("tags[0].value", "v" * 300)]))
    check(reply, 200, {"listzonesresponse": {}})


def test_dates_take_three_forms_else_java_parse_text(sim, admin):
    for text in ("2026-01-01", "2026-01-01 10:00:00", "2026-01-01T10:00:00+0000", "2026-01-01T10:00:00Z",
                 "2026-01-01T10:00:00+01:00"):
        reply = get(sim, signed(admin, [("command", "listEvents"), ("response", "json"), ("startdate", text)]))
        assert reply.status_code == 200, (text, reply.text)
    check(get(sim, signed(admin, [("command", "listEvents"), ("response", "json"), ("startdate", "01/01/2026")])), 431,
          error(431, "listeventsresponse", "Unable to parse date 01/01/2026 for command listevents, please pass dates "
                                           "in the format mentioned in the api documentation"))


def test_integers_are_parsed_as_java_does(sim, admin):
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", " 1"), ("pagesize", "1")])),
          431, error(431, "listzonesresponse", "Unable to execute API command listzones due to invalid value  1 for "
                                               "parameter page"))
    assert get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "+1"),
                                   ("pagesize", "1")])).status_code == 200
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "1.0"), ("pagesize", "1")])),
          431, error(431, "listzonesresponse", "Unable to execute API command listzones due to invalid value 1.0 for "
                                               "parameter page"))


def test_booleans_are_case_insensitive(sim, admin, user_keys):
    own = get(sim, signed(admin, [("command", "listAccounts"), ("response", "json")])).json()["listaccountsresponse"]
    for text in ("TRUE", "True", "true"):
        reply = get(sim, signed(admin, [("command", "listAccounts"), ("response", "json"), ("listall", text)]))
        assert reply.json()["listaccountsresponse"]["count"] > own["count"], text
    for text in ("yes", "1"):         # Boolean.valueOf: anything else is false, never an error
        reply = get(sim, signed(admin, [("command", "listAccounts"), ("response", "json"), ("listall", text)]))
        assert reply.json()["listaccountsresponse"]["count"] == own["count"], text


def test_pagesize_minus_one_with_page_is_431(sim, admin):
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "1"), ("pagesize", "-1")])),
          431, error(431, "listzonesresponse", "Can't specify page parameter when pagesize is -1 (Unlimited)", 4350))
    assert get(sim, signed(admin, [("command", "listZones"), ("response", "json"),
                                   ("pagesize", "-1")])).json()["listzonesresponse"]["count"] == 1


def test_page_zero_or_less_is_the_first_page(sim, admin):
    first = admin.ok("listZones", page=1, pagesize=1)
    for page in ("0", "-3"):
        reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", page), ("pagesize", "1")]))
        assert reply.status_code == 200 and reply.json()["listzonesresponse"] == first, page


def test_page_and_pagesize_go_together(sim, admin):
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("pagesize", "1")])), 431,
          error(431, "listzonesresponse", '"page" parameter is required when "pagesize" is specified'))
    check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("page", "1")])), 431,
          error(431, "listzonesresponse", '"pagesize" parameter is required when "page" is specified'))


# --- malformed names, control characters, repeated parameters ------------------------------------


def test_bracket_names_must_read_name_index_field(sim, admin):
    for bad in ("tags[0]key", "foo[x].y", "bogus[1", "a[0].b[1].c", "tags[0]].key"):
        reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), (bad, "v")]))
        check(reply, 430, error(430, "listzonesresponse", f"Unable to decode parameter {bad}{DECODE_HINT}"))
    # A well-formed unknown map and a name starting with "[" (not an array for Java) are ignored.
    for fine in ("bogus[3].field", "[x]"):
        assert get(sim, signed(admin, [("command", "listZones"), ("response", "json"), (fine, "v")])).status_code == 200


def test_control_characters_are_431_lf_and_cr_are_not(sim, admin):
    for name, value in (("name", "a\x01b"), ("bogus", "\x07"), ("keyword", "tab\there"), ("name", "del\x7f")):
        check(get(sim, signed(admin, [("command", "listZones"), ("response", "json"), (name, value)])), 431, error(
            431, "listzonesresponse", f"Received value containing illegal ASCII non-printable characters for parameter {name}"))
    assert get(sim, signed(admin, [("command", "listZones"), ("response", "json"),
                                   ("keyword", "a\nb\rc")])).status_code == 200


def test_repeated_query_parameter_last_wins(sim, admin):
    zone = admin.ok("listZones")["zone"][0]
    reply = get(sim, signed(admin, [("command", "listZones"), ("response", "json"), ("name", "nope"),
                                    ("name", zone["name"])]))
    assert reply.json()["listzonesresponse"]["count"] == 1


def test_repeated_body_parameter_first_wins_and_query_beats_body(sim, admin):
    zone = admin.ok("listZones")["zone"][0]
    dispatched = {"command": "listZones", "response": "json", "name": zone["name"], "apiKey": admin.api_key}
    signature = wire.sign(dispatched, admin.secret)
    body = query([("name", zone["name"]), ("name", "nope"), ("apiKey", admin.api_key), ("signature", signature)])
    reply = requests.post(f"{sim.endpoint}?command=listZones&response=json", data=body, timeout=10,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["count"] == 1
    body = query([("name", "nope"), ("apiKey", admin.api_key), ("signature", signature)])
    reply = requests.post(f"{sim.endpoint}?{query([('command', 'listZones'), ('response', 'json'), ('name', zone['name'])])}",
                          data=body, timeout=10, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 200 and reply.json()["listzonesresponse"]["count"] == 1


def test_unchecked_ids_reach_the_service_which_cannot_find_them(sim, admin):
    # "-1" and an internal id without a row pass the API layer; the service answers 431 (4350) for the row.
    check(get(sim, signed(admin, [("command", "deleteNetwork"), ("response", "json"), ("id", "-1")])), 431,
          error(431, "deletenetworkresponse", "Unable to find network by id -1", 4350))
    check(get(sim, signed(admin, [("command", "updateZone"), ("response", "json"), ("id", "99")])), 431,
          error(431, "updatezoneresponse", "Unable to find zone by id 99", 4350))
    check(get(sim, signed(admin, [("command", "listHosts"), ("response", "json"), ("zoneid", "99")])), 200,
          {"listhostsresponse": {}})
