using System.Numerics;
using System.Runtime.Intrinsics;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="SampleLaneGemm"/>, the small products with the samples along the lanes: each entry of each chunk's rows is the sum
/// over the steps' samples, entries below a chunk's rows and past the row limit are left alone, and the plan covers the columns
/// in chunks of 1 to 6 that spend few lanes beyond the wanted entries.
/// </summary>
[Collection(MomentCollection.Name)]
public class SampleLaneGemmTests
{
    [Avx512Fact]
    public void EachChunkSumsItsRowsAndLeavesTheRestAlone()
    {
        Check<double>([4, 4, 8, 8, 8, 12, 20, 20], steps: 5, tileSteps: 7, rowLimit: 18, seed: 1);
        Check<float>([4, 8, 8, 12, 12, 12, 12, 16, 16, 24], steps: 3, tileSteps: 3, rowLimit: 24, seed: 2);
        Check<double>([8], steps: 1, tileSteps: 1, rowLimit: 8, seed: 3);
    }

    private static void Check<T>(int[] columnRowEnds, int steps, int tileSteps, int rowLimit, int seed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = Vector512<T>.Count, columns = columnRowEnds.Length, rows = columnRowEnds[^1], samples = steps * vl;
        SampleLaneGemm.Chunk[] chunks = SampleLaneGemm.Plan(columnRowEnds, tileSteps);
        Assert.Equal(columns, chunks.Sum(c => c.Width));
        T[] x = Gaussians<T>(rows * samples, seed), y = Gaussians<T>(columns * samples, seed + 1);
        var a = new T[SampleLaneGemm.RowOffset<T>(rows, tileSteps)];
        var b = new T[SampleLaneGemm.ColumnOffset<T>(chunks.Length, 0, tileSteps)];
        for (int s = 0; s < steps; s++)
            for (int lane = 0; lane < vl; lane++)
            {
                int k = s * vl + lane;
                for (int i = 0; i < rows; i++)
                    a[SampleLaneGemm.RowOffset<T>(i, tileSteps) + s * SampleLaneGemm.RowStep<T>() + lane] = x[i * samples + k];
                for (int q = 0; q < chunks.Length; q++)
                    for (int w = 0; w < chunks[q].Width; w++)
                        b[SampleLaneGemm.ColumnOffset<T>(q, w, tileSteps) + s * SampleLaneGemm.ColumnStep<T>() + lane] =
                            y[(chunks[q].Start + w) * samples + k];
            }
        const int StrideC = 29;
        var c = new double[rows * StrideC];
        c.AsSpan().Fill(0.5);
        SampleLaneGemm.Run<T>(a, b, steps, tileSteps, chunks, rowLimit, c, StrideC);
        double gamma = SumBound<T>(samples, samples, roundings: 5);
        foreach (SampleLaneGemm.Chunk chunk in chunks)
            for (int j = chunk.Start; j < chunk.Start + chunk.Width; j++)
                for (int i = 0; i < rows; i++)
                {
                    double expected = 0.5, bound = 0;
                    if (i < Math.Min(chunk.RowEnd, rowLimit))
                        for (int k = 0; k < samples; k++)
                        {
                            double p = double.CreateTruncating(x[i * samples + k]) * double.CreateTruncating(y[j * samples + k]);
                            expected += p;
                            bound += Math.Abs(p);
                        }
                    Assert.True(Math.Abs(c[i * StrideC + j] - expected) <= gamma * bound + 1e-300,
                        $"{typeof(T).Name} C[{i}, {j}] = {c[i * StrideC + j]}, expected {expected} (chunk rows {chunk.RowEnd}, limit {rowLimit})");
                }
        Assert.Throws<ArgumentException>(() => SampleLaneGemm.Run<T>(a.AsSpan(0, a.Length - 1), b, steps, tileSteps, chunks, rowLimit, c,
            StrideC));
    }

