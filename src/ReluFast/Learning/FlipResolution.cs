using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Model;

namespace ReluFast.Learning;

/// <summary>
/// Resolves the flip ambiguity of docs/algorithm.md sections 1 and 9.1: a relu(&lt;w,x&gt; + b) = a relu(&lt;-w,x&gt; - b) + a(&lt;w,x&gt; + b),
/// so (a, w, b) and (a, -w, -b) differ by a linear function that the linear remainder can absorb. With
/// linearly independent w_i (m &lt;= d) the first moment t1 = sum_i a_i Phi(b_i) w_i decides between them.
/// </summary>
internal static class FlipResolution
{
    /// <summary>
    /// Flips each neuron whose coefficient mu_i in t1 = sum_i mu_i w_i (G mu = W t1) is closer to -a_i Phi(-b_i)
    /// than to a_i Phi(b_i), moving the linear difference into the remainder so the function is unchanged.
    /// </summary>
    /// <param name="network">A network with unit w_i.</param>
    /// <param name="firstMoment">t1 = E[y x] of the data (d values).</param>
    /// <param name="flipped">Which neurons were flipped.</param>
    public static ReluNetwork Resolve(ReluNetwork network, ReadOnlySpan<double> firstMoment, out bool[] flipped)
    {
        ArgumentNullException.ThrowIfNull(network);
        int m = network.Hidden, d = network.InputDim;
        if (firstMoment.Length != d) throw new ArgumentException($"t1 needs {d} entries, got {firstMoment.Length}.", nameof(firstMoment));
        flipped = new bool[m];
        if (m == 0) return network;
        var gram = new double[m * m];
        var projected = new double[m];
        for (int i = 0; i < m; i++)
        {
            projected[i] = TensorPrimitives.Dot(network.WeightsOf(i), firstMoment);
            for (int j = 0; j < m; j++) gram[i * m + j] = TensorPrimitives.Dot(network.WeightsOf(i), network.WeightsOf(j));
        }
        double[] mu = DenseSolve.Solve(gram, m, projected);
        for (int i = 0; i < m; i++)
        {
            double keep = network.A[i] * GaussianMath.NormalCdf(network.B[i]);
            double flip = -network.A[i] * GaussianMath.NormalCdf(-network.B[i]);
            flipped[i] = Math.Abs(mu[i] - flip) < Math.Abs(mu[i] - keep);
        }
        return Flip(network, flipped);
    }

    /// <summary>
    /// The same function with neurons i where <paramref name="flip"/>[i] re-oriented: a relu(&lt;w,x&gt; + b) =
    /// a relu(&lt;-w,x&gt; - b) + a b + a &lt;w, x&gt;, the linear difference moved into the remainder.
    /// </summary>
    internal static ReluNetwork Flip(ReluNetwork network, bool[] flip)
    {
        int m = network.Hidden, d = network.InputDim;
        var a = network.A.ToArray();
        var w = network.W.ToArray();
        var b = network.B.ToArray();
        double c0 = network.LinearBias;
        var c = network.LinearWeights.ToArray();
        for (int i = 0; i < m; i++)
        {
            if (!flip[i]) continue;
            c0 += a[i] * b[i];
            for (int k = 0; k < d; k++)
            {
                c[k] += a[i] * w[i * d + k];
                w[i * d + k] = -w[i * d + k];
            }
            b[i] = -b[i];
        }
        return new ReluNetwork(d, a, w, b, c0, c);
    }
}
