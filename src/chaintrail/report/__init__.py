"""Shareable reports: `chaintrail report ADDRESS|CLUSTER_ID --out report.html`
writes one self-contained HTML file (summary, tags, exposure charts, the
interactive trace graph, the evidence table) that opens with no network.

    from chaintrail.report import build_report
    html = build_report(chain, "bc1q...", max_hops=4)
"""

from chaintrail.report.build import ReportData, build_report, gather

__all__ = ["ReportData", "build_report", "gather"]
