"""Continuous monitoring (docs/monitor.md): follow the chain tip, screen
every transfer touching a customer's deposit or withdrawal addresses
against versioned rules, store alerts in the desk's database with their
evidence, deliver them to a webhook at least once, re-screen history when
lists or tags change, and report activity by the customers' jurisdiction.

Read top-down: ``rules`` (the YAML ruleset), ``watch`` (tags and lists as
what traces stop at), ``transfers`` (customer transfers by array joins),
``exposure`` (the trace engine per transfer), ``evaluate`` (the rules),
``screen`` (a range of transactions -> alert rows), ``alerts`` (the desk's
tables), ``delivery`` (the webhook outbox), ``follow`` (the long-running
monitor), ``reach`` (how far newly listed items' coins reach), ``rescreen`` (after a list
update; evidence from the same traces in ``evidence_kernels``), ``activity`` and
``activity_html`` (the jurisdiction report)."""
