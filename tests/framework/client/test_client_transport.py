"""Transport behaviour against local servers: failover, safe retries, timeouts, TLS, errors."""
from __future__ import annotations

import time

import pytest
import requests

import marvin2.client as client
from marvin2.client import CallEvent, CloudStackError, TransportError
from marvin2.client.spec import Spec

from conftest import server_tls_context
from fakemgmt import Drop, FakeCloud, closed_port_url, default_apis, error

SPEC = Spec(default_apis(), version="4.18.0.0")


def _connect(urls, **options):
    options.setdefault("api_key", "KEY")
    options.setdefault("secret_key", "SECRET")
    options.setdefault("spec", SPEC)
    options.setdefault("retries", 1)
    return client.connect(urls, **options)


# --- failover --------------------------------------------------------------------------


def test_fails_over_when_a_server_refuses_connections(fake):
    dead = closed_port_url()
    api = _connect([dead, fake.url])
    events = []
    api.add_listener(events.append)
    assert api.endpoint == dead  # nothing answered yet
    assert len(api.listZones()) == 2
    assert api.endpoint == fake.url
    calls = [e for e in events if isinstance(e, CallEvent)]
    assert [(e.endpoint, e.status) for e in calls] == [(dead, None), (fake.url, 200)]
    assert isinstance(calls[0].error, TransportError)
    api.close()


def test_a_create_fails_over_too_when_it_was_never_sent(fake):
    fake.on("createNetwork", lambda r: {"network": {"id": "n1"}})
    api = _connect([closed_port_url(), fake.url])
    assert api.createNetwork(name="n", zoneid="z").id == "n1"
    assert fake.count("createNetwork") == 1
    api.close()


def test_sticks_to_the_server_that_answered(fake):
    with FakeCloud() as second:
        api = _connect([fake.url, second.url])
        api.listZones()
        api.listZones()
        assert fake.count("listZones") == 2 and second.count("listZones") == 0
        fake.stop()
        api.listZones()
        assert api.endpoint == second.url and second.count("listZones") == 1
        api.close()


def test_all_servers_down_is_a_transport_error_naming_them():
    dead = [closed_port_url(), closed_port_url()]
    api = _connect(dead, retries=1)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        api.listZones()
    error_ = caught.value
    assert set(error_.endpoints) == set(dead)
    assert "cannot connect" in str(error_) and "every server tried 2 times" in str(error_)
    assert not error_.maybe_sent
    assert time.monotonic() - started < 5
    api.close()


# --- retries only where safe -------------------------------------------------------------


def _flaky(fake: FakeCloud, command: str, failures: int, body):
    state = {"left": failures}

    def handler(request):
        if state["left"]:
            state["left"] -= 1
            raise Drop()  # the request arrived; the connection dies without an answer
        return body

    fake.on(command, handler)


def test_reads_are_retried_after_a_dropped_connection(fake):
    _flaky(fake, "listZones", 2, {"count": 1, "zone": [{"id": "z"}]})
    api = _connect(fake.url, retries=3)
    assert api.listZones() == [{"id": "z"}]
    assert fake.count("listZones") == 3
    api.close()


def test_a_create_is_never_sent_twice_after_it_may_have_arrived(fake):
    _flaky(fake, "createNetwork", 1, {"network": {"id": "n1"}})
    api = _connect(fake.url, retries=3)
    with pytest.raises(TransportError) as caught:
        api.createNetwork(name="n", zoneid="z")
    assert caught.value.maybe_sent
    assert "may have received it" in str(caught.value)
    assert fake.count("createNetwork") == 1
    api.close()


def test_a_create_is_not_failed_over_after_it_may_have_arrived(fake):
    with FakeCloud() as second:
        _flaky(fake, "createNetwork", 1, {"network": {"id": "n1"}})
        second.on("createNetwork", {"network": {"id": "n2"}})
        api = _connect([fake.url, second.url])
        with pytest.raises(TransportError):
            api.createNetwork(name="n", zoneid="z")
        assert second.count("createNetwork") == 0
        api.close()


