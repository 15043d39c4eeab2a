using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ReluFast.Moments.Kernels;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="PowerSums"/> against the loop it replaced in the input pass (one TensorPrimitives call per sum and sample): the
/// same operations in the same order, so the same bits, for float and double, column counts on and off the column blocks
/// (32 columns, then 8, then one at a time), with and without a centre, and with the SIMD width forced down to 256 bits (the
/// scalar path).
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
    [InlineData(37, 50, 512)]
    [InlineData(64, 40, 512)]
    [InlineData(80, 33, 512)]
    [InlineData(16, 300, 256)]
    public void KernelEqualsThePerSampleLoopToTheBit(int k, int n, int width) => WithWidth(width, () =>
    {
        // the inputs' coordinates sit about a mean of order 3 (the centre of the input pass is the pilot's mean)
        double[] centre = Gaussians<double>(k, 7 + k, 3.0);
        foreach (double[] t in new[] { [], centre })
        {
            Check(Gaussians<double>(n * k, 5 + k, 3.0), k, t);
            Check(Gaussians<float>(n * k, 6 + k, 3.0), k, t);
        }
    });

    [Fact]
    public void ACentreOfTheWrongLengthIsRefused() => Assert.Throws<ArgumentException>(() =>
    {
        var s = new double[4];
        PowerSums.Accumulate<double>(new double[8], 4, new double[3], s, s, s, s);
    });

    private static void Check<T>(T[] q, int k, double[] centre) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // start from non-zero sums, as every block after the first does
        double[] start = Gaussians<double>(4 * k, 99);
        double[] kernel = (double[])start.Clone(), reference = (double[])start.Clone();
        PowerSums.Accumulate<T>(q, k, centre, kernel.AsSpan(0, k), kernel.AsSpan(k, k), kernel.AsSpan(2 * k, k), kernel.AsSpan(3 * k, k));
        Reference<T>(q, k, centre, reference.AsSpan(0, k), reference.AsSpan(k, k), reference.AsSpan(2 * k, k), reference.AsSpan(3 * k, k));
        Assert.Equal(reference.Select(BitConverter.DoubleToInt64Bits), kernel.Select(BitConverter.DoubleToInt64Bits));
        // and they are the power sums (to round-off: a wrong power, column or centre is off by order one)
        for (int c = 0; c < k; c++)
        {
            double s4 = start[3 * k + c], t = centre.Length == 0 ? 0 : centre[c];
            for (int j = 0; j < q.Length / k; j++) s4 += Math.Pow(double.CreateTruncating(q[j * k + c]) - t, 4);
            Assert.Equal(s4, kernel[3 * k + c], 1e-12 * Math.Abs(s4));
        }
    }

    private static void Reference<T>(ReadOnlySpan<T> q, int k, double[] centre, Span<double> s1, Span<double> s2, Span<double> s3,
        Span<double> s4) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var row = new double[k];
        var square = new double[k];
        for (int j = 0; j < q.Length / k; j++)
        {
            ReadOnlySpan<T> source = q.Slice(j * k, k);
            if (typeof(T) == typeof(double)) MemoryMarshal.Cast<T, double>(source).CopyTo(row);
            else TensorPrimitives.ConvertChecked<float, double>(MemoryMarshal.Cast<T, float>(source), row);
            if (centre.Length > 0) TensorPrimitives.Subtract(row, centre, row);
            TensorPrimitives.Add(s1, row, s1);
            TensorPrimitives.Multiply(row, row, square);
            TensorPrimitives.Add(s2, square, s2);
            TensorPrimitives.FusedMultiplyAdd(square, row, s3, s3);
            TensorPrimitives.FusedMultiplyAdd(square, square, s4, s4);
        }
    }
}
