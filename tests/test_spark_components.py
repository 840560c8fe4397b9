"""Large-star/small-star connected components on DataFrames against the plain union-find twin."""

from __future__ import annotations

import random

import pytest
from spark_support import spark_or_skip

from chaintrail.spark.components import connected_components, reference_components


@pytest.fixture(scope="module")
def spark():
    return spark_or_skip()


def _graph():
    rng = random.Random(5)
    chain = [(i, i + 1) for i in range(0, 60)]  # a long path: many rounds for naive propagation
    reversed_chain = [(i + 1, i) for i in range(100, 140)]
    star = [(200, 200 + k) for k in range(1, 30)]
    rand = [(rng.randrange(300, 500), rng.randrange(300, 500)) for _ in range(150)]
    loops = [(600, 600), (601, 602), (602, 601)]
    small = [(909, 904), (904, 907), (907, 902), (930, 931)]
    return chain + reversed_chain + star + rand + loops + small


def test_components_equal_union_find(spark):
    """Paths (both orientations), a star, a random graph, self loops and duplicate edges."""
    edges = _graph()
    labels, rounds = connected_components(spark.createDataFrame(edges, "src long, dst long"))
    got = {r["vertex"]: r["label"] for r in labels.collect()}
    want = {v: lab for v, lab in reference_components(edges).items()
            if any(v in (a, b) for a, b in edges if a != b)}
    assert got == want
    assert rounds >= 2
    # every vertex is labelled with its component's smallest id
    assert {v: got[v] for v in (909, 904, 907, 902, 930, 931)} == {909: 902, 904: 902, 907: 902, 902: 902,
                                                                   930: 930, 931: 930}
    assert 600 not in got  # a self loop alone links nothing
