"""The simulator's memory through the real SDK: idempotency, pagination, reset, persistence, the CLI."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe

from kiosk.bench.procs import free_port, wait_for_port
from kiosk.simulator.core import Simulator
from tests.simulator_support import KNOWN_KEYS, RunningSimulator, running_simulator

# -- idempotency ---------------------------------------------------------------------------------


def test_the_same_key_and_params_replay_the_first_answer(simulator: RunningSimulator) -> None:
    client = simulator.client()
    first = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "order-1"})
    client.v1.customers.update(first.id, params={"name": "Ada Lovelace"})
    again = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "order-1"})
    assert again.id == first.id
    assert again.name == "Ada"  # the first answer, not the customer as it is now
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert first.last_response is not None and "Idempotent-Replayed" not in first.last_response.headers
    assert list(simulator.sim.table("customer")) == [first.id]


def test_the_same_key_with_other_params_is_an_idempotency_error(simulator: RunningSimulator) -> None:
    client = simulator.client()
    client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "order-2"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create(params={"name": "Grace"}, options={"idempotency_key": "order-2"})
    assert caught.value.http_status == 400
    assert "order-2" in str(caught.value.user_message)
    assert len(simulator.sim.table("customer")) == 1


def test_a_key_is_bound_to_its_endpoint(simulator: RunningSimulator) -> None:
    client = simulator.client()
    ada = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"})
    grace = client.v1.customers.create(params={"name": "Grace"})
    client.v1.customers.update(ada.id, params={"email": "a@example.com"}, options={"idempotency_key": "u"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.update(grace.id, params={"email": "a@example.com"}, options={"idempotency_key": "u"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.terminal.locations.create(
            params={"display_name": "Shop", "address": {"country": "US", "line1": "1 Main St"}},
            options={"idempotency_key": "k"},
        )


def test_keys_belong_to_the_api_key_that_used_them() -> None:
    with running_simulator(Simulator(api_keys=frozenset({"sk_test_one", "sk_test_two"}))) as simulator:
        ada = simulator.client("sk_test_one").v1.customers.create(
            params={"name": "Ada"}, options={"idempotency_key": "k"}
        )
        other = simulator.client("sk_test_two").v1.customers.create(
            params={"name": "Ada"}, options={"idempotency_key": "k"}
        )
        assert ada.id != other.id


def test_a_request_refused_by_validation_is_not_remembered(simulator: RunningSimulator) -> None:
    client = simulator.client()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create(params={"name": "Ada", "colour": "red"}, options={"idempotency_key": "k"})  # type: ignore[typeddict-unknown-key]
    assert client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"}).name == "Ada"


def test_a_handlers_error_is_replayed_too(simulator: RunningSimulator) -> None:
    client = simulator.client()
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.update("cus_missing", params={"name": "X"}, options={"idempotency_key": "k"})
        assert caught.value.http_status == 404
    assert caught.value.headers is not None and caught.value.headers.get("Idempotent-Replayed") == "true"


def test_every_sdk_post_gets_its_own_key_so_two_creates_make_two_objects(simulator: RunningSimulator) -> None:
    client = simulator.client()
    assert client.v1.customers.create(params={"name": "A"}).id != client.v1.customers.create(params={"name": "A"}).id


# -- pagination ------------------------------------------------------------------------------------


def test_lists_page_newest_first_with_cursors(simulator: RunningSimulator) -> None:
    client = simulator.client()
    ids = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(5)]
    newest_first = ids[::-1]
    page = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page.data] == newest_first[:2] and page.has_more and page.url == "/v1/customers"
    page = client.v1.customers.list(params={"limit": 2, "starting_after": newest_first[1]})
    assert [c.id for c in page.data] == newest_first[2:4] and page.has_more
    page = client.v1.customers.list(params={"limit": 2, "starting_after": newest_first[3]})
    assert [c.id for c in page.data] == newest_first[4:] and not page.has_more
    page = client.v1.customers.list(params={"limit": 2, "ending_before": newest_first[4]})
    assert [c.id for c in page.data] == newest_first[2:4] and page.has_more
    assert [c.id for c in client.v1.customers.list().data] == newest_first
    walked = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert walked == newest_first


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_outside_1_to_100_is_refused(simulator: RunningSimulator, limit: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.customers.list(params={"limit": limit})
    assert caught.value.param == "limit"


def test_an_unknown_cursor_is_refused(simulator: RunningSimulator) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        simulator.client().v1.customers.list(params={"starting_after": "cus_nope"})
    assert (caught.value.code, caught.value.param) == ("resource_missing", "starting_after")


# -- state: reset and persistence --------------------------------------------------------------------


def test_reset_gives_a_fresh_account(simulator: RunningSimulator) -> None:
    client = simulator.client()
    ada = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"})
    before = simulator.control("GET", "/_sim/state")
    assert before["objects"]["customer"]["ids"] == [ada.id]
    simulator.control("POST", "/_sim/reset")
    after = simulator.control("GET", "/_sim/state")
    assert after["account_id"] != before["account_id"]
    assert after["api_calls_total"] == 0 and after["objects"].get("customer", {"count": 0})["count"] == 0
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(ada.id)
    assert client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"}).id != ada.id


def test_a_persisted_account_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sim.json"
    with running_simulator(Simulator(api_keys=KNOWN_KEYS, persist_path=state)) as first:
        ada = first.client().v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"})
        account = first.sim.account_id
    assert state.exists()
    with running_simulator(Simulator(api_keys=KNOWN_KEYS, persist_path=state)) as second:
        client = second.client()
        assert second.sim.account_id == account
        assert client.v1.customers.retrieve(ada.id).name == "Ada"
        replay = client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"})
        assert replay.id == ada.id
        assert second.control("GET", "/_sim/calls")["calls"]["POST /v1/customers"] == 2


def test_the_cli_serves_a_simulator_that_accepts_only_its_key(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "kiosk.cli", "simulator", "--port", str(port), "--api-key", "sk_test_cli"]
    cmd += ["--persist", str(tmp_path / "cli.json"), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_port(port, 30, proc)
        client = RunningSimulator(url=url, sim=Simulator()).client("sk_test_cli")
        assert client.v1.customers.create(params={"name": "Ada"}).name == "Ada"
        with pytest.raises(stripe.AuthenticationError):
            RunningSimulator(url=url, sim=Simulator()).client("sk_test_other").v1.balance.retrieve()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}" in output
    assert (tmp_path / "cli.json").exists()


def test_the_cli_without_a_key_makes_one_up_prints_it_and_accepts_only_it() -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "kiosk.cli", "simulator", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        printed = _printed_line(proc, b"API key")
        key = printed.rsplit(" ", 1)[-1].strip()
        assert key.startswith("sk_test_") and len(key) > len("sk_test_") + 20
        wait_for_port(port, 30, proc)
        url = f"http://127.0.0.1:{port}"
        assert RunningSimulator(url=url, sim=Simulator()).client(key).v1.balance.retrieve().object == "balance"
        with pytest.raises(stripe.AuthenticationError):
            RunningSimulator(url=url, sim=Simulator()).client("sk_test_kiosk").v1.balance.retrieve()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def _printed_line(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 30.0) -> str:
    """The first line of ``proc``'s output holding ``marker``; fails (never hangs) when none comes in time."""
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, b""
    while marker not in seen or not seen[seen.index(marker) :].count(b"\n"):
        remaining = deadline - time.monotonic()
        ready = select.select([proc.stdout], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not ready:
            raise AssertionError(f"no line with {marker!r} in the output: {seen.decode()!r}")
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            raise AssertionError(f"the process ended without printing {marker!r}: {seen.decode()!r}")
        seen += chunk
    start = seen.rfind(b"\n", 0, seen.index(marker)) + 1
    return seen[start : seen.index(b"\n", seen.index(marker))].decode()
