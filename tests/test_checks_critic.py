"""Chapter 6's coursework checks: each passes its reference and names the usual mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from pgbook import checks
from pgbook.checks import critic as ch6

REFERENCES = [
    (checks.check_gae, ch6.gae, ch6._gae_cases),
    (checks.check_per_decision_weights, ch6.per_decision_weights, ch6._pdw_cases),
    (checks.check_per_coordinate_baseline, ch6.per_coordinate_baseline, ch6._baseline_cases),
]
IDS = [r[1].__name__ for r in REFERENCES]


def failing(result, case_fragment: str, *fragments: str) -> str:
    assert not result, result.message
    first = result.message.splitlines()[0]
    assert first.startswith("✗") and case_fragment in first, result.message
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result.message


@pytest.mark.parametrize("check, reference, cases", REFERENCES, ids=IDS)
def test_reference_passes_and_cases_are_smallest_first(check, reference, cases):
    result = check(reference)
    assert result and result.message == f"✓ {reference.__name__} passed {len(cases())} cases"
    sizes = [sum(np.size(a) for a in case.args if isinstance(a, np.ndarray)) for case in cases()]
    assert sizes[0] == min(sizes)
    assert checks.case_count(check) == len(cases())


@pytest.mark.parametrize("check, reference, cases", REFERENCES, ids=IDS)
def test_a_stub_is_not_implemented_yet(check, reference, cases):
    def stub(*args):
        raise NotImplementedError()

    assert "is not implemented yet" in check(stub).message


# ------------------------------------------------------------------------ GAE
def test_gae_written_as_the_book_writes_it_passes():
    def gae(rewards, values, mask, gamma, lam):
        T, N = rewards.shape
        out = np.zeros((T, N))
        for i in range(N):
            L = int(mask[:, i].sum())
            v = np.append(values[:L, i], 0.0)
            delta = rewards[:L, i] + gamma * v[1:] - v[:-1]
            for t in range(L):
                out[t, i] = ((gamma * lam) ** np.arange(L - t)) @ delta[t:]
        return out

    assert checks.check_gae(gae)


@pytest.mark.parametrize("mistake, case_fragment, hint", [
    (ch6._gae_td_only, "lam = 1", "TD error δ_t alone"),
    (ch6._gae_reward_to_go, "lam = 0", "λ = 1 whatever lam is"),
    (ch6._gae_no_gamma_in_trace, "gamma = 0.9, lam = 0.5", "(γλ)^l, not λ^l"),
    (ch6._gae_bootstraps_past_the_end, "lengths 3 and 1", "past the end"),
    (ch6._gae_unmasked, "lengths 3 and 1", "mask is False"),
    (ch6._gae_weights_on_k_step, "lam = 1", "k-step estimates"),
])
def test_gae_mistakes_get_their_hint(mistake, case_fragment, hint):
    def gae(rewards, values, mask, gamma, lam):
        return mistake(rewards, values, mask, gamma, lam)

    failing(checks.check_gae(gae), case_fragment, hint)


# ------------------------------------------------------ per-decision weights
@pytest.mark.parametrize("mistake, hint", [
    (ch6._pdw_inverted, "upside down"),
    (ch6._pdw_per_step, "ratio of step t alone"),
    (ch6._pdw_exclusive, "stops at t − 1"),
    (ch6._pdw_trajectory, "whole trajectory's weight"),
])
def test_per_decision_mistakes_get_their_hint(mistake, hint):
    def per_decision_weights(pi_new, pi_old, mask):
        return mistake(pi_new, pi_old, mask)

    result = checks.check_per_decision_weights(per_decision_weights)
    assert not result and hint in result.message, result.message


def test_per_decision_weights_that_divide_by_the_masked_zeros_fail_on_the_masked_case():
    def per_decision_weights(pi_new, pi_old, mask):
        return np.cumprod(pi_new / pi_old, axis=0) * mask

    failing(checks.check_per_decision_weights(per_decision_weights), "lengths 3 and 1", "nan")


# ---------------------------------------------------- per-coordinate baseline
@pytest.mark.parametrize("mistake, hint", [
    (ch6._baseline_scalar, "one scalar b*"),
    (ch6._baseline_unweighted, "equal weights"),
    (ch6._baseline_ratio_of_means, "E[u_k]/E[v_k]"),
    (ch6._baseline_square_of_mean, "square of the mean"),
])
def test_per_coordinate_baseline_mistakes_get_their_hint(mistake, hint):
    def per_coordinate_baseline(u, v, probs):
        return mistake(u, v, probs)

    result = checks.check_per_coordinate_baseline(per_coordinate_baseline)
    assert not result and hint in result.message, result.message
