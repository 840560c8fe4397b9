"""Activity by the customers' jurisdiction over time: per month (or week,
day) and per jurisdiction, the customers' deposits and withdrawals (volume,
count, active customers), the share of deposit volume with direct exposure
to a monitored category (the inputs of the depositing transaction), and the
alerts raised; and for a chosen date, each jurisdiction's daily rate before
and after it and the change. Aggregates only: no customer is named.

Jurisdiction: ``nationality`` (a customer with two nationalities counts
under both), ``residence``, or ``country`` (residence, else the first
nationality). Times are block times (UTC)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import numpy as np

from chaintrail.chain import Chain
from chaintrail.desk.jurisdictions import SANCTIONED_JURISDICTIONS
from chaintrail.monitor.transfers import DEPOSIT, SPEND, WITHDRAWAL, CustomerBook, find_transfers
from chaintrail.monitor.watch import Watch

BY = ("country", "nationality", "residence")
INTERVALS = ("month", "week", "day")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """'2022-01..2022-12', '2022', '2022-03' or 'YYYY-MM-DD..YYYY-MM-DD' -> [start, end)."""
    def one(s: str, end: bool) -> dt.date:
        s = s.strip()
        if re.fullmatch(r"\d{4}", s):
            y = int(s)
            return dt.date(y + 1, 1, 1) if end else dt.date(y, 1, 1)
        m = _MONTH.match(s)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if not 1 <= mo <= 12:
                raise ValueError(f"bad month in period {text!r}")
            if end:
                return dt.date(y + (mo == 12), mo % 12 + 1, 1)
            return dt.date(y, mo, 1)
        d = dt.date.fromisoformat(s)
        return d + dt.timedelta(days=1) if end else d

    try:
        if ".." in text:
            a, b = text.split("..", 1)
            start, end = one(a, False), one(b, True)
        else:
            start, end = one(text, False), one(text, True)
    except ValueError as exc:
        raise ValueError(f"--period {text!r}: {exc}; use 2022-01..2022-12, 2022, 2022-03 or "
                         "YYYY-MM-DD..YYYY-MM-DD") from None
    if end <= start:
        raise ValueError(f"--period {text!r}: the end is before the start")
    return start, end


def _bucket(d: dt.date, interval: str) -> str:
    if interval == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if interval == "week":
        y, w, _ = d.isocalendar()
        return f"{y:04d}-W{w:02d}"
    return d.isoformat()


def jurisdictions_of(book: CustomerBook, by: str) -> list[tuple[str, ...]]:
    """Per customer (book order): the jurisdictions it counts under."""
    out = []
    for k in range(len(book)):
        nat, res = book.nationality[k], book.residence[k]
        if by == "nationality":
            out.append(nat or ("??",))
        elif by == "residence":
            out.append((res or "??",))
        else:
            out.append((res or (nat[0] if nat else "??"),))
    return out


def tx_range(chain: Chain, start: dt.date, end: dt.date) -> tuple[int, int, int, int]:
    """[first, last) tx ids of the blocks with start <= time < end, and the first and last
    of those blocks' times (0, 0, 0, 0 when none)."""
    t0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc).timestamp())
    t1 = int(dt.datetime(end.year, end.month, end.day, tzinfo=dt.timezone.utc).timestamp())
    row = chain.sql("SELECT min(first_tx_id), max(first_tx_id + n_tx), min(time), max(time) "
                    "FROM blocks WHERE time >= ? AND time < ?", params=[t0, t1]).fetchall()[0]
    if row[0] is None:
        return 0, 0, 0, 0
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def direct_exposed(chain: Chain, watch: Watch, tx: np.ndarray) -> np.ndarray:
    """Per transaction: whether an input spends coins of an address of a monitored category."""
    a = chain._arrays
    if tx.size == 0 or not watch.entity_cat.any():
        return np.zeros(tx.size, bool)
    first, n = np.asarray(a.tx_first_in)[tx], np.asarray(a.tx_n_in)[tx].astype(np.int64)
    owner = np.repeat(np.arange(tx.size), n)
    idx = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(first, n)
    spent = np.asarray(a.in_spent)[idx]
    ok = spent >= 0
    addr = np.full(spent.shape, -1, np.int64)
    addr[ok] = np.asarray(a.out_address)[spent[ok]]
    cat = watch.category_of(addr)
    out = np.zeros(tx.size, bool)
    np.logical_or.at(out, owner[cat > 0], True)
    return out


