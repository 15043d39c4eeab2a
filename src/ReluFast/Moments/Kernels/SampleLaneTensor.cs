using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The symmetric 3-tensors sum c_l z_i z_j z_k (i &lt;= j &lt;= k) of L weights over one tile of samples held feature by feature,
/// the samples along the vector lanes, and on request the sums of degree 0 to 2 (c_l, c_l z_i, c_l z_i z_j), with no operand
/// written to memory: every multiply-add is a wanted entry, and its operands are the tile's own vectors or one product away from
/// them (docs/passes.md, "The 3-tensors on the sample lanes without their operands").
/// </summary>
/// <remarks>
/// <para>Slab by slab: for the middle index j the wanted entries are c_l z_j z_x z_r for x on one side of j and r on the other
/// (i &lt;= j &lt;= k), a product of the vectors u_l = c_l (z_j z_x) and the raw z_r. The raw side is the longer of [0, j] and
/// [j, m), so a register tile of up to 3 weights (4 with width 6) times up to 8 raw features takes 1 + rows multiplies a step for
/// rows x width multiply-adds: at m = 16 and three weights 2448 multiply-adds (the unique sums, none wasted) and 576 multiplies a
/// sample. Building the operands into memory first (the GEMM this replaced) took one store a row or column and their rows' and
/// columns' waste where register tiles straddle the triangle. The lower degrees are the same tiles with the constant vector in
/// place of z_j z_x's factors: c_l 1 1 z_r, then c_l (z_a 1) z_b for b &gt;= a.</para>
/// <para>Layout: a step is one vector of VL samples; its vectors z_0 .. z_(m-1), then c_0 .. c_(L-1), then (for the lower degrees)
/// a vector of ones, are consecutive, and steps are <c>stepVectors</c> vectors apart. Lanes past the samples hold zeros in z and
/// the weights.</para>
/// <para>Each entry's sum over the tile is a sum per lane, then across the lanes by <see cref="LaneSums"/>, in T; the double sums
/// add one such sum per tile. Only for 512-bit vectors (<see cref="Supported"/>).</para>
/// </remarks>
internal static class SampleLaneTensor
{
    /// <summary>Whether this thread's kernels take 512-bit vectors, the only width this layout is written for.</summary>
    public static bool Supported => Simd.WidthBits >= 512 && Avx512F.IsSupported;

    /// <summary>
    /// One register tile: the step's vectors Pivot and Other (z_j and z_x, or the constant), weights [Weight, Weight + Rows) and the
    /// raw vectors [Raw, Raw + Width); entry (l, r) goes to Target + (l - Weight) WeightStride + (r - Raw) RawStride of the sums.
    /// </summary>
    internal readonly record struct Tile(int Pivot, int Other, int Raw, int Width, int Weight, int Rows, int Target, int WeightStride,
        int RawStride);

    /// <summary>Widest register tile for a number of weight rows (up to 24 accumulators).</summary>
    private static int MaxWidth(int rows) => rows == 4 ? 6 : 8;

    /// <summary>
    /// The register tiles for z in R^m and <paramref name="weightCount"/> weights; <paramref name="entry"/>(l, a, b, c) is the sum's
    /// index of weight l's entry a &lt;= b &lt;= c, linear in l and in each index along a tile. With <paramref name="lower"/> the sums
    /// of degree 0 to 2 too: lower(l, a, b) is the index of the sum of c_l z_a z_b for a &lt;= b &lt;= m, m standing for the constant
    /// 1 (c_l z_a at (a, m), c_l at (m, m)), which is the step's vector m + L (<see cref="Constant"/>).
    /// </summary>
    public static Tile[] Plan(int m, int weightCount, Func<int, int, int, int, int> entry, Func<int, int, int, int>? lower = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        // weights by groups of three (one of four where there are four)
        var groups = new List<(int Start, int Rows)>();
        for (int l = 0; l < weightCount; l += groups[^1].Rows) groups.Add((l, weightCount == 4 ? 4 : Math.Min(3, weightCount - l)));
        var tiles = new List<Tile>();
        int one = Constant(m, weightCount);
        void Add(int pivot, int other, int rawStart, int rawLength, int rawVector, Func<int, int, int> index)
        {
            foreach ((int l0, int rows) in groups)
            {
                int pieces = (rawLength + MaxWidth(rows) - 1) / MaxWidth(rows);
                for (int p = 0, r0 = rawStart; p < pieces; p++)
                {
                    int width = (rawLength - (r0 - rawStart) + (pieces - p) - 1) / (pieces - p);
                    int target = index(l0, r0);
                    int weightStride = rows > 1 ? index(l0 + 1, r0) - target : 0, rawStride = width > 1 ? index(l0, r0 + 1) - target : 0;
                    for (int l = l0; l < l0 + rows; l++)
                        for (int r = r0; r < r0 + width; r++)
                            if (index(l, r) != target + (l - l0) * weightStride + (r - r0) * rawStride)
                                throw new ArgumentException("The entries' indices are not linear along a tile.", nameof(entry));
                    tiles.Add(new Tile(pivot, other, rawVector < 0 ? r0 : rawVector, width, l0, rows, target, weightStride, rawStride));
                    r0 += width;
                }
            }
        }
        if (lower is not null)
        {
            Add(one, one, m, 1, one, (l, _) => lower(l, m, m)); // c_l
            Add(one, one, 0, m, -1, (l, a) => lower(l, a, m)); // c_l z_a
            for (int a = 0; a < m; a++) Add(a, one, a, m - a, -1, (l, b) => lower(l, a, b)); // c_l z_a z_b, b >= a
        }
        for (int j = 0; j < m; j++)
        {
            bool rawAbove = m - j >= j + 1; // the raw side is k in [j, m), else i in [0, j]
            int rawStart = rawAbove ? j : 0, rawLength = rawAbove ? m - j : j + 1;
            int otherStart = rawAbove ? 0 : j, otherLength = rawAbove ? j + 1 : m - j;
            for (int x = otherStart; x < otherStart + otherLength; x++)
                Add(j, x, rawStart, rawLength, -1, (l, r) => rawAbove ? entry(l, x, j, r) : entry(l, r, j, x));
        }
        return [.. tiles];
    }

