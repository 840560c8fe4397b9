"""`chaintrail monitor ...` (follow the tip, alerts, re-screening, webhook
delivery) and `chaintrail report activity` (activity by jurisdiction): a thin
shell over ``chaintrail.monitor``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer

from chaintrail.cli.desk_cmds import (  # the desk's options
    DbOpt,
    JsonOpt,
    StoreOpt,
    TokenOpt,
    UserOpt,
)
from chaintrail.cli.output import console, kv_table, print_json, rows_table

RulesOpt = typer.Option(None, "--rules", help="Rules YAML (default: the shipped rules).")

monitor_app = typer.Typer(help="Continuous monitoring: screen customer transfers as blocks arrive, "
                               "alerts, re-screening, webhook delivery.", no_args_is_help=True)


def _desk(store, db):
    from chaintrail.desk.session import Desk

    return Desk.open(db, store)


def _session(store, db, user, token):
    desk = _desk(store, db)
    if not token and user and sys.stdin.isatty():
        token = typer.prompt(f"token for {user}", hide_input=True)
    return desk.login(user, token or "")


@monitor_app.command("run")
def run(source: Optional[str] = typer.Option(None, "--source", help="Node to follow: "
                                             "http://user:pass@host:8332 (Core RPC) or "
                                             "esplora+https://host/api; none: screen the store only."),
        rpc_cookie: Optional[str] = typer.Option(None, "--rpc-cookie", help="Bitcoin Core .cookie file."),
        rules: Optional[str] = RulesOpt,
        webhook: Optional[str] = typer.Option(None, "--webhook", help="POST alert events here."),
        webhook_secret: Optional[str] = typer.Option(None, "--webhook-secret",
                                                     envvar="CHAINTRAIL_WEBHOOK_SECRET",
                                                     help="HMAC-SHA256 key of the signature header."),
        retry_backoff: float = typer.Option(2.0, "--retry-backoff",
                                            help="Seconds before a failed webhook post is tried "
                                                 "again (doubling each time)."),
        poll: float = typer.Option(30.0, "--poll", help="Seconds between polls of the node."),
        from_height: Optional[int] = typer.Option(None, "--from-height",
                                                  help="First height to screen (first start only; "
                                                       "default: blocks after the current tip)."),
        once: bool = typer.Option(False, "--once", help="One round, then exit."),
        max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Rounds, then exit."),
        store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
        json_out: bool = JsonOpt) -> None:
    """Follow the node's tip: ingest, handle reorgs, screen every new block, store and deliver
    alerts. Safe to kill and restart at any point."""
    from chaintrail.desk.db import default_store
    from chaintrail.monitor.follow import Monitor
    from chaintrail.monitor.rules import load_rules

    ruleset = load_rules(rules)
    desk = _desk(store, db)
    mon = Monitor(default_store(store), desk.engine, ruleset, source, rpc_cookie, webhook,
                  webhook_secret, from_height, retry_backoff=retry_backoff)

    def show(rep) -> None:
        if json_out:
            sys.stdout.write(__import__("json").dumps(rep.to_dict()) + "\n")
            sys.stdout.flush()
        else:
            console.print(f"tip {rep.tip_height}: {rep.blocks_applied} blocks in, "
                          f"{rep.blocks_rolled_back} rolled back, {rep.blocks_screened} screened, "
                          f"{rep.transfers} transfers, {len(rep.alerts)} alerts"
                          + (f", {rep.alerts_abandoned} abandoned" if rep.alerts_abandoned else "")
                          + (f", {rep.delivered} delivered" if webhook else ""), highlight=False)

    mon.run(poll, 1 if once else max_steps, show)


@monitor_app.command("alerts")
def alerts_cmd(status: Optional[str] = typer.Option(None, "--status",
                                                    help="open, escalated, closed or abandoned."),
               rule: Optional[str] = typer.Option(None, "--rule", help="Only this rule id."),
               customer: Optional[str] = typer.Option(None, "--customer", help="Customer reference."),
               limit: int = typer.Option(100, "--limit"), offset: int = typer.Option(0, "--offset"),
               evidence: bool = typer.Option(False, "--evidence", help="Include the evidence (JSON)."),
               store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
               user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
               json_out: bool = JsonOpt) -> None:
    """Alerts, newest first (analyst, reviewer, approver)."""
    from chaintrail.monitor.alerts import list_alerts

    rows = list_alerts(_session(store, db, user, token), status, rule, customer, limit, offset,
                       evidence or json_out)
    if json_out:
        print_json(rows)
        return
    rows_table("alerts", ["id", "status", "severity", "rule", "customer", "case", "height",
                          "direction", "BTC", "summary"],
               [(r["id"], r["status"], r["severity"], r["rule_id"], r["customer"], r["case"],
                 r["height"], r["direction"], f"{r['amount'] / 1e8:.8f}", r["summary"]) for r in rows])


@monitor_app.command("alert")
def alert_cmd(alert_id: int = typer.Argument(..., metavar="ID"),
              store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
              user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt) -> None:
    """One alert with its evidence (JSON)."""
    from chaintrail.monitor.alerts import get_alert

    print_json(get_alert(_session(store, db, user, token), alert_id))


@monitor_app.command("decide")
def decide_cmd(alert_id: int = typer.Argument(..., metavar="ID"),
               status: str = typer.Option(..., "--status", help="escalated, closed or open."),
               reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit log)."),
               store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
               user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
               json_out: bool = JsonOpt) -> None:
    """Escalate or close an alert (reviewer, approver)."""
    from chaintrail.monitor.alerts import decide_alert

    r = decide_alert(_session(store, db, user, token), alert_id, status, reason)
    if json_out:
        print_json(r)
    else:
        console.print(f"alert {alert_id}: {r['status']}", highlight=False)


@monitor_app.command("rescreen")
def rescreen_cmd(rules: Optional[str] = RulesOpt, store: Optional[str] = StoreOpt,
                 db: Optional[str] = DbOpt, json_out: bool = JsonOpt) -> None:
    """After a sanctions list or tag update: alert on past transfers exposed to what is newly
    listed (with its listing date). The first run records what is listed now."""
    from chaintrail.chain import open as open_chain
    from chaintrail.desk.db import default_store
    from chaintrail.monitor.rescreen import rescreen
    from chaintrail.monitor.rules import load_rules
    from chaintrail.monitor.screen import Screener, load_book

    ruleset = load_rules(rules)
    desk = _desk(store, db)
    chain = open_chain(default_store(store))
    with console.status("re-screening past transfers"):
        rep = rescreen(desk.engine, Screener(chain, load_book(desk.engine, chain), ruleset))
    if json_out:
        print_json(rep.to_dict())
        return
    if rep.initialised:
        console.print(f"recorded {rep.items:,} listed or tagged items as known; the next "
                      "re-screening alerts on what is listed after now", highlight=False)
        return
    kv_table("re-screening", [("items listed or tagged", rep.items), ("new since last time", rep.new_items),
                              ("removed", rep.removed_items), ("new addresses", rep.new_addresses),
                              ("transactions reached", rep.reached_txs),
                              ("their customer transfers", rep.transfers),
                              ("candidates traced", rep.candidates),
                              ("new alerts", len(rep.alerts)),
                              ("seconds", sum(rep.seconds.values()))])


@monitor_app.command("deliver")
def deliver_cmd(webhook: str = typer.Option(..., "--webhook", help="POST alert events here."),
                webhook_secret: Optional[str] = typer.Option(None, "--webhook-secret",
                                                             envvar="CHAINTRAIL_WEBHOOK_SECRET"),
                retry_dead: bool = typer.Option(False, "--retry-dead",
                                                help="Give up-on events another round first."),
                store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
                json_out: bool = JsonOpt) -> None:
    """Post the pending alert events of the outbox once."""
    from chaintrail.monitor import delivery

    desk = _desk(store, db)
    if retry_dead:
        delivery.retry_dead(desk.engine)
    rep = delivery.deliver_pending(desk.engine, webhook, webhook_secret)
    if json_out:
        print_json(rep.to_dict())
    else:
        console.print(f"{rep.delivered} delivered, {rep.failed} failed ({rep.dead} given up), "
                      f"{rep.pending} pending", highlight=False)


@monitor_app.command("status")
def status_cmd(store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
               json_out: bool = JsonOpt) -> None:
    """Blocks screened, alerts per status, outbox (no customer data)."""
    from sqlalchemy import func, select

    from chaintrail.desk.schema import monitor_alerts, monitor_blocks, monitor_watch, settings
    from chaintrail.monitor.delivery import outbox_counts
    from chaintrail.monitor.follow import START_KEY

    desk = _desk(store, db)
    with desk.engine.connect() as conn:
        blocks = dict(conn.execute(select(monitor_blocks.c.status, func.count())
                                   .group_by(monitor_blocks.c.status)).all())
        last = conn.execute(select(monitor_blocks.c.height, monitor_blocks.c.hash)
                            .where(monitor_blocks.c.status == "screened")
                            .order_by(monitor_blocks.c.height.desc()).limit(1)).first()
        alerts = dict(conn.execute(select(monitor_alerts.c.status, func.count())
                                   .group_by(monitor_alerts.c.status)).all())
        watch = conn.execute(select(func.count()).select_from(monitor_watch)).scalar()
        start = conn.execute(select(settings.c.value).where(settings.c.key == START_KEY)).scalar()
    out = {"start_height": int(start) if start is not None else None,
           "blocks": blocks, "last_screened": {"height": last[0], "hash": last[1]} if last else None,
           "alerts": alerts, "outbox": outbox_counts(desk.engine), "watch_items": watch}
    if json_out:
        print_json(out)
        return
    kv_table("monitor", [(k, v) for k, v in out.items()])


@monitor_app.command("rules")
def rules_cmd(rules: Optional[str] = RulesOpt, json_out: bool = JsonOpt) -> None:
    """Check a rules file and show its rules."""
    from chaintrail.monitor.rules import load_rules

    rs = load_rules(rules)
    if json_out:
        print_json(rs.to_dict())
        return
    console.print(f"{rs.name} version {rs.version} ({rs.digest}), {len(rs.rules)} rules", highlight=False)
    rows_table(None, ["id", "version", "kind", "severity", "description"],
               [(r.id, r.version, r.kind, r.severity, r.description) for r in rs.rules])


def activity(by: str = typer.Option("country", "--by", help="country, nationality or residence."),
             period: str = typer.Option(..., "--period", help="2022-01..2022-12, 2022, 2022-03 or "
                                                               "YYYY-MM-DD..YYYY-MM-DD."),
             split: Optional[str] = typer.Option(None, "--split",
                                                 help="Compare before and after this date."),
             interval: str = typer.Option("month", "--interval", help="month, week or day."),
             html: Optional[Path] = typer.Option(None, "--html", help="Write the HTML report here."),
             top: int = typer.Option(12, "--top", help="Jurisdictions drawn in the chart."),
             store: Optional[str] = StoreOpt, db: Optional[str] = DbOpt,
             user: Optional[str] = UserOpt, token: Optional[str] = TokenOpt,
             json_out: bool = JsonOpt) -> None:
    """Customer activity by jurisdiction over time: volumes, counts, exposure shares, alerts,
    before and after a date (aggregates only)."""
    from sqlalchemy import select

    from chaintrail.chain import open as open_chain
    from chaintrail.desk.db import default_store
    from chaintrail.desk.errors import DeskError
    from chaintrail.desk.schema import monitor_alerts
    from chaintrail.monitor.activity import activity_report
    from chaintrail.monitor.activity_html import activity_html
    from chaintrail.monitor.screen import load_book
    from chaintrail.monitor.watch import watch_of

    s = _session(store, db, user, token)
    s.require("report.activity")
    try:
        split_d = dt.date.fromisoformat(split) if split else None
    except ValueError:
        raise DeskError(f"--split {split!r}: not a date (YYYY-MM-DD)") from None
    chain = open_chain(default_store(store))
    with s.desk.engine.connect() as conn:
        al = [(int(c), t) for c, t in conn.execute(
            select(monitor_alerts.c.customer_id, monitor_alerts.c.block_time)
            .where(monitor_alerts.c.status != "abandoned", monitor_alerts.c.block_time.isnot(None)))]
    try:
        rep = activity_report(chain, load_book(s.desk.engine, chain), watch_of(chain), period, by,
                              interval, split_d, al, top)
    except ValueError as exc:
        raise DeskError(str(exc)) from None
    with s.tx() as conn:
        s.audit(conn, "report.activity", details={"period": period, "by": by, "split": split})
    if html:
        html.write_text(activity_html(rep), encoding="utf-8")
    if json_out:
        print_json(rep)
        return
    rows_table(f"activity by {by}, {period} ({rep['transfers']:,} transfers)",
               ["jurisdiction", "sanctioned", "deposits", "deposit BTC", "withdrawals",
                "customers", "exposure share", "alerts"],
               [(x["jurisdiction"], "yes" if x["sanctioned"] else "", x["deposits"],
                 f"{x['deposit_sat'] / 1e8:,.4f}", x["withdrawals"], x["customers"],
                 f"{x['exposed_share']:.2%}", x["alerts"]) for x in rep["jurisdictions"][:top]])
    if rep["split"]:
        rows_table(f"before and after {rep['split']['date']} (BTC per day)",
                   ["jurisdiction", "before", "after", "change", "share before", "share after"],
                   [(c["jurisdiction"], f"{c['before_sat_per_day'] / 1e8:.4f}",
                     f"{c['after_sat_per_day'] / 1e8:.4f}",
                     "-" if c["change"] is None else f"{c['change']:.2f}x",
                     f"{c['before_share']:.2%}", f"{c['after_share']:.2%}")
                    for c in rep["split"]["jurisdictions"][:top]])
    if html:
        console.print(f"HTML: {html}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
    from chaintrail.cli.serve_cmds import report_app

    report_app.command("activity")(activity)