def activity_report(chain: Chain, book: CustomerBook, watch: Watch, period: str, by: str = "country",
                    interval: str = "month", split: dt.date | None = None,
                    alerts: list[tuple[int, str]] | None = None, top: int = 12) -> dict:
    """The report as a dict (see the module docstring); `alerts`: (customer id, block time) of
    the alerts raised, counted per jurisdiction and bucket."""
    if by not in BY:
        raise ValueError(f"--by {by!r}: use {', '.join(BY)}")
    if interval not in INTERVALS:
        raise ValueError(f"--interval {interval!r}: use {', '.join(INTERVALS)}")
    start, end = parse_period(period)
    t0, t1, first_time, last_time = tx_range(chain, start, end)
    tr = find_transfers(chain._arrays, book, t0, t1)
    a = chain._arrays
    times = np.asarray(a.tx_time)[tr.tx].astype(np.int64) if len(tr) else np.zeros(0, np.int64)
    exposed = direct_exposed(chain, watch, tr.tx)
    pos = book.position(tr.customer)
    juris = jurisdictions_of(book, by)
    days = [dt.datetime.fromtimestamp(int(t), dt.timezone.utc).date() for t in times.tolist()]
    series: dict = defaultdict(lambda: defaultdict(lambda: {"deposit_sat": 0, "deposits": 0,
                                                             "withdrawal_sat": 0, "withdrawals": 0,
                                                             "exposed_sat": 0, "alerts": 0,
                                                             "customers": set()}))
    totals: dict = defaultdict(lambda: {"deposit_sat": 0, "deposits": 0, "withdrawal_sat": 0,
                                        "withdrawals": 0, "exposed_sat": 0, "alerts": 0,
                                        "customers": set()})
    halves: dict = defaultdict(lambda: {"before_sat": 0, "after_sat": 0, "before_n": 0,
                                        "after_n": 0})
    d_arr, v_arr, c_arr = tr.direction.tolist(), tr.value.tolist(), tr.customer.tolist()
    for k in range(len(tr)):
        b = _bucket(days[k], interval)
        for j in juris[int(pos[k])]:
            for cell in (series[b][j], totals[j]):
                if d_arr[k] == DEPOSIT:
                    cell["deposit_sat"] += v_arr[k]
                    cell["deposits"] += 1
                    if exposed[k]:
                        cell["exposed_sat"] += v_arr[k]
                elif d_arr[k] in (WITHDRAWAL, SPEND):
                    cell["withdrawal_sat"] += v_arr[k]
                    cell["withdrawals"] += 1
                cell["customers"].add(c_arr[k])
            if split is not None and d_arr[k] == DEPOSIT:
                side = "after" if days[k] >= split else "before"
                halves[j][f"{side}_sat"] += v_arr[k]
                halves[j][f"{side}_n"] += 1
    for cust, when in alerts or []:
        p = int(book.position(np.array([cust]))[0])
        if p >= len(book) or book.cust_ids[p] != cust:
            continue
        d = dt.date.fromisoformat(when[:10])
        if not start <= d < end:
            continue
        for j in juris[p]:
            series[_bucket(d, interval)][j]["alerts"] += 1
            totals[j]["alerts"] += 1
    sanctioned = {j.country for j in SANCTIONED_JURISDICTIONS}

    def fin(cell: dict) -> dict:
        c = dict(cell)
        c["customers"] = len(cell["customers"])
        c["exposed_share"] = round(c["exposed_sat"] / c["deposit_sat"], 6) if c["deposit_sat"] else 0.0
        return c

    order = sorted(totals, key=lambda j: -(totals[j]["deposit_sat"] + totals[j]["withdrawal_sat"]))
    all_dep = sum(t["deposit_sat"] for t in totals.values()) or 1
    rows = [{"jurisdiction": j, "sanctioned": j in sanctioned, **fin(totals[j]),
             "deposit_share": round(totals[j]["deposit_sat"] / all_dep, 6)} for j in order]
    buckets = sorted(series)
    def day(t: int) -> dt.date:
        return dt.datetime.fromtimestamp(t, dt.timezone.utc).date()

    # the days the chain covers within the period (rates are per day of data, not of calendar)
    d0, d1 = (day(first_time), day(last_time) + dt.timedelta(days=1)) if t1 > t0 else (start, end)
    rep = {"period": period, "start": start.isoformat(), "end": end.isoformat(), "by": by,
           "interval": interval, "transfers": len(tr), "txs": [t0, t1],
           "data_from": d0.isoformat(), "data_to": d1.isoformat(),
           "jurisdictions": rows, "buckets": buckets,
           "series": {b: {j: fin(series[b][j]) for j in series[b]} for b in buckets},
           "top": order[:top], "split": None}
    if split is not None:
        n_before = max((min(split, d1) - d0).days, 0)
        n_after = max((d1 - max(split, d0)).days, 0)
        tot_b = sum(h["before_sat"] for h in halves.values()) or 1
        tot_a = sum(h["after_sat"] for h in halves.values()) or 1
        cnt_b = sum(h["before_n"] for h in halves.values()) or 1
        cnt_a = sum(h["after_n"] for h in halves.values()) or 1
        cmp = []
        for j in order:
            h = halves[j]
            rb = h["before_sat"] / n_before if n_before else 0.0
            ra = h["after_sat"] / n_after if n_after else 0.0
            nb = h["before_n"] / n_before if n_before else 0.0
            na = h["after_n"] / n_after if n_after else 0.0
            cmp.append({"jurisdiction": j, "sanctioned": j in sanctioned,
                        "before_sat": h["before_sat"], "after_sat": h["after_sat"],
                        "before_deposits": h["before_n"], "after_deposits": h["after_n"],
                        "before_sat_per_day": round(rb, 1), "after_sat_per_day": round(ra, 1),
                        "change": round(ra / rb, 4) if rb else None,
                        "before_deposits_per_day": round(nb, 4),
                        "after_deposits_per_day": round(na, 4),
                        "count_change": round(na / nb, 4) if nb else None,
                        "before_share": round(h["before_sat"] / tot_b, 6),
                        "after_share": round(h["after_sat"] / tot_a, 6),
                        "before_count_share": round(h["before_n"] / cnt_b, 6),
                        "after_count_share": round(h["after_n"] / cnt_a, 6)})
        rep["split"] = {"date": split.isoformat(), "days_before": n_before, "days_after": n_after,
                        "jurisdictions": cmp}
    return rep
