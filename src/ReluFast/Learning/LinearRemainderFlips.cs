using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The flip convention when m &gt; d (ALGORITHM.md sections 1 and 6): a relu(&lt;w,x&gt; + b) = a relu(&lt;-w,x&gt; - b) + a (&lt;w,x&gt; + b),
/// and t1 no longer tells (a, w, b) from (a, -w, -b). Every choice of orientations gives the same function with a
/// different linear remainder; this picks the one whose remainder (c0, c) is smallest in norm. For a teacher without
/// a linear part that is the teacher's own orientation (zero remainder), which is what parameter errors are measured
/// against. A binary least-squares problem: single and pair flips from several random starts.
/// </summary>
public static class LinearRemainderFlips
{
    /// <summary>Re-orients neurons (function unchanged) to make |c0|^2 + |c|^2 smallest.</summary>
    /// <param name="network">The network (unit w_i), with its linear remainder.</param>
    /// <param name="flipped">Which neurons were flipped relative to <paramref name="network"/>.</param>
    /// <param name="restarts">Random starts of the local search (the first one starts from the given orientation).</param>
    /// <param name="seed">Seed of the random starts.</param>
    public static ReluNetwork Minimize(ReluNetwork network, out bool[] flipped, int restarts = 64, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(restarts);
        int m = network.Hidden, d = network.InputDim, e = d + 1;
        flipped = new bool[m];
        if (m == 0) return network;
        // z_i = a_i (b_i, w_i): flipping neuron i (in its current orientation) adds z_i to the remainder r = (c0, c).
        var z = new double[m * e];
        for (int i = 0; i < m; i++)
        {
            z[i * e] = network.A[i] * network.B[i];
            for (int k = 0; k < d; k++) z[i * e + 1 + k] = network.A[i] * network.WeightsOf(i)[k];
        }
        var r0 = new double[e];
        r0[0] = network.LinearBias;
        network.LinearWeights.CopyTo(r0.AsSpan(1));
        var gram = new double[m * m];
        double scale = Dot(r0, r0);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < m; j++) gram[i * m + j] = Dot(z.AsSpan(i * e, e), z.AsSpan(j * e, e));
            scale += gram[i * m + i];
        }
        double tolerance = 1e-14 * Math.Max(scale, 1e-300);

        var random = new CounterGaussian(seed, key: 0xF119);
        var bestState = new bool[m];
        double bestValue = double.PositiveInfinity;
        var state = new bool[m];
        var p = new double[m];      // <r, z_i>
        long draw = 0;
        for (int start = 0; start < restarts && bestValue > tolerance; start++)
        {
            for (int i = 0; i < m; i++) state[i] = start > 0 && random.Uniform(draw++) < 0.5;
            // r = r0 + sum_{flipped} z_i.
            var r = (double[])r0.Clone();
            for (int i = 0; i < m; i++)
                if (state[i])
                    for (int k = 0; k < e; k++) r[k] += z[i * e + k];
            double value = Dot(r, r);
            for (int i = 0; i < m; i++) p[i] = Dot(r, z.AsSpan(i * e, e));
            while (true)
            {
                // Toggling i adds sigma_i z_i: change 2 sigma_i p_i + |z_i|^2.
                int bi = -1, bj = -1;
                double bestDelta = -tolerance;
                for (int i = 0; i < m; i++)
                {
                    double delta = 2 * Sigma(state, i) * p[i] + gram[i * m + i];
                    if (delta < bestDelta) { bestDelta = delta; bi = i; bj = -1; }
                }
                if (bi < 0)
                {
                    for (int i = 0; i < m; i++)
                    {
                        double di = 2 * Sigma(state, i) * p[i] + gram[i * m + i];
                        for (int j = i + 1; j < m; j++)
                        {
                            double delta = di + 2 * Sigma(state, j) * p[j] + gram[j * m + j] + 2 * Sigma(state, i) * Sigma(state, j) * gram[i * m + j];
                            if (delta < bestDelta) { bestDelta = delta; bi = i; bj = j; }
                        }
                    }
                }
                if (bi < 0) break;
                Toggle(bi);
                if (bj >= 0) Toggle(bj);
                value += bestDelta;
            }
            if (value < bestValue)
            {
                bestValue = value;
                Array.Copy(state, bestState, m);
            }

            void Toggle(int t)
            {
                double sigma = Sigma(state, t);
                for (int i = 0; i < m; i++) p[i] += sigma * gram[t * m + i];
                state[t] = !state[t];
            }
        }

        var a = network.A.ToArray();
        var w = network.W.ToArray();
        var b = network.B.ToArray();
        double c0 = network.LinearBias;
        var c = network.LinearWeights.ToArray();
        for (int i = 0; i < m; i++)
        {
            if (!bestState[i]) continue;
            flipped[i] = true;
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

    private static double Sigma(bool[] state, int i) => state[i] ? -1 : 1;

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Dot(x, y);
}
