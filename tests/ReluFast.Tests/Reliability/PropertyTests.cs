using CsCheck;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Reliability;

/// <summary>
/// How many random cases each property runs: a bounded number in CI, more on demand with
/// RELUFAST_PROPERTY_ITERATIONS (for example 100000, which replaces every property's default). CsCheck prints the seed
/// of a failing case; pass it back with CsCheck_Seed=... to replay it.
/// </summary>
internal static class PropertyRuns
{
    public const string Variable = "RELUFAST_PROPERTY_ITERATIONS";

    public static long Iterations(long ciDefault) =>
        long.TryParse(Environment.GetEnvironmentVariable(Variable), out long n) && n > 0 ? n : ciDefault;
}

/// <summary>Random networks and arrays for the properties.</summary>
internal static class Generators
{
    /// <summary>Any finite double, special values (0, -0, subnormals, extremes) included.</summary>
    public static readonly Gen<double> FiniteDouble = Gen.Double.Where(double.IsFinite);

    public static Gen<ReluNetwork> Network(Gen<double> value) =>
        from d in Gen.Int[1, 6]
        from m in Gen.Int[0, 5]
        from a in value.Array[m]
        from w in value.Array[m * d]
        from b in value.Array[m]
        from c0 in value
        from c in value.Array[d]
        select new ReluNetwork(d, a, w, b, c0, c);

    /// <summary>Networks with moderate parameters, every w_i of norm at least 0.3 (so normalising them is well conditioned).</summary>
    public static readonly Gen<ReluNetwork> ModerateNetwork =
        Network(Gen.Double[-2, 2]).Where(n => Enumerable.Range(0, n.Hidden).All(i => Norm(n.WeightsOf(i)) > 0.3));

    public static double Norm(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (double x in v) s += x * x;
        return Math.Sqrt(s);
    }
}

/// <summary>Properties of the Gaussian algebra: Hermite polynomials and the ReLU coefficients c_k (docs/algorithm.md section 2).</summary>
public class AlgebraPropertyTests
{
    private static double Factorial(int k) => k <= 1 ? 1 : k * Factorial(k - 1);

    /// <summary>Composite Simpson rule of f(g) phi(g) over [lo, hi] (phi negligible beyond |g| = 14).</summary>
    private static double GaussianIntegral(Func<double, double> f, double lo = -14, double hi = 14, int intervals = 28_000)
    {
        double h = (hi - lo) / intervals, sum = 0;
        for (int i = 0; i <= intervals; i++)
        {
            double g = lo + i * h;
            double weight = i == 0 || i == intervals ? 1 : i % 2 == 1 ? 4 : 2;
            sum += weight * f(g) * GaussianMath.NormalPdf(g);
        }
        return sum * h / 3;
    }

    [Fact]
    public void HermiteSatisfiesTheRecursionAndTheExplicitSum()
    {
        Gen.Select(Gen.Int[1, 20], Gen.Double[-6, 6]).Sample((k, t) =>
        {
            double next = GaussianMath.Hermite(k + 1, t), current = GaussianMath.Hermite(k, t), previous = GaussianMath.Hermite(k - 1, t);
            double scale = Math.Abs(t * current) + k * Math.Abs(previous) + 1;
            Assert.True(Math.Abs(next - (t * current - k * previous)) <= 1e-13 * scale, $"recursion at k = {k}, t = {t}");

            // He_k(t) = k! sum_{j <= k/2} (-1)^j t^(k - 2j) / (j! (k - 2j)! 2^j)
            double explicitSum = 0, absolute = 0;
            for (int j = 0; 2 * j <= k; j++)
            {
                double term = (j % 2 == 0 ? 1 : -1) * Factorial(k) * Math.Pow(t, k - 2 * j) / (Factorial(j) * Factorial(k - 2 * j) * Math.Pow(2, j));
                explicitSum += term;
                absolute += Math.Abs(term);
            }
            Assert.True(Math.Abs(current - explicitSum) <= 1e-12 * absolute + 1e-300,
                $"explicit sum at k = {k}, t = {t}: {current} vs {explicitSum}");
        }, iter: PropertyRuns.Iterations(500));
    }

