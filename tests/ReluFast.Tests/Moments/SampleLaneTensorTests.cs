using System.Numerics;
using System.Runtime.Intrinsics;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="SampleLaneTensor"/>, the 3-tensors on the sample lanes with their operands in registers: the plan takes every wanted
/// entry exactly once (no multiply-add beyond the unique sums), and each entry is the sum over the steps' samples of
/// c_l z_i z_j z_k, the entries no tile names left alone.
/// </summary>
[Collection(MomentCollection.Name)]
public class SampleLaneTensorTests
{
    /// <summary>A dense index for weight l's entry (a, b, c): linear in every index, as the plan requires.</summary>
    private static Func<int, int, int, int, int> Dense(int m) => (l, a, b, c) => ((l * m + a) * m + b) * m + c;

    /// <summary>Weight l's sum of degree 0 to 2 (a, b &lt;= m, m the constant) after all the 3-tensors' dense entries.</summary>
    private static Func<int, int, int, int> Lower(int m, int weights) => (l, a, b) => weights * m * m * m + (l * (m + 1) + a) * (m + 1) + b;

    [Fact]
    public void ThePlanTakesEveryWantedEntryOnce()
    {
        for (int m = 1; m <= 26; m++)
            for (int weights = 1; weights <= 7; weights++)
            {
                SampleLaneTensor.Tile[] tiles = SampleLaneTensor.Plan(m, weights, Dense(m), Lower(m, weights));
                var hits = new int[weights * (m * m * m + (m + 1) * (m + 1))];
                foreach (SampleLaneTensor.Tile t in tiles)
                {
                    Assert.InRange(t.Rows, 1, 4);
                    Assert.InRange(t.Width, 1, t.Rows == 4 ? 6 : 8);
                    for (int l = 0; l < t.Rows; l++)
                        for (int r = 0; r < t.Width; r++) hits[t.Target + l * t.WeightStride + r * t.RawStride]++;
                }
                for (int l = 0; l < weights; l++)
                    for (int a = 0; a < m; a++)
                        for (int b = 0; b < m; b++)
                            for (int c = 0; c < m; c++)
                                Assert.True(hits[Dense(m)(l, a, b, c)] == (a <= b && b <= c ? 1 : 0),
                                    $"m = {m}, L = {weights}: entry ({l}; {a}, {b}, {c}) taken {hits[Dense(m)(l, a, b, c)]} times");
                for (int l = 0; l < weights; l++)
                    for (int a = 0; a <= m; a++)
                        for (int b = 0; b <= m; b++)
                            Assert.True(hits[Lower(m, weights)(l, a, b)] == (a <= b ? 1 : 0),
                                $"m = {m}, L = {weights}: lower entry ({l}; {a}, {b}) taken {hits[Lower(m, weights)(l, a, b)]} times");
            }
    }

    [Fact]
    public void ThePlanSpendsFewMultipliesOnTheOperands()
    {
        // the demo's pass 2 (m = 16, three weights): 2448 multiply-adds, one per unique sum, and 576 multiplies (1 + 3 a tile)
        var demo = new ProjectedTensorAccumulator<double>(16, 3, lowerDegrees: false);
        if (demo.UsesSampleLanes)
        {
            Assert.Equal(3 * 816, demo.LaneMultiplyAdds);
            Assert.Equal(576, demo.LaneMultiplies);
        }
        SampleLaneTensor.Tile[] tiles = SampleLaneTensor.Plan(16, 3, Dense(16));
        Assert.Equal(3 * 816, tiles.Sum(t => t.Rows * t.Width));
        Assert.Equal(576, tiles.Sum(t => 1 + t.Rows));
        Assert.Throws<ArgumentException>(() => SampleLaneTensor.Plan(4, 3, (l, a, b, c) => l * l + a + b + c));
    }

    [Avx512Fact]
    public void EachTileSumsItsEntriesAndLeavesTheRestAlone()
    {
        Check<double>(m: 8, weights: 3, steps: 5, stepVectors: 13, seed: 1);
        Check<double>(m: 13, weights: 4, steps: 2, stepVectors: 17, seed: 2);
        Check<float>(m: 11, weights: 5, steps: 3, stepVectors: 16, seed: 3);
        Check<double>(m: 1, weights: 1, steps: 1, stepVectors: 2, seed: 4);
        Check<double>(m: 9, weights: 2, steps: 3, stepVectors: 13, seed: 5, lowerDegrees: true);
        Check<float>(m: 6, weights: 4, steps: 2, stepVectors: 11, seed: 6, lowerDegrees: true);
    }

