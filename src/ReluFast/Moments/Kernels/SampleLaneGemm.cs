using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The transpose of <see cref="PrefixGemm"/>'s layout for small products: C[i, j] += sum_k A[i, k] B[j, k] over one tile of
/// samples held feature by feature, the samples along the vector lanes. Every lane of a multiply-add is a sample, the operands
/// are built with plain vector multiplies (no permutes, no segments), and the columns are cut into chunks where their row needs
/// change (<see cref="Plan"/>), so almost every multiply-add is a wanted entry (docs/passes.md, "The small 3-tensor on the
/// sample lanes").
/// </summary>
/// <remarks>
/// <para>Layout ("blocked by steps"): a step is one vector of VL samples. A is stored in blocks of <see cref="RowBlock"/> rows,
/// B in chunks of up to <see cref="ChunkColumns"/> columns (each chunk's step holds ChunkColumns vectors, the unused ones
/// never read); within a block or chunk the tile's steps follow each other, and within a step its rows or columns. So a kernel
/// reads both operands front to back, and a chunk's operand stays in L1 while the row blocks, in the inner loop, stream past
/// from L2. Offsets come from <see cref="RowOffset"/> and <see cref="ColumnOffset"/>.</para>
/// <para>Register tiles of 4 rows x the chunk's width (up to 24 accumulators; per step 4 + width vector loads).</para>
/// <para>Each entry's sum over the tile is a sum per lane (the samples k = lane mod VL, in order), then across the lanes by a
/// fixed tree, in T; C (double) adds one such sum per tile. Only for 512-bit vectors (<see cref="Supported"/>).</para>
/// </remarks>
internal static class SampleLaneGemm
{
    /// <summary>The widest chunk (the register tile's width).</summary>
    public const int ChunkColumns = 6;

    /// <summary>Rows per register tile: row needs are multiples of it.</summary>
    public const int RowBlock = 4;

    /// <summary>Columns [Start, Start + Width) of B, which need the rows below RowEnd.</summary>
    internal readonly record struct Chunk(int Start, int Width, int RowEnd);

    /// <summary>Whether this thread's kernels take 512-bit vectors, the only width this layout is written for.</summary>
    public static bool Supported => Simd.WidthBits >= 512 && Avx512F.IsSupported;

    /// <summary>
    /// Cuts the columns into chunks of 1 to <see cref="ChunkColumns"/>, column j needing the rows below columnRowEnds[j]
    /// (non-decreasing multiples of <see cref="RowBlock"/>), at the least cost: a chunk computes its last column's rows for all
    /// its columns, a chunk of one column leaves half the multiply-add pipes idle (four chains against their latency), and
    /// every register tile ends with its lanes' sums (about 40 cycles, a step being 2 cycles a column).
    /// </summary>
    public static Chunk[] Plan(ReadOnlySpan<int> columnRowEnds, int tileSteps)
    {
        int n = columnRowEnds.Length;
        var cost = new double[n + 1];
        var width = new int[n + 1];
        for (int e = 1; e <= n; e++)
        {
            int rows = columnRowEnds[e - 1];
            if (rows % RowBlock != 0 || (e > 1 && columnRowEnds[e - 2] > rows))
                throw new ArgumentException("Row ends must be non-decreasing multiples of 4.", nameof(columnRowEnds));
            cost[e] = double.MaxValue;
            for (int w = 1; w <= Math.Min(ChunkColumns, e); w++)
            {
                double c = cost[e - w] + rows / RowBlock * (tileSteps * 2.0 * Math.Max(w, 2) + 40);
                if (c < cost[e]) (cost[e], width[e]) = (c, w);
            }
        }
        var chunks = new List<Chunk>();
        for (int e = n; e > 0; e -= width[e]) chunks.Add(new Chunk(e - width[e], width[e], columnRowEnds[e - 1]));
        chunks.Reverse();
        return [.. chunks];
    }

    /// <summary>Offset of row <paramref name="row"/>'s first step in A, for tiles of <paramref name="tileSteps"/> steps.</summary>
    public static int RowOffset<T>(int row, int tileSteps) =>
        ((row / RowBlock) * BlockVectors(tileSteps * RowBlock) + row % RowBlock) * Vector512<T>.Count;

    /// <summary>Offset of the first step of column <paramref name="index"/> of chunk <paramref name="chunk"/> in B.</summary>
    public static int ColumnOffset<T>(int chunk, int index, int tileSteps) =>
        (chunk * BlockVectors(tileSteps * ChunkColumns) + index) * Vector512<T>.Count;

    /// <summary>
    /// Vectors (cache lines) from one block or chunk to the next: an odd number, so that a step's rows in different blocks fall
    /// in different L1 sets. With blocks of a power-of-two size every store of a step went to one set and evicted the others,
    /// and building the tile took as long as the kernels at m = 8.
    /// </summary>
    private static int BlockVectors(int vectors) => vectors | 1;

    /// <summary>Elements from one step of a row of A to the next.</summary>
    public static int RowStep<T>() => RowBlock * Vector512<T>.Count;

    /// <summary>Elements from one step of a column of B to the next.</summary>
    public static int ColumnStep<T>() => ChunkColumns * Vector512<T>.Count;

