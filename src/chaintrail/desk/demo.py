"""The compliance desk's scene of ``chaintrail demo``: an authority asks the
exchanges' compliance desk for the donors of the simulated donation
address; the rules decide what may be disclosed, a reviewer and an approver
sign off, the package is produced, and the desk also shows a request it
flags and one it refuses, the EU Russia rule on customers, a blanket freeze
refused, the audit log verified and the transparency report.

    from chaintrail.desk.demo import demo_scene
    demo_scene(chain, truth_dir, out_dir)      # prints its findings, returns them
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.desk import (
    add_user,
    auditing,
    customers,
    freezes,
    production,
    requests,
    screening,
    transparency,
)
from chaintrail.desk.errors import RuleRefusal
from chaintrail.desk.report_html import report_html
from chaintrail.desk.session import Desk

BTC_EUR = 20_000.0  # a round rate to value the simulated holdings


@dataclass
class DeskScene:
    """What the desk scene did, with the lines it printed."""

    request: int
    outcome: str
    disclosed_customers: int
    package: str
    report_html: str
    lines: list[str] = field(default_factory=list)


def _donation_address(truth: Path, chain) -> str:
    from chaintrail.trace.demo import donation_address

    return donation_address(chain, truth)


def _window(chain) -> str:
    lo, hi = chain.sql("SELECT min(time), max(time) FROM blocks").fetchall()[0]
    a = dt.datetime.fromtimestamp(lo, dt.timezone.utc).date()
    b = dt.datetime.fromtimestamp(hi, dt.timezone.utc).date()
    return f"{a}..{b}"


def demo_scene(chain, truth_dir: str | Path, out_dir: str | Path, say=print) -> DeskScene:
    """Run the desk scene on a simulated store and its truth; writes desk files under out_dir/desk."""
    out = Path(out_dir) / "desk"
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def tell(text: str) -> None:
        lines.append(text)
        say(text)

    tell("\n== the compliance desk ==")
    desk, token = Desk.init(db=f"sqlite:///{(out / 'desk.sqlite').resolve()}", store=chain.path,
                            home_country="DE")
    desk.use_chain(chain)
    admin = desk.login("admin", token)
    who = {r: desk.login(r, add_user(admin, r, r, token=r)) for r in ("analyst", "reviewer", "approver",
                                                               "auditor")}
    an, rv, ap, au = who["analyst"], who["reviewer"], who["approver"], who["auditor"]
    tell(f"desk database {out / 'desk.sqlite'}; users analyst, reviewer, approver and auditor "
         "(demo only: each user's token is its name, e.g. CHAINTRAIL_DESK_USER=auditor "
         "CHAINTRAIL_DESK_TOKEN=auditor chaintrail desk audit verify --store ...)")
    imp = customers.import_truth(an, truth_dir, btc_eur=BTC_EUR)
    tell(f"imported {imp['customers_new']:,} customers of the simulated exchanges with "
         f"{imp['addresses_new']:,} deposit and withdrawal addresses (the exchanges' KYC records)")
    donation = _donation_address(Path(truth_dir), chain)
    window = _window(chain)
    r = requests.create(an, "Bundeskriminalamt", "DE", "court_order",
                        "identity,transactions,communications", [donation], window,
                        requester_type="law_enforcement", officer="KHK Weber",
                        contact="weber@bka.example", verification="verified",
                        case_number="ST 42-2014", legal_basis="court order, AG Wiesbaden",
                        max_hops=1)
    rid = r["id"]
    tell(f"request {rid}: the Bundeskriminalamt (DE) asks, by court order, for the identity, "
         f"transactions and messages of everyone who paid the donation address {donation}")
    rev = requests.review(rv, rid)
    ln = rev["link"]
    tell(f"linking through the chain (1 hop): {ln['links']:,} links to {ln['customers']:,} customers "
         f"in {ln['seconds']:.2f} s")
    rel = Counter(x["relation"] for x in requests.links(rv, rid, 100_000))
    tell(f"  {rel.get('is', 0):,} withdrew straight to the donation address; "
         f"{rel.get('paid_target', 0):,} paid it from an address they had withdrawn to; "
         f"{rel.get('paid_by_target', 0):,} received from it into a deposit address")
    tell(f"the rules say {rev['verdict']['outcome'].upper()}:")
    for line in rev["explanation"]:
        tell(f"  - {line}")
    requests.approve(ap, rid, "court order checked; scope limited to the donors' identity and "
                     "transfers in the window")
    pkg = out / f"package-{rid}"
    prod = production.produce(an, rid, pkg)
    tell(f"approved by a second person and produced ({prod['outcome'].replace('_', ' ')}): "
         f"{prod['customers']:,} customers, {prod['accounts']:,} accounts -> {pkg}/summary.html")
    tell(f"  disclosed: {', '.join(prod['categories'])}; not disclosed: "
         f"{', '.join(prod['not_given']) or 'nothing'} (a court order does not reach message "
         "content: that needs a warrant)")
    tell(f"  notification: {prod['notification']['decision']}: {prod['notification']['reason']}")

    r2 = requests.create(an, "Federal Bureau of Investigation", "US", "subpoena",
                         "identity,transactions", [donation], window, verification="verified",
                         case_number="FBI-2014-77", legal_basis="grand jury subpoena")
    v2 = requests.review(rv, r2["id"])
    tell(f"request {r2['id']}: the same donors asked by a US subpoena: {v2['verdict']['outcome'].upper()}")
    for line in v2["explanation"]:
        if line.startswith(("FLAG", "NARROW: a subpoena")):
            tell(f"  - {line}")
    r3 = requests.create(an, "FSB", "RU", "informal", "identity", [donation], window,
                         verification="unverified")
    v3 = requests.review(rv, r3["id"])
    tell(f"request {r3['id']}: an informal e-mail from the FSB (RU): {v3['verdict']['outcome'].upper()}")
    for line in v3["explanation"]:
        if line.startswith("REFUSE"):
            tell(f"  - {line}")

    for on in (dt.date(2022, 4, 20), dt.date(2022, 11, 1)):
        sc = screening.screen_customers(an, lists=("eu",), on=on)
        f = sc["rule_findings"]
        tell(f"EU Reg. 833/2014 Art. 5b on {on}: {f.get('offboard', 0):,} customers to offboard, "
             f"{f.get('allow', 0):,} Russian customers allowed (exempt or under the threshold), "
             f"{f.get('hold', 0):,} held")
    try:
        freezes.freeze_blanket(ap, {"nationality": "RU"}, "request to freeze every Russian user")
    except RuleRefusal as exc:
        tell(f"a blanket freeze of all Russian customers: {str(exc)[:160]}...")
    ver = auditing.verify_log(au)
    tell(f"audit log: {ver['entries']:,} entries, hash chain intact: {ver['ok']}")
    year = desk.today().year
    rep = transparency.transparency_report(au, str(year))
    html = out / f"transparency-{year}.html"
    html.write_text(report_html(rep))
    tell(f"transparency report {year}: {rep['requests']} requests {rep['by_outcome']}, "
         f"{rep['accounts_affected']:,} accounts affected; figures match the audit log: "
         f"{rep['check']['figures_match_audit_log']} -> {html}")
    desk.use_chain(None)
    desk.close()
    return DeskScene(rid, prod["outcome"], prod["customers"], str(pkg), str(html), lines)