def test_reads_retry_on_busy_proxies_but_not_on_server_errors(fake):
    state = {"n": 0}

    def busy_then_ok(request):
        state["n"] += 1
        if state["n"] == 1:
            return 503, {"listzonesresponse": {"errorcode": 503, "errortext": "busy"}}
        return {"count": 0}

    fake.on("listZones", busy_then_ok)
    api = _connect(fake.url, retries=2)
    assert api.listZones() == []
    assert fake.count("listZones") == 2

    def broken(request):
        raise error("listVirtualMachines", 530, "internal error")

    fake.on("listVirtualMachines", broken)
    with pytest.raises(CloudStackError):
        api.listVirtualMachines()
    assert fake.count("listVirtualMachines") == 1, "a CloudStack error answer is not retried"
    api.close()


# --- timeouts --------------------------------------------------------------------------------


def test_connect_and_read_timeouts_are_always_set(fake):
    for timeout, expected in [(None, (10.0, 120.0)), (3, (3.0, 3.0)), ((1, 7), (1.0, 7.0)), ({"connect": 2, "read": 9, "job": 60}, (2.0, 9.0))]:
        api = _connect(fake.url, timeout=timeout)
        assert api._transport._servers[0].send_kwargs["timeout"] == expected
        api.close()


def test_read_timeout_retries_reads_and_never_repeats_creates(fake):
    def slow(request):
        time.sleep(0.6)
        return {"count": 0}

    fake.on("listZones", slow)
    fake.on("createNetwork", lambda r: (time.sleep(0.6), {"network": {"id": "n"}})[1])
    api = _connect(fake.url, timeout=(2, 0.2), retries=1)
    with pytest.raises(TransportError) as caught:
        api.listZones()
    assert "read timeout" in str(caught.value)
    assert fake.count("listZones") == 2
    with pytest.raises(TransportError) as caught:
        api.createNetwork(name="n", zoneid="z")
    assert caught.value.maybe_sent
    assert fake.count("createNetwork") == 1
    api.close()


# --- TLS -----------------------------------------------------------------------------------------


def test_https_with_a_ca_bundle(tls_files):
    with FakeCloud(ssl_context=server_tls_context(tls_files)) as cloud:
        api = _connect(cloud.url, ca_bundle=tls_files["ca"])
        assert len(api.listZones()) == 2
        api.close()


def test_https_verifies_by_default(tls_files):
    with FakeCloud(ssl_context=server_tls_context(tls_files)) as cloud:
        api = _connect(cloud.url, retries=3)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            api.listZones()
        assert "TLS" in str(caught.value)
        assert time.monotonic() - started < 2, "a certificate failure is not retried with backoff"
        assert cloud.count("listZones") == 0
        api.close()
        insecure = _connect(cloud.url, verify=False)
        assert len(insecure.listZones()) == 2
        insecure.close()


def test_https_with_a_client_certificate(tls_files):
    context = server_tls_context(tls_files, require_client_cert=True)
    with FakeCloud(ssl_context=context) as cloud:
        api = _connect(cloud.url, ca_bundle=tls_files["ca"], client_cert=tls_files["client_cert"], client_key=tls_files["client_key"])
        assert len(api.listZones()) == 2
        api.close()
        without = _connect(cloud.url, ca_bundle=tls_files["ca"])
        with pytest.raises(TransportError):
            without.listZones()
        without.close()


# --- errors ----------------------------------------------------------------------------------------


def test_error_answers_become_cloudstack_errors(fake):
    def bad(request):
        raise error("createNetwork", 431, "Unable to execute API command createnetwork due to invalid value", 4350)

    fake.on("createNetwork", bad)
    api = _connect(fake.url)
    with pytest.raises(CloudStackError) as caught:
        api.createNetwork(name="n", zoneid="z")
    e = caught.value
    assert (e.errorcode, e.cserrorcode, e.command, e.endpoint, e.http_status) == (431, 4350, "createNetwork", fake.url, 431)
    assert e.errortext.startswith("Unable to execute")
    assert e.params == {"name": "n", "zoneid": "z"}
    assert "431" in str(e) and "4350" in str(e)
    api.close()


