using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// <see cref="CounterGaussian"/>'s Box-Muller as it was before its 256-bit path (issue 16), kept to measure the two side by side
/// in <see cref="PassAccount"/>: the hash in 256-bit vectors, the radius through <see cref="TensorPrimitives"/>, and sin/cos in
/// Vector512 only, so one scalar polynomial per pair on AVX2 machines. Same values for whole pairs (a range of one pair
/// excepted: it took Math.Log).
/// </summary>
internal static class GaussianBefore256
{
    /// <summary>Normals [2 firstPair, 2 firstPair + destination.Length) of <paramref name="g"/> (an even length).</summary>
    public static void FillPairs(CounterGaussian g, long firstPair, Span<double> destination)
    {
        int pairs = destination.Length / 2;
        double[] rented = ArrayPool<double>.Shared.Rent(2 * pairs);
        try
        {
            Span<double> radius = rented.AsSpan(0, pairs), turns = rented.AsSpan(pairs, pairs);
            ulong first = (ulong)firstPair * 2;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var lane = Vector256.Create(0UL, 2, 4, 6);
                for (; i + 4 <= pairs; i += 4)
                {
                    var counter = Vector256.Create(first + 2 * (ulong)i) + lane;
                    Unit(Mix(Vector256.Create(g.Origin) + counter * CounterGaussian.Increment)).CopyTo(radius.Slice(i));
                    Unit(Mix(Vector256.Create(g.Origin) + (counter + Vector256<ulong>.One) * CounterGaussian.Increment)).CopyTo(turns.Slice(i));
                }
            }
            for (; i < pairs; i++)
            {
                radius[i] = g.Uniform((long)(first + 2 * (ulong)i));
                turns[i] = g.Uniform((long)(first + 2 * (ulong)i + 1));
            }
            TensorPrimitives.Log(radius, radius);
            TensorPrimitives.Multiply(radius, -2.0, radius);
            TensorPrimitives.Sqrt(radius, radius);
            for (i = 0; i < pairs; i++)
            {
                TurnSinCos(turns[i], out double sin, out double cos);
                destination[2 * i] = radius[i] * cos;
                destination[2 * i + 1] = radius[i] * sin;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    private static Vector256<double> Unit(Vector256<ulong> bits) =>
        (Vector256.ConvertToDouble(Vector256.ShiftRightLogical(bits, 11)) + Vector256.Create(0.5)) * (1.0 / (1UL << 53));

    private static void TurnSinCos(double t, out double sin, out double cos)
    {
        double quarter = t * 4;
        double q = Math.Round(quarter);
        double a = (quarter - q) * (Math.PI / 2);
        double a2 = a * a;
        double s = a + a * a2 * (-1.0 / 6 + a2 * (1.0 / 120 + a2 * (-1.0 / 5040 + a2 * (1.0 / 362880 + a2 * (-1.0 / 39916800
            + a2 * (1.0 / 6227020800 + a2 * (-1.0 / 1307674368000)))))));
        double c = 1 + a2 * (-0.5 + a2 * (1.0 / 24 + a2 * (-1.0 / 720 + a2 * (1.0 / 40320 + a2 * (-1.0 / 3628800
            + a2 * (1.0 / 479001600 + a2 * (-1.0 / 87178291200 + a2 * (1.0 / 20922789888000))))))));
        switch ((int)q & 3)
        {
            case 0: sin = s; cos = c; break;
            case 1: sin = c; cos = -s; break;
            case 2: sin = -s; cos = -c; break;
            default: sin = -c; cos = s; break;
        }
    }
}
