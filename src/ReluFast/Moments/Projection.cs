using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>Projection of a block of samples onto a few directions: z = U^T x for every sample.</summary>
internal static class Projection
{
    /// <summary>
    /// z_j = U^T x_j for every sample of the block: <paramref name="x"/> is n x d row-major,
    /// <paramref name="u"/> is d x m row-major (column i is the i-th direction), <paramref name="z"/> is n x m.
    /// SIMD (4 samples x up to 4 vectors of outputs per register tile); does not allocate.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match d and m.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Project<T>(ReadOnlySpan<T> x, int dimension, ReadOnlySpan<T> u, int projected, Span<T> z)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(projected);
        int d = dimension, m = projected;
        int n = x.Length / d;
        if (n * d != x.Length) throw new ArgumentException($"x has {x.Length} entries, not a multiple of the dimension {d}.", nameof(x));
        if (u.Length != d * m) throw new ArgumentException($"u must be d x m = {d} x {m} = {d * m} entries, got {u.Length}.", nameof(u));
        if (z.Length != n * m) throw new ArgumentException($"z must be n x m = {n} x {m} = {(long)n * m} entries, got {z.Length}.", nameof(z));
        if (n == 0) return;

        int width = Simd.WidthBits;
        if (width == 256)
        {
            Project256(x, d, u, m, z, n);
            return;
        }
        if (width < 512)
        {
            for (int j = 0; j < n; j++)
            {
                Span<T> zj = z.Slice(j * m, m);
                zj.Clear();
                for (int i = 0; i < d; i++) TensorPrimitives.MultiplyAdd(u.Slice(i * m, m), x[j * d + i], zj, zj);
            }
            return;
        }