def test_plain_text_error_pages_are_errors_too(fake):
    fake.on("listZones", lambda r: (502, "<html>Bad gateway</html>"))
    api = _connect(fake.url, retries=0)
    with pytest.raises(CloudStackError) as caught:
        api.listZones()
    assert caught.value.errorcode == 502 and "Bad gateway" in caught.value.errortext
    api.close()


def test_non_json_success_is_a_transport_error(fake):
    fake.on("listZones", lambda r: (200, "<xml/>"))
    api = _connect(fake.url)
    with pytest.raises(TransportError, match="expected a JSON answer"):
        api.listZones()
    api.close()


def test_secrets_never_appear_in_errors_logs_or_events(fake, caplog):
    import logging

    def echo_secret(request):
        # A hostile answer quoting the password back must still not leak it.
        raise error("createUser", 431, f"bad password {request.params['password']}")

    fake.on("createUser", echo_secret)
    api = _connect(fake.url)
    events = []
    api.add_listener(events.append)
    with caplog.at_level(logging.DEBUG, logger="marvin2.client"):
        with pytest.raises(CloudStackError) as caught:
            api.createUser(username="u", password="Sup3rSecretPw", account="a")
    blob = " ".join([str(caught.value), repr(caught.value), caplog.text, repr(events), repr(api)])
    assert "Sup3rSecretPw" not in blob
    assert "SECRET" not in blob.replace("********", "")
    assert events[-1].params_masked["password"] == "********"
    assert "signature" not in events[-1].params_masked
    api.close()


def test_transport_error_texts_hide_signatures():
    api = _connect(closed_port_url(), retries=0)
    with pytest.raises(TransportError) as caught:
        api.listZones(name="x")
    assert "signature=" not in str(caught.value) or "signature=********" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    api.close()


def test_events_report_every_http_call_with_its_endpoint(fake):
    api = _connect(fake.url)
    events = []
    api.add_listener(events.append)
    api.listZones(name="zone0")
    [event] = events
    assert (event.command, event.status, event.endpoint, event.internal) == ("listZones", 200, fake.url, False)
    assert event.params_masked["name"] == "zone0" and event.duration > 0
    assert event.response["count"] == 2 and event.error is None
    api.remove_listener(events.append)
    api.listZones()
    assert len(events) == 1


def test_a_failing_listener_does_not_break_calls(fake):
    api = _connect(fake.url)

    def broken(event):
        raise RuntimeError("listener bug")

    api.add_listener(broken)
    assert len(api.listZones()) == 2
    api.close()


def test_requests_session_never_retries_on_its_own(fake):
    # requests' default adapters do not retry; the client's rules rely on it.
    api = _connect(fake.url)
    adapter = api._transport._servers[0].session.get_adapter(fake.url)
    assert adapter.max_retries.total == 0
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    api.close()


def test_urllib3_debug_logs_do_not_show_signatures(fake, caplog):
    import logging

    api = _connect(fake.url)
    with caplog.at_level(logging.DEBUG):
        api.listZones(name="zone0")
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("command=listZones" in line for line in urllib3_lines), "urllib3 logged the request"
    assert all("signature=********" in line for line in urllib3_lines if "signature=" in line)
    sent = fake.calls[-1].params["signature"]
    assert sent not in caplog.text and wire_encode(sent) not in caplog.text
    api.close()


def wire_encode(text):
    from marvin2 import wire

    return wire.java_urlencode(text)


def test_an_unknown_host_counts_as_never_sent_so_creates_fail_over(fake):
    fake.on("createNetwork", {"network": {"id": "n1"}})
    api = _connect(["http://no-such-host.invalid:8080/client/api", fake.url])
    assert api.createNetwork(name="n", zoneid="z").id == "n1"
    assert api.endpoint == fake.url and fake.count("createNetwork") == 1
    api.close()
