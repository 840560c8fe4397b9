"""Reading the simulator's KYC tables (docs/simulator.md, ``truth/``) as
desk customers: ``customers.parquet`` gives the records,
``customer_addresses.parquet`` the deposit addresses. With the store of the
same chain, the withdrawal addresses are found too (the non-change outputs
of each exchange's withdrawal batches paying one of its customers, and the
donations the truth says an exchange paid on a customer's behalf), and,
given a BTC/EUR rate, each customer's holdings (deposits less withdrawals)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _customers(con, t: Path, exchange: str | None, limit: int | None) -> list[dict]:
    where = "WHERE exchange = $ex" if exchange else ""
    lim = f"LIMIT {int(limit)}" if limit else ""
    sql = f"""SELECT customer_id, exchange_id, exchange, customer_type, name, gender, date_of_birth,
                     nationality, residence, residence_permits, street, city, postcode, country
              FROM read_parquet({_q(t / 'customers.parquet')}) {where} ORDER BY customer_id {lim}"""
    cur = con.execute(sql, {"ex": exchange} if exchange else None)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _withdrawals(chain, t: Path) -> list[tuple[str, str, int, int]]:
    """(customer_id, address, first tx_id, value) of every customer withdrawal address."""
    sql = f"""
    WITH w AS (SELECT txid, sender_entity_id AS exchange_id, change_vout
               FROM read_parquet({_q(t / 'txs.parquet')}) WHERE kind = 'withdrawal_batch'),
         c AS (SELECT customer_id, exchange_id, entity_id FROM read_parquet({_q(t / 'customers.parquet')})),
         a AS (SELECT address, entity_id FROM read_parquet({_q(t / 'addresses.parquet')})
               WHERE address IS NOT NULL),
         o AS (SELECT o.tx_id, o.address, o.value, w.exchange_id FROM outputs o
               JOIN w ON o.txid = w.txid AND o.vout <> w.change_vout WHERE o.address IS NOT NULL)
    SELECT c.customer_id, o.address, min(o.tx_id), sum(o.value)
    FROM o JOIN a USING (address) JOIN c ON c.entity_id = a.entity_id AND c.exchange_id = o.exchange_id
    GROUP BY 1, 2
    UNION ALL
    SELECT c.customer_id, d.donation_address, min(x.tx_id), sum(d.value)
    FROM read_parquet({_q(t / 'donations.parquet')}) d
    JOIN w ON d.txid = w.txid
    JOIN txs x ON x.txid = d.txid
    JOIN c ON c.entity_id = d.donor_entity_id AND c.exchange_id = w.exchange_id
    WHERE d.source = 'exchange_withdrawal'
    GROUP BY 1, 2
    """
    return chain.sql(sql).fetchall()


def _deposited(chain, t: Path) -> dict[str, int]:
    """Satoshis received by each customer's deposit addresses."""
    sql = f"""SELECT ca.customer_id, sum(o.value) FROM outputs o
              JOIN read_parquet({_q(t / 'customer_addresses.parquet')}) ca USING (address)
              GROUP BY 1"""
    return dict(chain.sql(sql).fetchall())


def read_truth(t: Path, at: str, exchange: str | None, chain, btc_eur: float | None,
               limit: int | None) -> tuple[list[dict], list[tuple], dict]:
    """(customer records, addresses, info) from a simulator truth directory."""
    if not (t / "customers.parquet").exists():
        from chaintrail.desk.errors import DeskError

        raise DeskError(f"{t}: no customers.parquet (not a simulator truth directory)")
    con = duckdb.connect()
    try:
        rows = _customers(con, t, exchange, limit)
        refs = {r["customer_id"] for r in rows}
        deps = con.execute(f"""SELECT customer_id, address, first_height
                               FROM read_parquet({_q(t / 'customer_addresses.parquet')})
                               ORDER BY customer_id, first_height""").fetchall()
    finally:
        con.close()
    records = []
    for r in rows:
        records.append({
            "ref": r["customer_id"], "name": r["name"], "exchange": r["exchange"],
            "customer_type": r["customer_type"], "gender": r["gender"],
            "date_of_birth": r["date_of_birth"], "nationality": r["nationality"],
            "residence": r["residence"],
            "residence_permits": ",".join(r["residence_permits"] or []) or None,
            "street": r["street"], "city": r["city"], "postcode": r["postcode"],
            "country": r["country"] or r["residence"], "holdings_eur": None, "status": "active",
            "source": "simulator truth", "created_at": at})
    addrs = [(c, a, "deposit", None, int(h) if h is not None else None)
             for c, a, h in deps if c in refs]
    info = {"withdrawal_addresses": None, "holdings": None}
    if chain is not None and chain._arrays is not None:
        heights = chain._arrays.tx_height
        wd = [w for w in _withdrawals(chain, t) if w[0] in refs]
        addrs += [(c, a, "withdrawal", None, int(heights[int(tx)])) for c, a, tx, _ in wd]
        info["withdrawal_addresses"] = len(wd)
        if btc_eur:
            dep = _deposited(chain, t)
            out: dict[str, int] = {}
            for c, _, _, v in wd:
                out[c] = out.get(c, 0) + int(v)
            by_ref = {r["ref"]: r for r in records}
            for ref, rec in by_ref.items():
                sat = max(0, int(dep.get(ref, 0)) - out.get(ref, 0))
                rec["holdings_eur"] = round(float(np.float64(sat) / 1e8 * btc_eur), 2)
            info["holdings"] = f"deposits less withdrawals at EUR {btc_eur:,.0f}/BTC"
    return records, addrs, info