    private static void Check<T>(int m, int weights, int steps, int stepVectors, int seed, bool lowerDegrees = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = Vector512<T>.Count, samples = steps * vl, one = SampleLaneTensor.Constant(m, weights);
        T[] tile = Gaussians<T>(steps * stepVectors * vl, seed);
        if (lowerDegrees)
            for (int s = 0; s < steps; s++) tile.AsSpan((s * stepVectors + one) * vl, vl).Fill(T.One);
        var tiles = SampleLaneTensor.Plan(m, weights, Dense(m), lowerDegrees ? Lower(m, weights) : null);
        var sums = new double[weights * (m * m * m + (m + 1) * (m + 1))];
        sums.AsSpan().Fill(0.5);
        SampleLaneTensor.Run<T>(tile, m, stepVectors, steps, tiles, sums);
        double Value(int s, int vector, int lane) => double.CreateTruncating(tile[(s * stepVectors + vector) * vl + lane]);
        double gamma = SumBound<T>(samples, samples, roundings: 5);
        for (int l = 0; l < weights; l++)
            for (int a = 0; a < m; a++)
                for (int b = 0; b < m; b++)
                    for (int c = 0; c < m; c++)
                    {
                        double expected = 0.5, bound = 0;
                        if (a <= b && b <= c)
                            for (int s = 0; s < steps; s++)
                                for (int lane = 0; lane < vl; lane++)
                                {
                                    double p = Value(s, m + l, lane) * Value(s, a, lane) * Value(s, b, lane) * Value(s, c, lane);
                                    expected += p;
                                    bound += Math.Abs(p);
                                }
                        double got = sums[Dense(m)(l, a, b, c)];
                        Assert.True(Math.Abs(got - expected) <= gamma * bound + 1e-300,
                            $"{typeof(T).Name} m = {m}, L = {weights}: ({l}; {a}, {b}, {c}) = {got}, expected {expected}");
                    }
        // the sums of degree 0 to 2: vector m of z is the constant, the one vector
        for (int l = 0; l < weights; l++)
            for (int a = 0; a <= m; a++)
                for (int b = 0; b <= m; b++)
                {
                    double expected = 0.5, bound = 0;
                    if (lowerDegrees && a <= b)
                        for (int s = 0; s < steps; s++)
                            for (int lane = 0; lane < vl; lane++)
                            {
                                double p = Value(s, m + l, lane) * (a == m ? 1 : Value(s, a, lane)) * (b == m ? 1 : Value(s, b, lane));
                                expected += p;
                                bound += Math.Abs(p);
                            }
                    double got = sums[Lower(m, weights)(l, a, b)];
                    Assert.True(Math.Abs(got - expected) <= gamma * bound + 1e-300,
                        $"{typeof(T).Name} m = {m}, L = {weights}: lower ({l}; {a}, {b}) = {got}, expected {expected}");
                }
        Assert.Throws<ArgumentException>(() => SampleLaneTensor.Run<T>(tile.AsSpan(0, tile.Length - 1), m, stepVectors, steps, tiles,
            sums));
        Assert.Throws<ArgumentException>(() => SampleLaneTensor.Run<T>(tile, m, m + weights - 1, 1, tiles, sums));
        // a tile whose corner (last weight, first raw feature) lies before the sums, though its first and last entries do not
        SampleLaneTensor.Tile skew = tiles[0] with { Rows = 2, Width = 2, Target = 1, WeightStride = -2, RawStride = 3 };
        Assert.Throws<ArgumentException>(() => SampleLaneTensor.Run<T>(tile, m, stepVectors, steps, [skew], sums));
    }

    /// <summary>
    /// The projected 3-tensor takes the sample lanes for small m on AVX-512 (at m = 8, four weights, float64: one multiply-add a
    /// sample for each of the 660 wanted sums, where the panels spend 864 lanes) and gets the scalar reference's sums at every tail
    /// of a step and tile.
    /// </summary>
    [Avx512Fact]
    public void TheSmallTensorTakesTheLanesAtEveryTail()
    {
        int limit = ProjectedTensorAccumulator<double>.LaneMaxDimension, limitFloat = ProjectedTensorAccumulator<float>.LaneMaxDimension;
        foreach (bool lowerDegrees in new[] { true, false })
        {
            Assert.True(new ProjectedTensorAccumulator<double>(8, 4, lowerDegrees).UsesSampleLanes);
            Assert.True(new ProjectedTensorAccumulator<double>(limit, 3, lowerDegrees).UsesSampleLanes);
            Assert.False(new ProjectedTensorAccumulator<double>(limit + 1, 3, lowerDegrees).UsesSampleLanes);
            Assert.True(new ProjectedTensorAccumulator<float>(limitFloat, 2, lowerDegrees).UsesSampleLanes);
            Assert.False(new ProjectedTensorAccumulator<float>(limitFloat + 1, 2, lowerDegrees).UsesSampleLanes);
        }
        // the demo's pass 2 (m = 16): one multiply-add a sample for each of the 3 x 816 wanted sums, where the panels spend 2816 lanes
        var demo = new ProjectedTensorAccumulator<double>(16, 3, lowerDegrees: false);
        Assert.Equal(2448, demo.LaneMultiplyAdds);
        Assert.Equal(2816, demo.KernelLanes);
        // 660 wanted entries a sample (four weights: 1 + 8 + 36 + 120 each), 864 lanes in the panels
        var small = new ProjectedTensorAccumulator<double>(8, 4);
        Assert.Equal(660, small.LaneMultiplyAdds);
        Assert.Equal(864, small.KernelLanes);
        foreach (int n in new[] { 1, 7, 9, 255, 257, 1000 })
        {
            ProjectedTensorAccumulatorTests.Check<double>(8, 4, n, n);
            ProjectedTensorAccumulatorTests.Check<float>(12, 3, n, n + 1);
            ProjectedTensorAccumulatorTests.Check<double>(1, 5, n, n + 2);
            ProjectedTensorAccumulatorTests.Check<double>(limit, 3, n, n + 3, lowerDegrees: false);
            ProjectedTensorAccumulatorTests.Check<double>(limit, 2, n, n + 6);
            ProjectedTensorAccumulatorTests.Check<float>(limitFloat, 4, n, n + 4, lowerDegrees: false);
            ProjectedTensorAccumulatorTests.Check<float>(limitFloat, 1, n, n + 7);
            ProjectedTensorAccumulatorTests.Check<double>(5, 7, n, n + 5, lowerDegrees: false);
        }
    }
}
