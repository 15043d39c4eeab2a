using System.Numerics;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class ProjectedTensorAccumulatorTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        // m, L, n, SIMD width
        { 1, 1, 1, 0 }, { 2, 2, 300, 0 }, { 5, 1, 777, 0 }, { 8, 2, 513, 0 }, { 13, 1, 400, 0 }, { 16, 1, 300, 0 },
        { 17, 2, 250, 0 }, { 32, 1, 300, 0 }, { 33, 1, 120, 0 },
        { 48, 1, 40, 0 }, { 16, 4, 300, 0 }, { 7, 3, 200, 0 }, { 12, 9, 100, 0 }, { 32, 5, 60, 0 }, { 10, 17, 50, 0 },
        { 16, 4, 100, 256 }, { 9, 2, 100, 256 }, { 32, 1, 70, 256 }, { 64, 1, 20, 256 }, { 6, 1, 50, 64 }, { 20, 1, 30, 64 },
        { 21, 3, 100, 0 }, { 24, 3, 90, 0 }, { 25, 3, 60, 0 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void DoubleMatchesScalarReference(int m, int l, int n, int width) => WithWidth(width, () => Check<double>(m, l, n, 17 * m + n));

    [Theory, MemberData(nameof(Shapes))]
    public void FloatMatchesScalarReference(int m, int l, int n, int width) => WithWidth(width, () => Check<float>(m, l, n, 19 * m + n));

    /// <summary>
    /// The 3-tensors alone (pass 2's accumulator): no weights' rows, no columns z and 1, the pairs from column 0, on every path
    /// (the sample lanes, the panels with permuted or segment-built rows, 256-bit and scalar kernels).
    /// </summary>
    [Theory, MemberData(nameof(Shapes))]
    public void WithoutTheLowerDegreesDoubleMatchesScalarReference(int m, int l, int n, int width) =>
        WithWidth(width, () => Check<double>(m, l, n, 23 * m + n, lowerDegrees: false));

    [Theory, MemberData(nameof(Shapes))]
    public void WithoutTheLowerDegreesFloatMatchesScalarReference(int m, int l, int n, int width) =>
        WithWidth(width, () => Check<float>(m, l, n, 29 * m + n, lowerDegrees: false));

    internal static void Check<T>(int m, int l, int n, int seed, bool lowerDegrees = true, bool singleProducts = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] z = Gaussians<T>(n * m, seed);
        T[] c = Gaussians<T>(n * l, seed + 1);
        var acc = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees, singleProducts);
        acc.Accumulate(z, c);
        Assert.Equal(n, acc.Count);
        double[] zd = ToDouble<T>(z), cd = ToDouble<T>(c);
        double gamma = singleProducts ? SumBound<float>(n, 2048, roundings: 8) : SumBound<T>(n, 512, roundings: 4);
        for (int q = 0; q < l; q++)
        {
            double s0 = 0, s0Abs = 0;
            var s1 = new double[m]; var s1Abs = new double[m];
            var s2 = new double[m * m]; var s2Abs = new double[m * m];
            var s3 = new double[m * m * m]; var s3Abs = new double[m * m * m];
            for (int j = 0; j < n; j++)
            {
                double w = cd[q * n + j];
                s0 += w; s0Abs += Math.Abs(w);
                for (int a = 0; a < m; a++)
                {
                    double ta = w * zd[j * m + a];
                    s1[a] += ta; s1Abs[a] += Math.Abs(ta);
                    for (int b = 0; b < m; b++)
                    {
                        double tb = ta * zd[j * m + b];
                        s2[a * m + b] += tb; s2Abs[a * m + b] += Math.Abs(tb);
                        for (int e = 0; e < m; e++)
                        {
                            double te = tb * zd[j * m + e];
                            s3[(a * m + b) * m + e] += te; s3Abs[(a * m + b) * m + e] += Math.Abs(te);
                        }
                    }
                }
            }
            if (lowerDegrees)
            {
                AssertWithin([s0], [acc.WeightSum(q)], [gamma * s0Abs], "weight sum");
                var g1 = new double[m]; acc.CopyFirstMoment(q, g1);
                AssertWithin(s1, g1, s1Abs.Select(v => gamma * v).ToArray(), "first moment");
                var g2 = new double[m * m]; acc.CopySecondMoment(q, g2);
                AssertWithin(s2, g2, s2Abs.Select(v => gamma * v).ToArray(), "second moment");
            }
            else
            {
                Assert.Throws<InvalidOperationException>(() => acc.WeightSum(q));
                Assert.Throws<InvalidOperationException>(() => acc.CopyFirstMoment(q, new double[m]));
                Assert.Throws<InvalidOperationException>(() => acc.CopySecondMoment(q, new double[m * m]));
            }
            var g3 = new double[m * m * m]; acc.CopyThirdMoment(q, g3);
            AssertWithin(s3, g3, s3Abs.Select(v => gamma * v).ToArray(), "third moment");
        }
    }

    /// <summary>
    /// Past the sample lanes' sizes (<see cref="SampleLaneTensorTests"/>) the 512-bit path builds its rows and columns with permutes
    /// where z and the weights fit in two vectors, the 256-bit path segment by segment; each entry is the same single multiply and
    /// the kernels' chains are the same on both paths, so the sums must agree to the bit (a lane of the permute tables pointing at
    /// the wrong entry changes them).
    /// </summary>
    [Theory]
    [InlineData(16, 4)]
    [InlineData(13, 3)]
    [InlineData(13, 8)]
    [InlineData(14, 1)]
    public void ThePermutedRowsAreTheSegmentsToTheBit(int m, int l)
    {
        // float64 below the lanes' limit never takes the permutes on a 512-bit machine: its first size past it, with these weights
        foreach (bool lowerDegrees in new[] { true, false })
        {
            Same<double>(Math.Max(m, ProjectedTensorAccumulator<double>.LaneMaxDimension + 1), l, lowerDegrees);
            Same<float>(Math.Max(2 * m, ProjectedTensorAccumulator<float>.LaneMaxDimension + 1), l, lowerDegrees);
        }

        static void Same<T>(int m, int l, bool lowerDegrees) where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            const int n = 333;
            Assert.True(m > ProjectedTensorAccumulator<T>.LaneMaxDimension);
            T[] z = Gaussians<T>(n * m, 5 * m + l), c = Gaussians<T>(n * l, 7 * m + l);
            double[] wide = [], narrow = [];
            WithWidth(0, () => { var acc = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees); acc.Accumulate(z, c); wide = State(acc); });
            WithWidth(256, () => { var acc = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees); acc.Accumulate(z, c); narrow = State(acc); });
            AssertBitwiseEqual(narrow, wide, $"state of ({m}, {l}, lower degrees {lowerDegrees}) in {typeof(T).Name}");
        }
    }

    /// <summary>
    /// The kernel's lanes per sample against the unique sums (each weight: the entries i &lt;= j &lt;= k, the pairs, z and 1): the
    /// layout spends lanes only where a column panel straddles two groups and on the rows' multiple of 4. At m = 16 and four weights
    /// (the demo's pass 2) that is 516 vector multiply-adds in float64 (572 with the pairs right after the constant); the two
    /// products before it took 672.
    /// </summary>
    [Fact]
    public void TheKernelSpendsFewLanesBeyondTheUniqueSums()
    {
        Assert.Equal(516 * 8, new ProjectedTensorAccumulator<double>(16, 4).KernelLanes);
        // the demo's pass 2 (three weights, 3-tensors only) where it takes the panels (narrower vectors): 352 vector
        // multiply-adds instead of 416 with every degree
        Assert.Equal(416 * 8, new ProjectedTensorAccumulator<double>(16, 3).KernelLanes);
        Assert.Equal(352 * 8, new ProjectedTensorAccumulator<double>(16, 3, lowerDegrees: false).KernelLanes);
        foreach (int m in new[] { 16, 24, 32, 64 })
            foreach (int l in new[] { 2, 4, 7 })
            {
                long third = (long)l * (m * (m + 1) * (m + 2) / 6), unique = third + l * (m * (m + 1) / 2 + m + 1);
                Assert.InRange(new ProjectedTensorAccumulator<double>(m, l).KernelLanes, unique, (long)(1.2 * unique));
                Assert.InRange(new ProjectedTensorAccumulator<float>(m, l).KernelLanes, unique, (long)(1.4 * unique));
                Assert.InRange(new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false).KernelLanes, third, (long)(1.2 * third));
                Assert.InRange(new ProjectedTensorAccumulator<float>(m, l, lowerDegrees: false).KernelLanes, third, (long)(1.4 * third));
            }
    }

    [Fact]
    public void MergeStateAndStreamRoundTrips()
    {
        const int m = 11, l = 2, n = 900;
        double[] z = Gaussians<double>(n * m, 21), c = Gaussians<double>(n * l, 22);
        var whole = new ProjectedTensorAccumulator<double>(m, l);
        whole.Accumulate(z, c);
        var a = new ProjectedTensorAccumulator<double>(m, l);
        var b = new ProjectedTensorAccumulator<double>(m, l);
        const int cut = 377;
        a.Accumulate(z.AsSpan(0, cut * m), Slice(c, n, l, 0, cut));
        b.Accumulate(z.AsSpan(cut * m), Slice(c, n, l, cut, n - cut));
        a.Merge(b);
        Assert.Equal(n, a.Count);
        Assert.Throws<ArgumentException>(() => a.Merge(new ProjectedTensorAccumulator<double>(m + 1, l)));
        Assert.Throws<ArgumentException>(() => a.Merge(new ProjectedTensorAccumulator<double>(m, l + 1)));
        var abs = new ProjectedTensorAccumulator<double>(m, l);
        abs.Accumulate(z.Select(Math.Abs).ToArray(), c.Select(Math.Abs).ToArray());
        double gamma = SumBound<double>(n, 512, 4);
        AssertWithin(State(whole), State(a), State(abs).Select(v => gamma * v).ToArray(), "merged state");
        var t3 = new double[m * m * m]; var t3w = new double[m * m * m];
        a.CopyThirdMoment(1, t3); whole.CopyThirdMoment(1, t3w);
        for (int i = 0; i < t3.Length; i++) Assert.True(Math.Abs(t3[i] - t3w[i]) <= 1e-9 * (1 + Math.Abs(t3w[i])));

        using var stream = new MemoryStream();
        a.WriteTo(stream);
        stream.Position = 0;
        var back = ProjectedTensorAccumulator<double>.ReadFrom(stream);
        AssertBitwiseEqual(State(a), State(back), "state after WriteTo/ReadFrom");
        var viaState = new ProjectedTensorAccumulator<double>(m, l);
        viaState.AddState(State(a));
        var t3b = new double[m * m * m];
        viaState.CopyThirdMoment(1, t3b);
        AssertBitwiseEqual(t3, t3b, "third moment after AddState");
        Assert.Equal(1 + l * (1 + m + m * (m + 1) / 2 + m * (m + 1) * (m + 2) / 6), a.StateLength);
        a.Reset();
        Assert.All(State(a), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void WithoutTheLowerDegreesMergeStateAndStreamRoundTrip()
    {
        const int m = 7, l = 3, n = 500, cut = 211;
        double[] z = Gaussians<double>(n * m, 41), c = Gaussians<double>(n * l, 42);
        var a = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false);
        var b = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false);
        a.Accumulate(z.AsSpan(0, cut * m), Slice(c, n, l, 0, cut));
        b.Accumulate(z.AsSpan(cut * m), Slice(c, n, l, cut, n - cut));
        a.Merge(b);
        Assert.Equal(n, a.Count);
        Assert.False(a.HasLowerDegrees);
        Assert.Equal(1 + l * (m * (m + 1) * (m + 2) / 6), a.StateLength);
        Assert.Throws<ArgumentException>(() => a.Merge(new ProjectedTensorAccumulator<double>(m, l)));
        Assert.Throws<ArgumentException>(() => new ProjectedTensorAccumulator<double>(m, l).Merge(a));

        // the 3-tensors of an accumulator with every degree, to the sums' rounding
        var full = new ProjectedTensorAccumulator<double>(m, l);
        full.Accumulate(z, c);
        var abs = new ProjectedTensorAccumulator<double>(m, l);
        abs.Accumulate(z.Select(Math.Abs).ToArray(), c.Select(Math.Abs).ToArray());
        double gamma = SumBound<double>(n, 512, 4);
        for (int q = 0; q < l; q++)
        {
            double[] mine = new double[m * m * m], theirs = new double[m * m * m], bound = new double[m * m * m];
            a.CopyThirdMoment(q, mine);
            full.CopyThirdMoment(q, theirs);
            abs.CopyThirdMoment(q, bound);
            AssertWithin(theirs, mine, bound.Select(v => gamma * v).ToArray(), $"3-tensor of weight {q}");
        }

        using var stream = new MemoryStream();
        a.WriteTo(stream);
        stream.Position = 0;
        var back = ProjectedTensorAccumulator<double>.ReadFrom(stream);
        Assert.False(back.HasLowerDegrees);
        AssertBitwiseEqual(State(a), State(back), "state after WriteTo/ReadFrom");
        var viaState = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false);
        viaState.AddState(State(a));
        AssertBitwiseEqual(State(a), State(viaState), "state after AddState");
    }

    [Fact]
    public void SomeWeightsAndTheLowerDegreesOfOneGoToTheirOwnAccumulators()
    {
        // pass 2's device sums (ProjectedMomentWorker): weight 0 up to degree 2 into a weighted Gram, weights 1 .. 2 as they are
        const int m = 6, n = 700;
        double[] z = Gaussians<double>(n * m, 31), c = Gaussians<double>(n * 3, 32);
        var all = new ProjectedTensorAccumulator<double>(m, 3);
        all.Accumulate(z, c);
        var later = new ProjectedTensorAccumulator<double>(m, 2);
        later.AddWeights(all, firstWeight: 1);
        var direct = new ProjectedTensorAccumulator<double>(m, 2);
        direct.Accumulate(z, c.AsSpan(n));
        var abs = new ProjectedTensorAccumulator<double>(m, 2);
        abs.Accumulate(z.Select(Math.Abs).ToArray(), c.AsSpan(n).ToArray().Select(Math.Abs).ToArray());
        double gamma = SumBound<double>(n, 512, 4);
        AssertWithin(State(direct), State(later), State(abs).Select(v => gamma * v).ToArray(), "weights 1 and 2 moved");
        Assert.Throws<ArgumentException>(() => later.AddWeights(all, firstWeight: 2));
        // into pass 2's accumulator, which keeps the 3-tensors only: the same sums, each weight's 3-tensor
        var tensors = new ProjectedTensorAccumulator<double>(m, 2, lowerDegrees: false);
        tensors.AddWeights(all, firstWeight: 1);
        Assert.Equal(n, tensors.Count);
        for (int q = 0; q < 2; q++)
        {
            double[] moved = new double[m * m * m], kept = new double[m * m * m];
            tensors.CopyThirdMoment(q, moved);
            later.CopyThirdMoment(q, kept);
            AssertBitwiseEqual(kept, moved, $"3-tensor of weight {q + 1}");
        }
        Assert.Throws<ArgumentException>(() => later.AddWeights(tensors, firstWeight: 0));

        var first = new double[m];
        var second = new double[m * m];
        all.CopyFirstMoment(0, first);
        all.CopySecondMoment(0, second);
        var lower = new WeightedGramAccumulator<double>(m);
        lower.AddSums(0, all.Count, all.WeightSum(0), first, second);
        var gram = new WeightedGramAccumulator<double>(m);
        gram.Accumulate(z, c.AsSpan(0, n));
        var gramAbs = new WeightedGramAccumulator<double>(m);
        gramAbs.Accumulate(z.Select(Math.Abs).ToArray(), c.Take(n).Select(Math.Abs).ToArray());
        double[] expected = new double[gram.StateLength], got = new double[gram.StateLength], bound = new double[gram.StateLength];
        gram.CopyState(expected);
        lower.CopyState(got);
        gramAbs.CopyState(bound);
        AssertWithin(expected, got, bound.Select(v => gamma * v).ToArray(), "weight 0's degrees 0 to 2 as a Gram");
    }

    public static TheoryData<int, int, int, int> ContractionShapes => new()
    {
        // m, L, n, SIMD width: the sample lanes (m <= 24 in float64, 20 in float32) with whole and partial steps and tiles, the panels
        // past them and on narrower vectors
        { 1, 1, 9, 0 }, { 8, 3, 513, 0 }, { 16, 3, 700, 0 }, { 5, 7, 130, 0 }, { 20, 2, 77, 0 }, { 24, 3, 90, 0 }, { 26, 3, 40, 0 },
        { 33, 1, 30, 0 }, { 16, 3, 100, 256 }, { 6, 2, 50, 64 },
    };

    /// <summary>
    /// Pass 2's weights made in the tile of steps (the sample lanes) are the weights <see cref="ProjectedTensorAccumulator{T}.ContractionWeights"/>
    /// writes to memory, to the bit: the sums of <see cref="ProjectedTensorAccumulator{T}.AccumulateContractions"/> must be those of
    /// Accumulate with them, on every path (a direction read for the wrong feature or weight, or a weight past a tile's samples that is
    /// not zero, changes them). A second, longer block takes the panels' scratch past its first size.
    /// </summary>
    [Theory, MemberData(nameof(ContractionShapes))]
    public void ContractionsAreTheirWeightsToTheBit(int m, int l, int n, int width) => WithWidth(width, () =>
    {
        Contractions<double>(m, l, n, 31 * m + n);
        Contractions<float>(m, l, n, 37 * m + n);
    });

    private static void Contractions<T>(int m, int l, int n, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var byContraction = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees: false);
        var byWeights = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees: false);
        T[] g = Gaussians<T>(m * l, seed + 2, 1 / Math.Sqrt(m));
        foreach (int samples in new[] { n, 2 * n + 3 })
        {
            T[] z = Gaussians<T>(samples * m, seed + samples), y = Gaussians<T>(samples, seed + samples + 1);
            var weights = new T[l * samples];
            ProjectedTensorAccumulator<T>.ContractionWeights(z, m, y, g, l, new T[samples * l], weights);
            byContraction.AccumulateContractions(z, y, g);
            byWeights.Accumulate(z, weights);
        }
        Assert.Equal(byWeights.Count, byContraction.Count);
        AssertBitwiseEqual(State(byWeights), State(byContraction), $"{typeof(T).Name} m = {m}, L = {l}");
    }

    /// <summary>
    /// The weights are y (1 + &lt;z, g_l&gt;) to their rounding: m FMAs and one more, each a relative error of at most u on the terms
    /// |y| (1 + sum |z_i g_il|).
    /// </summary>
    [Theory]
    [InlineData(8, 3)]
    [InlineData(24, 4)]
    [InlineData(40, 2)]
    public void ContractionWeightsAreYTimesOnePlusTheContraction(int m, int l)
    {
        Weights<double>(m, l);
        Weights<float>(m, l);
    }

    private static void Weights<T>(int m, int l) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int n = 200;
        T[] z = Gaussians<T>(n * m, 5), y = Gaussians<T>(n, 6), g = Gaussians<T>(m * l, 7, 1 / Math.Sqrt(m));
        var weights = new T[l * n];
        ProjectedTensorAccumulator<T>.ContractionWeights(z, m, y, g, l, new T[n * l], weights);
        double u = UnitRoundoff<T>(), gamma = (m + 1) * u / (1 - (m + 1) * u);
        for (int w = 0; w < l; w++)
            for (int j = 0; j < n; j++)
            {
                double yj = double.CreateTruncating(y[j]), dot = 0, abs = 0;
                for (int i = 0; i < m; i++)
                {
                    double t = double.CreateTruncating(z[j * m + i]) * double.CreateTruncating(g[i * l + w]);
                    dot += t;
                    abs += Math.Abs(t);
                }
                double expected = yj * (1 + dot), bound = gamma * Math.Abs(yj) * (1 + abs);
                AssertWithin([expected], [double.CreateTruncating(weights[w * n + j])], [bound], $"weight {w} of sample {j}");
            }
    }

    /// <summary>
    /// With a control variate the contractions write y~ = y - p(z) as <see cref="ControlVariate.Apply{T}"/> does and sum the weights
    /// y~ (1 + &lt;z, g_l&gt;), to the bit, on every path: on the sample lanes a quadratic p's forms come from the tile's transposed z
    /// (a feature read from the wrong vector, a form from the wrong step, or a y~ that is not (y - c) - f in that order changes them);
    /// a linear p and the panels apply p first. Blocks of two lengths, with whole and partial steps and tiles.
    /// </summary>
    [Theory, MemberData(nameof(ContractionShapes))]
    public void ContractionsWithAControlVariateAreApplyThenContractions(int m, int l, int n, int width) => WithWidth(width, () =>
    {
        foreach (int degree in new[] { 2, 1 })
        {
            ControlVariate p = degree == 2
                ? ControlVariate.Quadratic(0.3, Gaussians<double>(m, 11 + m), Gaussians<double>(m * m, 12 + m, 0.4))
                : ControlVariate.Linear(-0.2, Gaussians<double>(m, 13 + m));
            Centred<double>(m, l, n, 41 * m + n, p);
            Centred<float>(m, l, n, 43 * m + n, p);
        }
    });

    private static void Centred<T>(int m, int l, int n, int seed, ControlVariate p) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var fused = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees: false);
        var apart = new ProjectedTensorAccumulator<T>(m, l, lowerDegrees: false);
        T[] g = Gaussians<T>(m * l, seed + 2, 1 / Math.Sqrt(m));
        foreach (int samples in new[] { n, 2 * n + 3 })
        {
            T[] z = Gaussians<T>(samples * m, seed + samples), y = Gaussians<T>(samples, seed + samples + 1, 2);
            T[] centred = new T[samples], applied = new T[samples];
            fused.AccumulateContractions(z, y, g, p, centred);
            p.Apply<T>(z, y, applied);
            apart.AccumulateContractions(z, applied, g);
            AssertBitwiseEqual(applied.Select(double.CreateTruncating).ToArray(), centred.Select(double.CreateTruncating).ToArray(),
                $"y~ of {typeof(T).Name} m = {m}, degree {p.Degree}");
        }
        Assert.Equal(apart.Count, fused.Count);
        AssertBitwiseEqual(State(apart), State(fused), $"{typeof(T).Name} m = {m}, L = {l}, degree {p.Degree}");
    }

    public static TheoryData<int, int, int, bool> SingleProductShapes => new()
    {
        // m, L, n, lower degrees: whole and partial steps and tiles, odd and even counts of float64 steps, one weight to four
        { 1, 1, 9, true }, { 8, 3, 1100, false }, { 12, 3, 700, false }, { 16, 3, 531, false }, { 16, 4, 300, true }, { 5, 7, 130, true },
        { 20, 2, 77, false }, { 13, 1, 2500, true }, { 3, 2, 4100, false },
    };

    /// <summary>
    /// With single-precision products a float64 accumulator on the sample lanes is the float32 accumulator fed the float64 z and
    /// weights rounded to float32, to the bit: the same tiles of samples, each float32 step the two float64 steps that hold its
    /// samples, the earlier in the lower lanes (a step paired with the wrong one, an odd last step not paired with zeros, or a tile
    /// of another length changes the sums). For pass 2's contractions the weights are made in float64 first (y~ by the control
    /// variate, then y~ (1 + &lt;z, g_l&gt;)), then rounded. Where the lanes do not run (no AVX-512) the float32 twin takes each block
    /// (<see cref="SingleProductsOffTheLanesAreAFloat32AccumulatorPerBlock"/>).
    /// </summary>
    [Theory, MemberData(nameof(SingleProductShapes))]
    public void SingleProductsAreTheFloatAccumulatorOnTheRoundedInputs(int m, int l, int n, bool lowerDegrees)
    {
        Assert.True(m <= ProjectedTensorAccumulator<float>.LaneMaxDimension); // the float32 accumulator's lanes too
        var single = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees, singleProducts: true);
        var contracted = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false, singleProducts: true);
        var plain = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees);
        var plainContracted = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false);
        var rounded = new ProjectedTensorAccumulator<float>(m, l, lowerDegrees);
        var roundedContracted = new ProjectedTensorAccumulator<float>(m, l, lowerDegrees: false);
        var p = ControlVariate.Quadratic(0.3, Gaussians<double>(m, 11 + m), Gaussians<double>(m * m, 12 + m, 0.4));
        double[] g = Gaussians<double>(m * l, 13 + m, 1 / Math.Sqrt(m));
        foreach (int samples in new[] { n, 2 * n + 3 })
        {
            double[] z = Gaussians<double>(samples * m, 47 * m + samples), c = Gaussians<double>(samples * l, 53 * m + samples);
            double[] y = Gaussians<double>(samples, 59 * m + samples, 2), centred = new double[samples];
            single.Accumulate(z, c);
            plain.Accumulate(z, c);
            rounded.Accumulate(Array.ConvertAll(z, v => (float)v), Array.ConvertAll(c, v => (float)v));
            contracted.AccumulateContractions(z, y, g, p, centred);
            plainContracted.AccumulateContractions(z, y, g, p, new double[samples]);
            double[] applied = new double[samples], weights = new double[l * samples];
            p.Apply<double>(z, y, applied);
            AssertBitwiseEqual(applied, centred, $"y~ at m = {m}");
            ProjectedTensorAccumulator<double>.ContractionWeights(z, m, applied, g, l, new double[samples * l], weights);
            roundedContracted.Accumulate(Array.ConvertAll(z, v => (float)v), Array.ConvertAll(weights, v => (float)v));
        }
        Assert.True(single.UsesSingleProducts && contracted.UsesSingleProducts && !plain.UsesSingleProducts);
        Assert.Equal(plain.Count, single.Count);
        Assert.Equal(plain.Count, contracted.Count);
        if (!SampleLaneTensor.Supported) return;
        AssertBitwiseEqual(State(rounded), State(single), $"m = {m}, L = {l}");
        AssertBitwiseEqual(State(roundedContracted), State(contracted), $"contractions at m = {m}, L = {l}");
    }

    /// <summary>
    /// Off the sample lanes (m past them, or narrower vectors) single-precision products take each block through a float32 twin of
    /// the same shape, whose sums are added to the float64 ones: to the bit, a float32 accumulator per block fed the rounded z and
    /// weights, its moments added in float64 block by block (a sum moved to another entry between the two layouts, or a twin not
    /// cleared after a block, changes them). Pass 2's contractions with a control variate too.
    /// </summary>
    [Theory]
    [InlineData(25, 3, 300, true, 0)]
    [InlineData(32, 3, 200, false, 0)]
    [InlineData(40, 1, 90, true, 0)]
    [InlineData(16, 3, 300, false, 256)]
    [InlineData(9, 2, 100, true, 64)]
    public void SingleProductsOffTheLanesAreAFloat32AccumulatorPerBlock(int m, int l, int n, bool lowerDegrees, int width) =>
        WithWidth(width, () =>
    {
        var single = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees, singleProducts: true);
        var contracted = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false, singleProducts: true);
        var p = ControlVariate.Quadratic(0.3, Gaussians<double>(m, 11 + m), Gaussians<double>(m * m, 12 + m, 0.4));
        double[] g = Gaussians<double>(m * l, 13 + m, 1 / Math.Sqrt(m));
        double[]? expected = null, expectedContracted = null;
        foreach (int samples in new[] { n, 2 * n + 3, 5 })
        {
            double[] z = Gaussians<double>(samples * m, 67 * m + samples), c = Gaussians<double>(samples * l, 71 * m + samples);
            double[] y = Gaussians<double>(samples, 73 * m + samples, 2), centred = new double[samples];
            single.Accumulate(z, c);
            contracted.AccumulateContractions(z, y, g, p, centred);
            var block = new ProjectedTensorAccumulator<float>(m, l, lowerDegrees);
            block.Accumulate(Array.ConvertAll(z, v => (float)v), Array.ConvertAll(c, v => (float)v));
            expected = Add(expected, State(block));
            double[] weights = new double[l * samples];
            ProjectedTensorAccumulator<double>.ContractionWeights(z, m, centred, g, l, new double[samples * l], weights);
            var contractedBlock = new ProjectedTensorAccumulator<float>(m, l, lowerDegrees: false);
            contractedBlock.Accumulate(Array.ConvertAll(z, v => (float)v), Array.ConvertAll(weights, v => (float)v));
            expectedContracted = Add(expectedContracted, State(contractedBlock));
        }
        if (SampleLaneTensor.Supported && m <= ProjectedTensorAccumulator<double>.LaneMaxDimension) return; // the lanes' own test
        Assert.Equal(3 * n + 8, single.Count);
        AssertBitwiseEqual(expected!, State(single), $"m = {m}, L = {l}, width {width}");
        AssertBitwiseEqual(expectedContracted!, State(contracted), $"contractions at m = {m}, L = {l}, width {width}");

        static double[] Add(double[]? sum, double[] block)
        {
            if (sum is null) return block;
            for (int i = 0; i < sum.Length; i++) sum[i] += block[i];
            return sum;
        }
    });

    /// <summary>
    /// Single-precision products stay within float32's rounding of the exact sums on every size they take (m up to float64's lane
    /// limit, past float32's) and every path: the inputs rounded (four factors of 1 + u each), two products and the sum over a tile
    /// of at most 2048 samples in float32, the totals in float64 (<see cref="MomentTestData.SumBound{T}"/>).
    /// </summary>
    [Theory]
    [InlineData(24, 3, 500, 0)]
    [InlineData(21, 2, 300, 0)]
    [InlineData(16, 3, 1500, 0)]
    [InlineData(6, 4, 3000, 0)]
    [InlineData(16, 3, 300, 256)]
    [InlineData(33, 2, 200, 0)]
    [InlineData(10, 3, 100, 64)]
    public void SingleProductsAreWithinFloatRoundingOfTheSums(int m, int l, int n, int width) =>
        WithWidth(width, () => Check<double>(m, l, n, 61 * m + n, lowerDegrees: m % 2 == 0, singleProducts: true));

    [Fact]
    public void ContractionsCheckTheirShapes()
    {
        var acc = new ProjectedTensorAccumulator<double>(4, 2, lowerDegrees: false);
        Assert.Throws<ArgumentException>(() => acc.AccumulateContractions(new double[4 * 3], new double[2], new double[8]));
        Assert.Throws<ArgumentException>(() => acc.AccumulateContractions(new double[4 * 3], new double[3], new double[6]));
        var p = ControlVariate.Quadratic(0, new double[4], new double[16]);
        Assert.Throws<ArgumentException>(() => acc.AccumulateContractions(new double[4 * 3], new double[3], new double[8], p, new double[2]));
        Assert.Throws<ArgumentException>(() => acc.AccumulateContractions(new double[4 * 3], new double[3], new double[8],
            ControlVariate.Quadratic(0, new double[3], new double[9]), new double[3]));
        Assert.Equal(0, acc.Count);
    }

    [Fact]
    public void AccumulateDoesNotAllocate()
    {
        foreach (int m in new[] { 32, 8 })
            NoAllocation(m);
    }

    private static void NoAllocation(int m)
    {
        const int l = 2, n = 700;
        double[] z = Gaussians<double>(n * m, 3), c = Gaussians<double>(n * l, 4);
        float[] zf = Gaussians<float>(n * m, 3), cf = Gaussians<float>(n * l, 4);
        var acc = new ProjectedTensorAccumulator<double>(m, l);
        var accf = new ProjectedTensorAccumulator<float>(m, l);
        var third = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false);
        var single = new ProjectedTensorAccumulator<double>(m, l, lowerDegrees: false, singleProducts: true); // lanes or twin
        double[] y = c.AsSpan(0, n).ToArray(), g = Gaussians<double>(m * l, 5);
        var p = ControlVariate.Quadratic(0.1, Gaussians<double>(m, 6), Gaussians<double>(m * m, 7));
        double[] centred = new double[n];
        for (int i = 0; i < 3; i++) { acc.Accumulate(z, c); accf.Accumulate(zf, cf); third.Accumulate(z, c); third.AccumulateContractions(z, y, g); }
        third.AccumulateContractions(z, y, g, p, centred);
        single.AccumulateContractions(z, y, g, p, centred);
        Assert.Equal(0, SteadyStateAllocatedBytes(() =>
        {
            acc.Accumulate(z, c);
            accf.Accumulate(zf, cf);
            third.Accumulate(z, c);
            third.AccumulateContractions(z, y, g);
            third.AccumulateContractions(z, y, g, p, centred);
            single.AccumulateContractions(z, y, g, p, centred);
        }, 10));
    }

    /// <summary>
    /// A size on the sample lanes never takes the panels' tiles (about 300 KB a worker, zeroed page by page when allocated), so they
    /// wait for a thread that forces narrower vectors; a size past the lanes holds them from the start.
    /// </summary>
    [Fact]
    public void OnlyThePanelsPathHoldsThePanelsTiles()
    {
        double[] z = Gaussians<double>(300 * 8, 5), c = Gaussians<double>(300 * 4, 6);
        var lanes = new ProjectedTensorAccumulator<double>(8, 4);
        lanes.Accumulate(z, c);
        Assert.Equal(!lanes.UsesSampleLanes, lanes.HoldsPanelTiles);
        if (lanes.UsesSampleLanes)
        {
            WithWidth(256, () => lanes.Accumulate(z, c));
            Assert.True(lanes.HoldsPanelTiles);
        }
        Assert.True(new ProjectedTensorAccumulator<double>(32, 4).HoldsPanelTiles);
    }

    private static double[] Slice(double[] c, int n, int l, int start, int count)
    {
        var w = new double[count * l];
        for (int q = 0; q < l; q++) c.AsSpan(q * n + start, count).CopyTo(w.AsSpan(q * count));
        return w;
    }

    private static double[] State<T>(ProjectedTensorAccumulator<T> acc) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new double[acc.StateLength];
        acc.CopyState(s);
        return s;
    }
}