    [Fact]
    public void HermitePolynomialsAreOrthogonalUnderTheGaussian()
    {
        // E[He_j(g) He_k(g)] = k! [j = k], by Simpson's rule on a fine grid (error far below 1e-9 of k!).
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 9]).Sample((j, k) =>
        {
            double value = GaussianIntegral(g => GaussianMath.Hermite(j, g) * GaussianMath.Hermite(k, g));
            double expected = j == k ? Factorial(k) : 0;
            Assert.True(Math.Abs(value - expected) <= 1e-9 * Math.Sqrt(Factorial(j) * Factorial(k)),
                $"E[He_{j} He_{k}] = {value}, expected {expected}");
        }, iter: PropertyRuns.Iterations(40));
    }

    [Fact]
    public void ReluCoefficientsMatchNumericalIntegration()
    {
        // c_k(b) = E[relu(g + b) He_k(g)]: integrate (g + b) He_k(g) phi(g) over g > -b.
        Gen.Select(Gen.Int[0, 6], Gen.Double[-4, 4]).Sample((k, b) =>
        {
            double lo = -b, hi = Math.Max(lo + 1, 14);
            double value = GaussianIntegral(g => (g + b) * GaussianMath.Hermite(k, g), lo, hi);
            double expected = GaussianMath.ReluCoefficient(k, b);
            Assert.True(Math.Abs(value - expected) <= 1e-10 * (1 + Math.Sqrt(Factorial(k))), $"c_{k}({b}) = {expected}, integral {value}");
        }, iter: PropertyRuns.Iterations(60));
    }
}

/// <summary>Properties of the moment accumulators: split and merge, CopyState/AddState, float against double, thread counts.</summary>
[Collection(MomentCollection.Name)]
public class AccumulatorPropertyTests
{
    private static double[] State(int length, Action<Span<double>> copy)
    {
        var s = new double[length];
        copy(s);
        return s;
    }

    private static T[] Convert<T>(double[] values) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T> =>
        Array.ConvertAll(values, v => T.CreateTruncating(v));

    private static double[] Abs(double[] values) => Array.ConvertAll(values, Math.Abs);

    /// <summary>Random (d, n, split point, data) for the accumulator properties.</summary>
    private static readonly Gen<(int D, int N, int Split, int Seed)> Case =
        from d in Gen.Int[1, 9]
        from n in Gen.Int[1, 3000]
        from split in Gen.Int[0, n]
        from seed in Gen.Int[0, int.MaxValue]
        select (d, n, split, seed);

    [Fact]
    public void WeightedGramMergeOfASplitEqualsTheWholeAndStatesRoundTrip()
    {
        Case.Sample(c =>
        {
            int l = 1 + c.Seed % 3;
            double[] x = Gaussians<double>(c.N * c.D, c.Seed), w = Gaussians<double>(c.N * l, c.Seed + 1);
            WeightedGramAccumulator<double> Acc(double[] xs, double[] ws, int from, int to)
            {
                var acc = new WeightedGramAccumulator<double>(c.D, l);
                var wSlice = new double[(to - from) * l];
                for (int q = 0; q < l; q++) Array.Copy(ws, q * c.N + from, wSlice, q * (to - from), to - from);
                acc.Accumulate(xs.AsSpan(from * c.D, (to - from) * c.D), wSlice);
                return acc;
            }
            var whole = Acc(x, w, 0, c.N);
            var left = Acc(x, w, 0, c.Split);
            left.Merge(Acc(x, w, c.Split, c.N));
            var viaState = Acc(x, w, 0, c.Split);
            viaState.AddState(State(whole.StateLength, Acc(x, w, c.Split, c.N).CopyState));
            var abs = Acc(Abs(x), Abs(w), 0, c.N);
            double gamma = SumBound<double>(c.N, 512);
            var bound = State(abs.StateLength, abs.CopyState).Select(v => gamma * v).ToArray();
            AssertWithin(State(whole.StateLength, whole.CopyState), State(left.StateLength, left.CopyState), bound, "merged");
            AssertBitwiseEqual(State(left.StateLength, left.CopyState), State(viaState.StateLength, viaState.CopyState), "merge vs AddState");
            Assert.Equal(c.N, left.Count);
        }, iter: PropertyRuns.Iterations(60));
    }