    /// <summary>The step's vector of ones for the sums of degree 0 to 2: after z's m and the weights.</summary>
    public static int Constant(int m, int weightCount) => m + weightCount;

    /// <summary>
    /// Adds each tile's entries over the first <paramref name="steps"/> steps of <paramref name="tile"/> (steps
    /// <paramref name="stepVectors"/> vectors apart, z_0 .. z_(m-1) then the weights, m = <paramref name="m"/>) to
    /// <paramref name="sums"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> tile, int m, int stepVectors, int steps, ReadOnlySpan<Tile> tiles, Span<double> sums)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!Supported) throw new InvalidOperationException("The sample-lane kernels need 512-bit vectors.");
        if (steps <= 0) return;
        int vl = Vector512<T>.Count;
        if (tile.Length < (long)steps * stepVectors * vl) throw new ArgumentException("The tile is too short.", nameof(tile));
        ref T t0 = ref MemoryMarshal.GetReference(tile);
        ref double s0 = ref MemoryMarshal.GetReference(sums);
        nint step = (nint)stepVectors * vl;
        foreach (Tile t in tiles)
        {
            if (t.Rows is < 1 or > 4 || t.Width < 1 || t.Width > MaxWidth(t.Rows) || Math.Min(t.Pivot, Math.Min(t.Other, t.Raw)) < 0
                || Math.Max(t.Pivot, Math.Max(t.Other, t.Raw + t.Width - 1)) >= stepVectors || t.Weight < 0 || m + t.Weight + t.Rows > stepVectors)
                throw new ArgumentException("A tile's vectors or weights lie outside a step.", nameof(tiles));
            long down = (long)(t.Rows - 1) * t.WeightStride, across = (long)(t.Width - 1) * t.RawStride;
            if (t.Target + Math.Min(down, 0) + Math.Min(across, 0) < 0 || t.Target + Math.Max(down, 0) + Math.Max(across, 0) >= sums.Length)
                throw new ArgumentException("A tile's entries lie outside the sums.", nameof(tiles));
            ref double target = ref Unsafe.Add(ref s0, t.Target);
            nint pivot = (nint)t.Pivot * vl, other = (nint)t.Other * vl, raw = (nint)t.Raw * vl, weight = (nint)(m + t.Weight) * vl;
            switch (t.Rows)
            {
                case 1: ByWidth<T, Count1>(t.Width, ref t0, step, steps, pivot, other, raw, weight, ref target, t.WeightStride, t.RawStride); break;
                case 2: ByWidth<T, Count2>(t.Width, ref t0, step, steps, pivot, other, raw, weight, ref target, t.WeightStride, t.RawStride); break;
                case 3: ByWidth<T, Count3>(t.Width, ref t0, step, steps, pivot, other, raw, weight, ref target, t.WeightStride, t.RawStride); break;
                default: ByWidth<T, Count4>(t.Width, ref t0, step, steps, pivot, other, raw, weight, ref target, t.WeightStride, t.RawStride); break;
            }
        }
    }

    private static void ByWidth<T, TR>(int width, ref T t0, nint step, int steps, nint pivot, nint other, nint raw, nint weight,
        ref double target, nint weightStride, nint rawStride) where T : unmanaged, IBinaryFloatingPointIeee754<T> where TR : ICount
    {
        switch (width)
        {
            case 1: Kernel<T, TR, Count1>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 2: Kernel<T, TR, Count2>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 3: Kernel<T, TR, Count3>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 4: Kernel<T, TR, Count4>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 5: Kernel<T, TR, Count5>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 6: Kernel<T, TR, Count6>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            case 7: Kernel<T, TR, Count7>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
            default: Kernel<T, TR, Count8>(ref t0, step, steps, pivot, other, raw, weight, ref target, weightStride, rawStride); break;
        }
    }

    /// <summary>
    /// One register tile over the steps: u_l = c_l (z_pivot z_other) for its rows, then each raw z_r times every u_l. Up to 4 x 6
    /// or 3 x 8 accumulators, the operands in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<T, TR, TW>(ref T t, nint step, int steps, nint pivot, nint other, nint raw, nint weight, ref double target,
        nint weightStride, nint rawStride) where T : unmanaged, IBinaryFloatingPointIeee754<T> where TR : ICount where TW : ICount
    {
        int rows = TR.Count, w = TW.Count;
        nuint vl = (nuint)Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default, c26 = default, c27 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        ref T z = ref Unsafe.Add(ref t, raw);
        for (int s = 0; s < steps; s++)
        {
            Vector512<T> pair = Vector512.LoadUnsafe(ref t, (nuint)pivot) * Vector512.LoadUnsafe(ref t, (nuint)other);
            Vector512<T> u0 = Vector512.LoadUnsafe(ref t, (nuint)weight) * pair, u1 = default, u2 = default, u3 = default, y;
            if (rows > 1) u1 = Vector512.LoadUnsafe(ref t, (nuint)weight + vl) * pair;
            if (rows > 2) u2 = Vector512.LoadUnsafe(ref t, (nuint)weight + 2 * vl) * pair;
            if (rows > 3) u3 = Vector512.LoadUnsafe(ref t, (nuint)weight + 3 * vl) * pair;
            y = Vector512.LoadUnsafe(ref z);
            c00 = Simd.Fma(u0, y, c00);
            if (rows > 1) c10 = Simd.Fma(u1, y, c10);
            if (rows > 2) c20 = Simd.Fma(u2, y, c20);
            if (rows > 3) c30 = Simd.Fma(u3, y, c30);
            if (w > 1)
            {
                y = Vector512.LoadUnsafe(ref z, vl);
                c01 = Simd.Fma(u0, y, c01);
                if (rows > 1) c11 = Simd.Fma(u1, y, c11);
                if (rows > 2) c21 = Simd.Fma(u2, y, c21);
                if (rows > 3) c31 = Simd.Fma(u3, y, c31);
            }
            if (w > 2)
            {
                y = Vector512.LoadUnsafe(ref z, 2 * vl);
                c02 = Simd.Fma(u0, y, c02);
                if (rows > 1) c12 = Simd.Fma(u1, y, c12);
                if (rows > 2) c22 = Simd.Fma(u2, y, c22);
                if (rows > 3) c32 = Simd.Fma(u3, y, c32);
            }
            if (w > 3)
            {
                y = Vector512.LoadUnsafe(ref z, 3 * vl);
                c03 = Simd.Fma(u0, y, c03);
                if (rows > 1) c13 = Simd.Fma(u1, y, c13);
                if (rows > 2) c23 = Simd.Fma(u2, y, c23);
                if (rows > 3) c33 = Simd.Fma(u3, y, c33);
            }
            if (w > 4)
            {
                y = Vector512.LoadUnsafe(ref z, 4 * vl);
                c04 = Simd.Fma(u0, y, c04);
                if (rows > 1) c14 = Simd.Fma(u1, y, c14);
                if (rows > 2) c24 = Simd.Fma(u2, y, c24);
                if (rows > 3) c34 = Simd.Fma(u3, y, c34);
            }
            if (w > 5)
            {
                y = Vector512.LoadUnsafe(ref z, 5 * vl);
                c05 = Simd.Fma(u0, y, c05);
                if (rows > 1) c15 = Simd.Fma(u1, y, c15);
                if (rows > 2) c25 = Simd.Fma(u2, y, c25);
                if (rows > 3) c35 = Simd.Fma(u3, y, c35);
            }
            if (w > 6)
            {
                y = Vector512.LoadUnsafe(ref z, 6 * vl);
                c06 = Simd.Fma(u0, y, c06);
                if (rows > 1) c16 = Simd.Fma(u1, y, c16);
                if (rows > 2) c26 = Simd.Fma(u2, y, c26);
            }
            if (w > 7)
            {
                y = Vector512.LoadUnsafe(ref z, 7 * vl);
                c07 = Simd.Fma(u0, y, c07);
                if (rows > 1) c17 = Simd.Fma(u1, y, c17);
                if (rows > 2) c27 = Simd.Fma(u2, y, c27);
            }
            t = ref Unsafe.Add(ref t, step);
            z = ref Unsafe.Add(ref z, step);
        }
        LaneSums.Add<T, TW>(ref target, rawStride, c00, c01, c02, c03, c04, c05, c06, c07);
        if (rows > 1) LaneSums.Add<T, TW>(ref Unsafe.Add(ref target, weightStride), rawStride, c10, c11, c12, c13, c14, c15, c16, c17);
        if (rows > 2) LaneSums.Add<T, TW>(ref Unsafe.Add(ref target, 2 * weightStride), rawStride, c20, c21, c22, c23, c24, c25, c26, c27);
        if (rows > 3)
        {
            LaneSums.Add<T, TW>(ref Unsafe.Add(ref target, 3 * weightStride), rawStride, c30, c31, c32, c33, c34, c35, default,
                default);
        }
    }
}
