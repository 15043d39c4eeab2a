using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Scales the rows of a tile by per-sample weights (the A = c o X side of <see cref="PrefixGemm"/>) and
/// sums the scaled rows on the way (first moments), so both come from one load of each row.
/// </summary>
internal static class RowScaling
{
    /// <summary>
    /// For k &lt; c.Length: scaled[k*stride + j] = c[k] x[k*strideX + j] and columnSums[j] = sum_k of that,
    /// for j &lt; columns (a multiple of <see cref="Simd.PadUnit{T}"/>). Returns sum_k c[k] in double.
    /// </summary>
    public static double Run<T>(ReadOnlySpan<T> x, int strideX, ReadOnlySpan<T> c, int columns, Span<T> scaled, int stride, Span<T> columnSums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = c.Length;
        double weightSum = 0;
        for (int k = 0; k < n; k++) weightSum += double.CreateTruncating(c[k]);
        if (n == 0) { columnSums[..columns].Clear(); return 0; }
        if (x.Length < (long)(n - 1) * strideX + columns || scaled.Length < (long)(n - 1) * stride + columns || columnSums.Length < columns)
            throw new ArgumentException("Buffers too short for the tile.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T sr = ref MemoryMarshal.GetReference(scaled);
        ref T cr = ref MemoryMarshal.GetReference(c);
        int width = Simd.WidthBits;
        if (width >= 512)
        {
            int vl = Vector512<T>.Count;
            for (int j = 0; j < columns; j += vl)
            {
                Vector512<T> acc = Vector512<T>.Zero;
                for (int k = 0; k < n; k++)
                {
                    Vector512<T> p = Vector512.LoadUnsafe(ref xr, (nuint)((nint)k * strideX + j)) * Unsafe.Add(ref cr, k);
                    p.StoreUnsafe(ref sr, (nuint)((nint)k * stride + j));
                    acc += p;
                }
                acc.StoreUnsafe(ref MemoryMarshal.GetReference(columnSums), (nuint)j);
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
                    Vector256<T> p = Vector256.LoadUnsafe(ref xr, (nuint)((nint)k * strideX + j)) * Unsafe.Add(ref cr, k);
                    p.StoreUnsafe(ref sr, (nuint)((nint)k * stride + j));
                    acc += p;
                }
                acc.StoreUnsafe(ref MemoryMarshal.GetReference(columnSums), (nuint)j);
            }
        }
        else
        {
            for (int j = 0; j < columns; j++)
            {
                T acc = T.Zero;
                for (int k = 0; k < n; k++)
                {
                    T p = x[k * strideX + j] * c[k];
                    scaled[k * stride + j] = p;
                    acc += p;
                }
                columnSums[j] = acc;
            }
        }
        return weightSum;
    }
}