    [Fact]
    public void ThePlanCutsWhereTheRowsChangeAndSpendsFewLanes()
    {
        // the 3-tensor's columns at m = 8, four weights: z and 1 need 4 rows, pair group j needs 4 (j + 2)
        var rowEnds = new List<int>();
        rowEnds.AddRange(Enumerable.Repeat(4, 9));
        for (int j = 0; j < 8; j++) rowEnds.AddRange(Enumerable.Repeat(4 * (j + 2), 8 - j));
        SampleLaneGemm.Chunk[] chunks = SampleLaneGemm.Plan(rowEnds.ToArray(), 32);
        for (int q = 0; q < chunks.Length; q++)
        {
            Assert.InRange(chunks[q].Width, 1, SampleLaneGemm.ChunkColumns);
            Assert.Equal(q == 0 ? 0 : chunks[q - 1].Start + chunks[q - 1].Width, chunks[q].Start);
            Assert.Equal(rowEnds[chunks[q].Start + chunks[q].Width - 1], chunks[q].RowEnd);
        }
        long wanted = rowEnds.Sum(r => (long)r), spent = chunks.Sum(c => (long)c.Width * c.RowEnd);
        Assert.InRange(spent, wanted, (long)(1.05 * wanted));
        Assert.Throws<ArgumentException>(() => SampleLaneGemm.Plan([8, 4], 32));
        Assert.Throws<ArgumentException>(() => SampleLaneGemm.Plan([3], 32));
    }

    /// <summary>
    /// The projected 3-tensor takes the sample lanes for small m on AVX-512 (at m = 8, four weights, float64: 668 multiply-adds a
    /// sample for 660 wanted sums, where the panels spend 864 lanes) and gets the scalar reference's sums at every tail of a step
    /// and tile.
    /// </summary>
    [Avx512Fact]
    public void TheSmallTensorTakesTheLanesAtEveryTail()
    {
        Assert.True(new ProjectedTensorAccumulator<double>(8, 4).UsesSampleLanes);
        Assert.False(new ProjectedTensorAccumulator<double>(ProjectedTensorAccumulator<double>.LaneMaxDimension() + 1, 4).UsesSampleLanes);
        Assert.True(new ProjectedTensorAccumulator<float>(ProjectedTensorAccumulator<float>.LaneMaxDimension(), 2).UsesSampleLanes);
        // the 3-tensors alone (pass 2) take the lanes further (SampleLaneTensor), in both types
        int third = ProjectedTensorAccumulator<double>.LaneMaxDimension(lowerDegrees: false);
        Assert.True(third > ProjectedTensorAccumulator<double>.LaneMaxDimension());
        Assert.Equal(third, ProjectedTensorAccumulator<float>.LaneMaxDimension(lowerDegrees: false));
        Assert.True(new ProjectedTensorAccumulator<double>(third, 3, lowerDegrees: false).UsesSampleLanes);
        Assert.False(new ProjectedTensorAccumulator<double>(third + 1, 3, lowerDegrees: false).UsesSampleLanes);
        Assert.True(new ProjectedTensorAccumulator<float>(third, 2, lowerDegrees: false).UsesSampleLanes);
        // the demo's pass 2 (m = 16): one multiply-add a sample for each of the 3 x 816 wanted sums, where the panels spend 2816 lanes
        var demo = new ProjectedTensorAccumulator<double>(16, 3, lowerDegrees: false);
        Assert.Equal(2448, demo.LaneMultiplyAdds);
        Assert.Equal(2816, demo.KernelLanes);
        // 660 wanted entries a sample (four weights: 1 + 8 + 36 + 120 each), 864 lanes in the panels
        var small = new ProjectedTensorAccumulator<double>(8, 4);
        Assert.InRange(small.LaneMultiplyAdds, 660, 680);
        Assert.Equal(864, small.KernelLanes);
        foreach (int n in new[] { 1, 7, 9, 255, 257, 1000 })
        {
            ProjectedTensorAccumulatorTests.Check<double>(8, 4, n, n);
            ProjectedTensorAccumulatorTests.Check<float>(12, 3, n, n + 1);
            ProjectedTensorAccumulatorTests.Check<double>(1, 5, n, n + 2);
            ProjectedTensorAccumulatorTests.Check<double>(third, 3, n, n + 3, lowerDegrees: false);
            ProjectedTensorAccumulatorTests.Check<float>(third, 4, n, n + 4, lowerDegrees: false);
            ProjectedTensorAccumulatorTests.Check<double>(5, 7, n, n + 5, lowerDegrees: false);
        }
    }
}
