using System.Numerics;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="RowSums"/> against a double reference for each term, at widths with and without a ragged tail on every SIMD
/// path; the bound is the rounding of a sum of width + 3 products in T (the term's own products and the reduction).
/// </summary>
[Collection(MomentCollection.Name)]
public class RowSumsTests
{
    public static TheoryData<int, int> Widths => new()
    {
        { 1, 0 }, { 7, 0 }, { 8, 0 }, { 16, 0 }, { 19, 0 }, { 40, 0 }, { 3, 256 }, { 12, 256 }, { 33, 256 }, { 5, 64 }, { 17, 64 },
    };

    [Theory, MemberData(nameof(Widths))]
    public void EveryTermMatchesTheDoubleReference(int width, int bits) => WithWidth(bits, () =>
    {
        Check<double>(width, 11 * width + bits);
        Check<float>(width, 13 * width + bits);
    });

    /// <summary>
    /// Rows summed four at a time (the 512-bit path's interleaved chains) come out to the bit as each row summed alone: the
    /// interleaving changes the schedule, not any row's operations.
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(19)]
    [InlineData(64)]
    public void RowsInABlockAreSummedAsRowsAlone(int width) => WithWidth(512, () =>
    {
        Alone<double, LinearFormTerm<double>>(width, 3 * width);
        Alone<float, ReluOutputTerm<float>>(width, 5 * width);
    });

    private static void Alone<T, TTerm>(int width, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTerm : IRowTerm<T>
    {
        const int Rows = 11;
        T[] r = Gaussians<T>(Rows * width, seed);
        T[] p = Gaussians<T>(width, seed + 2), q = Gaussians<T>(width, seed + 3);
        var block = new T[Rows];
        RowSums.Run<T, TTerm>(r, width, p, q, block);
        var alone = new T[1];
        for (int k = 0; k < Rows; k++)
        {
            RowSums.Run<T, TTerm>(r.AsSpan(k * width, width), width, p, q, alone);
            Assert.Equal(BitConverter.DoubleToInt64Bits(double.CreateTruncating(alone[0])),
                BitConverter.DoubleToInt64Bits(double.CreateTruncating(block[k])));
        }
    }

    private static void Check<T>(int width, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int Rows = 37;
        T[] r = Gaussians<T>(Rows * width, seed);
        T[] p = Gaussians<T>(width, seed + 2), q = Gaussians<T>(width, seed + 3);
        double[] rd = ToDouble<T>(r), pd = ToDouble<T>(p), qd = ToDouble<T>(q);
        double gamma = SumBound<T>(width, width, roundings: 3);
        Compare<T, LinearFormTerm<T>>(r, p, q, width, (k, i) => rd[k * width + i] * pd[i], gamma, "linear form");
        // relu(r + p) q: near the kink the sum r + p is rounded in T before the relu, so the bound covers that rounding too
        Compare<T, ReluOutputTerm<T>>(r, p, q, width, (k, i) => Math.Max(rd[k * width + i] + pd[i], 0) * qd[i], gamma,
            "relu output", (k, i) => (Math.Abs(rd[k * width + i]) + Math.Abs(pd[i])) * Math.Abs(qd[i]));
    }

    private static void Compare<T, TTerm>(T[] r, T[] p, T[] q, int width, Func<int, int, double> term, double gamma,
        string name, Func<int, int, double>? magnitude = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTerm : IRowTerm<T>
    {
        int rows = r.Length / width;
        var sums = new T[rows];
        RowSums.Run<T, TTerm>(r, width, p, q, sums);
        for (int k = 0; k < rows; k++)
        {
            double expected = 0, scale = 0;
            for (int i = 0; i < width; i++)
            {
                double v = term(k, i);
                expected += v;
                scale += magnitude is null ? Math.Abs(v) : magnitude(k, i);
            }
            double error = Math.Abs(double.CreateTruncating(sums[k]) - expected);
            Assert.True(error <= gamma * scale + 1e-300, $"{name}, {typeof(T).Name}, width {width}, row {k}: |{sums[k]} - {expected}| = " +
                $"{error:E3} > {gamma * scale:E3}");
        }
    }
}