        int vl = Vector512<T>.Count;
        if (m < vl && d * m <= NarrowLimit)
        {
            // Fewer outputs than one vector holds: dot products of x_j with the columns of u, each contiguous.
            Span<T> columns = stackalloc T[d * m];
            for (int i = 0; i < d; i++)
                for (int c = 0; c < m; c++) columns[c * d + i] = u[i * m + c];
            for (int j = 0; j < n; j++)
            {
                ReadOnlySpan<T> xj = x.Slice(j * d, d);
                for (int c = 0; c < m; c++) z[j * m + c] = TensorPrimitives.Dot<T>(xj, columns.Slice(c * d, d));
            }
            return;
        }
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T ur = ref MemoryMarshal.GetReference(u);
        ref T zr = ref MemoryMarshal.GetReference(z);
        int row = 0;
        if (m < 4 * vl)
        {
            // narrow outputs: 8 samples x 1 vector keeps 8 accumulators in flight
            for (; row + 8 <= n; row += 8)
            {
                ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
                ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
                int col = 0;
                for (; col + vl <= m; col += vl) Kernel8x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
                for (int r = 0; r < 8; r++) ScalarColumns(x.Slice((row + r) * d, d), u, m, col, z.Slice((row + r) * m, m));
            }
        }
        for (; row + 4 <= n; row += 4)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            int col = 0;
            for (; col + 4 * vl <= m; col += 4 * vl) Kernel4x4(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            for (; col + vl <= m; col += vl) Kernel4x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            for (int r = 0; r < 4; r++) ScalarColumns(x.Slice((row + r) * d, d), u, m, col, z.Slice((row + r) * m, m));
        }
        for (; row < n; row++)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            int col = 0;
            for (; col + vl <= m; col += vl) Kernel1x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            ScalarColumns(x.Slice(row * d, d), u, m, col, z.Slice(row * m, m));
        }
    }

    /// <summary>Largest d x m (elements) transposed on the stack by the narrow path (32 KiB of doubles).</summary>
    private const int NarrowLimit = 4096;

    private static void ScalarColumns<T>(ReadOnlySpan<T> xj, ReadOnlySpan<T> u, int m, int fromColumn, Span<T> zj)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int c = fromColumn; c < m; c++)
        {
            T acc = T.Zero;
            for (int i = 0; i < xj.Length; i++) acc = T.FusedMultiplyAdd(xj[i], u[i * m + c], acc);
            zj[c] = acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4<T>(ref T x, nint d, ref T u, nint m, ref T z)
    {
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
        for (nint i = 0; i < d; i++)
        {
            ref T ui = ref Unsafe.Add(ref u, i * m);
            Vector512<T> u0 = Vector512.LoadUnsafe(ref ui), u1 = Vector512.LoadUnsafe(ref ui, vl), u2 = Vector512.LoadUnsafe(ref ui, 2 * vl),
                u3 = Vector512.LoadUnsafe(ref ui, 3 * vl);
            Vector512<T> t = Vector512.Create(Unsafe.Add(ref x, i));
            a0 = Simd.Fma(t, u0, a0); a1 = Simd.Fma(t, u1, a1); a2 = Simd.Fma(t, u2, a2); a3 = Simd.Fma(t, u3, a3);
            t = Vector512.Create(Unsafe.Add(ref x, d + i));
            b0 = Simd.Fma(t, u0, b0); b1 = Simd.Fma(t, u1, b1); b2 = Simd.Fma(t, u2, b2); b3 = Simd.Fma(t, u3, b3);
            t = Vector512.Create(Unsafe.Add(ref x, 2 * d + i));
            c0 = Simd.Fma(t, u0, c0); c1 = Simd.Fma(t, u1, c1); c2 = Simd.Fma(t, u2, c2); c3 = Simd.Fma(t, u3, c3);
            t = Vector512.Create(Unsafe.Add(ref x, 3 * d + i));
            e0 = Simd.Fma(t, u0, e0); e1 = Simd.Fma(t, u1, e1); e2 = Simd.Fma(t, u2, e2); e3 = Simd.Fma(t, u3, e3);
        }
        a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref z, vl); a2.StoreUnsafe(ref z, 2 * vl); a3.StoreUnsafe(ref z, 3 * vl);
        ref T z1 = ref Unsafe.Add(ref z, m);
        b0.StoreUnsafe(ref z1); b1.StoreUnsafe(ref z1, vl); b2.StoreUnsafe(ref z1, 2 * vl); b3.StoreUnsafe(ref z1, 3 * vl);
        ref T z2 = ref Unsafe.Add(ref z, 2 * m);
        c0.StoreUnsafe(ref z2); c1.StoreUnsafe(ref z2, vl); c2.StoreUnsafe(ref z2, 2 * vl); c3.StoreUnsafe(ref z2, 3 * vl);
        ref T z3 = ref Unsafe.Add(ref z, 3 * m);
        e0.StoreUnsafe(ref z3); e1.StoreUnsafe(ref z3, vl); e2.StoreUnsafe(ref z3, 2 * vl); e3.StoreUnsafe(ref z3, 3 * vl);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x1<T>(ref T x, nint d, ref T u, nint m, ref T z)
    {
        Vector512<T> a = default, b = default, c = default, e = default;
        for (nint i = 0; i < d; i++)
        {
            Vector512<T> ui = Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
            a = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), ui, a);
            b = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, d + i)), ui, b);
            c = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 2 * d + i)), ui, c);
            e = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 3 * d + i)), ui, e);
        }
        a.StoreUnsafe(ref z); b.StoreUnsafe(ref Unsafe.Add(ref z, m));
        c.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); e.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x1<T>(ref T x, nint d, ref T u, nint m, ref T z)
    {
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (nint i = 0; i < d; i++)
        {
            Vector512<T> ui = Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
            a0 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), ui, a0);
            a1 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, d + i)), ui, a1);
            a2 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 2 * d + i)), ui, a2);
            a3 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 3 * d + i)), ui, a3);
            a4 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 4 * d + i)), ui, a4);
            a5 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 5 * d + i)), ui, a5);
            a6 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 6 * d + i)), ui, a6);
            a7 = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, 7 * d + i)), ui, a7);
        }
        a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref Unsafe.Add(ref z, m));
        a2.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); a3.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
        a4.StoreUnsafe(ref Unsafe.Add(ref z, 4 * m)); a5.StoreUnsafe(ref Unsafe.Add(ref z, 5 * m));
        a6.StoreUnsafe(ref Unsafe.Add(ref z, 6 * m)); a7.StoreUnsafe(ref Unsafe.Add(ref z, 7 * m));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1x1<T>(ref T x, nint d, ref T u, nint m, ref T z)
    {
        Vector512<T> a = default;
        for (nint i = 0; i < d; i++)
            a = Simd.Fma(Vector512.Create(Unsafe.Add(ref x, i)), Vector512.LoadUnsafe(ref Unsafe.Add(ref u, i * m)), a);
        a.StoreUnsafe(ref z);
    }

    /// <summary>
    /// The 256-bit path (AVX2 machines): the tiles of the 512-bit path with vectors of half the width. Every z_jc is the same
    /// chain of FMAs over i = 0 .. d - 1 as on the 512-bit path and in <see cref="ScalarColumns"/>, so the value does not depend
    /// on the width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Project256<T>(ReadOnlySpan<T> x, int d, ReadOnlySpan<T> u, int m, Span<T> z, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = Vector256<T>.Count;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T ur = ref MemoryMarshal.GetReference(u);
        ref T zr = ref MemoryMarshal.GetReference(z);
        int row = 0;
        if (m < 4 * vl)
        {
            for (; row + 8 <= n; row += 8)
            {
                ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
                ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
                int col = 0;
                for (; col + vl <= m; col += vl) Kernel256x8x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
                if (col < m)
                    for (int r = 0; r < 8; r++) ScalarColumns(x.Slice((row + r) * d, d), u, m, col, z.Slice((row + r) * m, m));
            }
        }
        for (; row + 4 <= n; row += 4)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            int col = 0;
            for (; col + 4 * vl <= m; col += 4 * vl) Kernel256x4x4(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            for (; col + vl <= m; col += vl) Kernel256x8x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col), 4);
            if (col < m)
                for (int r = 0; r < 4; r++) ScalarColumns(x.Slice((row + r) * d, d), u, m, col, z.Slice((row + r) * m, m));
        }
        for (; row < n; row++)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            int col = 0;
            for (; col + vl <= m; col += vl) Kernel256x8x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col), 1);
            ScalarColumns(x.Slice(row * d, d), u, m, col, z.Slice(row * m, m));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x4x4<T>(ref T x, nint d, ref T u, nint m, ref T z)
    {
        nuint vl = (nuint)Vector256<T>.Count;
        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<T> c0 = default, c1 = default, c2 = default, c3 = default, e0 = default, e1 = default, e2 = default, e3 = default;
        for (nint i = 0; i < d; i++)
        {
            ref T ui = ref Unsafe.Add(ref u, i * m);
            Vector256<T> u0 = Vector256.LoadUnsafe(ref ui), u1 = Vector256.LoadUnsafe(ref ui, vl), u2 = Vector256.LoadUnsafe(ref ui, 2 * vl),
                u3 = Vector256.LoadUnsafe(ref ui, 3 * vl);
            Vector256<T> t = Vector256.Create(Unsafe.Add(ref x, i));
            a0 = Simd.Fma(t, u0, a0); a1 = Simd.Fma(t, u1, a1); a2 = Simd.Fma(t, u2, a2); a3 = Simd.Fma(t, u3, a3);
            t = Vector256.Create(Unsafe.Add(ref x, d + i));
            b0 = Simd.Fma(t, u0, b0); b1 = Simd.Fma(t, u1, b1); b2 = Simd.Fma(t, u2, b2); b3 = Simd.Fma(t, u3, b3);
            t = Vector256.Create(Unsafe.Add(ref x, 2 * d + i));
            c0 = Simd.Fma(t, u0, c0); c1 = Simd.Fma(t, u1, c1); c2 = Simd.Fma(t, u2, c2); c3 = Simd.Fma(t, u3, c3);
            t = Vector256.Create(Unsafe.Add(ref x, 3 * d + i));
            e0 = Simd.Fma(t, u0, e0); e1 = Simd.Fma(t, u1, e1); e2 = Simd.Fma(t, u2, e2); e3 = Simd.Fma(t, u3, e3);
        }
        a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref z, vl); a2.StoreUnsafe(ref z, 2 * vl); a3.StoreUnsafe(ref z, 3 * vl);
        ref T z1 = ref Unsafe.Add(ref z, m);
        b0.StoreUnsafe(ref z1); b1.StoreUnsafe(ref z1, vl); b2.StoreUnsafe(ref z1, 2 * vl); b3.StoreUnsafe(ref z1, 3 * vl);
        ref T z2 = ref Unsafe.Add(ref z, 2 * m);
        c0.StoreUnsafe(ref z2); c1.StoreUnsafe(ref z2, vl); c2.StoreUnsafe(ref z2, 2 * vl); c3.StoreUnsafe(ref z2, 3 * vl);
        ref T z3 = ref Unsafe.Add(ref z, 3 * m);
        e0.StoreUnsafe(ref z3); e1.StoreUnsafe(ref z3, vl); e2.StoreUnsafe(ref z3, 2 * vl); e3.StoreUnsafe(ref z3, 3 * vl);
    }

    /// <summary>One vector of outputs for <paramref name="rows"/> (1, 4 or 8) consecutive samples; the unused accumulators cost
    /// FMAs but no loads or stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x8x1<T>(ref T x, nint d, ref T u, nint m, ref T z, int rows = 8)
    {
        if (rows == 1)
        {
            Vector256<T> a = default;
            for (nint i = 0; i < d; i++)
                a = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m)), a);
            a.StoreUnsafe(ref z);
            return;
        }
        if (rows == 4)
        {
            Vector256<T> a = default, b = default, c = default, e = default;
            for (nint i = 0; i < d; i++)
            {
                Vector256<T> ui = Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
                a = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), ui, a);
                b = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, d + i)), ui, b);
                c = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 2 * d + i)), ui, c);
                e = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 3 * d + i)), ui, e);
            }
            a.StoreUnsafe(ref z); b.StoreUnsafe(ref Unsafe.Add(ref z, m));
            c.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); e.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
            return;
        }
        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (nint i = 0; i < d; i++)
        {
            Vector256<T> ui = Vector256.LoadUnsafe(ref Unsafe.Add(ref u, i * m));
            a0 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, i)), ui, a0);
            a1 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, d + i)), ui, a1);
            a2 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 2 * d + i)), ui, a2);
            a3 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 3 * d + i)), ui, a3);
            a4 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 4 * d + i)), ui, a4);
            a5 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 5 * d + i)), ui, a5);
            a6 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 6 * d + i)), ui, a6);
            a7 = Simd.Fma(Vector256.Create(Unsafe.Add(ref x, 7 * d + i)), ui, a7);
        }
        a0.StoreUnsafe(ref z); a1.StoreUnsafe(ref Unsafe.Add(ref z, m));
        a2.StoreUnsafe(ref Unsafe.Add(ref z, 2 * m)); a3.StoreUnsafe(ref Unsafe.Add(ref z, 3 * m));
        a4.StoreUnsafe(ref Unsafe.Add(ref z, 4 * m)); a5.StoreUnsafe(ref Unsafe.Add(ref z, 5 * m));
        a6.StoreUnsafe(ref Unsafe.Add(ref z, 6 * m)); a7.StoreUnsafe(ref Unsafe.Add(ref z, 7 * m));
    }
}
