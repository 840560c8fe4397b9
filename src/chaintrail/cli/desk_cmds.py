"""`chaintrail desk ...`: the compliance desk's command line, a thin shell over
``chaintrail.desk`` (permissions and purpose binding are checked there)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer

from chaintrail.cli.output import console, kv_table, print_json, rows_table, warn

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data); the desk's SQLite lives in it.")
DbOpt = typer.Option(None, "--db", envvar="CHAINTRAIL_DESK_DB",
                     help="Database URL (postgresql://user@host/db); default SQLite in the store.")
UserOpt = typer.Option(None, "--user", envvar="CHAINTRAIL_DESK_USER", help="Desk user name.")
TokenOpt = typer.Option(None, "--token", envvar="CHAINTRAIL_DESK_TOKEN",
                        help="The user's token (prompted for when missing on a terminal).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")

desk_app = typer.Typer(help="The compliance desk: customers, authorities' requests, sanctions rules, "
                            "audit log, transparency report.", no_args_is_help=True)
user_app = typer.Typer(help="Desk users and roles (admin).", no_args_is_help=True)
cust_app = typer.Typer(help="Customer records linked to the chain.", no_args_is_help=True)
case_app = typer.Typer(help="Cases: the purpose personal data is viewed for.", no_args_is_help=True)
req_app = typer.Typer(help="Requests from authorities.", no_args_is_help=True)
hit_app = typer.Typer(help="Name-screening hits: confirm or clear.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
for _sub, _name in ((user_app, "user"), (cust_app, "customers"), (case_app, "case"),
                    (req_app, "request"), (hit_app, "hit"), (audit_app, "audit"),
                    (report_app, "report")):
    desk_app.add_typer(_sub, name=_name)


def _err(exc: Exception):
    from chaintrail.desk.errors import DeskError

    return DeskError(str(exc))


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _err(exc) from None


def _session(store, db, user, token):
    from chaintrail.desk.session import Desk

    desk = Desk.open(db, store)
    if not token and user and sys.stdin.isatty():
        token = typer.prompt(f"token for {user}", hide_input=True)
    return desk.login(user, token or "")


def _out(obj, json_out: bool, title: str | None = None) -> None:
    if json_out:
        print_json(obj)
    elif isinstance(obj, dict):
        kv_table(title or "", [(k, v) for k, v in obj.items()])
    else:
        console.print(obj)


def _split(values: list[str] | None) -> list[str]:
    out = []
    for v in values or []:
        out += [x.strip() for x in v.replace("\n", ",").split(",") if x.strip()]
    return out


# --- init and users ---------------------------------------------------------------------------
@desk_app.command("init")
def init(store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
         admin: str = typer.Option("admin", help="Name of the first admin user."),
         home: Optional[str] = typer.Option(None, help="Country (ISO code) where the firm is "
                                            "established; EU/EEA turns on GDPR Art. 48."),
         json_out: bool = JsonOpt) -> None:
    """Create (or upgrade) the desk's database and its first admin."""
    from chaintrail.desk.db import current_revision, safe_url
    from chaintrail.desk.session import Desk

    desk, token = Desk.init(db, store, admin=admin, home_country=home)
    rep = {"database": safe_url(desk.engine.url), "revision": current_revision(desk.engine),
           "admin": admin if token else None, "token": token}
    if json_out:
        print_json(rep)
        return
    console.print(f"desk database {rep['database']} at migration {rep['revision']}")
    if token:
        console.print(f"admin user [bold]{admin}[/bold] created; token (shown once): [bold]{token}[/bold]")
        console.print("set CHAINTRAIL_DESK_USER and CHAINTRAIL_DESK_TOKEN, then `chaintrail desk user add`")


