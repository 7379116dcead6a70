"""The client fixtures' connections, in a real inner run on the local backend: tests on the
session's loop share one pool per service; a client that asks for its own limits, or tests on
loops of their own, get connections of their own."""

from __future__ import annotations

from sandbox_helpers import Inner

SHARING = """
import httpx

FIRST = []


def local_end(response):
    return response.extensions["network_stream"].get_extra_info("client_addr")


async def test_first(items_client):
    response = await items_client.get("/api/items")
    assert response.status_code == 200
    FIRST.append(local_end(response))


async def test_next_test_reuses_the_connection(items_client, sandbox_client):
    response = await items_client.get("/api/items")
    assert local_end(response) == FIRST[0]
    own = sandbox_client("items", limits=httpx.Limits())
    response = await own.get("/api/items")
    assert response.status_code == 200
    assert local_end(response) != FIRST[0]
"""


def test_tests_on_the_session_loop_share_connections(inner: Inner) -> None:
    inner.tests(test_inner=SHARING)
    result = inner.run("--sandbox")
    result.assert_outcomes(passed=2)
    doc = inner.results()
    counts = {r["route"]: (r["count"], r["errors"]) for r in doc["endpoints"]}
    assert counts == {"/api/items": (3, 0)}  # every client is timed, shared pool or not
    inner.assert_clean()


OWN_LOOPS = """
SEEN = []


async def test_first(items_client):
    response = await items_client.get("/api/items")
    assert response.status_code == 200
    SEEN.append(response.extensions["network_stream"].get_extra_info("client_addr"))


async def test_next(items_client):
    response = await items_client.get("/api/items")
    assert response.status_code == 200
    assert response.extensions["network_stream"].get_extra_info("client_addr") != SEEN[0]
"""


def test_tests_on_loops_of_their_own_keep_connections_of_their_own(inner: Inner) -> None:
    inner.tests(test_inner=OWN_LOOPS)
    scopes = ("asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope")
    result = inner.run("--sandbox", *(f"-o{scope}=function" for scope in scopes))
    result.assert_outcomes(passed=2)
    assert "Event loop is closed" not in result.stdout.str()
    inner.assert_clean()
