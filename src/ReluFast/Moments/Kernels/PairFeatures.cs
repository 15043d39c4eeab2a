using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The pair features of the projected 3-tensor: P[k, p(i, j)] = s_kj z_ki for i &lt;= j, in j-major order
/// p(i, j) = j (j + 1) / 2 + i, where s_kj is read from the second operand: z itself for the plain products
/// z_ki z_kj (the accumulator then applies the sample weights inside the kernel), or a weighted copy c o z.
/// Segment j is the vector s_kj z_k[0..j], written with whole vectors that may run into segment j + 1
/// (overwritten next).
/// </summary>
internal static class PairFeatures
{
    /// <summary>Number of pairs i &lt;= j &lt; m.</summary>
    public static int Count(int m) => m * (m + 1) / 2;

    /// <summary>
    /// Fills rows k &lt; samples of <paramref name="pairs"/> (row stride <paramref name="pairStride"/> &gt;= Count(m) + one
    /// 512-bit vector) from z (row stride <paramref name="zStride"/>; each row readable one vector past m) and the
    /// weighted copy cz = c o z.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Build<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> cz, int zStride, int m, int samples, Span<T> pairs, int pairStride)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (samples <= 0) return;
        if (pairStride < Count(m) + Vector512<T>.Count || pairs.Length < (long)samples * pairStride
            || z.Length < (long)(samples - 1) * zStride + m + Vector512<T>.Count || cz.Length < (long)(samples - 1) * zStride + m)
            throw new ArgumentException("Buffers too short for the pair features.");
        int width = Simd.WidthBits;
        ref T zr = ref MemoryMarshal.GetReference(z);
        ref T pr = ref MemoryMarshal.GetReference(pairs);
        for (int k = 0; k < samples; k++)
        {
            ref T zk = ref Unsafe.Add(ref zr, (nint)k * zStride);
            ref T pk = ref Unsafe.Add(ref pr, (nint)k * pairStride);
            ReadOnlySpan<T> czk = cz.Slice(k * zStride, m);
            int segment = 0;
            for (int j = 0; j < m; j++)
            {
                Simd.ScaleInto(width, ref zk, j + 1, czk[j], ref Unsafe.Add(ref pk, segment));
                segment += j + 1;
            }
        }
    }

    /// <summary>columnSums[p] = sum over k &lt; samples of pairs[k, p] for p &lt; columns (a multiple of the vector width).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ColumnSums<T>(ReadOnlySpan<T> pairs, int pairStride, int samples, int columns, Span<T> columnSums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        columnSums[..columns].Clear();
        for (int k = 0; k < samples; k++)
            System.Numerics.Tensors.TensorPrimitives.Add(columnSums[..columns], pairs.Slice(k * pairStride, columns), columnSums[..columns]);
    }
}