    /// <summary>
    /// For each chunk and each row i &lt; min(its RowEnd, <paramref name="rowLimit"/>), each of its columns j:
    /// C[i, j] += sum over the first <paramref name="steps"/> steps' samples of A[i, k] B[j, k], A and B laid out for tiles of
    /// <paramref name="tileSteps"/> steps; C's rows are <paramref name="strideC"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int steps, int tileSteps, ReadOnlySpan<Chunk> chunks, int rowLimit,
        Span<double> c, int strideC) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!Supported) throw new InvalidOperationException("The sample-lane kernels need 512-bit vectors.");
        if (steps <= 0 || chunks.IsEmpty) return;
        if (steps > tileSteps) throw new ArgumentException("More steps than the tile holds.", nameof(steps));
        int rows = Math.Min(chunks[^1].RowEnd, rowLimit), columns = chunks[^1].Start + chunks[^1].Width;
        if (a.Length < RowOffset<T>(chunks[^1].RowEnd, tileSteps)) throw new ArgumentException("A is too short.", nameof(a));
        if (b.Length < ColumnOffset<T>(chunks.Length, 0, tileSteps)) throw new ArgumentException("B is too short.", nameof(b));
        if (rows > 0 && (strideC < columns || c.Length < (long)(rows - 1) * strideC + columns))
            throw new ArgumentException("C is too short.", nameof(c));
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref double c0 = ref MemoryMarshal.GetReference(c);
        for (int q = 0; q < chunks.Length; q++)
        {
            Chunk chunk = chunks[q];
            if (chunk.Width is < 1 or > ChunkColumns || chunk.RowEnd % RowBlock != 0
                || (q > 0 && chunk.Start != chunks[q - 1].Start + chunks[q - 1].Width))
                throw new ArgumentException("Chunks must follow each other, 1 to 6 columns wide, needing whole row blocks.", nameof(chunks));
            int end = Math.Min(chunk.RowEnd, rows);
            ref T bq = ref Unsafe.Add(ref b0, ColumnOffset<T>(q, 0, tileSteps));
            for (int i = 0; i < end; i += RowBlock)
            {
                ref T ai = ref Unsafe.Add(ref a0, RowOffset<T>(i, tileSteps));
                ref double ci = ref Unsafe.Add(ref c0, (nint)i * strideC + chunk.Start);
                int live = Math.Min(RowBlock, end - i);
                switch (chunk.Width)
                {
                    case 1: Kernel4xW<T, Count1>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                    case 2: Kernel4xW<T, Count2>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                    case 3: Kernel4xW<T, Count3>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                    case 4: Kernel4xW<T, Count4>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                    case 5: Kernel4xW<T, Count5>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                    default: Kernel4xW<T, Count6>(ref ai, ref bq, steps, ref ci, strideC, live); break;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4xW<T, TW>(ref T a, ref T b, int steps, ref double c, nint strideC, int rows)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TW : ICount
    {
        nuint vl = (nuint)Vector512<T>.Count;
        int w = TW.Count;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
        for (int s = 0; s < steps; s++)
        {
            Vector512<T> x0 = Vector512.LoadUnsafe(ref a), x1 = Vector512.LoadUnsafe(ref a, vl), x2 = Vector512.LoadUnsafe(ref a, 2 * vl),
                x3 = Vector512.LoadUnsafe(ref a, 3 * vl), y;
            y = Vector512.LoadUnsafe(ref b);
            c00 = Simd.Fma(x0, y, c00); c10 = Simd.Fma(x1, y, c10); c20 = Simd.Fma(x2, y, c20); c30 = Simd.Fma(x3, y, c30);
            if (w > 1)
            {
                y = Vector512.LoadUnsafe(ref b, vl);
                c01 = Simd.Fma(x0, y, c01); c11 = Simd.Fma(x1, y, c11); c21 = Simd.Fma(x2, y, c21); c31 = Simd.Fma(x3, y, c31);
            }
            if (w > 2)
            {
                y = Vector512.LoadUnsafe(ref b, 2 * vl);
                c02 = Simd.Fma(x0, y, c02); c12 = Simd.Fma(x1, y, c12); c22 = Simd.Fma(x2, y, c22); c32 = Simd.Fma(x3, y, c32);
            }
            if (w > 3)
            {
                y = Vector512.LoadUnsafe(ref b, 3 * vl);
                c03 = Simd.Fma(x0, y, c03); c13 = Simd.Fma(x1, y, c13); c23 = Simd.Fma(x2, y, c23); c33 = Simd.Fma(x3, y, c33);
            }
            if (w > 4)
            {
                y = Vector512.LoadUnsafe(ref b, 4 * vl);
                c04 = Simd.Fma(x0, y, c04); c14 = Simd.Fma(x1, y, c14); c24 = Simd.Fma(x2, y, c24); c34 = Simd.Fma(x3, y, c34);
            }
            if (w > 5)
            {
                y = Vector512.LoadUnsafe(ref b, 5 * vl);
                c05 = Simd.Fma(x0, y, c05); c15 = Simd.Fma(x1, y, c15); c25 = Simd.Fma(x2, y, c25); c35 = Simd.Fma(x3, y, c35);
            }
            a = ref Unsafe.Add(ref a, RowBlock * vl);
            b = ref Unsafe.Add(ref b, ChunkColumns * vl);
        }
        LaneSums.Add<T, TW>(ref c, 1, c00, c01, c02, c03, c04, c05, default, default);
        if (rows > 1) LaneSums.Add<T, TW>(ref Unsafe.Add(ref c, strideC), 1, c10, c11, c12, c13, c14, c15, default, default);
        if (rows > 2) LaneSums.Add<T, TW>(ref Unsafe.Add(ref c, 2 * strideC), 1, c20, c21, c22, c23, c24, c25, default, default);
        if (rows > 3) LaneSums.Add<T, TW>(ref Unsafe.Add(ref c, 3 * strideC), 1, c30, c31, c32, c33, c34, c35, default, default);
    }
}
