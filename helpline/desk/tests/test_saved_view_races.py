"""Saved views under parallel requests: names stay unique, moves are never lost.

Real threads, each with its own connection and its own signed-in client, post at the same
moment (on SQLite and on PostgreSQL). Without the unique constraint two tabs would both save
"Urgent"; without the lock on the agent's order row two moves would both start from the same
order and one would be lost.
"""

from itertools import permutations

import pytest
from django.test import Client
from django.urls import reverse

from helpline.audit.models import Event
from helpline.core.tests.threads import run_together
from helpline.desk import services
from helpline.desk.models import SavedView, SidebarOrder

# Serialized rollback, like every threaded test: the flush at the end empties the tables and the
# data the migrations seeded (statuses, the priority matrix) is loaded back for the next test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Seconds each granted row lock is held, so the threads' transactions overlap.
HOLD = 0.05


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_same_name_saved_at_once_is_saved_once(dispatcher):
    clients = [client_for(dispatcher) for _ in range(6)]
    names = ["Urgent", "urgent", "URGENT", "Urgent ", " Urgent", "uRGENT"]

    def post(client, name):
        return lambda: client.post(
            reverse("desk:saved_view_create"), {"name": name, "query": "view=open&priority=4"}
        )

    outcomes = run_together(*(post(c, n) for c, n in zip(clients, names, strict=True)))

    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    statuses = sorted(o.value.status_code for o in outcomes)
    assert statuses == [302] + [422] * 5
    refused = [o.value for o in outcomes if o.value.status_code == 422]
    assert all("You already have a view named" in r.content.decode() for r in refused)
    assert SavedView.objects.filter(owner=dispatcher).count() == 1
    assert Event.objects.filter(action="saved_view.created").count() == 1


def test_moves_at_once_apply_one_after_the_other(dispatcher):
    views = [
        services.saved_view_create(actor=dispatcher, name=name, query={"view": "open"})
        for name in ("A", "B", "C", "D")
    ]
    top = views[0]
    # No order row yet: the first moves also race to create it.
    assert not SidebarOrder.objects.exists()
    clients = [client_for(dispatcher) for _ in range(3)]
    move = reverse("desk:saved_view_move", args=[top.pk])

    outcomes = run_together(
        *(lambda c=c: c.post(move, {"direction": "down"}) for c in clients), hold_locks=HOLD
    )

    assert all(o.error is None and o.value.status_code == 302 for o in outcomes), [
        o.error or o.value.status_code for o in outcomes
    ]
    # Three moves down from the top, each from the order the one before left: at the bottom.
    order = SidebarOrder.objects.get(user=dispatcher).view_ids
    assert order == [views[1].pk, views[2].pk, views[3].pk, top.pk]
    assert Event.objects.filter(action="saved_view.moved").count() == 3


def test_moves_of_different_views_at_once_lose_none(dispatcher):
    views = [
        services.saved_view_create(actor=dispatcher, name=f"View {n}", query={"view": "open"})
        for n in range(6)
    ]
    ids = [v.pk for v in views]
    services.saved_view_move(view=views[0], actor=dispatcher, offset=0)  # the order row exists
    clients = [client_for(dispatcher) for _ in range(4)]
    # Each of the last four views moves up one place.
    calls = [
        lambda c=c, v=v: c.post(reverse("desk:saved_view_move", args=[v.pk]), {"direction": "up"})
        for c, v in zip(clients, views[2:], strict=True)
    ]

    outcomes = run_together(*calls, hold_locks=HOLD)

    assert all(o.error is None and o.value.status_code == 302 for o in outcomes)
    order = SidebarOrder.objects.get(user=dispatcher).view_ids
    assert sorted(order) == sorted(ids)  # every view once, none lost or doubled
    assert Event.objects.filter(action="saved_view.moved").count() == 4
    # The result is what the four moves give when applied one after the other, in some order.
    assert order in [serially(ids, moved) for moved in permutations(ids[2:])]


def serially(ids: list[int], moved) -> list[int]:
    order = list(ids)
    for pk in moved:
        i = order.index(pk)
        if i > 0:
            order.insert(i - 1, order.pop(i))
    return order
