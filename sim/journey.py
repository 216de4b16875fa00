"""The SimPy process of one customer journey: research, a possible channel switch, then the purchase.

Research steps that touch no shared state are merged into one timeout (fewer events); calls to customer service
go through the call centre's agents like any other call. In store, advice staff and tills are SimPy resources;
a customer leaves when the total wait exceeds their patience.
"""

from __future__ import annotations

from .customers import Customer, next_open


def journey(w, c: Customer):
    """Generator for ``env.process``: one journey from first touchpoint to order or departure."""
    env = w.env
    w.active += 1
    try:
        if c.research_min > 0:
            yield env.timeout(c.research_min)
        for i in range(c.calls):
            yield from call(w, c, c.handle_min[i], purchase=False)
        ch = c.channel
        if c.switch and c.u_abandon < w.cart_loss * w.sc.segments[c.seg].restart_abandon_prob:
            w.met.left["cart_lost"] += 1
            return
        if ch == w.ch_store:
            yield from store_visit(w, c, ch)
        elif ch == w.ch_call:
            yield from call(w, c, c.handle_min[c.calls], purchase=True)
        else:
            w.fulfil.online_sale(c, ch)
    finally:
        w.active -= 1


def _wait_open(env, place, defer_min: float):
    """A customer who finds ``place`` closed comes back ``defer_min`` after it opens (within its hours)."""
    closed = next_open(env.now, place.open_min, place.close_min)
    if closed:
        yield env.timeout(closed + defer_min)
        closed = next_open(env.now, place.open_min, place.close_min)
        if closed:  # the defer ran past closing: first thing the next day
            yield env.timeout(closed)


def _queue(w, res, patience: float):
    """Request ``res``; return (request or None if the customer gave up, minutes waited)."""
    env = w.env
    t0 = env.now
    req = res.request()
    if req.triggered:
        yield req
        return req, 0.0
    if patience == float("inf"):
        yield req
        return req, env.now - t0
    yield req | env.timeout(patience)
    if req.triggered:
        return req, env.now - t0
    req.cancel()
    return None, env.now - t0


def store_visit(w, c: Customer, ch: int):
    env = w.env
    k = c.store
    st = w.stores[k]
    q = w.met.store_q[k]
    yield from _wait_open(env, st, c.defer_min)
    if st.queue_capacity is not None and st.tills is not None and len(st.tills.queue) >= st.queue_capacity:
        q.arrivals += 1
        q.balked += 1
        w.met.left["store_full"] += 1
        return
    t_in = env.now
    q.enter(t_in)
    patience = c.store_patience
    waited = 0.0
    if st.staff is not None and c.u_advice < st.advice_prob:
        req, wt = yield from _queue(w, st.staff, patience)
        waited += wt
        if req is None:
            return _give_up(w, q, t_in)
        yield env.timeout(c.advice_min)
        st.staff.release(req)
    req = None
    if st.tills is not None:
        req, wt = yield from _queue(w, st.tills, patience - waited)
        waited += wt
        if req is None:
            return _give_up(w, q, t_in)
    q.waited(waited)
    w.fulfil.store_sale(c, k, ch)
    if c.till_min:
        yield env.timeout(c.till_min)
    if req is not None:
        st.tills.release(req)
    q.leave(env.now, t_in)


def _give_up(w, q, t_in: float) -> None:
    q.abandoned += 1
    q.leave(w.env.now, t_in)
    w.met.left["store_queue"] += 1


def call(w, c: Customer, handle: float, purchase: bool):
    """One call to the call centre; a purchase call places an order when it ends."""
    env = w.env
    cc = w.call
    q = w.met.call_q
    yield from _wait_open(env, cc, c.defer_min)
    t_in = env.now
    q.enter(t_in)
    req = None
    if cc.agents is not None:
        req, wt = yield from _queue(w, cc.agents, c.call_patience)
        if req is None:
            q.abandoned += 1
            q.leave(env.now, t_in)
            if purchase:
                w.met.left["call_queue"] += 1
            return
    else:
        wt = 0.0
    q.waited(wt)
    yield env.timeout(handle)
    if req is not None:
        cc.agents.release(req)
    q.leave(env.now, t_in)
    if purchase:
        w.fulfil.online_sale(c, w.ch_call)
