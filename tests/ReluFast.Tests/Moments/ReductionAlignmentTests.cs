using System.Numerics.Tensors;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>
/// Issue 19, item 10: the reproducibility of a learning run rests on the library's reductions (TensorPrimitives' Sum, Dot,
/// SumOfSquares, Norm: noise floors, stopping targets, flips, the flattened moments' d^2-long dot products) rounding the same
/// way wherever the data lie in memory. Up to .NET 8 they peeled an address-dependent head off spans longer than eight
/// vectors (fixed by dotnet/runtime#106166); this fails if a package update brings that back, on whatever vector width the
/// machine runs.
/// </summary>
public sealed class ReductionAlignmentTests
{
    public static TheoryData<int> Lengths => [1, 7, 16, 31, 33, 36, 63, 64, 65, 100, 129, 257, 1000];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ReductionsDoNotDependOnTheAddressOfTheData(int n)
    {
        var x = new double[n];
        var y = new double[n];
        var scale = new double[n];
        new CounterGaussian(21, key: 1).Fill(0, x);
        new CounterGaussian(21, key: 2).Fill(0, y);
        new CounterGaussian(21, key: 3).Fill(0, scale);
        for (int i = 0; i < n; i++) x[i] *= Math.Pow(10, 2 * scale[i]); // 8 decades: the grouping shows in the last bits
        // the same values at every offset within a 64-byte line (floats: every 4-byte offset of the first 32 bytes)
        var bigX = new double[n + 8];
        var bigY = new double[n + 8];
        var bigF = new float[n + 8];
        long[]? first = null;
        for (int offset = 0; offset < 8; offset++)
        {
            Array.Clear(bigX);
            Array.Clear(bigF);
            x.CopyTo(bigX, offset);
            y.CopyTo(bigY, 7 - offset);
            for (int i = 0; i < n; i++) bigF[offset + i] = (float)x[i];
            ReadOnlySpan<double> xs = bigX.AsSpan(offset, n), ys = bigY.AsSpan(7 - offset, n);
            ReadOnlySpan<float> fs = bigF.AsSpan(offset, n);
            long[] bits =
            [
                Bits(TensorPrimitives.Sum(xs)), Bits(TensorPrimitives.Dot(xs, ys)), Bits(TensorPrimitives.SumOfSquares(xs)),
                Bits(TensorPrimitives.Norm(xs)), Bits(TensorPrimitives.Distance(xs, ys)), Bits(TensorPrimitives.Sum(fs)),
                Bits(TensorPrimitives.Dot(fs, fs)), Bits(TensorPrimitives.SumOfSquares(fs)),
            ];
            if (first is null) first = bits;
            else Assert.Equal(first, bits);
        }
    }

    private static long Bits(double value) => BitConverter.DoubleToInt64Bits(value);
}
