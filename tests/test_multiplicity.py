"""Known answers for the multiple-testing procedures (worked out by hand below)."""

import numpy as np
import pytest

from hpo_insights import _multiplicity as mt


def test_holm_hand_computed():
    """Holm on (0.01, 0.04, 0.03, 0.005): sorted x (4, 3, 2, 1) = .02 .03 .06 .04, running max."""
    out = mt.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(out, [0.03, 0.06, 0.06, 0.02])


def test_bh_hand_computed():
    """BH on (0.01, 0.04, 0.03, 0.005): m p / rank = .02 .02 .04 .04, running min from the top."""
    out = mt.bh([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(out, [0.02, 0.04, 0.04, 0.02])


def test_bh_step_up_differs_from_holm():
    """BH rejects all of (.02, .03, .04, .05) at .05 (m p / rank = .08 .06 .0533 .05 -> .05)."""
    out = mt.bh([0.02, 0.03, 0.04, 0.05])
    np.testing.assert_allclose(out, [0.05, 0.05, 0.05, 0.05])
    assert (mt.holm([0.02, 0.03, 0.04, 0.05]) > 0.05).all()


def test_nan_is_not_a_test():
    """NaN p-values stay NaN and do not count in m."""
    np.testing.assert_allclose(mt.bonferroni([0.01, np.nan, 0.02]), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(mt.holm([0.01, np.nan, 0.02]), [0.02, np.nan, 0.02])


def test_graph_equals_holm(rng):
    """The complete graph with equal weights and edges 1/(m-1) is Holm's procedure."""
    for m in (2, 3, 5, 8):
        g = (np.ones((m, m)) - np.eye(m)) / (m - 1)
        for _ in range(20):
            p = rng.uniform(0, 0.2, m)
            np.testing.assert_allclose(mt.graph(p, np.full(m, 1 / m), g), mt.holm(p))


def test_graph_gatekeeping_hand_computed():
    """A -> B serial gate: w = (1, 0), edge A->B = 1; p = (.01, .03): B adjusted max(.01, .03)."""
    g = np.array([[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(mt.graph([0.01, 0.03], [1.0, 0.0], g), [0.01, 0.03])
    # the gate closed: B is never tested however small its p
    np.testing.assert_allclose(mt.graph([0.2, 0.0001], [1.0, 0.0], g), [0.2, 0.2])


def test_graph_two_roots_one_child_hand_computed():
    """Roots A, B (w 1/2); A's child C (edge 1); C and B pass back to the roots.

    p = (0.02, 0.5, 0.01): A: 0.02 / 0.5 = 0.04, rejected; C gets 1/2: 0.01 / 0.5 = 0.02,
    running max 0.04; C passes its 1/2 to B: B has weight 1: 0.5.
    """
    g = np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 1.0, 0]])
    np.testing.assert_allclose(mt.graph([0.02, 0.5, 0.01], [0.5, 0.5, 0.0], g), [0.04, 0.5, 0.04])


def test_graph_update_uses_the_return_edge_hand_computed():
    """Bretz et al. (2009), algorithm 1: ``g_jk <- (g_jk + g_ji g_ik) / (1 - g_ji g_ij)``.

    H1 -> H2 (1); H2 -> H1 (1/2), H2 -> H3 (1/2); H3 -> H1 (1); w = (1, 0, 0),
    p = (0.01, 0.02, 0.04). H1 rejected at 0.01; then g_23 = (1/2 + 1/2 * 0) /
    (1 - 1/2 * 1) = 1 and w_2 = 1: H2 at 0.02; H3 gets w_3 = 1: 0.04. (A
    denominator ``1 - g_ji g_ik`` gives g_23 = 1/2 and H3 0.08.)
    """
    g = np.array([[0, 1.0, 0], [0.5, 0, 0.5], [1.0, 0, 0]])
    np.testing.assert_allclose(mt.graph([0.01, 0.02, 0.04], [1.0, 0, 0], g), [0.01, 0.02, 0.04])
    # from H3's side: g_32 = (0 + 1 * 1) / (1 - 1 * 0) = 1 (not 0): with p = (0.01, 0.04, 0.02)
    # H3 is never reached before H2 (weight 0), H2 at 0.04, then H3 at max(0.04, 0.02 / 1)
    np.testing.assert_allclose(mt.graph([0.01, 0.04, 0.02], [1.0, 0, 0], g), [0.01, 0.04, 0.04])


def test_graph_controls_fwer_by_simulation():
    """All nulls true with uniform p: some rejection at 0.05 in about 5% of 4,000 runs (no more)."""
    rng = np.random.default_rng(1)
    m = 6
    w = np.array([0.5, 0.5, 0, 0, 0, 0])
    g = np.zeros((m, m))
    g[0, [2, 3]] = 0.5
    g[1, [4, 5]] = 0.5
    g[2:, 0] = g[2:, 1] = 0.5
    hits = sum(bool((mt.graph(rng.uniform(size=m), w, g) <= 0.05).any()) for _ in range(4000))
    assert hits / 4000 == pytest.approx(0.05, abs=0.012)