@user_app.command("add")
def user_add(name: str, roles: str = typer.Option(..., help="analyst,reviewer,approver,auditor,admin"),
             store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
             token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """Add a desk user (admin); prints their token once."""
    from chaintrail.desk.session import add_user

    try:
        new = add_user(_session(store, db, user, token), name, roles)
    except ValueError as exc:
        raise _err(exc) from None
    if json_out:
        print_json({"user": name, "roles": roles.split(","), "token": new})
    else:
        console.print(f"user {name} ({roles}); token (shown once): [bold]{new}[/bold]")


@user_app.command("list")
def user_list(store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
              user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
              json_out: bool = JsonOpt) -> None:
    """Desk users and their roles (admin)."""
    from chaintrail.desk.session import list_users

    rows = list_users(_session(store, db, user, token))
    if json_out:
        print_json(rows)
        return
    rows_table("desk users", ["user", "roles", "active", "created", "by"],
               [(r["name"], ",".join(r["roles"]), r["active"], r["created_at"], r["created_by"])
                for r in rows])


@user_app.command("set")
def user_set(name: str, roles: Optional[str] = typer.Option(None), disable: bool = typer.Option(False),
             enable: bool = typer.Option(False), reset_token: bool = typer.Option(False),
             store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
             user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt) -> None:
    """Change a user's roles, disable/enable them, or reset their token (admin)."""
    from chaintrail.desk.session import set_user

    active = False if disable else (True if enable else None)
    try:
        new = set_user(_session(store, db, user, token), name, roles, active, reset_token)
    except ValueError as exc:
        raise _err(exc) from None
    console.print(f"user {name} updated" + (f"; new token (shown once): {new}" if new else ""))


# --- customers ---------------------------------------------------------------------------------
@cust_app.command("import")
def customers_import(source: str = typer.Argument(..., help="customers.csv, or the simulator's truth/ "
                                                   "directory"),
                     addresses: Optional[str] = typer.Option(None, help="CSV of customer_id,address,kind"),
                     exchange: Optional[str] = typer.Option(None, help="Truth tables: only this exchange."),
                     btc_eur: Optional[float] = typer.Option(None, help="Truth tables: EUR per BTC, to "
                                                             "value holdings."),
                     limit: Optional[int] = typer.Option(None, help="Truth tables: first N customers."),
                     store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                     user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                     json_out: bool = JsonOpt) -> None:
    """Import customers from CSV or from the simulator's truth tables."""
    from chaintrail.desk import customers

    s = _session(store, db, user, token)
    p = Path(source)
    if p.is_dir():
        rep = customers.import_truth(s, p, exchange, btc_eur=btc_eur, limit=limit)
    else:
        try:
            rep = customers.import_csv(s, p, addresses)
        except ValueError as exc:
            raise _err(exc) from None
    _out(rep, json_out, "customers imported")


@cust_app.command("list")
def customers_list(status: Optional[str] = None, exchange: Optional[str] = None,
                   limit: int = typer.Option(50), offset: int = typer.Option(0),
                   store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                   user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                   json_out: bool = JsonOpt) -> None:
    """Customer references and status (no personal data)."""
    from chaintrail.desk import customers

    rep = customers.list_customers(_session(store, db, user, token), status, exchange, limit, offset)
    if json_out:
        print_json(rep)
        return
    rows_table(f"{rep['total']:,} customers", ["customer", "exchange", "type", "status"],
               [(r["ref"], r["exchange"], r["customer_type"], r["status"]) for r in rep["customers"]])


@cust_app.command("show")
def customers_show(ref: str, case: Optional[str] = typer.Option(None, "--case", help="Open case "
                                                                "that covers this customer."),
                   why: Optional[str] = typer.Option(None, "--why", help="Why you view the data."),
                   exposure: bool = typer.Option(False, help="Also the exposure of their addresses."),
                   store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                   user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                   json_out: bool = JsonOpt) -> None:
    """One customer's record, accounts and on-chain addresses (needs --case and --why)."""
    from chaintrail.desk import customers

    s = _session(store, db, user, token)
    c = customers.view_customer(s, ref, case, why)
    if exposure:
        c["exposure"] = customers.customer_exposure(s, ref, case, why)
    if json_out:
        print_json(c)
        return
    accs = c.pop("accounts")
    c.pop("exposure", None)
    kv_table(f"customer {ref}", list(c.items()))
    rows = []
    for a in accs:
        for ad in a["addresses"]:
            ch = ad.get("chain") or {}
            rows.append((a["ref"], ad["kind"], ad["address"], ch.get("n_txs", ""),
                         ch.get("received", ""), ch.get("cluster_id", "")))
    rows_table("accounts and addresses", ["account", "kind", "address", "txs", "received (sat)",
                                          "cluster"], rows)


# --- cases ---------------------------------------------------------------------------------------
@case_app.command("open")
def case_open(purpose: str = typer.Option(..., help="Why the case exists."),
              customers_: Optional[list[str]] = typer.Option(None, "--customers"),
              store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
              user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt) -> None:
    """Open an investigation case for some customers."""
    from chaintrail.desk import cases

    ref = cases.open_case(_session(store, db, user, token), purpose, _split(customers_))
    console.print(f"case {ref} opened")


@case_app.command("close")
def case_close(ref: str, reason: str = typer.Option(...), store: Optional[str] = StoreOpt,
               db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
               token: Optional[str] = TokenOpt) -> None:
    """Close a case (its data can no longer be viewed under it)."""
    from chaintrail.desk import cases

    cases.close_case(_session(store, db, user, token), ref, reason)
    console.print(f"case {ref} closed")


@case_app.command("list")
def case_list(all_: bool = typer.Option(False, "--all", help="Closed cases too."),
              store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
              user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
              json_out: bool = JsonOpt) -> None:
    """Cases, their purpose and customer count."""
    from chaintrail.desk import cases

    rows = cases.list_cases(_session(store, db, user, token), not all_)
    if json_out:
        print_json(rows)
        return
    rows_table("cases", ["case", "kind", "purpose", "customers", "opened by", "opened", "closed"],
               [(r["ref"], r["kind"], r["purpose"], r["customers"], r["opened_by"], r["opened_at"],
                 r["closed_at"] or "") for r in rows])


# --- requests --------------------------------------------------------------------------------------
@req_app.command("new")
def request_new(
    agency: str = typer.Option(..., "--from", help="Requesting agency."),
    country: str = typer.Option(..., help="Agency's country (ISO code)."),
    instrument: str = typer.Option(..., help="subpoena, court_order, warrant, mlat, emergency, informal"),
    categories: str = typer.Option(..., help="identity,accounts,access_logs,transactions,"
                                   "kyc_documents,communications"),
    targets: Optional[list[str]] = typer.Option(None, "--targets", help="Addresses, txids or "
                                                "customer:REF (comma-separated, repeatable)."),
    targets_file: Optional[str] = typer.Option(None, help="File with one target a line."),
    window: Optional[str] = typer.Option(None, help="START..END (e.g. 2021-01-01..2021-12-31)."),
    legal_basis: Optional[str] = typer.Option(None, "--legal-basis"),
    requester_type: str = typer.Option("law_enforcement", "--type"),
    officer: Optional[str] = None, contact: Optional[str] = None,
    verification: str = typer.Option("unverified", help="unverified, verified, failed"),
    case_number: Optional[str] = typer.Option(None, "--case-number"),
    agreement: Optional[str] = typer.Option(None, help="International agreement it rests on."),
    deadline: Optional[str] = None,
    danger: Optional[str] = typer.Option(None, help="Emergency: the emergency."),
    at_risk: Optional[str] = typer.Option(None, help="Emergency: who is at risk."),
    data_needed: Optional[str] = typer.Option(None, help="Emergency: the data needed."),
    why_not_normal: Optional[str] = typer.Option(None, help="Emergency: why normal process won't do."),
    followup: Optional[str] = typer.Option(None, help="Emergency: the follow-up legal process."),
    followup_due: Optional[str] = None,
    gag_order: bool = typer.Option(False, help="A non-disclosure order applies."),
    gag_until: Optional[str] = None,
    tipping_off: bool = typer.Option(False, help="Telling the customer would be tipping off."),
    max_hops: int = typer.Option(2, help="Hop limit when linking targets to customers."),
    store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
    token: Optional[str] = TokenOpt, json_out: bool = JsonOpt,
) -> None:
    """Record a request from an authority (intake)."""
    from chaintrail.desk import requests
    from chaintrail.desk.facts import Emergency

    tg = _split(targets)
    if targets_file:
        tg += [x.strip() for x in Path(targets_file).read_text().splitlines() if x.strip()]
    em = None
    if instrument == "emergency":
        em = Emergency(danger or "", at_risk or "", data_needed or "", why_not_normal or "")
    try:
        r = requests.create(_session(store, db, user, token), agency, country, instrument, categories,
                            tg, window, requester_type, officer, contact, verification, case_number,
                            legal_basis, agreement, _date(deadline), em, followup, _date(followup_due),
                            gag_order, _date(gag_until), tipping_off, max_hops)
    except ValueError as exc:
        raise _err(exc) from None
    if json_out:
        print_json(r)
    else:
        console.print(f"request {r['id']} recorded (case {r['case_ref']}, {len(r['targets'])} targets); "
                      f"next: chaintrail desk request review {r['id']}")


@req_app.command("list")
def request_list(status: Optional[str] = None, store: Optional[str] = StoreOpt,
                 db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                 token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """Requests, newest first."""
    from chaintrail.desk import requests

    rows = requests.list_requests(_session(store, db, user, token), status)
    if json_out:
        print_json(rows)
        return
    rows_table("requests", ["#", "agency", "country", "instrument", "status", "received", "deadline"],
               [(r["id"], r["agency"], r["country"], r["instrument"], r["status"], r["received_at"],
                 r["deadline"] or "") for r in rows])


@req_app.command("show")
def request_show(n: int, store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                 user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                 json_out: bool = JsonOpt) -> None:
    """One request with its decisions."""
    from chaintrail.desk import requests

    r = requests.show(_session(store, db, user, token), n)
    if json_out:
        print_json(r)
        return
    decs = r.pop("decisions")
    r["targets"] = f"{len(r['targets'])} targets"
    r["linked_customers"] = ", ".join(r["linked_customers"][:20])
    kv_table(f"request {n}", list(r.items()))
    rows_table("decisions", ["kind", "outcome", "by", "at", "reason"],
               [(d["kind"], d["outcome"], d["actor"], d["at"], d["reason"] or "") for d in decs])


@req_app.command("update")
def request_update(n: int, reason: str = typer.Option(..., help="Why it changes."),
                   verification: Optional[str] = None, window: Optional[str] = None,
                   followup: Optional[str] = None, followup_due: Optional[str] = None,
                   agreement: Optional[str] = None, categories: Optional[str] = None,
                   max_hops: Optional[int] = None,
                   store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                   user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt) -> None:
    """Change intake facts (the request must then be reviewed again)."""
    from chaintrail.desk import requests

    try:
        ws, we = requests.parse_window(window) if window else (None, None)
        requests.update_request(_session(store, db, user, token), n, reason, verification=verification,
                                window_start=ws, window_end=we, followup=followup,
                                followup_due=_date(followup_due), agreement=agreement,
                                categories=categories, max_hops=max_hops)
    except ValueError as exc:
        raise _err(exc) from None
    console.print(f"request {n} updated; review it again")


def _print_verdict(rep: dict) -> None:
    v = rep["verdict"]
    console.print(f"request {rep['request']}: rules say [bold]{v['outcome'].upper()}[/bold] "
                  f"(status {rep['status']})")
    for line in rep["explanation"]:
        console.print(f"  - {line}", highlight=False)
    scope = v["scope"]
    console.print(f"scope: categories {', '.join(scope.get('categories', [])) or 'none'}; window "
                  f"{scope['window'][0]}..{scope['window'][1]}; "
                  f"{len(scope.get('customers', []))} customers linked")


@req_app.command("review")
def request_review(n: int, note: Optional[str] = None, store: Optional[str] = StoreOpt,
                   db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                   token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """Link the targets to customers and evaluate every rule (reviewer)."""
    from chaintrail.desk import requests

    rep = requests.review(_session(store, db, user, token), n, note)
    if json_out:
        print_json(rep)
    else:
        _print_verdict(rep)
        if rep["link"]:
            ln = rep["link"]
            console.print(f"linking: {ln['links']:,} links to {ln['customers']:,} customers in "
                          f"{ln['seconds']:.2f} s" + (" (through the chain)" if ln["chain_used"] else
                                                      " (no store: exact address matches only)"))


@req_app.command("links")
def request_links(n: int, limit: int = typer.Option(50),
                  evidence: bool = typer.Option(False, help="Also trace the value between target "
                                                "and customer (haircut) with its path."),
                  store: Optional[str] = StoreOpt,
                  db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                  token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """How each linked customer was reached: target, relation, hops, evidence path."""
    from chaintrail.desk import requests

    rows = requests.links(_session(store, db, user, token), n, limit, evidence)
    if json_out:
        print_json(rows)
        return
    cols = ["target", "customer", "address", "kind", "relation", "hops", "path"]
    rows_table(f"links of request {n}", cols + (["traced (sat)"] if evidence else []),
               [(r["target"], r["customer"], r["address"], r["address_kind"], r["relation"], r["hops"],
                 " -> ".join(f"{p['txid'][:12]}.." for p in r["path"]))
                + ((("" if r.get("evidence", {}).get("amount") is None
                     else f"{r['evidence']['amount']:,}"),) if evidence else ()) for r in rows])


@req_app.command("approve")
def request_approve(n: int, reason: str = typer.Option(...),
                    exclude: Optional[list[str]] = typer.Option(None, help="Customer refs to leave out."),
                    store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                    user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                    json_out: bool = JsonOpt) -> None:
    """Approve a reviewed request (approver; not the reviewer)."""
    from chaintrail.desk import requests

    rep = requests.approve(_session(store, db, user, token), n, reason, _split(exclude))
    if json_out:
        print_json(rep)
    else:
        console.print(f"request {n} approved: {len(rep['scope']['customers'])} customers, categories "
                      f"{', '.join(rep['scope']['categories'])}"
                      + (f"; flags acknowledged: {', '.join(rep['flags_acknowledged'])}"
                         if rep["flags_acknowledged"] else ""))


@req_app.command("refuse")
def request_refuse(n: int, reason: str = typer.Option(...), store: Optional[str] = StoreOpt,
                   db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                   token: Optional[str] = TokenOpt) -> None:
    """Refuse a request, with the reason."""
    from chaintrail.desk import requests

    requests.refuse(_session(store, db, user, token), n, reason)
    console.print(f"request {n} refused")


@req_app.command("produce")
def request_produce(n: int, out: str = typer.Option(..., "--out", help="New directory for the package."),
                    store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                    user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                    json_out: bool = JsonOpt) -> None:
    """Write the approved data (JSON, CSV, HTML summary) and record the notification decision."""
    from chaintrail.desk import production

    rep = production.produce(_session(store, db, user, token), n, out)
    if json_out:
        print_json(rep)
    else:
        console.print(f"request {n}: {rep['outcome'].replace('_', ' ')}, {rep['customers']} customers, "
                      f"{rep['accounts']} accounts -> {rep['out']}/summary.html")
        console.print(f"notification: {rep['notification']['decision']} ({rep['notification']['reason']})")


# --- sanctions ------------------------------------------------------------------------------------
@desk_app.command("screen-customers")
def screen_customers(lists: str = typer.Option("ofac,eu", help="ofac (the store's SDN names), eu"),
                     on: Optional[str] = typer.Option(None, help="Date the rules are applied on."),
                     threshold: float = typer.Option(0.90, help="Name match threshold."),
                     sdn: Optional[str] = typer.Option(None, help="sdn.csv/xml instead of the store's."),
                     store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                     user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                     json_out: bool = JsonOpt) -> None:
    """Screen every customer's name and apply the jurisdiction rules (EU Art. 5b)."""
    from chaintrail.desk import screening

    rep = screening.screen_customers(_session(store, db, user, token), tuple(_split([lists])),
                                     _date(on), threshold, sdn)
    for w in rep["warnings"]:
        warn(w)
    if json_out:
        print_json(rep)
        return
    console.print(f"screened {rep['customers']:,} customers ({rep['distinct_names']:,} distinct "
                  f"name/country pairs) in {rep['seconds']:.1f} s on {rep['on']}: {rep['name_hits']:,} "
                  f"name hits ({rep['customers_hit']:,} customers), rule findings "
                  f"{rep['rule_findings']}; case {rep['case']}, run {rep['run']}")


@desk_app.command("screening")
def screening_show(run: int, limit: int = typer.Option(50), store: Optional[str] = StoreOpt,
                   db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                   token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """A screening run's hits and rule findings."""
    from chaintrail.desk import screening

    rep = screening.run_results(_session(store, db, user, token), run, limit)
    if json_out:
        print_json(rep)
        return
    rows_table(f"name hits of run {run}", ["hit", "customer", "list", "entry", "listed name", "score",
                                           "status"],
               [(h["id"], h["customer"], h["list_name"], h["entry"], h["entry_name"], h["score"],
                 h["status"]) for h in rep["hits"]])
    rows_table("rule findings", ["customer", "rule", "version", "outcome", "why"],
               [(f["customer"], f["rule"], f["version"], f["outcome"], f["explanation"])
                for f in rep["findings"]])


def _decide(hit: int, confirm: bool, reason: str, store, db, user, token) -> None:
    from chaintrail.desk import screening

    r = screening.decide_hit(_session(store, db, user, token), hit, confirm, reason)
    console.print(f"hit {hit} ({r['customer']}, {r['list']} {r['entry']}): {r['status']}")


@hit_app.command("confirm")
def hit_confirm(hit: int, reason: str = typer.Option(...), store: Optional[str] = StoreOpt,
                db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                token: Optional[str] = TokenOpt) -> None:
    """The customer is the listed person."""
    _decide(hit, True, reason, store, db, user, token)


@hit_app.command("clear")
def hit_clear(hit: int, reason: str = typer.Option(...), store: Optional[str] = StoreOpt,
              db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
              token: Optional[str] = TokenOpt) -> None:
    """A false match."""
    _decide(hit, False, reason, store, db, user, token)


@desk_app.command("freeze")
def freeze(customer: Optional[str] = typer.Argument(None),
           basis: str = typer.Option(..., help="e.g. 'OFAC SDN entry 12345' or a court order"),
           court_order: Optional[str] = typer.Option(None, help="Court order reference."),
           entry: Optional[str] = typer.Option(None, help="List entry matched (e.g. SDN ent_num)."),
           list_name: Optional[str] = typer.Option(None, "--list"),
           nationality: Optional[str] = typer.Option(None, help="A blanket freeze (always refused)."),
           residence: Optional[str] = typer.Option(None, help="A blanket freeze (always refused)."),
           store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
           token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """Freeze a listed person's or court-ordered customer's accounts (approver)."""
    from chaintrail.desk import freezes
    from chaintrail.desk.errors import DeskError

    s = _session(store, db, user, token)
    if nationality or residence:
        sel = {k: v.upper() for k, v in (("nationality", nationality), ("residence", residence)) if v}
        freezes.freeze_blanket(s, sel, basis)
    if not customer:
        raise DeskError("name the customer to freeze")
    rep = freezes.freeze(s, customer, basis, "court_order" if court_order else "listed_person",
                         entry, list_name, court_order)
    if json_out:
        print_json(rep)
    else:
        console.print(f"{customer} frozen (freeze {rep['freeze']}, case {rep['case']})"
                      + (f"; report to OFAC by {rep['report_due']}" if rep["report_due"] else ""))


@desk_app.command("unfreeze")
def unfreeze(customer: str, basis: str = typer.Option(...), store: Optional[str] = StoreOpt,
             db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
             token: Optional[str] = TokenOpt) -> None:
    """Release a freeze, stating the basis (approver)."""
    from chaintrail.desk import freezes

    freezes.unfreeze(_session(store, db, user, token), customer, basis)
    console.print(f"{customer}: freeze released")


@desk_app.command("freezes")
def freezes_list(active: bool = typer.Option(False, help="Active freezes only."),
                 store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                 user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                 json_out: bool = JsonOpt) -> None:
    """Freezes and their OFAC reporting deadlines."""
    from chaintrail.desk import freezes

    rows = freezes.list_freezes(_session(store, db, user, token), active)
    if json_out:
        print_json(rows)
        return
    rows_table("freezes", ["#", "customer", "basis", "frozen", "report due", "reported", "status"],
               [(r["id"], r["customer"], r["basis"], r["frozen_at"], (r["report_due"] or "")
                 + (" OVERDUE" if r["overdue"] else ""), r["reported_at"] or "", r["status"])
                for r in rows])


@desk_app.command("freeze-reported")
def freeze_reported(freeze_id: int, note: str = typer.Option(...), store: Optional[str] = StoreOpt,
                    db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
                    token: Optional[str] = TokenOpt) -> None:
    """Record that a freeze was reported (OFAC blocked property report)."""
    from chaintrail.desk import freezes

    r = freezes.mark_reported(_session(store, db, user, token), freeze_id, note)
    console.print(f"freeze {freeze_id} reported at {r['reported_at']}" + (" (late)" if r["late"] else ""))


@desk_app.command("offboard")
def offboard(customer: str, on: Optional[str] = typer.Option(None, help="Date the rule applies on."),
             store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt, user: Optional[str] = UserOpt,
             token: Optional[str] = TokenOpt, json_out: bool = JsonOpt) -> None:
    """Offboard a customer restricted by EU Reg. 833/2014 Art. 5b (approver)."""
    from chaintrail.desk import offboarding

    rep = offboarding.offboard(_session(store, db, user, token), customer, _date(on))
    if json_out:
        print_json(rep)
    else:
        console.print(f"{customer} offboarded (accounts withdrawal-only): {rep['explanation']}")


# --- audit and reports -----------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(anchor: Optional[str] = typer.Option(None, help="SEQ:HASH published earlier."),
                 store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                 user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                 json_out: bool = JsonOpt) -> None:
    """Check the audit log's hash chain; exit 1 if any entry was edited, deleted or reordered."""
    from chaintrail.desk import auditing

    rep = auditing.verify_log(_session(store, db, user, token), anchor)
    if json_out:
        print_json(rep)
    elif rep["ok"]:
        console.print(f"audit log intact: {rep['entries']:,} entries verified in {rep['seconds']:.2f} s; "
                      f"head {rep['head_seq']}:{rep['head_hash']}")
    else:
        console.print(f"[red]audit log damaged[/red]: {rep['n_problems']} problems")
        for p in rep["problems"][:20]:
            console.print(f"  entry {p['seq']}: {p['kind']}: {p['detail']}", highlight=False)
    if not rep["ok"]:
        raise typer.Exit(1)


@audit_app.command("log")
def audit_log(since: int = typer.Option(0), limit: int = typer.Option(50),
              action: Optional[str] = None, case: Optional[str] = None,
              store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
              user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
              json_out: bool = JsonOpt) -> None:
    """Audit entries: who, when, which case, why (auditor, admin)."""
    from chaintrail.desk import auditing

    rows = auditing.log_entries(_session(store, db, user, token), since, limit, action, case)
    if json_out:
        print_json(rows)
        return
    rows_table("audit log", ["#", "at", "who", "action", "case", "subject", "why"],
               [(e["seq"], e["at"], e["actor"], e["action"], e["case"] or "", e["subject"] or "",
                 e["reason"] or "") for e in rows])


@report_app.command("transparency")
def report_transparency(period: str = typer.Option(..., help="2025, 2025-H1, 2025-Q3 or START..END"),
                        html: Optional[str] = typer.Option(None, help="Also write this HTML file."),
                        store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                        user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
                        json_out: bool = JsonOpt) -> None:
    """Requests by country, type, instrument and outcome; accounts; response time; freezes."""
    from chaintrail.desk import transparency
    from chaintrail.desk.report_html import report_html

    try:
        rep = transparency.transparency_report(_session(store, db, user, token), period)
    except ValueError as exc:
        raise _err(exc) from None
    if html:
        Path(html).write_text(report_html(rep))
    if json_out:
        print_json(rep)
        return
    kv_table(f"transparency report {period}", [
        ("requests", rep["requests"]), ("by outcome", rep["by_outcome"]),
        ("by country", rep["by_country"]), ("by requester type", rep["by_requester_type"]),
        ("by instrument", rep["by_instrument"]), ("accounts affected", rep["accounts_affected"]),
        ("median response (days)", rep["median_response_days"]), ("freezes", rep["freezes"]),
        ("blanket freezes refused", rep["blanket_freezes_refused"]),
        ("offboardings", rep["offboardings"]),
        ("figures match the audit log", rep["check"]["figures_match_audit_log"]),
        ("audit head", f"{rep['check']['audit_head']['seq']}:{rep['check']['audit_head']['hash']}"),
    ])
    if html:
        console.print(f"HTML: {html}")


def desk_demo_scene(chain, truth_dir: Path, out_dir: Path) -> None:
    """`chaintrail demo`'s desk scene: an authority asks for the donation address's donors."""
    from chaintrail.desk.demo import demo_scene

    demo_scene(chain, truth_dir, out_dir,
               say=lambda text: console.print(text, markup=False, highlight=False))


def register(app: typer.Typer) -> None:
    app.add_typer(desk_app, name="desk")
    from chaintrail.cli.demo_cmd import SCENES

    if desk_demo_scene not in SCENES:
        SCENES.append(desk_demo_scene)


