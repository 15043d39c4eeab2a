using System.Numerics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Tests.Moments;

public class LaneTransposeTests
{
    /// <summary>
    /// The sample lanes' transpose puts sample (s VL + lane)'s feature i at s step + i VL + lane, zero past the samples, and writes
    /// nothing else: float64's and float32's 8 x 8 register blocks, the features past them and a partial last step, into steps of
    /// exactly m vectors and into steps with room after them (an odd stride, as the lanes' tiles keep it). A copy, so exactly.
    /// </summary>
    [Fact]
    public void TheLanesTransposeIsTheIndexMap()
    {
        foreach (int m in new[] { 1, 3, 7, 8, 9, 12, 15, 16, 17, 20, 24 })
            foreach (int n in new[] { 1, 7, 8, 9, 16, 31, 40, 65 })
            {
                TransposeCase<double>(m, n);
                TransposeCase<float>(m, n);
            }
        Assert.Throws<ArgumentException>(() => LaneTranspose.Run<double>(new double[24], 3, 8, new double[24], 16));
        Assert.Throws<ArgumentException>(() => LaneTranspose.Run<double>(new double[24], 3, 9, new double[40], 24));
        Assert.Throws<ArgumentException>(() => LaneTranspose.Run<double>(new double[23], 3, 8, new double[24], 24));
    }

    private static void TransposeCase<T>(int m, int n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = System.Runtime.Intrinsics.Vector512<T>.Count, steps = (n + vl - 1) / vl;
        var x = new T[n * m];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(i + 1);
        foreach (int step in new[] { m * vl, ((m + 2) | 1) * vl })
        {
            var to = new T[(steps - 1) * step + m * vl + 3 * vl];
            Array.Fill(to, T.NaN);
            LaneTranspose.Run<T>(x, m, n, to, step);
            var written = new bool[to.Length];
            for (int s = 0; s < steps; s++)
                for (int i = 0; i < m; i++)
                    for (int lane = 0; lane < vl; lane++)
                    {
                        int k = s * vl + lane, at = s * step + i * vl + lane;
                        Assert.True(k < n ? to[at] == x[k * m + i] : to[at] == T.Zero,
                            $"{typeof(T).Name} m = {m}, n = {n}, step {step}: sample {k}, feature {i}");
                        written[at] = true;
                    }
            for (int q = 0; q < to.Length; q++)
                if (!written[q]) Assert.True(T.IsNaN(to[q]), $"{typeof(T).Name} m = {m}, n = {n}: wrote {q}");
        }
    }

    /// <summary>
    /// The 256-bit steps (machines without 512-bit vectors): sample (s VL + lane)'s feature i at s step + i VL + lane with VL a
    /// 256-bit vector's count, zero past the samples, nothing else written; float64's 4 x 4 and float32's 8 x 8 blocks, the features
    /// past them and a partial last step.
    /// </summary>
    [Fact]
    public void The256BitStepsAreTheIndexMap()
    {
        foreach (int m in new[] { 1, 3, 4, 5, 8, 9, 16, 17 })
            foreach (int n in new[] { 1, 3, 4, 5, 8, 9, 31 })
            {
                Steps256<double>(m, n);
                Steps256<float>(m, n);
            }
    }

    private static void Steps256<T>(int m, int n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = System.Runtime.Intrinsics.Vector256<T>.Count, steps = (n + vl - 1) / vl, step = (m | 1) * vl + vl;
        var x = new T[n * m];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(i + 1);
        var to = new T[steps * step + vl];
        Array.Fill(to, T.NaN);
        LaneTranspose.Run256<T>(x, m, n, to, step);
        var written = new bool[to.Length];
        for (int s = 0; s < steps; s++)
            for (int i = 0; i < m; i++)
                for (int lane = 0; lane < vl; lane++)
                {
                    int k = s * vl + lane, at = s * step + i * vl + lane;
                    Assert.True(k < n ? to[at] == x[k * m + i] : to[at] == T.Zero, $"{typeof(T).Name} m = {m}, n = {n}: sample {k}, feature {i}");
                    written[at] = true;
                }
        for (int q = 0; q < to.Length; q++)
            if (!written[q]) Assert.True(T.IsNaN(to[q]), $"{typeof(T).Name} m = {m}, n = {n}: wrote {q}");
    }
    /// <summary>
    /// Float64 steps narrowed in pairs: float32 step s's vector v holds float64 step 2s's vector v in lanes 0-7 and step 2s + 1's
    /// in lanes 8-15, each rounded to nearest ((float)x), zeros after an odd last step, and nothing past the narrowed vectors is
    /// written. Values with bits below float32's, so a truncation or a swapped half shows.
    /// </summary>
    [Fact]
    public void NarrowedPairsAreTheStepsSideBySide()
    {
        const int vd = 8, vs = 16;
        foreach (int vectors in new[] { 1, 3, 19 })
            foreach (int steps in new[] { 1, 2, 5, 8 })
            {
                int step = (vectors + 2) * vd; // two vectors a step past the narrowed ones, left alone
                var from = new double[steps * step];
                for (int i = 0; i < from.Length; i++) from[i] = 1 + i / 3.0 + Math.Pow(2, -30) * (i % 7);
                int pairs = (steps + 1) / 2;
                var to = new float[pairs * 2 * step];
                Array.Fill(to, float.NaN);
                LaneTranspose.NarrowPairs(from, step, steps, vectors, to);
                for (int p = 0; p < pairs; p++)
                    for (int v = 0; v < vectors + 2; v++)
                        for (int lane = 0; lane < vs; lane++)
                        {
                            float got = to[p * 2 * step + v * vs + lane];
                            int s = 2 * p + lane / vd;
                            if (v >= vectors) Assert.True(float.IsNaN(got), $"vector {v} of pair {p} written");
                            else Assert.Equal(s < steps ? (float)from[s * step + v * vd + lane % vd] : 0f, got);
                        }
            }
        Assert.Throws<ArgumentException>(() => LaneTranspose.NarrowPairs(new double[64], 12, 1, 1, new float[64]));
        Assert.Throws<ArgumentException>(() => LaneTranspose.NarrowPairs(new double[64], 8, 1, 2, new float[64]));
        Assert.Throws<ArgumentException>(() => LaneTranspose.NarrowPairs(new double[16], 16, 2, 2, new float[64]));
        Assert.Throws<ArgumentException>(() => LaneTranspose.NarrowPairs(new double[32], 16, 2, 2, new float[31]));
    }
}
