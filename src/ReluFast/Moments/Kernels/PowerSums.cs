using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Power sums of the columns of a row-major block: for column c of q (n x k), s_p[c] += sum_j q_jc^p for p = 1..4, in double,
/// sample after sample (the input pass's marginal skewness and kurtosis, docs/algorithm.md section 17). Each sample adds r, then
/// r^2 = r r, then fma(r^2, r, s_3), fma(r^2, r^2, s_4), with r the column entry widened to double: the same operations, in the
/// same order, on every path.
/// </summary>
internal static class PowerSums
{
    /// <summary>Adds the power sums of the n = q.Length / k rows of <paramref name="q"/> to s1..s4 (k entries each).</summary>
    /// <exception cref="ArgumentException">The lengths do not match k.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate<T>(ReadOnlySpan<T> q, int k, Span<double> s1, Span<double> s2, Span<double> s3, Span<double> s4)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (q.Length % k != 0) throw new ArgumentException($"q has {q.Length} entries, not a multiple of k = {k}.", nameof(q));
        if (s1.Length < k || s2.Length < k || s3.Length < k || s4.Length < k)
            throw new ArgumentException($"Each power sum needs {k} entries.");
        int n = q.Length / k, c0 = 0;
        if (Simd.WidthBits >= 512)
        {
            // eight columns at a time, their four sums in registers over all rows
            ref T q0 = ref MemoryMarshal.GetReference(q);
            for (; c0 + 8 <= k; c0 += 8)
            {
                var p1 = Vector512.Create<double>(s1.Slice(c0, 8));
                var p2 = Vector512.Create<double>(s2.Slice(c0, 8));
                var p3 = Vector512.Create<double>(s3.Slice(c0, 8));
                var p4 = Vector512.Create<double>(s4.Slice(c0, 8));
                for (int j = 0; j < n; j++)
                {
                    Vector512<double> r = Widen(ref Unsafe.Add(ref q0, (nint)j * k + c0));
                    p1 += r;
                    Vector512<double> square = r * r;
                    p2 += square;
                    p3 = Vector512.FusedMultiplyAdd(square, r, p3);
                    p4 = Vector512.FusedMultiplyAdd(square, square, p4);
                }
                p1.CopyTo(s1.Slice(c0, 8));
                p2.CopyTo(s2.Slice(c0, 8));
                p3.CopyTo(s3.Slice(c0, 8));
                p4.CopyTo(s4.Slice(c0, 8));
            }
        }
        for (int c = c0; c < k; c++)
        {
            double p1 = s1[c], p2 = s2[c], p3 = s3[c], p4 = s4[c];
            for (int j = 0; j < n; j++)
            {
                double r = double.CreateTruncating(q[j * k + c]);
                p1 += r;
                double square = r * r;
                p2 += square;
                p3 = Math.FusedMultiplyAdd(square, r, p3);
                p4 = Math.FusedMultiplyAdd(square, square, p4);
            }
            (s1[c], s2[c], s3[c], s4[c]) = (p1, p2, p3, p4);
        }
    }

    /// <summary>Eight entries from <paramref name="source"/> as doubles (float widens exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Widen<T>(ref T source) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref source));
        return Vector512.WidenLower(Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref source)).ToVector512Unsafe());
    }
}
