using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="PowerSums"/> against the loop it replaced in the input pass (one TensorPrimitives call per sum and sample): the
/// same operations in the same order, so the same bits, for float and double, column counts on and off the eight-column
/// blocks, and with the SIMD width forced down to 256 bits (the scalar path).
/// </summary>
[Collection(MomentCollection.Name)]
public sealed class PowerSumsTests
{
    [Theory]
    [InlineData(1, 37, 512)]
    [InlineData(7, 50, 512)]
    [InlineData(8, 64, 512)]
    [InlineData(16, 300, 512)]
    [InlineData(19, 129, 512)]
    [InlineData(16, 300, 256)]
    public void KernelEqualsThePerSampleLoopToTheBit(int k, int n, int width) => WithWidth(width, () =>
    {
        Check(Gaussians<double>(n * k, 5 + k, 3.0), k);
        Check(Gaussians<float>(n * k, 6 + k, 3.0), k);
    });

    private static void Check<T>(T[] q, int k) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // start from non-zero sums, as every block after the first does
        double[] start = Gaussians<double>(4 * k, 99);
        double[] kernel = (double[])start.Clone(), reference = (double[])start.Clone();
        PowerSums.Accumulate<T>(q, k, kernel.AsSpan(0, k), kernel.AsSpan(k, k), kernel.AsSpan(2 * k, k), kernel.AsSpan(3 * k, k));
        Reference<T>(q, k, reference.AsSpan(0, k), reference.AsSpan(k, k), reference.AsSpan(2 * k, k), reference.AsSpan(3 * k, k));
        Assert.Equal(reference.Select(BitConverter.DoubleToInt64Bits), kernel.Select(BitConverter.DoubleToInt64Bits));
        // and they are the power sums (to round-off: a wrong power or column is off by order one)
        for (int c = 0; c < k; c++)
        {
            double s4 = start[3 * k + c];
            for (int j = 0; j < q.Length / k; j++) s4 += Math.Pow(double.CreateTruncating(q[j * k + c]), 4);
            Assert.Equal(s4, kernel[3 * k + c], 1e-12 * Math.Abs(s4));
        }
    }

    private static void Reference<T>(ReadOnlySpan<T> q, int k, Span<double> s1, Span<double> s2, Span<double> s3, Span<double> s4)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var row = new double[k];
        var square = new double[k];
        for (int j = 0; j < q.Length / k; j++)
        {
            ReadOnlySpan<T> source = q.Slice(j * k, k);
            if (typeof(T) == typeof(double)) MemoryMarshal.Cast<T, double>(source).CopyTo(row);
            else TensorPrimitives.ConvertChecked<float, double>(MemoryMarshal.Cast<T, float>(source), row);
            TensorPrimitives.Add(s1, row, s1);
            TensorPrimitives.Multiply(row, row, square);
            TensorPrimitives.Add(s2, square, s2);
            TensorPrimitives.FusedMultiplyAdd(square, row, s3, s3);
            TensorPrimitives.FusedMultiplyAdd(square, square, s4, s4);
        }
    }
}