    [Fact]
    public void ProjectedTensorMergeOfASplitEqualsTheWhole()
    {
        Case.Sample(c =>
        {
            int m = Math.Min(c.D, 6), l = 1 + c.Seed % 2;
            double[] z = Gaussians<double>(c.N * m, c.Seed), w = Gaussians<double>(c.N * l, c.Seed + 1);
            ProjectedTensorAccumulator<double> Acc(double[] zs, double[] ws, int from, int to)
            {
                var acc = new ProjectedTensorAccumulator<double>(m, l);
                var wSlice = new double[(to - from) * l];
                for (int q = 0; q < l; q++) Array.Copy(ws, q * c.N + from, wSlice, q * (to - from), to - from);
                acc.Accumulate(zs.AsSpan(from * m, (to - from) * m), wSlice);
                return acc;
            }
            var whole = Acc(z, w, 0, c.N);
            var merged = Acc(z, w, 0, c.Split);
            merged.Merge(Acc(z, w, c.Split, c.N));
            var abs = Acc(Abs(z), Abs(w), 0, c.N);
            double gamma = SumBound<double>(c.N, 512, 4);
            AssertWithin(State(whole.StateLength, whole.CopyState), State(merged.StateLength, merged.CopyState),
                State(abs.StateLength, abs.CopyState).Select(v => gamma * v).ToArray(), "merged");
            Assert.Equal(c.N, merged.Count);
        }, iter: PropertyRuns.Iterations(40));
    }

    [Fact]
    public void HermiteProjectionMergeOfASplitEqualsTheWhole()
    {
        Case.Sample(c =>
        {
            int hidden = 1 + c.Seed % 4, order = 2 + c.Seed % 4;
            double[] x = Gaussians<double>(c.N * c.D, c.Seed), y = Gaussians<double>(c.N, c.Seed + 1);
            double[] directions = Gaussians<double>(c.D * hidden, c.Seed + 2);
            HermiteProjectionAccumulator<double> Acc(int from, int to)
            {
                var acc = new HermiteProjectionAccumulator<double>(c.D, directions, hidden, order);
                acc.Accumulate(x.AsSpan(from * c.D, (to - from) * c.D), y.AsSpan(from, to - from));
                return acc;
            }
            var whole = Acc(0, c.N);
            var merged = Acc(0, c.Split);
            merged.Merge(Acc(c.Split, c.N));
            var a = State(whole.StateLength, whole.CopyState);
            var b = State(merged.StateLength, merged.CopyState);
            // Both sum the same per-sample terms y He_k(<w, x>) in another grouping: bound by n u times sum |terms| <= n u sum |y| (|t| + 1)^k k!.
            double scale = 0;
            for (int j = 0; j < c.N; j++) scale += Math.Abs(y[j]);
            double dirNorm = 0;
            foreach (double v in directions) dirNorm = Math.Max(dirNorm, Math.Abs(v));
            double tMax = 0;
            for (int j = 0; j < c.N * c.D; j++) tMax = Math.Max(tMax, Math.Abs(x[j]));
            double termBound = Math.Pow(c.D * dirNorm * tMax + 1, order) * 24 * scale;
            Assert.Equal(a[0], b[0]);
            for (int i = 1; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= SumBound<double>(c.N, 512, 3 + order) * termBound, $"sum {i}: {a[i]} vs {b[i]}");
        }, iter: PropertyRuns.Iterations(40));
    }

