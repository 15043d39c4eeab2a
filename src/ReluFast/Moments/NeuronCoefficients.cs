using ReluFast.Model;

namespace ReluFast.Moments;

/// <summary>
/// A neuron's (a, b) from its Hermite coefficients l_2 = a c_2(b) = a phi(b) and l_3 = a c_3(b) = -a b phi(b)
/// (docs/algorithm.md section 8: b = -l_3 / l_2, a = l_2 / phi(b)), kept within what the samples can support. A noisy l_2
/// that puts b far out in a tail makes a = l_2 / phi(b) explode (10^10 and more): a start worse than no neuron at all.
/// </summary>
internal static class NeuronCoefficients
{
    /// <summary>Fewest of the N samples that must cross a neuron's kink for its bias to be estimated at all.</summary>
    public const double MinimumKinkSamples = 10;

    /// <summary>
    /// The largest |b| at which <see cref="MinimumKinkSamples"/> of <paramref name="samples"/> Gaussian samples are expected on
    /// the far side of the kink: N (1 - Phi(b_max)) = 10. Beyond it the moments cannot tell b from b_max.
    /// </summary>
    public static double BiasLimit(double samples)
    {
        double tail = Math.Min(0.5, MinimumKinkSamples / Math.Max(samples, 1));
        // Phi(b) = 1 - tail, solved by bisection on the accurate upper tail (monotone, no closed form).
        double lo = 0, hi = 40;
        for (int k = 0; k < 100; k++)
        {
            double mid = 0.5 * (lo + hi);
            if (0.5 * GaussianMath.Erfc(mid / Math.Sqrt(2)) > tail) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Var relu(g - beta) for g ~ N(0, 1) and beta &gt;= 0: the variance of a neuron's part that no linear function carries
    /// (relu(g + b) = relu(g - |b|) for b &lt; 0, and (g + b) + relu(-g - b) for b &gt; 0, whose relu part has the same law).
    /// With q = 1 - Phi(beta): E relu = phi - beta q, E relu^2 = (1 + beta^2) q - beta phi.
    /// </summary>
    public static double NonlinearVariance(double beta)
    {
        beta = Math.Abs(beta);
        double q = 0.5 * GaussianMath.Erfc(beta / Math.Sqrt(2)), phi = GaussianMath.NormalPdf(beta);
        double mean = phi - beta * q, second = (1 + beta * beta) * q - beta * phi;
        return Math.Max(second - mean * mean, 0);
    }

    /// <summary>
    /// (a, b) from (l_2, l_3), with |b| at most <see cref="BiasLimit"/> of N and |a| at most what keeps the neuron's nonlinear
    /// part within the variance of y: a^2 Var relu(g - |b|) &lt;= Var y (a neuron alone cannot vary more than the data do).
    /// <paramref name="limited"/> says whether either bound changed the plain estimate.
    /// </summary>
    public static (double A, double B) FromHermite(double l2, double l3, double samples, double varianceY, out bool limited)
    {
        double limit = BiasLimit(samples);
        double raw = l2 != 0 ? -l3 / l2 : 0;
        double b = Math.Clamp(double.IsFinite(raw) ? raw : 0, -limit, limit);
        double a = l2 / GaussianMath.NormalPdf(b);
        limited = b != raw;
        double spread = NonlinearVariance(b);
        if (varianceY > 0 && a * a * spread > varianceY)
        {
            a = Math.CopySign(Math.Sqrt(varianceY / spread), a);
            limited = true;
        }
        return (a, b);
    }
}
