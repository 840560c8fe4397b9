"""The chain simulator: an economy of known actors writing real regtest
blocks, with the ground truth (who owns what, what every transaction is)
that scores clustering, change detection, CoinJoin detection and tracing.

    from chaintrail.sim import simulate
    res = simulate("sim/", n_txs=1_000_000, seed=7)

See docs/simulator.md.
"""

from __future__ import annotations

from chaintrail.sim.profiles import PROFILES, Profile, SimulationError, get_profile

__all__ = ["simulate", "SimResult", "Profile", "PROFILES", "get_profile", "SimulationError"]


def __getattr__(name):  # keep `import chaintrail.sim` light: numba loads on first use
    if name in ("simulate", "SimResult"):
        from chaintrail.sim import simulator

        return getattr(simulator, name)
    raise AttributeError(name)