    [Fact]
    public void FloatAndDoubleWeightedGramAgreeWithinFloatRoundOff()
    {
        Case.Sample(c =>
        {
            float[] xf = Gaussians<float>(c.N * c.D, c.Seed), wf = Gaussians<float>(c.N, c.Seed + 1);
            var single = new WeightedGramAccumulator<float>(c.D);
            single.Accumulate(xf, wf);
            double[] x = Array.ConvertAll(xf, v => (double)v), w = Array.ConvertAll(wf, v => (double)v);
            var reference = new WeightedGramAccumulator<double>(c.D);
            reference.Accumulate(x, w);
            var abs = new WeightedGramAccumulator<double>(c.D);
            abs.Accumulate(Abs(x), Abs(w));
            // Float tiles of at most 512 samples, each product rounded up to 3 times, then double sums (MomentTestData.SumBound);
            // plus the double reference's own error.
            double gamma = SumBound<float>(c.N, 512) + SumBound<double>(c.N, 512);
            AssertWithin(State(reference.StateLength, reference.CopyState), State(single.StateLength, single.CopyState),
                State(abs.StateLength, abs.CopyState).Select(v => gamma * v).ToArray(), "float vs double");
        }, iter: PropertyRuns.Iterations(60));
    }

    [Fact]
    public void FloatAndDoubleProjectedTensorAgreeWithinFloatRoundOff()
    {
        Case.Sample(c =>
        {
            int m = Math.Min(c.D, 6);
            float[] zf = Gaussians<float>(c.N * m, c.Seed), wf = Gaussians<float>(c.N, c.Seed + 1);
            var single = new ProjectedTensorAccumulator<float>(m);
            single.Accumulate(zf, wf);
            double[] z = Array.ConvertAll(zf, v => (double)v), w = Array.ConvertAll(wf, v => (double)v);
            var reference = new ProjectedTensorAccumulator<double>(m);
            reference.Accumulate(z, w);
            var abs = new ProjectedTensorAccumulator<double>(m);
            abs.Accumulate(Abs(z), Abs(w));
            double gamma = SumBound<float>(c.N, 512, 4) + SumBound<double>(c.N, 512, 4);
            AssertWithin(State(reference.StateLength, reference.CopyState), State(single.StateLength, single.CopyState),
                State(abs.StateLength, abs.CopyState).Select(v => gamma * v).ToArray(), "float vs double");
        }, iter: PropertyRuns.Iterations(40));
    }

    private sealed class GramWorker(int d) : IMomentWorker<double, GramWorker>
    {
        public WeightedGramAccumulator<double> Moments { get; } = new(d);

        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => Moments.Accumulate(x, y);

        public void Merge(GramWorker other) => Moments.Merge(other.Moments);
    }

    [Fact]
    public void ThreadCountsOneToFourAgreeWithinRoundOff()
    {
        var gen = from d in Gen.Int[1, 8]
                  from n in Gen.Int[1, 40_000]
                  from threads in Gen.Int[2, 4]
                  from block in Gen.Int[1, 5000]
                  from seed in Gen.Int[0, 1000]
                  select (d, n, threads, block, seed);
        gen.Sample(c =>
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(c.d, Math.Min(c.d, 3)), (ulong)c.seed);
            var source = new TeacherSampleSource<double>(teacher, c.n, (ulong)c.seed);
            var one = SamplePass.Run(source, () => new GramWorker(c.d), new SamplePassOptions(1, c.block));
            var many = SamplePass.Run(source, () => new GramWorker(c.d), new SamplePassOptions(c.threads, c.block));
            var again = SamplePass.Run(source, () => new GramWorker(c.d), new SamplePassOptions(c.threads, c.block));
            // |terms| <= |y| |x_i| |x_j|: bound through a pass over the absolute values.
            var x = new double[c.n * c.d];
            var y = new double[c.n];
            source.Read(0, x, y);
            var abs = new WeightedGramAccumulator<double>(c.d);
            abs.Accumulate(Abs(x), Abs(y));
            double gamma = 2 * SumBound<double>(c.n, 512);
            AssertWithin(State(one.Moments.StateLength, one.Moments.CopyState), State(many.Moments.StateLength, many.Moments.CopyState),
                State(abs.StateLength, abs.CopyState).Select(v => gamma * v).ToArray(), $"1 vs {c.threads} threads");
            AssertBitwiseEqual(State(many.Moments.StateLength, many.Moments.CopyState), State(again.Moments.StateLength, again.Moments.CopyState),
                "same thread count twice");
        }, iter: PropertyRuns.Iterations(15), threads: 1);
    }
}

/// <summary>Invariances of the evaluation (docs/algorithm.md section 1) and exact round trips of the file formats.</summary>
public class ModelPropertyTests
{
    private static readonly Gen<int> Seed = Gen.Int[0, int.MaxValue];

