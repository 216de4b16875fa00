"""The SimPy process of one customer journey: research, a possible channel switch, then the purchase.

Research steps that touch no shared state are merged into one timeout (fewer events); calls to customer service
go through the call centre's agents like any other call. In store, advice staff and tills are SimPy resources;
a customer leaves when the total wait exceeds their patience.
"""

from __future__ import annotations

from simpy.events import Event

from .customers import Customer, next_open
from .ledger import Leave

INF = float("inf")


def journey(w, c: Customer):
    """Generator for ``env.process``: one journey from first touchpoint to order or departure."""
    env = w.env
    w.active += 1
    try:
        if c.research_min > 0:
            yield env.timeout(c.research_min)
        for i in range(c.calls):
            yield from call(w, c, c.handle_min[i], purchase=False)
        if c.dropped:
            w.book.customer_left(Leave.RESEARCH)
            return
        ch = c.channel
        if c.switch and c.u_abandon < w.cart_loss * w.restart_abandon[c.seg]:
            w.book.customer_left(Leave.CART_LOST)
            w.rate(c, None)
            return
        if ch == w.ch_store:
            yield from store_visit(w, c, ch)
        elif ch == w.ch_call:
            yield from call(w, c, c.handle_min[c.calls], purchase=True)
        else:
            w.fulfil.online_sale(c, ch)
    finally:
        w.active -= 1


def _wait(env, req, patience: float):
    """Wait for a request that was not granted at once; True if granted, False if patience ran out first.

    Whichever of the grant and the patience timeout comes first wakes the customer: a bare event with two
    callbacks, cheaper than SimPy's general ``req | timeout`` condition.
    """
    if patience == INF:
        yield req
        return True
    wake = Event(env)

    def first(_ev, wake=wake):
        if not wake.triggered:
            wake.succeed()

    req.callbacks.append(first)
    env.timeout(patience).callbacks.append(first)
    yield wake
    if req.triggered:
        return True
    req.cancel()
    return False


def store_visit(w, c: Customer, ch: int):
    """Advice (some customers), then the till; the sale is booked when the till has served the customer."""
    env = w.env
    k = c.store
    st = w.stores[k]
    q = w.book.store_q[k]
    closed = next_open(env.now, st.open_min, st.close_min)
    if closed:  # found it closed: comes back at a uniform time of the next opening hours
        yield env.timeout(closed + c.u_defer * (st.close_min - st.open_min))
        closed = next_open(env.now, st.open_min, st.close_min)
        if closed:
            yield env.timeout(closed)
    tills = st.tills
    # full: every till busy and every waiting place taken (with no waiting room, a free till still serves)
    if st.queue_capacity is not None and tills is not None and tills.count >= tills.capacity \
            and len(tills.queue) >= st.queue_capacity:
        q.balk()
        w.book.customer_left(Leave.STORE_FULL)
        w.rate(c, None)
        return
    t_in = env.now
    q.enter(t_in)
    patience = c.store_patience
    waited = 0.0  # time in queues only: time with an adviser is not waiting, and does not use up patience
    if st.staff is not None and c.u_advice < st.advice_prob:
        req = st.staff.request()
        if not req.triggered and not (yield from _wait(env, req, patience)):
            return _give_up(w, c, q, t_in)
        waited = env.now - t_in
        yield env.timeout(c.advice_min)
        st.staff.release(req)
    req = None
    if tills is not None:
        t_q = env.now
        req = tills.request()
        if not req.triggered and not (yield from _wait(env, req, patience - waited)):
            return _give_up(w, c, q, t_in)
        waited += env.now - t_q
    q.waited(waited)
    if c.till_min:
        yield env.timeout(c.till_min)
    w.fulfil.store_sale(c, k, ch, int(waited > q.target))  # booked as the customer leaves: "inside" until then
    if req is not None:
        tills.release(req)
    q.leave(env.now, t_in)


def _give_up(w, c: Customer, q, t_in: float) -> None:
    q.gave_up(w.env.now, t_in)
    w.book.customer_left(Leave.STORE_QUEUE)
    w.rate(c, None)


def call(w, c: Customer, handle: float, purchase: bool):
    """One call to the call centre; a purchase call places an order when it ends."""
    env = w.env
    cc = w.call
    q = w.book.call_q
    closed = next_open(env.now, cc.open_min, cc.close_min)
    if closed:  # as for stores: call back after opening
        yield env.timeout(closed + c.u_defer * (cc.close_min - cc.open_min))
        closed = next_open(env.now, cc.open_min, cc.close_min)
        if closed:
            yield env.timeout(closed)
    t_in = env.now
    q.enter(t_in)
    agents = cc.agents
    req = None
    if agents is not None:
        req = agents.request()
        if not req.triggered and not (yield from _wait(env, req, c.call_patience)):
            q.gave_up(env.now, t_in)
            if purchase:
                w.book.customer_left(Leave.CALL_QUEUE)
                w.rate(c, None)
            return
    waited = env.now - t_in
    q.waited(waited)
    yield env.timeout(handle)
    if req is not None:
        agents.release(req)
    q.leave(env.now, t_in)
    if purchase:
        w.fulfil.online_sale(c, w.ch_call, int(waited > q.target))
