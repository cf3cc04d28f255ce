"""erf(x) for float arrays, to float64 rounding: the one special function the ops need (exact GELU).

The ops' private helper, as _windows.py is for shapes: NumPy has no erf and SciPy is not a
dependency.
"""

import numpy as np

# W. J. Cody's rational Chebyshev approximations of erf and erfc ("Rational Chebyshev
# approximations for the error function", Math. Comp. 23, 1969, pp. 631-638; coefficients as
# published in SPECFUN's CALERF). Accurate to float64 rounding (tests compare with math.erf); the
# Abramowitz-Stegun 7.1.26 formula (error 1.5e-7) would fail float64 gradient checks, and SciPy
# is not a dependency. Highest degree first, for Horner's rule.
_ERF_P = (0.185777706184603153, 3.16112374387056560, 113.864154151050156, 377.485237685302021, 3209.37758913846947)
_ERF_Q = (1.0, 23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
_ERFC_P = (
    2.15311535474403846e-8,
    0.564188496988670089,
    8.88314979438837594,
    66.1191906371416295,
    298.635138197400131,
    881.952221241769090,
    1712.04761263407058,
    2051.07837782607147,
    1230.33935479799725,
)
_ERFC_Q = (
    1.0,
    15.7449261107098347,
    117.693950891312499,
    537.181101862009858,
    1621.38957456669019,
    3290.79923573345963,
    4362.61909014324716,
    3439.36767414372164,
    1230.33935480374942,
)
_ERFC_ASYM_P = (
    0.0163153871373020978,
    0.305326634961232344,
    0.360344899949804439,
    0.125781726111229246,
    0.0160837851487422766,
    6.58749161529837803e-4,
)
_ERFC_ASYM_Q = (
    1.0,
    2.56852019228982242,
    1.87295284992346047,
    0.527905102951428412,
    0.0605183413124413191,
    0.00233520497626869185,
)
_INV_SQRT_PI = 0.56418958354775628695


def horner(coefficients: tuple, t: np.ndarray) -> np.ndarray:
    result = np.full_like(t, coefficients[0])
    for c in coefficients[1:]:  # a loop over ~9 coefficients, each step vectorised
        result *= t
        result += c
    return result


def erf(x: np.ndarray) -> np.ndarray:
    """erf(x), elementwise and vectorised, in x's dtype (Cody's three intervals of |x|)."""
    ax = np.abs(x)
    out = np.empty_like(x)
    # 1. |x| <= 0.46875: erf(x) = x P(x^2) / Q(x^2).
    small = ax <= 0.46875
    xs = x[small]
    out[small] = xs * horner(_ERF_P, xs * xs) / horner(_ERF_Q, xs * xs)
    # 2. 0.46875 < |x| <= 4: erfc(|x|) = exp(-x^2) P(|x|) / Q(|x|).
    middle = ~small & (ax <= 4.0)
    am = ax[middle]
    erfc_middle = exp_neg_square(am) * horner(_ERFC_P, am) / horner(_ERFC_Q, am)
    # 3. |x| > 4: erfc(|x|) = exp(-x^2) / |x| * (1/sqrt(pi) - z P(z) / Q(z)), z = 1 / x^2.
    large = ax > 4.0
    al = ax[large]
    z = 1.0 / (al * al)
    erfc_large = exp_neg_square(al) / al * (_INV_SQRT_PI - z * horner(_ERFC_ASYM_P, z) / horner(_ERFC_ASYM_Q, z))
    # 4. erf(x) = sign(x) (1 - erfc(|x|)).
    out[middle] = np.copysign(1.0 - erfc_middle, x[middle])
    out[large] = np.copysign(1.0 - erfc_large, x[large])
    return out


def exp_neg_square(a: np.ndarray) -> np.ndarray:
    """exp(-a^2) as exp(-h^2) exp(-(a - h)(a + h)), h = a rounded down to 1/16 (Cody): h^2 is
    exact, so the rounding error of a^2, magnified by exp for large a, never enters."""
    h = np.trunc(a * 16.0) / 16.0
    return np.exp(-h * h) * np.exp(-(a - h) * (a + h))
