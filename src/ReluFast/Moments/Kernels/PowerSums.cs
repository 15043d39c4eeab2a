using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Power sums of the columns of a row-major block about a centre: for column c of q (n x k), s_p[c] += sum_j (q_jc - t_c)^p for
/// p = 1..4, in double, sample after sample (the input pass's marginal skewness and kurtosis, docs/algorithm.md section 17).
/// Each sample adds r, then r^2 = r r, then fma(r^2, r, s_3), fma(r^2, r^2, s_4), with r the column entry widened to double
/// minus t_c (t = 0 without a centre, which leaves every entry as it is): the same operations, in the same order, on every path.
/// </summary>
internal static class PowerSums
{
    /// <summary>
    /// Adds the power sums of the n = q.Length / k rows of <paramref name="q"/>, less <paramref name="centre"/> (k entries, or
    /// empty for none), to s1..s4 (k entries each).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match k.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate<T>(ReadOnlySpan<T> q, int k, ReadOnlySpan<double> centre, Span<double> s1, Span<double> s2,
        Span<double> s3, Span<double> s4) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (q.Length % k != 0) throw new ArgumentException($"q has {q.Length} entries, not a multiple of k = {k}.", nameof(q));
        if (!centre.IsEmpty && centre.Length != k)
            throw new ArgumentException($"The centre has {centre.Length} entries, not k = {k} (or none).", nameof(centre));
        if (s1.Length < k || s2.Length < k || s3.Length < k || s4.Length < k)
            throw new ArgumentException($"Each power sum needs {k} entries.");
        int n = q.Length / k, c0 = 0;
        if (Simd.WidthBits >= 512)
        {
            // 32 columns at a time, then 8: each column's four sums in registers over all rows, four independent columns of
            // eight so that the sums' latency does not bound the loop (each column's operations and order are unchanged)
            ref T q0 = ref MemoryMarshal.GetReference(q);
            for (; c0 + 32 <= k; c0 += 32)
            {
                Sums a = new(s1, s2, s3, s4, centre, c0), b = new(s1, s2, s3, s4, centre, c0 + 8);
                Sums c = new(s1, s2, s3, s4, centre, c0 + 16), e = new(s1, s2, s3, s4, centre, c0 + 24);
                for (int j = 0; j < n; j++)
                {
                    ref T row = ref Unsafe.Add(ref q0, (nint)j * k + c0);
                    a.Add(Widen(ref row));
                    b.Add(Widen(ref Unsafe.Add(ref row, 8)));
                    c.Add(Widen(ref Unsafe.Add(ref row, 16)));
                    e.Add(Widen(ref Unsafe.Add(ref row, 24)));
                }
                a.Store(s1, s2, s3, s4, c0);
                b.Store(s1, s2, s3, s4, c0 + 8);
                c.Store(s1, s2, s3, s4, c0 + 16);
                e.Store(s1, s2, s3, s4, c0 + 24);
            }
            for (; c0 + 8 <= k; c0 += 8)
            {
                Sums a = new(s1, s2, s3, s4, centre, c0);
                for (int j = 0; j < n; j++) a.Add(Widen(ref Unsafe.Add(ref q0, (nint)j * k + c0)));
                a.Store(s1, s2, s3, s4, c0);
            }
        }
        for (int c = c0; c < k; c++)
        {
            double p1 = s1[c], p2 = s2[c], p3 = s3[c], p4 = s4[c], t = centre.IsEmpty ? 0 : centre[c];
            for (int j = 0; j < n; j++)
            {
                double r = double.CreateTruncating(q[j * k + c]) - t;
                p1 += r;
                double square = r * r;
                p2 += square;
                p3 = Math.FusedMultiplyAdd(square, r, p3);
                p4 = Math.FusedMultiplyAdd(square, square, p4);
            }
            (s1[c], s2[c], s3[c], s4[c]) = (p1, p2, p3, p4);
        }
    }

    /// <summary>The four sums of eight columns and their centre t, in registers.</summary>
    private struct Sums
    {
        private Vector512<double> _p1, _p2, _p3, _p4;
        private readonly Vector512<double> _t;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Sums(Span<double> s1, Span<double> s2, Span<double> s3, Span<double> s4, ReadOnlySpan<double> centre, int c0)
        {
            _p1 = Vector512.Create<double>(s1.Slice(c0, 8));
            _p2 = Vector512.Create<double>(s2.Slice(c0, 8));
            _p3 = Vector512.Create<double>(s3.Slice(c0, 8));
            _p4 = Vector512.Create<double>(s4.Slice(c0, 8));
            _t = centre.IsEmpty ? Vector512<double>.Zero : Vector512.Create(centre.Slice(c0, 8));
        }

        /// <summary>One row's eight entries q: r = q - t, then r, r^2, r^3, r^4 added.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector512<double> q)
        {
            Vector512<double> r = q - _t;
            _p1 += r;
            Vector512<double> square = r * r;
            _p2 += square;
            _p3 = Vector512.FusedMultiplyAdd(square, r, _p3);
            _p4 = Vector512.FusedMultiplyAdd(square, square, _p4);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(Span<double> s1, Span<double> s2, Span<double> s3, Span<double> s4, int c0)
        {
            _p1.CopyTo(s1.Slice(c0, 8));
            _p2.CopyTo(s2.Slice(c0, 8));
            _p3.CopyTo(s3.Slice(c0, 8));
            _p4.CopyTo(s4.Slice(c0, 8));
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
