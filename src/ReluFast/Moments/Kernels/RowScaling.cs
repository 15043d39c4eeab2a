using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Scales the rows of a tile by per-sample weights (the A = c o X side of <see cref="PrefixGemm"/>) and
/// sums the scaled rows on the way (first moments), so both come from one load of each row; or, without a
/// destination, only sums them (when the kernel applies the weights itself).
/// </summary>
internal static class RowScaling
{
    /// <summary>
    /// For k &lt; c.Length: scaled[k*stride + j] = c[k] x[k*strideX + j] (skipped when <paramref name="scaled"/> is
    /// empty) and columnSums[j] = sum_k of that, for j &lt; columns (a multiple of <see cref="Simd.PadUnit{T}"/>).
    /// Returns sum_k c[k] in double.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static double Run<T>(ReadOnlySpan<T> x, int strideX, ReadOnlySpan<T> c, int columns, Span<T> scaled, int stride, Span<T> columnSums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = c.Length;
        double weightSum = 0;
        if (n == 0) { columnSums[..columns].Clear(); return 0; }
        bool storing = !scaled.IsEmpty;
        if (x.Length < (long)(n - 1) * strideX + columns || (storing && scaled.Length < (long)(n - 1) * stride + columns)
            || columnSums.Length < columns)
            throw new ArgumentException("Buffers too short for the tile.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T sr = ref storing ? ref MemoryMarshal.GetReference(scaled) : ref Unsafe.NullRef<T>();
        ref T cr = ref MemoryMarshal.GetReference(c);
        int width = Simd.WidthBits;
        if (width >= 512)
        {
            // sum_k c_k (double, in order) is added up inside the first group's loop: as a loop of its own it was a chain of dependent
            // adds as long as the tile, about as long as the rest of the tile's pass at d = 16
            int vl = Vector512<T>.Count, j = 0;
            bool first = true;
            // groups of 8 vectors: the sums stay in registers and each row segment is read once, in order
            for (; j + 8 * vl <= columns; j += 8 * vl, first = false)
                Group8(ref Unsafe.Add(ref xr, j), strideX, ref cr, n, storing, ref Unsafe.Add(ref sr, j), stride,
                    ref Unsafe.Add(ref MemoryMarshal.GetReference(columnSums), j), first, ref weightSum);
            // fewer than 8 vectors left: 4 and 2 at a time, so that several sums are in flight (one vector's chain of adds waits on
            // the adder's latency every sample: at m = 16 the two columns' chains took 8 cycles a sample and weight)
            for (; j + 4 * vl <= columns; j += 4 * vl, first = false)
                Group4(ref Unsafe.Add(ref xr, j), strideX, ref cr, n, storing, ref Unsafe.Add(ref sr, j), stride,
                    ref Unsafe.Add(ref MemoryMarshal.GetReference(columnSums), j), first, ref weightSum);
            for (; j + 2 * vl <= columns; j += 2 * vl, first = false)
                Group2(ref Unsafe.Add(ref xr, j), strideX, ref cr, n, storing, ref Unsafe.Add(ref sr, j), stride,
                    ref Unsafe.Add(ref MemoryMarshal.GetReference(columnSums), j), first, ref weightSum);
            for (; j < columns; j += vl, first = false)
                Group1(ref Unsafe.Add(ref xr, j), strideX, ref cr, n, storing, ref Unsafe.Add(ref sr, j), stride,
                    ref Unsafe.Add(ref MemoryMarshal.GetReference(columnSums), j), first, ref weightSum);
            if (first)
                for (int k = 0; k < n; k++) weightSum += double.CreateTruncating(c[k]);
            return weightSum;
        }
        for (int k = 0; k < n; k++) weightSum += double.CreateTruncating(c[k]);
        if (width >= 256)
        {
            int vl = Vector256<T>.Count;
            for (int j = 0; j < columns; j += vl)
            {
                Vector256<T> acc = Vector256<T>.Zero;
                for (int k = 0; k < n; k++)
                {
                    Vector256<T> p = Vector256.LoadUnsafe(ref xr, (nuint)((nint)k * strideX + j)) * Unsafe.Add(ref cr, k);
                    if (storing) p.StoreUnsafe(ref sr, (nuint)((nint)k * stride + j));
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
                    if (storing) scaled[k * stride + j] = p;
                    acc += p;
                }
                columnSums[j] = acc;
            }
        }
        return weightSum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group4<T>(ref T x, nint strideX, ref T c, int n, bool storing, ref T scaled, nint stride, ref T sums,
        bool withWeights, ref double weightSum) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default;
        double ws = weightSum;
        for (int k = 0; k < n; k++)
        {
            T c1 = Unsafe.Add(ref c, k);
            if (withWeights) ws += double.CreateTruncating(c1);
            Vector512<T> ck = Vector512.Create(c1);
            Vector512<T> p0 = Vector512.LoadUnsafe(ref x) * ck, p1 = Vector512.LoadUnsafe(ref x, vl) * ck;
            Vector512<T> p2 = Vector512.LoadUnsafe(ref x, 2 * vl) * ck, p3 = Vector512.LoadUnsafe(ref x, 3 * vl) * ck;
            if (storing)
            {
                p0.StoreUnsafe(ref scaled); p1.StoreUnsafe(ref scaled, vl); p2.StoreUnsafe(ref scaled, 2 * vl); p3.StoreUnsafe(ref scaled, 3 * vl);
                scaled = ref Unsafe.Add(ref scaled, stride);
            }
            s0 += p0; s1 += p1; s2 += p2; s3 += p3;
            x = ref Unsafe.Add(ref x, strideX);
        }
        s0.StoreUnsafe(ref sums); s1.StoreUnsafe(ref sums, vl); s2.StoreUnsafe(ref sums, 2 * vl); s3.StoreUnsafe(ref sums, 3 * vl);
        weightSum = ws;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group1<T>(ref T x, nint strideX, ref T c, int n, bool storing, ref T scaled, nint stride, ref T sums,
        bool withWeights, ref double weightSum) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Vector512<T> s0 = default;
        double ws = weightSum;
        for (int k = 0; k < n; k++)
        {
            T c1 = Unsafe.Add(ref c, k);
            if (withWeights) ws += double.CreateTruncating(c1);
            Vector512<T> p0 = Vector512.LoadUnsafe(ref x) * Vector512.Create(c1);
            if (storing)
            {
                p0.StoreUnsafe(ref scaled);
                scaled = ref Unsafe.Add(ref scaled, stride);
            }
            s0 += p0;
            x = ref Unsafe.Add(ref x, strideX);
        }
        s0.StoreUnsafe(ref sums);
        weightSum = ws;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group2<T>(ref T x, nint strideX, ref T c, int n, bool storing, ref T scaled, nint stride, ref T sums,
        bool withWeights, ref double weightSum) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> s0 = default, s1 = default;
        double ws = weightSum;
        for (int k = 0; k < n; k++)
        {
            T c1 = Unsafe.Add(ref c, k);
            if (withWeights) ws += double.CreateTruncating(c1);
            Vector512<T> ck = Vector512.Create(c1);
            Vector512<T> p0 = Vector512.LoadUnsafe(ref x) * ck, p1 = Vector512.LoadUnsafe(ref x, vl) * ck;
            if (storing)
            {
                p0.StoreUnsafe(ref scaled); p1.StoreUnsafe(ref scaled, vl);
                scaled = ref Unsafe.Add(ref scaled, stride);
            }
            s0 += p0; s1 += p1;
            x = ref Unsafe.Add(ref x, strideX);
        }
        s0.StoreUnsafe(ref sums); s1.StoreUnsafe(ref sums, vl);
        weightSum = ws;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group8<T>(ref T x, nint strideX, ref T c, int n, bool storing, ref T scaled, nint stride, ref T sums,
        bool withWeights, ref double weightSum) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        double ws = weightSum;
        for (int k = 0; k < n; k++)
        {
            T c1 = Unsafe.Add(ref c, k);
            if (withWeights) ws += double.CreateTruncating(c1);
            Vector512<T> ck = Vector512.Create(c1);
            Vector512<T> p0 = Vector512.LoadUnsafe(ref x) * ck, p1 = Vector512.LoadUnsafe(ref x, vl) * ck;
            Vector512<T> p2 = Vector512.LoadUnsafe(ref x, 2 * vl) * ck, p3 = Vector512.LoadUnsafe(ref x, 3 * vl) * ck;
            Vector512<T> p4 = Vector512.LoadUnsafe(ref x, 4 * vl) * ck, p5 = Vector512.LoadUnsafe(ref x, 5 * vl) * ck;
            Vector512<T> p6 = Vector512.LoadUnsafe(ref x, 6 * vl) * ck, p7 = Vector512.LoadUnsafe(ref x, 7 * vl) * ck;
            if (storing)
            {
                p0.StoreUnsafe(ref scaled); p1.StoreUnsafe(ref scaled, vl); p2.StoreUnsafe(ref scaled, 2 * vl); p3.StoreUnsafe(ref scaled, 3 * vl);
                p4.StoreUnsafe(ref scaled, 4 * vl); p5.StoreUnsafe(ref scaled, 5 * vl);
                p6.StoreUnsafe(ref scaled, 6 * vl); p7.StoreUnsafe(ref scaled, 7 * vl);
                scaled = ref Unsafe.Add(ref scaled, stride);
            }
            s0 += p0; s1 += p1; s2 += p2; s3 += p3; s4 += p4; s5 += p5; s6 += p6; s7 += p7;
            x = ref Unsafe.Add(ref x, strideX);
        }
        s0.StoreUnsafe(ref sums); s1.StoreUnsafe(ref sums, vl); s2.StoreUnsafe(ref sums, 2 * vl); s3.StoreUnsafe(ref sums, 3 * vl);
        s4.StoreUnsafe(ref sums, 4 * vl); s5.StoreUnsafe(ref sums, 5 * vl); s6.StoreUnsafe(ref sums, 6 * vl); s7.StoreUnsafe(ref sums, 7 * vl);
        weightSum = ws;
    }
}
