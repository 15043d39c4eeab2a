using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Weighted column sums of a tile, sum_k c_k x_k (the first moments beside the weighted higher moments), optionally
/// copying the tile into an aligned buffer from the same loads (the copy that <see cref="PrefixGemm"/> then reads).
/// </summary>
internal static class ColumnSums
{
    /// <summary>
    /// sums[j] = sum over k &lt; c.Length of c[k] x[k strideX + j] for j &lt; columns (a multiple of <see cref="Simd.PadUnit{T}"/>);
    /// when <paramref name="copy"/> is not empty, also copy[k copyStride + j] = x[k strideX + j]. Returns sum_k c[k] in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Run<T>(ReadOnlySpan<T> x, int strideX, ReadOnlySpan<T> c, int columns, Span<T> sums, Span<T> copy = default, int copyStride = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = c.Length;
        double weightSum = 0;
        for (int k = 0; k < n; k++) weightSum += double.CreateTruncating(c[k]);
        sums[..columns].Clear();
        if (n == 0) return 0;
        bool copying = !copy.IsEmpty;
        if (x.Length < (long)(n - 1) * strideX + columns || sums.Length < columns || columns % Simd.PadUnit<T>() != 0
            || (copying && (copyStride < columns || copy.Length < (long)(n - 1) * copyStride + columns)))
            throw new ArgumentException("Buffers too short for the tile.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T cr = ref MemoryMarshal.GetReference(c);
        ref T sr = ref MemoryMarshal.GetReference(sums);
        ref T yr = ref copying ? ref MemoryMarshal.GetReference(copy) : ref Unsafe.NullRef<T>();
        int width = Simd.WidthBits;
        if (width >= 512)
        {
            int vl = Vector512<T>.Count, j = 0;
            // groups of 8 vectors: the sums stay in registers and each row segment is read once, in order
            for (; j + 8 * vl <= columns; j += 8 * vl)
                Group8(ref Unsafe.Add(ref xr, j), strideX, ref cr, n, ref Unsafe.Add(ref sr, j), copying, ref Unsafe.Add(ref yr, j), copyStride);
            for (; j < columns; j += vl)
            {
                Vector512<T> acc = Vector512<T>.Zero;
                for (int k = 0; k < n; k++)
                {
                    Vector512<T> v = Vector512.LoadUnsafe(ref xr, (nuint)((nint)k * strideX + j));
                    if (copying) v.StoreUnsafe(ref yr, (nuint)((nint)k * copyStride + j));
                    acc = Simd.Fma(v, Vector512.Create(Unsafe.Add(ref cr, k)), acc);
                }
                acc.StoreUnsafe(ref sr, (nuint)j);
            }
        }
        else if (width >= 256)
        {
            int vl = Vector256<T>.Count;
            for (int j = 0; j < columns; j += vl)
            {
                Vector256<T> acc = Vector256<T>.Zero;
                for (int k = 0; k < n; k++)
                {
                    Vector256<T> v = Vector256.LoadUnsafe(ref xr, (nuint)((nint)k * strideX + j));
                    if (copying) v.StoreUnsafe(ref yr, (nuint)((nint)k * copyStride + j));
                    acc = Simd.Fma(v, Vector256.Create(Unsafe.Add(ref cr, k)), acc);
                }
                acc.StoreUnsafe(ref sr, (nuint)j);
            }
        }
        else
        {
            for (int k = 0; k < n; k++)
            {
                ReadOnlySpan<T> row = x.Slice(k * strideX, columns);
                if (copying) row.CopyTo(copy.Slice(k * copyStride, columns));
                for (int j = 0; j < columns; j++) sums[j] += c[k] * row[j];
            }
        }
        return weightSum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group8<T>(ref T x, nint strideX, ref T c, int n, ref T sums, bool copying, ref T copy, nint copyStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        for (int k = 0; k < n; k++)
        {
            Vector512<T> x0 = Vector512.LoadUnsafe(ref x), x1 = Vector512.LoadUnsafe(ref x, vl), x2 = Vector512.LoadUnsafe(ref x, 2 * vl), x3 = Vector512.LoadUnsafe(ref x, 3 * vl);
            Vector512<T> x4 = Vector512.LoadUnsafe(ref x, 4 * vl), x5 = Vector512.LoadUnsafe(ref x, 5 * vl), x6 = Vector512.LoadUnsafe(ref x, 6 * vl), x7 = Vector512.LoadUnsafe(ref x, 7 * vl);
            if (copying)
            {
                x0.StoreUnsafe(ref copy); x1.StoreUnsafe(ref copy, vl); x2.StoreUnsafe(ref copy, 2 * vl); x3.StoreUnsafe(ref copy, 3 * vl);
                x4.StoreUnsafe(ref copy, 4 * vl); x5.StoreUnsafe(ref copy, 5 * vl); x6.StoreUnsafe(ref copy, 6 * vl); x7.StoreUnsafe(ref copy, 7 * vl);
                copy = ref Unsafe.Add(ref copy, copyStride);
            }
            Vector512<T> ck = Vector512.Create(Unsafe.Add(ref c, k));
            s0 = Simd.Fma(x0, ck, s0); s1 = Simd.Fma(x1, ck, s1); s2 = Simd.Fma(x2, ck, s2); s3 = Simd.Fma(x3, ck, s3);
            s4 = Simd.Fma(x4, ck, s4); s5 = Simd.Fma(x5, ck, s5); s6 = Simd.Fma(x6, ck, s6); s7 = Simd.Fma(x7, ck, s7);
            x = ref Unsafe.Add(ref x, strideX);
        }
        s0.StoreUnsafe(ref sums); s1.StoreUnsafe(ref sums, vl); s2.StoreUnsafe(ref sums, 2 * vl); s3.StoreUnsafe(ref sums, 3 * vl);
        s4.StoreUnsafe(ref sums, 4 * vl); s5.StoreUnsafe(ref sums, 5 * vl); s6.StoreUnsafe(ref sums, 6 * vl); s7.StoreUnsafe(ref sums, 7 * vl);
    }
}
