using System.Numerics.Tensors;

namespace ReluFast.Moments;

/// <summary>
/// Contractions of the multivariate Hermite tensors of orders 4 and 5 with A (x) B and A (x) B (x) u for symmetric
/// d x d matrices A, B and u in R^d (checked against the explicit tensors in the tests):
/// <code>
/// &lt;H_4(x), A (x) B&gt;     = (x'Ax)(x'Bx) - [trA x'Bx + trB x'Ax + 4 x'ABx] + [trA trB + 2 tr(AB)]
/// &lt;H_5(x), A (x) B (x) u&gt; = (x'Ax)(x'Bx)(u'x) - [trA x'Bx + trB x'Ax + 4 x'ABx](u'x) - 2 (u'Ax)(x'Bx) - 2 (u'Bx)(x'Ax)
///                         + [trA trB + 2 tr(AB)](u'x) + 4 x'ABu + 4 x'BAu + 2 trB x'Au + 2 trA x'Bu
/// </code>
/// With A = B = w w^T and u = w (unit w) they are He_4(&lt;w,x&gt;) and He_5(&lt;w,x&gt;).
/// </summary>
internal static class HermiteContractions
{
    /// <summary>&lt;H_4(x), A (x) B&gt; at one point (A, B d x d row-major, symmetric).</summary>
    public static double Fourth(ReadOnlySpan<double> x, ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int d = x.Length;
        double xax = Quadratic(a, x, x, d), xbx = Quadratic(b, x, x, d);
        double tra = Trace(a, d), trb = Trace(b, d);
        double[] ax = Times(a, x, d), bx = Times(b, x, d);
        double xabx = TensorPrimitives.Dot(ax, bx);
        return xax * xbx - (tra * xbx + trb * xax + 4 * xabx) + (tra * trb + 2 * TraceOfProduct(a, b, d));
    }

    /// <summary>&lt;H_5(x), A (x) B (x) u&gt; at one point.</summary>
    public static double Fifth(ReadOnlySpan<double> x, ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> u)
    {
        int d = x.Length;
        double xax = Quadratic(a, x, x, d), xbx = Quadratic(b, x, x, d), ux = TensorPrimitives.Dot(u, x);
        double tra = Trace(a, d), trb = Trace(b, d);
        double[] ax = Times(a, x, d), bx = Times(b, x, d), au = Times(a, u, d), bu = Times(b, u, d);
        double xabx = TensorPrimitives.Dot(ax, bx);
        double uax = TensorPrimitives.Dot(au, x), ubx = TensorPrimitives.Dot(bu, x);
        // x'ABu = (Ax)'(Bu), x'BAu = (Bx)'(Au).
        double xabu = TensorPrimitives.Dot(ax, bu), xbau = TensorPrimitives.Dot(bx, au);
        return xax * xbx * ux - (tra * xbx + trb * xax + 4 * xabx) * ux - 2 * uax * xbx - 2 * ubx * xax
            + (tra * trb + 2 * TraceOfProduct(a, b, d)) * ux + 4 * xabu + 4 * xbau + 2 * trb * uax + 2 * tra * ubx;
    }

    internal static double Trace(ReadOnlySpan<double> a, int d)
    {
        double t = 0;
        for (int i = 0; i < d; i++) t += a[i * d + i];
        return t;
    }

    internal static double TraceOfProduct(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int d)
    {
        // tr(AB) = sum_ij A_ij B_ji.
        double t = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) t += a[i * d + j] * b[j * d + i];
        return t;
    }

    internal static double Quadratic(ReadOnlySpan<double> a, ReadOnlySpan<double> x, ReadOnlySpan<double> y, int d)
    {
        double s = 0;
        for (int i = 0; i < d; i++) s += x[i] * TensorPrimitives.Dot(a.Slice(i * d, d), y);
        return s;
    }

    internal static double[] Times(ReadOnlySpan<double> a, ReadOnlySpan<double> x, int d)
    {
        var r = new double[d];
        for (int i = 0; i < d; i++) r[i] = TensorPrimitives.Dot(a.Slice(i * d, d), x);
        return r;
    }

    internal static double[] Product(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int d)
    {
        var r = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double aik = a[i * d + k];
                if (aik == 0) continue;
                TensorPrimitives.MultiplyAdd(b.Slice(k * d, d), aik, r.AsSpan(i * d, d), r.AsSpan(i * d, d));
            }
        return r;
    }
}
