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
        if (width < 256)
        {
            for (int j = 0; j < n; j++)
            {
                Span<T> zj = z.Slice(j * m, m);
                zj.Clear();
                for (int i = 0; i < d; i++) TensorPrimitives.MultiplyAdd(u.Slice(i * m, m), x[j * d + i], zj, zj);
            }
            return;
        }
        if (width >= 512) Run<T, Tiles512<T>>(x, d, u, m, z, n);
        else Run<T, Tiles256<T>>(x, d, u, m, z, n);
    }

    /// <summary>
    /// dots_j = &lt;z_j, g&gt; for every sample of the block (z is n x m row-major, g has m entries): one register reduction per
    /// sample (<see cref="RowSums"/>), for a single direction, where <see cref="Project{T}"/> would take one dot product call per
    /// sample.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match m.</exception>
    public static void Dots<T>(ReadOnlySpan<T> z, int dimension, ReadOnlySpan<T> g, Span<T> dots)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (g.Length != dimension) throw new ArgumentException($"g needs {dimension} entries, got {g.Length}.", nameof(g));
        if (z.Length != (long)dots.Length * dimension)
            throw new ArgumentException($"z has {z.Length} entries but {dots.Length} samples of dimension {dimension} need " +
                $"{(long)dots.Length * dimension}.", nameof(z));
        RowSums.Run<T, LinearFormTerm<T>>(z, dimension, g, default, dots);
    }

    /// <summary>The columns of a dimension x count row-major matrix as rows (count x dimension): the layout of <see cref="WeightedDots"/>.</summary>
    public static T[] ColumnsAsRows<T>(ReadOnlySpan<T> columns, int dimension, int count) where T : unmanaged
    {
        if (columns.Length != dimension * count)
            throw new ArgumentException($"Expected {dimension} x {count} = {dimension * count} entries, got {columns.Length}.", nameof(columns));
        var rows = new T[count * dimension];
        for (int i = 0; i < dimension; i++)
            for (int r = 0; r < count; r++) rows[r * dimension + i] = columns[i * count + r];
        return rows;
    }

    /// <summary>
    /// The weights of the higher-order passes: weights[r n + j] = c_j &lt;z_j, g_r&gt; for every direction g_r (the rows of
    /// <paramref name="directionRows"/>, count x dimension) and sample j &lt; n = c.Length, one <see cref="Dots"/> per direction.
    /// </summary>
    public static void WeightedDots<T>(ReadOnlySpan<T> z, int dimension, ReadOnlySpan<T> directionRows, ReadOnlySpan<T> c, Span<T> weights)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = c.Length, count = directionRows.Length / dimension;
        if (weights.Length < (long)count * n) throw new ArgumentException($"weights needs {(long)count * n} entries.", nameof(weights));
        for (int r = 0; r < count; r++)
        {
            Span<T> weight = weights.Slice(r * n, n);
            Dots(z, dimension, directionRows.Slice(r * dimension, dimension), weight);
            TensorPrimitives.Multiply<T>(weight, c, weight);
        }
    }

    /// <summary>
    /// The one driver of both widths: register tiles of <typeparamref name="TTiles"/> over the samples, the columns past the last
    /// whole vector through the same tiles on a zero-padded copy of their part of u (scalar FMA chains where that copy would not
    /// fit the stack). Every tile computes z_jc as the chain of FMAs over i = 0 .. d - 1, as <see cref="ScalarColumns"/> does, so
    /// the value does not depend on the width (except the 512-bit narrow path's dot products, taken for few outputs of long rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TTiles>(ReadOnlySpan<T> x, int d, ReadOnlySpan<T> u, int m, Span<T> z, int n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTiles : IProjectionTiles<T>
    {
        int vl = TTiles.Lanes;
        if (TTiles.NarrowDots && m < vl && d * m <= NarrowLimit && d >= NarrowDotsPerOutput * vl * m)
        {
            // Fewer outputs than one vector holds and long rows: dot products of x_j with the columns of u, each contiguous.
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
        // The columns past the last whole vector go through the same tiles on a zero-padded copy of their part of u (a scalar FMA
        // chain per sample and column costs d FMA latencies: at m = 10, d = 20 it took most of a teacher's evaluation).
        int full = m - m % vl, tail = m - full;
        bool padded = tail > 0 && d * vl <= NarrowLimit;
        Span<T> tailU = padded ? stackalloc T[d * vl] : default, tailZ = padded ? stackalloc T[8 * vl] : default;
        if (padded)
        {
            tailU.Clear();
            for (int i = 0; i < d; i++) u.Slice(i * m + full, tail).CopyTo(tailU.Slice(i * vl, tail));
        }
        int row = 0;
        if (m < 4 * vl)
        {
            // narrow outputs: 8 samples x 2 vectors (16 accumulators in flight, each broadcast of x feeds two FMAs), then 8 x 1
            for (; row + 8 <= n; row += 8)
            {
                ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
                ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
                int col = 0;
                for (; col + 2 * vl <= full; col += 2 * vl)
                    TTiles.Tile8x2(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
                for (; col < full; col += vl) TTiles.Tile8x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
                TailColumns<T, TTiles>(x, d, u, m, z, row, 8, full, tailU, tailZ);
            }
        }
        for (; row + 4 <= n; row += 4)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            int col = 0;
            for (; col + 4 * vl <= m; col += 4 * vl) TTiles.Tile4x4(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            for (; col + vl <= m; col += vl) TTiles.Tile4x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            TailColumns<T, TTiles>(x, d, u, m, z, row, 4, full, tailU, tailZ);
        }
        for (; row < n; row++)
        {
            ref T x0 = ref Unsafe.Add(ref xr, (nint)row * d);
            ref T z0 = ref Unsafe.Add(ref zr, (nint)row * m);
            for (int col = 0; col < full; col += vl) TTiles.Tile1x1(ref x0, d, ref Unsafe.Add(ref ur, col), m, ref Unsafe.Add(ref z0, col));
            TailColumns<T, TTiles>(x, d, u, m, z, row, 1, full, tailU, tailZ);
        }
    }

    /// <summary>
    /// Columns full .. m - 1 of <paramref name="rows"/> (8, 4 or 1) samples from <paramref name="row"/> on: the tile of that height on
    /// the padded copy <paramref name="tailU"/> (d x VL, scratch <paramref name="tailZ"/>), or scalar FMA chains when there is no copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailColumns<T, TTiles>(ReadOnlySpan<T> x, int d, ReadOnlySpan<T> u, int m, Span<T> z, int row, int rows, int full,
        Span<T> tailU, Span<T> tailZ) where T : unmanaged, IBinaryFloatingPointIeee754<T> where TTiles : IProjectionTiles<T>
    {
        int tail = m - full, vl = TTiles.Lanes;
        if (tail == 0) return;
        if (tailU.IsEmpty)
        {
            for (int r = 0; r < rows; r++) ScalarColumns(x.Slice((row + r) * d, d), u, m, full, z.Slice((row + r) * m, m));
            return;
        }
        ref T x0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), (nint)row * d);
        ref T tu = ref MemoryMarshal.GetReference(tailU);
        ref T tz = ref MemoryMarshal.GetReference(tailZ);
        if (rows == 8) TTiles.Tile8x1(ref x0, d, ref tu, vl, ref tz);
        else if (rows == 4) TTiles.Tile4x1(ref x0, d, ref tu, vl, ref tz);
        else TTiles.Tile1x1(ref x0, d, ref tu, vl, ref tz);
        for (int r = 0; r < rows; r++) tailZ.Slice(r * vl, tail).CopyTo(z.Slice((row + r) * m + full, tail));
    }

    /// <summary>
    /// The narrow path's dot products pay a call per output (about 10 ns) and the tiles a vector FMA per input coordinate and sample:
    /// below d = 4 m VL the padded tiles are faster (one thread, Zen 4: d = 10, m = 5 6 ns against 34 ns per sample; d = 64, m = 1
    /// 21 ns against 12 ns).
    /// </summary>
    private const int NarrowDotsPerOutput = 4;

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
}
