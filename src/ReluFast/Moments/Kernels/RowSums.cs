using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The elementwise term of a per-row sum s_k = sum_i term(r_ki, p_i, q_i) over a row-major block r and two parameter vectors p,
/// q (<see cref="RowSums"/>). An operator struct in the style of TensorPrimitives: the JIT specialises
/// the driver for each term; <c>Accumulate</c> returns acc + term, fused where the term ends in a product.
/// </summary>
internal interface IRowTerm<T> where T : unmanaged
{
    /// <summary>acc + term (512-bit).</summary>
    static abstract Vector512<T> Accumulate(Vector512<T> acc, Vector512<T> r, Vector512<T> p, Vector512<T> q);

    /// <summary>acc + term (256-bit).</summary>
    static abstract Vector256<T> Accumulate(Vector256<T> acc, Vector256<T> r, Vector256<T> p, Vector256<T> q);

    /// <summary>acc + term (scalar).</summary>
    static abstract T Accumulate(T acc, T r, T p, T q);
}

/// <summary>r p: a linear form &lt;x, c&gt; (q unused).</summary>
internal readonly struct LinearFormTerm<T> : IRowTerm<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Accumulate(Vector512<T> acc, Vector512<T> r, Vector512<T> p, Vector512<T> q) =>
        Simd.Fma(r, p, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Accumulate(Vector256<T> acc, Vector256<T> r, Vector256<T> p, Vector256<T> q) =>
        Simd.Fma(r, p, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Accumulate(T acc, T r, T p, T q) => T.FusedMultiplyAdd(r, p, acc);
}

/// <summary>relu(r + p) q: a network's output layer on its pre-activations r (p the biases b, q the output weights a).</summary>
internal readonly struct ReluOutputTerm<T> : IRowTerm<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Accumulate(Vector512<T> acc, Vector512<T> r, Vector512<T> p, Vector512<T> q) =>
        Simd.Fma(Vector512.Max(r + p, Vector512<T>.Zero), q, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Accumulate(Vector256<T> acc, Vector256<T> r, Vector256<T> p, Vector256<T> q) =>
        Simd.Fma(Vector256.Max(r + p, Vector256<T>.Zero), q, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Accumulate(T acc, T r, T p, T q) => T.FusedMultiplyAdd(T.Max(r + p, T.Zero), q, acc);
}

/// <summary>
/// Per-row sums of short rows (a few dozen entries): one register reduction per row, where a TensorPrimitives call per row
/// costs more than its arithmetic (the linear control variates and the teacher's output layer, once per sample).
/// </summary>
internal static class RowSums
{
    /// <summary>
    /// sums[k] = sum over i &lt; width of term(r[k width + i], p[i], q[i]) for every row k &lt; sums.Length. q may be empty for
    /// terms that do not read it.
    /// </summary>
    /// <exception cref="ArgumentException">A block or vector is shorter than the rows need.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T, TTerm>(ReadOnlySpan<T> r, int width, ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTerm : IRowTerm<T>
    {
        int n = sums.Length;
        // terms that do not read q get p in its place
        if (q.IsEmpty) q = p;
        if (r.Length < (long)n * width || p.Length < width || q.Length < width)
            throw new ArgumentException("Blocks or parameter vectors too short for the rows.");
        ref T rr = ref MemoryMarshal.GetReference(r);
        ref T pr = ref MemoryMarshal.GetReference(p);
        ref T qr = ref MemoryMarshal.GetReference(q);
        int bits = Simd.WidthBits;
        int whole = bits >= 512 ? width / Vector512<T>.Count * Vector512<T>.Count
            : bits >= 256 ? width / Vector256<T>.Count * Vector256<T>.Count : 0;
        int k = 0;
        if (bits >= 512 && whole > 0)
        {
            // four rows at a time: four independent chains (each row's operations and order are those of the loop below)
            for (; k + 4 <= n; k += 4)
            {
                ref T r0 = ref Unsafe.Add(ref rr, (nint)k * width);
                Vector512<T> a0 = Vector512<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < whole; i += Vector512<T>.Count)
                {
                    Vector512<T> pi = Vector512.LoadUnsafe(ref pr, (nuint)i), qi = Vector512.LoadUnsafe(ref qr, (nuint)i);
                    a0 = TTerm.Accumulate(a0, Vector512.LoadUnsafe(ref r0, (nuint)i), pi, qi);
                    a1 = TTerm.Accumulate(a1, Vector512.LoadUnsafe(ref r0, (nuint)(i + width)), pi, qi);
                    a2 = TTerm.Accumulate(a2, Vector512.LoadUnsafe(ref r0, (nuint)(i + 2 * width)), pi, qi);
                    a3 = TTerm.Accumulate(a3, Vector512.LoadUnsafe(ref r0, (nuint)(i + 3 * width)), pi, qi);
                }
                sums[k] = Tail<T, TTerm>(Vector512.Sum(a0), ref r0, ref pr, ref qr, whole, width);
                sums[k + 1] = Tail<T, TTerm>(Vector512.Sum(a1), ref Unsafe.Add(ref r0, width), ref pr, ref qr, whole, width);
                sums[k + 2] = Tail<T, TTerm>(Vector512.Sum(a2), ref Unsafe.Add(ref r0, 2 * width), ref pr, ref qr, whole, width);
                sums[k + 3] = Tail<T, TTerm>(Vector512.Sum(a3), ref Unsafe.Add(ref r0, 3 * width), ref pr, ref qr, whole, width);
            }
        }
        for (; k < n; k++)
        {
            ref T rk = ref Unsafe.Add(ref rr, (nint)k * width);
            T sum = T.Zero;
            if (bits >= 512)
            {
                var acc = Vector512<T>.Zero;
                for (int i = 0; i < whole; i += Vector512<T>.Count)
                    acc = TTerm.Accumulate(acc, Vector512.LoadUnsafe(ref rk, (nuint)i), Vector512.LoadUnsafe(ref pr, (nuint)i),
                        Vector512.LoadUnsafe(ref qr, (nuint)i));
                sum = Vector512.Sum(acc);
            }
            else if (bits >= 256)
            {
                var acc = Vector256<T>.Zero;
                for (int i = 0; i < whole; i += Vector256<T>.Count)
                    acc = TTerm.Accumulate(acc, Vector256.LoadUnsafe(ref rk, (nuint)i), Vector256.LoadUnsafe(ref pr, (nuint)i),
                        Vector256.LoadUnsafe(ref qr, (nuint)i));
                sum = Vector256.Sum(acc);
            }
            sums[k] = Tail<T, TTerm>(sum, ref rk, ref pr, ref qr, whole, width);
        }
    }

    /// <summary>The row's entries from <paramref name="whole"/> on added to <paramref name="sum"/> one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tail<T, TTerm>(T sum, ref T rk, ref T pr, ref T qr, int whole, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTerm : IRowTerm<T>
    {
        for (int i = whole; i < width; i++) sum = TTerm.Accumulate(sum, Unsafe.Add(ref rk, i), Unsafe.Add(ref pr, i), Unsafe.Add(ref qr, i));
        return sum;
    }
}
