"""Widget of chapter 6: the exact bias and variance of the GAE(λ) gradient estimate, against λ.

The estimate is g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) Â_t(λ), with Â from a critic
V = V^π + ε·e: the exact state values of the policy, wrong by ε on the states
that ``error`` marks (by default the last state, at every step). Two controls:
ε (outer) and λ (inner). Two panels, both against λ ∈ [0, 1]:

* the size of the bias, ‖E[g(ξ)] − ∇J(θ)‖, exactly by enumeration
  (:func:`pgbook.critic.gae_bias_variance`), as a curve, and measured from M
  sampled trajectories at each λ of the control grid (dots);
* the variance of one term, tr Cov[g(ξ)], exactly (curve) and measured
  (dots with ± 2 standard errors).

The chosen λ is circled. Everything is computed once, when the widget is made:
the exact curves for every ε (one enumeration each, milliseconds on a tiny
MDP), and one seeded batch of M trajectories, reused for every (ε, λ), so the
live and the static widget show the same numbers. Each frame's text
alternative is written from the numbers it draws (:meth:`GAEExplorer.alt`).

    gae_explorer(mdp, policy, theta, epsilons=[0, 0.5, 1, 2], lams=[0, 0.2, …, 1])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..critic import check_lambda, gae_bias_variance, gae_estimator
from ..exact import along_trajectories, sample_trajectories, state_values
from ..plots import EXACT_COLOR, SMALL, new_figure
from ..validate import as_array, check_finite, check_int
from .core import FigureGrid

__all__ = ["GAEExplorer", "gae_explorer"]


class GAEExplorer:
    """Exact and sampled bias and variance of the GAE(λ) estimate, with controls for ε and λ.

    mdp, policy, theta:  a tiny :class:`pgbook.mdp.TabularMDP` (it is enumerated), a tabular
                         policy and θ, shape (n_params,)
    epsilons:            the critic's errors ε, the outer control, e.g. [0, 0.5, 1, 2]
    lams:                the control grid of λ, each in [0, 1], increasing
    error:               e, shape (T, S) or (S,): where the critic is wrong, V = V^π + ε·e
                         (default: 1 on the last state, 0 elsewhere)
    n_samples:           M, the sampled trajectories (one batch, reused for every ε and λ)
    seed:                the batch comes from ``np.random.default_rng(seed)``
    fine:                the number of λ values the exact curves are drawn through
    precompute:          draw every frame now (default: only while building the book)

    Attributes: ``fine_lams``; ``exact[e]``, the :class:`pgbook.critic.BiasVariance` of
    ε = epsilons[e] on the fine grid; ``sampled_bias``, ``sampled_variance`` and
    ``variance_se``, shape (len(epsilons), len(lams)); ``widget`` and ``images`` as in
    :class:`pgbook.widgets.core.FigureGrid`.
    """

    def __init__(self, mdp, policy, theta, epsilons: Sequence[float] = (0.0, 0.5, 1.0, 2.0),
                 lams: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), error=None,
                 n_samples: int = 2000, seed: int = 0, fine: int = 41,
                 precompute: bool | None = None):
        self.theta = check_finite("theta", as_array("theta", theta))
        if self.theta.shape != (policy.n_params,):
            raise ValueError(f"theta: expected shape ({policy.n_params},), one entry per policy "
                             f"parameter, got shape {self.theta.shape}")
        self.epsilons = check_finite("epsilons", as_array("epsilons", epsilons))
        if self.epsilons.ndim != 1 or self.epsilons.size == 0:
            raise ValueError(f"epsilons: expected a non-empty list of critic errors, got {epsilons!r}")
        self.lams = np.array([check_lambda(lam) for lam in np.atleast_1d(lams)])
        if self.lams.size == 0 or np.any(np.diff(self.lams) <= 0):
            raise ValueError(f"lams: expected increasing λ values in [0, 1], got {list(lams)!r}")
        n_samples = check_int("n_samples", n_samples, minimum=2)
        self.mdp, self.policy = mdp, policy
        self.V = state_values(mdp, policy, self.theta)            # V^π, (T, S)
        if error is None:
            error = np.zeros_like(self.V)
            error[:, -1] = 1.0
        error = check_finite("error", as_array("error", error))
        if error.shape == (mdp.n_states,):
            error = np.broadcast_to(error, self.V.shape)
        if error.shape != self.V.shape:
            raise ValueError(f"error: expected shape {self.V.shape} (T, S) or ({mdp.n_states},) "
                             f"(S,), got shape {error.shape}")
        self.error = np.array(error)

        # --- computed once: exact curves per ε, one batch, sampled moments per (ε, λ)
        self.fine_lams = np.union1d(np.linspace(0.0, 1.0, fine), self.lams)
        self.exact = [gae_bias_variance(mdp, policy, self.theta, self.critic(eps), self.fine_lams)
                      for eps in self.epsilons]
        self.gradient = self.exact[0].gradient
        batch = sample_trajectories(mdp, policy, self.theta, n_samples, np.random.default_rng(seed))
        shape = (len(self.epsilons), len(self.lams))
        self.sampled_bias, self.sampled_variance, self.variance_se = (np.zeros(shape) for _ in range(3))
        for e, eps in enumerate(self.epsilons):
            values = along_trajectories(self.critic(eps), batch)   # V(s_t) along each episode
            for j, lam in enumerate(self.lams):
                terms = gae_estimator(batch, policy, self.theta, values, lam=lam,
                                      gamma=mdp.gamma).terms
                sq = ((terms - terms.mean(axis=0)) ** 2).sum(axis=1)   # squared distances
                self.sampled_bias[e, j] = np.linalg.norm(terms.mean(axis=0) - self.gradient)
                self.sampled_variance[e, j] = sq.mean()
                self.variance_se[e, j] = sq.std(ddof=1) / np.sqrt(n_samples)
        self.n_samples = n_samples
        top = max(float(bv.variance.max()) for bv in self.exact)
        self._ylim_var = (0.0, 1.08 * max(top, float((self.sampled_variance + 2 * self.variance_se).max())))
        top = max(float(np.linalg.norm(bv.bias, axis=1).max()) for bv in self.exact)
        self._ylim_bias = (0.0, 1.1 * max(top, float(self.sampled_bias.max()), 0.1))
        self.grid = FigureGrid(self.epsilons.tolist(), self.lams.tolist(), self.draw,
                               outer_label="ε, the critic's error", inner_label="λ",
                               outer_kind="toggle", inner_kind="slider",
                               initial=(min(2, len(self.epsilons) - 1), len(self.lams) // 2),
                               precompute=precompute)
        self.widget, self.images = self.grid.widget, self.grid.images

    def critic(self, eps: float) -> np.ndarray:
        """V = V^π + ε·e, shape (T, S)."""
        return self.V + float(eps) * self.error

    def state(self, eps: float, lam: float) -> dict:
        """The numbers drawn at (ε, λ): exact and sampled bias size and variance."""
        e = int(np.flatnonzero(np.isclose(self.epsilons, eps))[0])
        j = int(np.flatnonzero(np.isclose(self.lams, lam))[0])
        bv = self.exact[e]
        k = int(np.flatnonzero(np.isclose(self.fine_lams, lam))[0])
        return {"eps": float(eps), "lam": float(lam), "e": e, "j": j,
                "bias": float(np.linalg.norm(bv.bias[k])), "variance": float(bv.variance[k]),
                "sampled_bias": float(self.sampled_bias[e, j]),
                "sampled_variance": float(self.sampled_variance[e, j]),
                "variance_se": float(self.variance_se[e, j])}

    def alt(self, eps: float, lam: float) -> str:
        """The frame's text alternative, from the numbers it draws."""
        s = self.state(eps, lam)
        bv = self.exact[s["e"]]
        bias = np.linalg.norm(bv.bias, axis=1)
        return (f"Two panels against λ from 0 to 1, for a critic wrong by ε = {eps:g} on one state. "
                f"Left: the size of the bias of the GAE gradient estimate, exactly, falls from "
                f"{bias[0]:.2f} at λ = 0 to {bias[-1]:.2f} at λ = 1. Right: the variance of one term, "
                f"exactly, rises from {bv.variance[0]:.2f} at λ = 0 to {bv.variance[-1]:.2f} at λ = 1. "
                f"At the chosen λ = {lam:g}: bias {s['bias']:.2f} exact, {s['sampled_bias']:.2f} "
                f"sampled; variance {s['variance']:.2f} exact, {s['sampled_variance']:.2f} ± "
                f"{2 * s['variance_se']:.2f} sampled from {self.n_samples:,} trajectories.")

    def draw(self, eps: float, lam: float):
        """(figure, alt) at critic error ε and λ."""
        s = self.state(eps, lam)
        bv = self.exact[s["e"]]
        fig, (bx, vx) = new_figure(8.0, 3.0, ncols=2)
        bx.plot(self.fine_lams, np.linalg.norm(bv.bias, axis=1), color=EXACT_COLOR, lw=1.5,
                label="exact")
        bx.plot(self.lams, self.sampled_bias[s["e"]], "o", color="C0", ms=5,
                label=f"sampled ({self.n_samples:,})")
        bx.plot([lam], [s["bias"]], "o", ms=12, mfc="none", mec="C3", mew=1.5)
        bx.set(xlabel=r"$\lambda$", ylabel=r"bias $\|\mathbb{E}[g] - \nabla J\|$",
               xlim=(-0.03, 1.03), ylim=self._ylim_bias)
        bx.set_title(f"bias at λ = {lam:g}: {s['bias']:.2f} exact, {s['sampled_bias']:.2f} sampled",
                     fontsize=SMALL)
        bx.legend(fontsize=SMALL, frameon=False, loc="upper right")
        vx.plot(self.fine_lams, bv.variance, color=EXACT_COLOR, lw=1.5, label="exact")
        vx.errorbar(self.lams, self.sampled_variance[s["e"]], yerr=2 * self.variance_se[s["e"]],
                    fmt="o", color="C0", ms=5, capsize=2, label="sampled, ± 2 SE")
        vx.plot([lam], [s["variance"]], "o", ms=12, mfc="none", mec="C3", mew=1.5)
        vx.set(xlabel=r"$\lambda$", ylabel=r"variance tr Cov$[g]$", xlim=(-0.03, 1.03),
               ylim=self._ylim_var)
        vx.set_title(f"variance at λ = {lam:g}: {s['variance']:.2f} exact, "
                     f"{s['sampled_variance']:.2f} sampled", fontsize=SMALL)
        vx.legend(fontsize=SMALL, frameon=False, loc="upper left")
        for ax in (bx, vx):
            ax.grid(alpha=0.3)
        return fig, self.alt(eps, lam)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def gae_explorer(mdp, policy, theta, epsilons: Sequence[float] = (0.0, 0.5, 1.0, 2.0),
                 lams: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), **kw) -> GAEExplorer:
    """The GAE bias-variance explorer (see :class:`GAEExplorer`); display the result."""
    return GAEExplorer(mdp, policy, theta, epsilons, lams, **kw)
