"""Reference values for the canary judge's statistics, from SciPy and NumPy.

Writes test/fixtures/statistics-reference.json, which test/unit/judge-statistics.test.ts
compares Gantry's own implementation with. Run it again only to change the cases:
    python3 -m venv /tmp/stats && /tmp/stats/bin/pip install scipy==1.14.1 numpy==2.2.6
    /tmp/stats/bin/python scripts/statistics-reference.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261202)
r = lambda a: [round(float(v), 3) for v in a]

cases = []
# Small samples with ties, equal medians, shifted, heavy tail, very different sizes.
pairs = [
    ("ties", [1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 3, 4, 4, 5, 6, 6, 7]),
    ("identical", [5, 5, 6, 7, 8, 9], [5, 5, 6, 7, 8, 9]),
    ("shifted normal 40/50", r(rng.normal(110, 10, 40)), r(rng.normal(100, 10, 50))),
    ("same normal 200/200", r(rng.normal(100, 10, 200)), r(rng.normal(100, 10, 200))),
    ("lognormal latencies 300/150", r(rng.lognormal(3, 0.5, 300)), r(rng.lognormal(3.05, 0.5, 150))),
    ("integers with many ties 120/80", r(rng.integers(0, 6, 120)), r(rng.integers(1, 7, 80))),
]
for name, canary, stable in pairs:
    mw = stats.mannwhitneyu(canary, stable, alternative="two-sided", method="asymptotic", use_continuity=True)
    diffs = np.sort(np.subtract.outer(np.array(canary, dtype=float), np.array(stable, dtype=float)).ravel())
    n, m = len(canary), len(stable)
    z = stats.norm.ppf(0.975)
    k = max(1, int(round(n * m / 2 - z * np.sqrt(n * m * (n + m + 1) / 12))))
    cases.append({
        "name": name,
        "canary": [float(v) for v in canary],
        "stable": [float(v) for v in stable],
        "mannWhitney": {"u": float(mw.statistic), "pValue": float(mw.pvalue)},
        "hodgesLehmann": {"estimate": float(np.median(diffs)), "lower": float(diffs[k - 1]), "upper": float(diffs[n * m - k])},
        "quantile99": float(np.quantile(np.array(canary, dtype=float), 0.99, method="inverted_cdf")),
    })

normal = {
    "cdf": [[x, float(stats.norm.cdf(x))] for x in [-6, -3.5, -1.96, -1, 0, 0.5, 1.64, 2.58, 4]],
    "quantile": [[p, float(stats.norm.ppf(p))] for p in [1e-6, 0.001, 0.01, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999]],
}

proportions = []
for canary, stable in [((20, 10000), (10, 10000)), ((2, 1000), (1, 1000)), ((300, 1000), (20, 1000)), ((0, 500), (3, 500)), ((7, 2000), (0, 4000)), ((55, 5000), (50, 5000)), ((1, 20), (0, 200))]:
    table = [[canary[0], canary[1] - canary[0]], [stable[0], stable[1] - stable[0]]]
    chi2 = stats.chi2_contingency(table, correction=False)
    fisher = stats.fisher_exact(table, alternative="two-sided")
    proportions.append({"canary": {"events": canary[0], "trials": canary[1]}, "stable": {"events": stable[0], "trials": stable[1]}, "zTestPValue": float(chi2.pvalue), "fisherPValue": float(fisher.pvalue)})

out = {
    "source": f"SciPy {scipy.__version__}, NumPy {np.__version__} (scripts/statistics-reference.py)",
    "normal": normal,
    "samples": cases,
    "proportions": proportions,
}
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "statistics-reference.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