    private static double[] RandomInputs(int d, int count, int seed) => Gaussians<double>(d * count, seed, 1.5);

    private static double[] Evaluate(ReluNetwork net, double[] x)
    {
        var y = new double[x.Length / net.InputDim];
        net.Evaluate(x, y);
        return y;
    }

    /// <summary>The network with neurons permuted by <paramref name="order"/> and each neuron rescaled by scale_i &gt; 0: (a/s, s w, s b).</summary>
    private static ReluNetwork PermuteAndRescale(ReluNetwork net, int[] order, double[] scale)
    {
        int d = net.InputDim, m = net.Hidden;
        var a = new double[m];
        var w = new double[m * d];
        var b = new double[m];
        for (int i = 0; i < m; i++)
        {
            int j = order[i];
            a[i] = net.A[j] / scale[i];
            b[i] = net.B[j] * scale[i];
            for (int k = 0; k < d; k++) w[i * d + k] = net.W[j * d + k] * scale[i];
        }
        return new ReluNetwork(d, a, w, b, net.LinearBias, net.LinearWeights);
    }

    [Fact]
    public void ComparisonIgnoresNeuronOrderAndPositiveRescaling()
    {
        var gen = from net in Generators.ModerateNetwork
                  from order in Gen.Shuffle(Enumerable.Range(0, net.Hidden).ToArray())
                  from scale in Gen.Double[0.1, 10].Array[net.Hidden]
                  select (net, order, scale);
        gen.Sample(c =>
        {
            var other = PermuteAndRescale(c.net, c.order, c.scale);
            var cmp = NetworkComparison.Compare(other, c.net, testSamples: 2000);
            double scale = 1 + c.net.A.ToArray().Concat(c.net.B.ToArray()).Select(Math.Abs).DefaultIfEmpty(0).Max();
            Assert.True(cmp.TestMse <= 1e-24 * scale * scale * scale * scale + 1e-300 || cmp.RelativeTestMse <= 1e-20, $"test MSE {cmp.TestMse}");
            // The matching (Hungarian on |<w_i, w'_j>|, so that flipped neurons match) finds the permutation unless two
            // neurons are (anti)parallel: w and -w tie. Then the parameter errors are those of a mismatch, by design.
            var unit = c.net.Normalized();
            bool distinct = true;
            for (int i = 0; i < unit.Hidden; i++)
                for (int j = 0; j < i; j++)
                    distinct &= Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot(unit.WeightsOf(i), unit.WeightsOf(j))) < 0.999;
            if (distinct)
            {
                Assert.True(cmp.WError <= 1e-12, $"w error {cmp.WError}");
                Assert.True(cmp.AError <= 1e-12 * scale && cmp.BError <= 1e-12 * scale, $"a error {cmp.AError}, b error {cmp.BError}");
                for (int i = 0; i < c.order.Length; i++) Assert.Equal(i, cmp.Matching[c.order[i]]);
            }
        }, iter: PropertyRuns.Iterations(100));
    }

    [Fact]
    public void AFlippedNeuronPlusItsLinearPartEvaluatesTheSame()
    {
        // relu(t) - relu(-t) = t: (a, w, b) equals (a, -w, -b) plus the linear function a (<w, x> + b).
        var gen = from net in Generators.Network(Gen.Double[-3, 3]).Where(n => n.Hidden > 0)
                  from neuron in Gen.Int[0, net.Hidden - 1]
                  from seed in Seed
                  select (net, neuron, seed);
        gen.Sample(c =>
        {
            var net = c.net;
            int d = net.InputDim, i = c.neuron;
            var w = net.W.ToArray();
            var b = net.B.ToArray();
            var linear = net.LinearWeights.ToArray();
            double a = net.A[i], bias = net.LinearBias + a * b[i];
            for (int k = 0; k < d; k++)
            {
                linear[k] += a * w[i * d + k];
                w[i * d + k] = -w[i * d + k];
            }
            b[i] = -b[i];
            var flipped = new ReluNetwork(d, net.A, w, b, bias, linear);
            var x = RandomInputs(d, 64, c.seed);
            var y1 = Evaluate(net, x);
            var y2 = Evaluate(flipped, x);
            double scale = 1 + net.A.ToArray().Select(Math.Abs).Sum() * (1 + net.W.ToArray().Select(Math.Abs).Sum() * 8 +
                net.B.ToArray().Select(Math.Abs).Sum())
                           + Math.Abs(net.LinearBias) + 8 * linear.Select(Math.Abs).Sum();
            for (int j = 0; j < y1.Length; j++) Assert.True(Math.Abs(y1[j] - y2[j]) <= 1e-13 * scale, $"sample {j}: {y1[j]} vs {y2[j]}");
        }, iter: PropertyRuns.Iterations(200));
    }

    [Fact]
    public void NetworkJsonRoundTripsEveryFiniteDoubleExactly()
    {
        Generators.Network(Generators.FiniteDouble).Sample(net =>
        {
            var back = NetworkJson.Parse(NetworkJson.ToJson(net, indented: net.Hidden % 2 == 0), "property");
            Assert.Equal(net.InputDim, back.InputDim);
            AssertBitwiseEqual(net.A, back.A, "a");
            AssertBitwiseEqual(net.W, back.W, "W");
            AssertBitwiseEqual(net.B, back.B, "b");
            AssertBitwiseEqual([net.LinearBias], [back.LinearBias], "c0");
            AssertBitwiseEqual(net.LinearWeights, back.LinearWeights, "c");
        }, iter: PropertyRuns.Iterations(300));
    }

    [Fact]
    public void NpyRoundTripsRandomArraysExactly()
    {
        var gen = from rows in Gen.Int[0, 50]
                  from columns in Gen.Int[0, 7]
                  from fortran in Gen.Bool
                  from data in Gen.Double.Array[rows * Math.Max(columns, 1)]
                  select (rows, columns, fortran, data);
        gen.Sample(c =>
        {
            long[] shape = c.columns == 0 ? [c.rows] : [c.rows, c.columns];
            using var doubles = new MemoryStream();
            NpyWriter.Write<double>(doubles, c.data, shape, fortranOrder: c.fortran);
            doubles.Position = 0;
            var back = NpyReader.Read<double>(doubles, "property.npy");
            Assert.Equal(shape, back.Shape.ToArray());
            AssertBitwiseEqual(c.data, back.Data, "float64 data");

            float[] singles = Array.ConvertAll(c.data, v => (float)v);
            using var floats = new MemoryStream();
            NpyWriter.Write<float>(floats, singles, shape, fortranOrder: c.fortran);
            floats.Position = 0;
            var backSingle = NpyReader.Read<float>(floats, "property.npy");
            Assert.Equal(shape, backSingle.Shape.ToArray());
            for (int i = 0; i < singles.Length; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(singles[i]), BitConverter.SingleToInt32Bits(backSingle.Data[i]));
        }, iter: PropertyRuns.Iterations(200));
    }

    [Fact]
    public void CorruptedNetworkJsonEitherParsesOrFailsWithADataError()
    {
        // Random edits of a valid document: the parser returns a network or throws ReluFastDataException naming the source.
        var gen = from net in Generators.Network(Gen.Double[-3, 3])
                  from edits in Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 4]
                  select (net, edits);
        gen.Sample(c =>
        {
            var bytes = new List<byte>(System.Text.Encoding.UTF8.GetBytes(NetworkJson.ToJson(c.net)));
            foreach (var (kind, at, value) in c.edits)
            {
                if (bytes.Count == 0) break;
                int p = at % bytes.Count;
                switch (kind)
                {
                    case 0: bytes[p] = value; break;
                    case 1: bytes.RemoveAt(p); break;
                    case 2: bytes.Insert(p, value); break;
                    default: bytes.RemoveRange(p, bytes.Count - p); break;
                }
            }
            try
            {
                NetworkJson.Parse(bytes.ToArray(), "mutated.json");
            }
            catch (ReluFastDataException e)
            {
                Assert.Equal("mutated.json", e.FilePath);
            }
        }, iter: PropertyRuns.Iterations(500));
    }
}
