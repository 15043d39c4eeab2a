namespace ReluFast.Model;

/// <summary>
/// The scalar functions of docs/algorithm.md section 2: probabilists' Hermite polynomials He_k, the
/// standard normal density and distribution function, and the coefficients c_k(b) with
/// T_k = sum_i a_i c_k(b_i) w_i^(x)k.
/// </summary>
internal static class GaussianMath
{
    private const double InvSqrt2Pi = 0.39894228040143267794;
    private const double InvSqrtPi = 0.56418958354775628695;

    /// <summary>phi(t) = exp(-t^2/2) / sqrt(2 pi).</summary>
    public static double NormalPdf(double t) => InvSqrt2Pi * Math.Exp(-0.5 * t * t);

    /// <summary>Phi(t) = P(g &lt;= t) for g ~ N(0, 1), accurate to about 1e-16 absolute and in the far tails relatively.</summary>
    public static double NormalCdf(double t) =>
        t >= 0 ? 1 - 0.5 * Erfc(t / Math.Sqrt(2)) : 0.5 * Erfc(-t / Math.Sqrt(2));

    /// <summary>The complementary error function erfc(x) = 1 - erf(x).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2 - Erfc(-x);
        if (x < 2)
        {
            // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1*3*...*(2n+1)): positive terms, no cancellation.
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++)
            {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            return 1 - 2 * InvSqrtPi * Math.Exp(-x2) * sum;
        }
        // Continued fraction erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by modified Lentz.
        const double Tiny = 1e-300;
        double f = x, c = x, dd = 0;
        for (int k = 1; k < 500; k++)
        {
            double ak = 0.5 * k;
            dd = x + ak * dd;
            dd = dd == 0 ? Tiny : dd;
            c = x + ak / c;
            c = c == 0 ? Tiny : c;
            dd = 1 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return InvSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>He_k(t) by the recurrence He_{k+1} = t He_k - k He_{k-1}.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k is negative.</exception>
    public static double Hermite(int k, double t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return 1;
        double previous = 1, current = t;
        for (int j = 1; j < k; j++)
        {
            double next = t * current - j * previous;
            previous = current;
            current = next;
        }
        return current;
    }

    /// <summary>
    /// c_k(b) with E[relu(g + b) He_k(g)] = c_k(b): c_0 = b Phi(b) + phi(b), c_1 = Phi(b),
    /// c_k = (-1)^k He_{k-2}(b) phi(b) for k &gt;= 2 (docs/algorithm.md section 2).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is negative.</exception>
    public static double ReluCoefficient(int k, double b)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return k switch
        {
            0 => b * NormalCdf(b) + NormalPdf(b),
            1 => NormalCdf(b),
            _ => (k % 2 == 0 ? 1 : -1) * Hermite(k - 2, b) * NormalPdf(b),
        };
    }
}
