using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The flip convention when m &gt; d (docs/algorithm.md sections 1, 9.2): a relu(&lt;w,x&gt; + b) = a relu(&lt;-w,x&gt; - b) + a (&lt;w,x&gt; + b),
/// and t1 no longer tells (a, w, b) from (a, -w, -b). Every choice of orientations gives the same function with a
/// different linear remainder; this picks the one whose remainder (c0, c) is smallest in norm. For a teacher without
/// a linear part that is the teacher's own orientation (zero remainder), which is what parameter errors are measured
/// against. A binary least-squares problem: for m up to 34 an exhaustive meet-in-the-middle pairing of half-subset sums,
/// then single and pair flips from that start and from random starts; above 34 neurons, large-neighbourhood search
/// (the exact pairing over random subsets of 24 neurons).
/// </summary>
internal static class LinearRemainderFlips
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

        // Up to MeetInTheMiddleLimit neurons: split them in two halves, list every subset sum of each half, and pair sums
        // that nearly cancel r (neighbours along random projections); the best pair starts the first local search.
        bool[]? middle = m <= MeetInTheMiddleLimit ? MeetInTheMiddle(z, r0, m, e, random, 0) : null;
        for (int start = 0; start < restarts && bestValue > tolerance; start++)
        {
            for (int i = 0; i < m; i++) state[i] = start == 0 && middle is not null ? middle[i] : start > 0 && random.Uniform(draw++) < 0.5;
            Consider(LocalSearch());
        }
        // More neurons: large-neighbourhood search, the exact pairing over random subsets of Neighbourhood neurons with the
        // others held at the best state so far.
        var inside = new int[Math.Min(m, Neighbourhood)];
        var sub = new double[inside.Length * e];
        for (int step = 0; m > MeetInTheMiddleLimit && step < LargeNeighbourhoodSteps && bestValue > tolerance; step++)
        {
            var order = Enumerable.Range(0, m).OrderBy(_ => random.Uniform(draw++)).ToArray();
            Array.Copy(order, inside, inside.Length);
            var fixedPart = (double[])r0.Clone();
            var isInside = new bool[m];
            foreach (int i in inside) isInside[i] = true;
            for (int i = 0; i < m; i++)
                if (!isInside[i] && bestState[i])
                    for (int k = 0; k < e; k++) fixedPart[k] += z[i * e + k];
            for (int j = 0; j < inside.Length; j++) z.AsSpan(inside[j] * e, e).CopyTo(sub.AsSpan(j * e, e));
            bool[] choice = MeetInTheMiddle(sub, fixedPart, inside.Length, e, random, step + 1);
            Array.Copy(bestState, state, m);
            for (int j = 0; j < inside.Length; j++) state[inside[j]] = choice[j];
            Consider(LocalSearch());
        }

        void Consider(double value)
        {
            if (value < bestValue)
            {
                bestValue = value;
                Array.Copy(state, bestState, m);
            }
        }

        // Single and pair flips from the current state until none lowers |r|^2; returns |r|^2.
        double LocalSearch()
        {
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
                            double delta = di + 2 * Sigma(state, j) * p[j] + gram[j * m + j]
                                + 2 * Sigma(state, i) * Sigma(state, j) * gram[i * m + j];
                            if (delta < bestDelta) { bestDelta = delta; bi = i; bj = j; }
                        }
                    }
                }
                if (bi < 0) return value;
                Toggle(bi);
                if (bj >= 0) Toggle(bj);
                value += bestDelta;
            }
        }

        void Toggle(int t)
        {
            double sigma = Sigma(state, t);
            for (int i = 0; i < m; i++) p[i] += sigma * gram[t * m + i];
            state[t] = !state[t];
        }

        Array.Copy(bestState, flipped, m);
        return FlipResolution.Flip(network, flipped);
    }


    /// <summary>Largest m for which the exhaustive half-subset lists (2^(m/2) sums each) are built.</summary>
    internal const int MeetInTheMiddleLimit = 34;

    /// <summary>Neurons re-solved exactly per large-neighbourhood step.</summary>
    private const int Neighbourhood = 24;

    /// <summary>Large-neighbourhood steps (only for m above <see cref="MeetInTheMiddleLimit"/>).</summary>
    private const int LargeNeighbourhoodSteps = 400;

    private static bool[] MeetInTheMiddle(double[] z, double[] r0, int m, int e, CounterGaussian random, int call)
    {
        int h1 = m / 2, h2 = m - h1;
        double[] first = SubsetSums(z, 0, h1, e, r0);     // r0 + sums over the first half
        double[] second = SubsetSums(z, h1, h2, e, null); // sums over the second half
        int n1 = 1 << h1, n2 = 1 << h2;
        double bestValue = double.PositiveInfinity;
        int bestA = 0, bestB = 0;
        var direction = new double[e];
        var keys = new double[n2];
        var order = new int[n2];
        const int Window = 32;
        for (int projection = 0; projection < 3; projection++)
        {
            random.Fill(1_000_000L * (3L * call + projection + 1), direction);
            for (int b = 0; b < n2; b++) { keys[b] = Dot(second.AsSpan(b * e, e), direction); order[b] = b; }
            Array.Sort(keys, order);
            for (int a = 0; a < n1; a++)
            {
                // Want second[b] ~ -first[a]: look around -<first[a], direction> in the sorted keys.
                ReadOnlySpan<double> u = first.AsSpan(a * e, e);
                double target = -Dot(u, direction);
                int at = Array.BinarySearch(keys, target);
                if (at < 0) at = ~at;
                for (int k = Math.Max(0, at - Window); k < Math.Min(n2, at + Window); k++)
                {
                    ReadOnlySpan<double> v = second.AsSpan(order[k] * e, e);
                    double value = 0;
                    for (int q = 0; q < e; q++) { double t = u[q] + v[q]; value += t * t; }
                    if (value < bestValue) { bestValue = value; bestA = a; bestB = order[k]; }
                }
            }
        }
        var state = new bool[m];
        for (int i = 0; i < h1; i++) state[i] = (bestA >> i & 1) != 0;
        for (int i = 0; i < h2; i++) state[h1 + i] = (bestB >> i & 1) != 0;
        return state;
    }

    /// <summary>All 2^count subset sums of z_from..z_(from+count-1) (plus an offset), subset mask as the index.</summary>
    private static double[] SubsetSums(double[] z, int from, int count, int e, double[]? offset)
    {
        int n = 1 << count;
        var sums = new double[(long)n * e];
        if (offset is not null) offset.CopyTo(sums, 0);
        for (int mask = 1; mask < n; mask++)
        {
            int low = System.Numerics.BitOperations.TrailingZeroCount(mask);
            int rest = mask & (mask - 1);
            for (int q = 0; q < e; q++) sums[mask * e + q] = sums[rest * e + q] + z[(from + low) * e + q];
        }
        return sums;
    }

    private static double Sigma(bool[] state, int i) => state[i] ? -1 : 1;

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Dot(x, y);
}
