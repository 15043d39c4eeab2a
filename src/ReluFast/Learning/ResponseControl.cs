using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ReluFast.Model;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The function subtracted from y before the higher-order moments are estimated: a network f^ (an earlier estimate, or
/// none) plus the quadratic polynomial that carries the rest of the measured t0, t1, T_2, so
/// y~ = y - f^(x) - [t0 - T_0(f^) + &lt;t1 - T_1(f^), x&gt; + &lt;T_2 - T_2(f^), x x^T - I&gt; / 2].
/// Every Hermite moment of order k &gt;= 3 of y is then E[y~ H_k] + T_k(f^), the second term in closed form
/// (T_k(f^) = sum_i a_i c_k(b_i) w_i^(x)k), and the variance of the estimate shrinks with the error of f^
/// (docs/algorithm.md section 3, with the control variate grown from a polynomial to the model itself).
/// </summary>
internal sealed class ResponseControl
{
    private ResponseControl(ControlVariate polynomial, ReluNetwork? network)
    {
        Polynomial = polynomial;
        Network = network;
    }

    /// <summary>The quadratic part.</summary>
    public ControlVariate Polynomial { get; }

    /// <summary>f^ with unit w_i and no linear part (its linear part is in <see cref="Polynomial"/>), or null.</summary>
    public ReluNetwork? Network { get; }

    /// <summary>
    /// The control for measured (t0, t1, T_2) and an optional earlier estimate. Neurons of the estimate with |b| above
    /// <paramref name="biasLimit"/> are left out: the samples cannot confirm their closed-form moments (a neuron that is
    /// almost never active, or almost always, would add a rare-event term of huge variance), so they stay in y~.
    /// </summary>
    public static ResponseControl Create(double t0, double[] t1, double[] t2, ReluNetwork? network, double biasLimit = double.PositiveInfinity)
    {
        int d = t1.Length;
        if (network is null || network.Hidden == 0) return new ResponseControl(ControlVariate.Quadratic(t0, t1, t2), null);
        var unit = network.Normalized();
        var keep = Enumerable.Range(0, unit.Hidden).Where(i => Math.Abs(unit.B[i]) <= biasLimit).ToArray();
        if (keep.Length == 0) return new ResponseControl(ControlVariate.Quadratic(t0, t1, t2), null);
        var f = new ReluNetwork(d, keep.Select(i => unit.A[i]).ToArray(), keep.SelectMany(i => unit.WeightsOf(i).ToArray()).ToArray(),
            keep.Select(i => unit.B[i]).ToArray());
        double c0 = t0;
        var c1 = (double[])t1.Clone();
        var q = (double[])t2.Clone();
        for (int i = 0; i < f.Hidden; i++)
        {
            double a = f.A[i], b = f.B[i];
            ReadOnlySpan<double> w = f.WeightsOf(i);
            c0 -= a * GaussianMath.ReluCoefficient(0, b);
            TensorPrimitives.MultiplyAdd(w, -a * GaussianMath.ReluCoefficient(1, b), c1, c1);
            double c2 = a * GaussianMath.ReluCoefficient(2, b);
            for (int r = 0; r < d; r++)
                for (int s = 0; s < d; s++) q[r * d + s] -= c2 * w[r] * w[s];
        }
        return new ResponseControl(ControlVariate.Quadratic(c0, c1, q), f);
    }

    /// <summary>yTilde = y - (control) for a block; <paramref name="scratch"/> holds at least n values.</summary>
    public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> yTilde, Span<T> scratch) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Polynomial.Apply(x, y, yTilde);
        if (Network is null) return;
        int n = y.Length;
        Span<T> f = scratch[..n];
        if (typeof(T) == typeof(double))
            Network.Evaluate(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(f));
        else
            Network.Evaluate(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(f));
        TensorPrimitives.Subtract(yTilde, f, yTilde);
    }

    /// <summary>sum_i a_i c_k(b_i) &lt;w_i, v&gt;^k: E[f^(x) He_k(&lt;v, x&gt;)] for unit v and k &gt;= 2.</summary>
    public double Coefficient(int k, ReadOnlySpan<double> v)
    {
        if (Network is null) return 0;
        double sum = 0;
        for (int i = 0; i < Network.Hidden; i++)
            sum += Network.A[i] * GaussianMath.ReluCoefficient(k, Network.B[i]) * Math.Pow(TensorPrimitives.Dot(Network.WeightsOf(i), v), k);
        return sum;
    }

    /// <summary>Adds the closed-form slices of f^ to <paramref name="slices"/>: Q4 += sum_i a_i c_4 (w'A_r w)(w'A_s w),
    /// Q5_l += sum_i a_i c_5 (w'A_r w)(w'A_s w) &lt;w, u_l&gt;.</summary>
    public void AddClosedForm(QuarticSlices slices, IReadOnlyList<double[]> basis, ReadOnlySpan<double> directions)
    {
        if (Network is null) return;
        int p = basis.Count, d = Network.InputDim, l = slices.Fifth.Length;
        var h = new double[p];
        for (int i = 0; i < Network.Hidden; i++)
        {
            ReadOnlySpan<double> w = Network.WeightsOf(i);
            for (int r = 0; r < p; r++) h[r] = HermiteContractions.Quadratic(basis[r], w, w, d);
            double a = Network.A[i], c4 = a * GaussianMath.ReluCoefficient(4, Network.B[i]), c5 = a * GaussianMath.ReluCoefficient(5, Network.B[i]);
            AddOuter(slices.Fourth, h, c4);
            for (int li = 0; li < l; li++)
            {
                double wu = 0;
                for (int k = 0; k < d; k++) wu += w[k] * directions[k * l + li];
                AddOuter(slices.Fifth[li], h, c5 * wu);
            }
        }
    }

    private static void AddOuter(double[] target, double[] h, double scale)
    {
        int p = h.Length;
        for (int r = 0; r < p; r++) TensorPrimitives.MultiplyAdd(h, scale * h[r], target.AsSpan(r * p, p), target.AsSpan(r * p, p));
    }
}
