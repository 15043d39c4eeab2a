using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The hot path of every moment pass (docs/algorithm.md section 4): C += A^T B over a tile of samples, where
/// row k of A and of B belong to sample k, restricted in each column panel to the rows of C that are needed.
/// Weighted Gram: A = X, B = X with row k times c_k as it is loaded, once per pair of panels where the pair keeps its weighted rows
/// (or A = c o X past 16 panels on vectors narrower than 512 bits), rows up to the panel's last column (the upper triangle plus
/// the part of the diagonal panel below it). Projected 3-tensor: A = the weights and c z_i, B = z, 1 and the pairs z_j z_k grouped
/// by j, rows up to the panel's last group (<see cref="ProjectedTensorAccumulator{T}"/>).
/// </summary>
/// <remarks>
/// Columns come in panels of one 512-bit vector of T (VL columns); rowEnds[v] is the number of rows needed
/// in panel v (non-decreasing, multiples of 4). Panels are taken two at a time: the rows both need go
/// through a register-blocked micro-kernel of 12 rows x 2 vectors (24 accumulators; per sample 2 vector
/// loads of B, 12 broadcasts of A), the rows only the second needs through a 24 x 1 kernel. Partial sums
/// stay in T for one tile of samples and are then added to the double totals in C.
/// </remarks>
internal static unsafe class PrefixGemm
{
    /// <summary>Width of a column panel: one 512-bit vector of T (the padding unit of every stride).</summary>
    public static int PanelWidth<T>() where T : unmanaged => Vector512<T>.Count;

    /// <summary>
    /// Asks for the cache line at <paramref name="p"/> in L2 (x86; nothing elsewhere). A prefetch never faults and reads nothing
    /// the program sees, so a stale address (an array the GC moved) costs one useless fetch, no more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLine(byte* p)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.Prefetch1(p);
    }

    /// <summary>
    /// The caller's next tile (never read), handed to the pair kernels in turn: each call asks for the lines from where the last
    /// one stopped, one a sample, until all are asked for, so that the fetch is spread over this tile's arithmetic.
    /// </summary>
    private struct NextTile
    {
        private byte* _at;
        private int _lines;

        public static NextTile Of<T>(ReadOnlySpan<T> next) where T : unmanaged => new()
        {
            _at = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(next)),
            _lines = (int)(((long)next.Length * sizeof(T) + 63) / 64),
        };

        /// <summary>Where a call over <paramref name="samples"/> samples starts, and how many lines it asks for.</summary>
        public byte* Take(int samples, out int lines)
        {
            lines = Math.Min(samples, _lines);
            byte* at = _at;
            _at += (nint)lines * 64;
            _lines -= lines;
            return at;
        }
    }

    /// <summary>
    /// For each panel v (columns [v VL, (v+1) VL)) and each row i &lt; rowEnds[v]:
    /// C[i, j] += sum over k &lt; samples of A[k, i] w_k B[k, j], with w_k = 1 when <paramref name="weights"/> is empty.
    /// rowEnds must be non-decreasing multiples of 4. <paramref name="next"/> as in <see cref="RunUpperTriangle{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, int samples,
        ReadOnlySpan<int> rowEnds, Span<double> c, int strideC, ReadOnlySpan<T> weights = default, ReadOnlySpan<T> next = default)
        where T : unmanaged
    {
        if (samples <= 0 || rowEnds.IsEmpty) return;
        int w = PanelWidth<T>();
        int columns = rowEnds.Length * w;
        int maxRows = 0, previous = 0;
        foreach (int r in rowEnds)
        {
            if (r < previous || (r & 3) != 0) throw new ArgumentException("Row ends must be non-decreasing multiples of 4.", nameof(rowEnds));
            maxRows = previous = r;
        }
        if (maxRows == 0) return;
        if (strideA < maxRows || a.Length < (long)(samples - 1) * strideA + maxRows) throw new ArgumentException("A is too short.", nameof(a));
        if (strideB < columns || b.Length < (long)(samples - 1) * strideB + columns) throw new ArgumentException("B is too short.", nameof(b));
        if (strideC < columns || c.Length < (long)(maxRows - 1) * strideC + columns) throw new ArgumentException("C is too short.", nameof(c));
        if (weights.IsEmpty)
            Run<T, Unweighted<T>>(a, strideA, b, strideB, ref Unsafe.NullRef<T>(), samples, rowEnds, c, strideC, next);
        else if (weights.Length < samples)
            throw new ArgumentException("Fewer weights than samples.", nameof(weights));
        else
            Run<T, Weighted<T>>(a, strideA, b, strideB, ref MemoryMarshal.GetReference(weights), samples, rowEnds, c, strideC, next);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TWeight>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, ref T wt, int samples,
        ReadOnlySpan<int> rowEnds, Span<double> c, int strideC, ReadOnlySpan<T> next) where T : unmanaged where TWeight : ISampleWeight<T>
    {
        var ahead = NextTile.Of(next); // the 512-bit pair kernels prefetch it (see RunUpperTriangle)
        int w = PanelWidth<T>();
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref double c0 = ref MemoryMarshal.GetReference(c);
        int width = Simd.WidthBits;
        for (int v = 0; v < rowEnds.Length; v += 2)
        {
            int j0 = v * w;
            if (width >= 512)
            {
                int both = v + 1 < rowEnds.Length ? rowEnds[v] : 0;
                PairRows512<T, TWeight>(ref a0, strideA, ref Unsafe.Add(ref b0, j0), strideB, ref wt, samples, 0, both,
                    ref Unsafe.Add(ref c0, j0), strideC, ref ahead);
                // rows only the second panel of the pair needs (or every row of a lone last panel)
                int single = both == 0 ? j0 : j0 + w, end = both == 0 ? rowEnds[v] : rowEnds[v + 1];
                SinglePanel512<T, TWeight>(ref a0, strideA, ref Unsafe.Add(ref b0, single), strideB, ref wt, samples, both, end,
                    ref Unsafe.Add(ref c0, single), strideC);
            }
            else
            {
                for (int p = v; p < Math.Min(v + 2, rowEnds.Length); p++)
                {
                    int jp = p * w;
                    if (width >= 256)
                    {
                        for (int i = 0; i < rowEnds[p]; i += 4)
                            Kernel256x4x2<T, TWeight>(ref Unsafe.Add(ref a0, i), strideA, ref Unsafe.Add(ref b0, jp), strideB, ref wt, samples,
                                ref Unsafe.Add(ref c0, (nint)i * strideC + jp), strideC);
                    }
                    else
                    {
                        ScalarKernel<T, TWeight>(a, strideA, b, strideB, ref wt, samples, rowEnds[p], jp, w, c, strideC);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The upper triangle of C += A^T diag(w) B for square C (rows = columns = panels x VL; w_k = 1 when
    /// <paramref name="weights"/> is empty): pairs of panels take the rows above their diagonal block through the
    /// 12 x 2 kernel and their 2 VL x 2 VL diagonal block through one kernel that skips the block's lower-left
    /// quarter (float64), instead of the weaker 8 x 1 kernel. <paramref name="next"/> (never read) is what the caller reads next
    /// (its next tile): on 512-bit vectors the pair kernels prefetch its lines into L2, one a sample until all are asked for,
    /// so that a tile streamed from memory arrives while the previous one is multiplied instead of stalling its first read
    /// (docs/passes.md, "The next tile on its way"). <paramref name="keptRows"/> (scratch of <see cref="KeptRowsLength{T}"/>
    /// entries, or empty) lets a weighted pair of panels multiply the rows of its columns by their weights once, in its first kernel
    /// (float64: its diagonal block), instead of once in every kernel (docs/passes.md, "The weighted rows kept"); the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunUpperTriangle<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, int samples,
        int panels, Span<double> c, int strideC, ReadOnlySpan<T> weights = default, ReadOnlySpan<T> next = default,
        Span<T> keptRows = default) where T : unmanaged
    {
        if (Simd.WidthBits < 512)
        {
            Span<int> rowEnds = stackalloc int[panels];
            for (int v = 0; v < panels; v++) rowEnds[v] = (v + 1) * PanelWidth<T>();
            Run(a, strideA, b, strideB, samples, rowEnds, c, strideC, weights, next);
            return;
        }
        if (samples <= 0 || panels <= 0) return;
        int w = PanelWidth<T>(), columns = panels * w;
        if (strideA < columns || a.Length < (long)(samples - 1) * strideA + columns) throw new ArgumentException("A is too short.", nameof(a));
        if (strideB < columns || b.Length < (long)(samples - 1) * strideB + columns) throw new ArgumentException("B is too short.", nameof(b));
        if (strideC < columns || c.Length < (long)(columns - 1) * strideC + columns) throw new ArgumentException("C is too short.", nameof(c));
        if (weights.IsEmpty)
            UpperTriangle512<T, Unweighted<T>, NoRowSums>(a, strideA, b, strideB, ref Unsafe.NullRef<T>(), samples, panels, c, strideC, next,
                ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>(), default);
        else if (weights.Length < samples)
            throw new ArgumentException("Fewer weights than samples.", nameof(weights));
        else
            UpperTriangle512<T, Weighted<T>, NoRowSums>(a, strideA, b, strideB, ref MemoryMarshal.GetReference(weights), samples, panels, c,
                strideC, next, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>(), keptRows);
    }

    /// <summary>
    /// Entries of the scratch with which <see cref="RunUpperTriangle{T}"/> and <see cref="RunUpperTriangleWithSums{T}"/> keep a pair's
    /// weighted rows for up to <paramref name="samples"/> samples: 0 where no pair of panels takes more than one kernel (float64: fewer
    /// than 4 panels; float32: fewer than 2) or the vectors are narrower than 512 bits.
    /// </summary>
    public static int KeptRowsLength<T>(int panels, int samples) where T : unmanaged =>
        KeepsRows<T>(panels) ? checked(samples * 2 * PanelWidth<T>()) : 0;

    /// <summary>Whether a weighted upper triangle of <paramref name="panels"/> panels keeps its pairs' weighted rows when given the
    /// scratch (<see cref="KeptRowsLength{T}"/>).</summary>
    public static bool KeepsRows<T>(int panels) where T : unmanaged =>
        Simd.WidthBits >= 512 && panels >= (typeof(T) == typeof(double) ? 4 : 2);

    /// <summary>
    /// Whether <see cref="RunUpperTriangleWithSums{T}"/> takes a Gram of <paramref name="panels"/> panels, on 512-bit vectors: one
    /// kernel reads every row of B (one panel), or, for an even number of panels, the pairs' diagonal blocks (float64) or first
    /// kernels (float32) together do.
    /// </summary>
    public static bool SumsInKernel<T>(int panels) where T : unmanaged => Simd.WidthBits >= 512 && (panels == 1 || panels % 2 == 0);

    /// <summary>
    /// <see cref="RunUpperTriangle{T}"/> with weights, for a Gram whose kernels read every row of B (<see cref="SumsInKernel{T}"/>),
    /// which also writes columnSums[j] = sum_k w_k B[k, j] (in T) and returns sum_k w_k (in double), the samples in order: the sums
    /// <see cref="RowScaling"/> takes in a pass of its own, to the bit. At narrow rows that pass over the tile cost as much as
    /// the kernel, and on a tile streamed from memory it was the read that waited for it; here the tile is read once. Only the
    /// first <paramref name="rows"/> rows of C are needed (the dimension; past it x is zero padding): a float32 panel whose rows
    /// fit in 8 takes the 8-row kernel. <paramref name="next"/> is prefetched and <paramref name="keptRows"/> used as in
    /// <see cref="RunUpperTriangle{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double RunUpperTriangleWithSums<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, int samples, int panels,
        Span<double> c, int strideC, ReadOnlySpan<T> weights, Span<T> columnSums, int rows, ReadOnlySpan<T> next = default,
        Span<T> keptRows = default) where T : unmanaged
    {
        if (!SumsInKernel<T>(panels)) throw new ArgumentException("The Gram takes more than one kernel.", nameof(panels));
        int w = PanelWidth<T>(), columns = panels * w;
        if (columnSums.Length < columns) throw new ArgumentException("The column sums are too short.", nameof(columnSums));
        if (samples <= 0) { columnSums[..columns].Clear(); return 0; }
        if (strideA < columns || a.Length < (long)(samples - 1) * strideA + columns) throw new ArgumentException("A is too short.", nameof(a));
        if (strideB < columns || b.Length < (long)(samples - 1) * strideB + columns) throw new ArgumentException("B is too short.", nameof(b));
        if (strideC < columns || c.Length < (long)(columns - 1) * strideC + columns) throw new ArgumentException("C is too short.", nameof(c));
        if (weights.Length < samples) throw new ArgumentException("Fewer weights than samples.", nameof(weights));
        ref T a0 = ref MemoryMarshal.GetReference(a), b0 = ref MemoryMarshal.GetReference(b), wt = ref MemoryMarshal.GetReference(weights);
        ref T sums = ref MemoryMarshal.GetReference(columnSums);
        ref double c0 = ref MemoryMarshal.GetReference(c);
        double weightSum = 0;
        if (panels >= 2)
            UpperTriangle512<T, Weighted<T>, WithRowSums>(a, strideA, b, strideB, ref wt, samples, panels, c, strideC, next, ref sums,
                ref weightSum, keptRows);
        else if (w == 16 && rows > 8)
            Kernel512x16x1<T, Weighted<T>, WithRowSums>(ref a0, strideA, ref b0, strideB, ref wt, samples, ref c0, strideC, ref sums,
                ref weightSum);
        else
            Kernel512x8x1<T, Weighted<T>, WithRowSums>(ref a0, strideA, ref b0, strideB, ref wt, samples, ref c0, strideC, ref sums,
                ref weightSum);
        return weightSum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpperTriangle512<T, TWeight, TSums>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, ref T wt,
        int samples, int panels, Span<double> c, int strideC, ReadOnlySpan<T> next, ref T sums, ref double weightSum, Span<T> keptRows)
        where T : unmanaged where TWeight : ISampleWeight<T> where TSums : IRowSums
    {
        // with the sums, each pair's diagonal block (float64) or first kernel (float32) sums its 2 VL columns and the first pair's the
        // weights (an even panel count)
        double otherWeights = 0;
        var ahead = NextTile.Of(next);
        int w = PanelWidth<T>();
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref double c0 = ref MemoryMarshal.GetReference(c);
        for (int v = 0; v < panels; v += 2)
        {
            int j0 = v * w;
            if (v + 1 == panels)
            {
                SinglePanel512<T, TWeight>(ref a0, strideA, ref Unsafe.Add(ref b0, j0), strideB, ref wt, samples, 0, j0 + w,
                    ref Unsafe.Add(ref c0, j0), strideC);
                break;
            }
            ref T pairSums = ref TSums.On ? ref Unsafe.Add(ref sums, j0) : ref sums;
            ref double pairWeights = ref v == 0 ? ref weightSum : ref otherWeights;
            bool keep = typeof(TWeight) == typeof(Weighted<T>) && keptRows.Length >= samples * 2 * w;
            ref T kept = ref MemoryMarshal.GetReference(keptRows);
            if (typeof(T) == typeof(double))
            {
                ref double diagonal = ref Unsafe.Add(ref c0, (nint)j0 * strideC + j0);
                if (keep && j0 > 0)
                {
                    // the diagonal block first, keeping the weighted rows of the pair's columns (in L1) for the kernels above it: they
                    // read w_k x_k instead of multiplying x_k by w_k again, the same product, so the same bits
                    Diagonal512<T, TWeight, TSums, KeepRows>(ref Unsafe.Add(ref a0, j0), strideA, ref Unsafe.Add(ref b0, j0), strideB,
                        ref wt, samples, ref diagonal, strideC, ref pairSums, ref pairWeights, ref kept, ahead.Take(samples, out int lines),
                        lines);
                    PairRows512<T, Unweighted<T>>(ref a0, strideA, ref kept, 2 * w, ref Unsafe.NullRef<T>(), samples, 0, j0,
                        ref Unsafe.Add(ref c0, j0), strideC, ref ahead);
                }
                else
                {
                    PairRows512<T, TWeight>(ref a0, strideA, ref Unsafe.Add(ref b0, j0), strideB, ref wt, samples, 0, j0,
                        ref Unsafe.Add(ref c0, j0), strideC, ref ahead);
                    Diagonal512<T, TWeight, TSums, NoKeptRows>(ref Unsafe.Add(ref a0, j0), strideA, ref Unsafe.Add(ref b0, j0), strideB,
                        ref wt, samples, ref diagonal, strideC, ref pairSums, ref pairWeights, ref Unsafe.NullRef<T>(),
                        ahead.Take(samples, out int lines), lines);
                }
                continue;
            }
            // float32 (VL = 16): rows [0, j0 + VL) against both panels, the rest of the second panel's diagonal block against it alone;
            // the first kernel takes the pair's sums and keeps its weighted rows for the others
            int both = j0 + w;
            ref double pair = ref Unsafe.Add(ref c0, j0);
            ref T rowsB = ref Unsafe.Add(ref b0, j0);
            if (keep)
            {
                int first = FirstPairKernel512<T, TWeight, TSums, KeepRows>(ref a0, strideA, ref rowsB, strideB, ref wt, samples, both,
                    ref pair, strideC, ref pairSums, ref pairWeights, ref kept, ref ahead);
                RestOfPair512<T, Unweighted<T>>(ref a0, strideA, ref kept, 2 * w, ref Unsafe.NullRef<T>(), samples, first, both, ref pair,
                    strideC, ref ahead);
            }
            else
            {
                int first = FirstPairKernel512<T, TWeight, TSums, NoKeptRows>(ref a0, strideA, ref rowsB, strideB, ref wt, samples, both,
                    ref pair, strideC, ref pairSums, ref pairWeights, ref kept, ref ahead);
                RestOfPair512<T, TWeight>(ref a0, strideA, ref rowsB, strideB, ref wt, samples, first, both, ref pair, strideC, ref ahead);
            }
        }
    }

    /// <summary>
    /// The first kernel of a float32 pair whose rows [0, both) take both panels (both &gt;= 16): rows [0, 12) or, at both = 16,
    /// [0, 8), as <see cref="PairRows512{T, TWeight}"/> would start; returns the rows it took.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FirstPairKernel512<T, TWeight, TSums, TKeep>(ref T a0, nint strideA, ref T b, nint strideB, ref T wt, int samples,
        int both, ref double c, nint strideC, ref T sums, ref double weightSum, ref T kept, ref NextTile ahead)
        where TWeight : ISampleWeight<T> where TSums : IRowSums where TKeep : IKeptRows
    {
        if (both != 16)
        {
            Kernel512x12x2<T, TWeight, TSums, TKeep>(ref a0, strideA, ref b, strideB, ref wt, samples, ref c, strideC, ref sums,
                ref weightSum, ref kept, ahead.Take(samples, out int lines), lines);
            return 12;
        }
        Kernel512x8x2<T, TWeight, TSums, TKeep>(ref a0, strideA, ref b, strideB, ref wt, samples, ref c, strideC, ref sums, ref weightSum,
            ref kept, ahead.Take(samples, out int lines8), lines8);
        return 8;
    }

    /// <summary>A float32 pair after its first kernel: rows [first, both) against both panels, [both, both + VL) against the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RestOfPair512<T, TWeight>(ref T a0, nint strideA, ref T b, nint strideB, ref T wt, int samples, int first, int both,
        ref double c, nint strideC, ref NextTile ahead) where TWeight : ISampleWeight<T>
    {
        int w = Vector512<T>.Count;
        PairRows512<T, TWeight>(ref a0, strideA, ref b, strideB, ref wt, samples, first, both, ref c, strideC, ref ahead);
        SinglePanel512<T, TWeight>(ref a0, strideA, ref Unsafe.Add(ref b, w), strideB, ref wt, samples, both, both + w,
            ref Unsafe.Add(ref c, w), strideC);
    }

    /// <summary>
    /// Rows [start, end) of a pair of panels (B and C start at the pair's first column): 12 x 2 tiles, but 8 + 8 rather than 12 + 4
    /// for the last 16 rows (the 4-row kernel has too few accumulators), then 8 x 2 and 4 x 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairRows512<T, TWeight>(ref T a0, nint strideA, ref T b, nint strideB, ref T wt, int samples, int start, int end,
        ref double c, nint strideC, ref NextTile ahead) where TWeight : ISampleWeight<T>
    {
        int i = start;
        for (; i + 12 <= end && end - i != 16; i += 12)
            Kernel512x12x2<T, TWeight, NoRowSums, NoKeptRows>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples,
                ref Unsafe.Add(ref c, (nint)i * strideC), strideC, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>(),
                ref Unsafe.NullRef<T>(), ahead.Take(samples, out int lines), lines);
        for (; i + 8 <= end; i += 8)
            Kernel512x8x2<T, TWeight, NoRowSums, NoKeptRows>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples,
                ref Unsafe.Add(ref c, (nint)i * strideC), strideC, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>(),
                ref Unsafe.NullRef<T>(), ahead.Take(samples, out int lines), lines);
        for (; i < end; i += 4)
            Kernel512x4x2<T, TWeight>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples,
                ref Unsafe.Add(ref c, (nint)i * strideC), strideC);
    }

    /// <summary>The 16 x 16 float64 diagonal block: rows 0..7 against both column vectors, rows 8..15 against the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Diagonal512<T, TWeight, TSums, TKeep>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples,
        ref double c, nint strideC, ref T sums, ref double weightSum, ref T kept, byte* pf = null, int pfLines = 0)
        where TWeight : ISampleWeight<T> where TSums : IRowSums where TKeep : IKeptRows
    {
        Vector512<T> s0 = default, s1 = default;
        double ws = 0;
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default,
            c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default, d0 = default,
            d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
        for (int k = 0; k < samples; k++)
        {
            if (k < pfLines)
            {
                PrefetchLine(pf);
                pf += 64;
            }
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> b1 = TWeight.Apply(Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count), ref w);
            if (TSums.On) { s0 += b0; s1 += b1; ws += Weighted<T>.Value(ref w); }
            if (TKeep.On)
            {
                b0.StoreUnsafe(ref kept);
                b1.StoreUnsafe(ref kept, (nuint)Vector512<T>.Count);
                kept = ref Unsafe.Add(ref kept, 2 * Vector512<T>.Count);
            }
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a); c4b = Simd.Fma(t, b1, c4b);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a); c5b = Simd.Fma(t, b1, c5b);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a); c6b = Simd.Fma(t, b1, c6b);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a); c7b = Simd.Fma(t, b1, c7b);
            d0 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 8)), b1, d0);
            d1 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 9)), b1, d1);
            d2 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 10)), b1, d2);
            d3 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 11)), b1, d3);
            d4 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 12)), b1, d4);
            d5 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 13)), b1, d5);
            d6 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 14)), b1, d6);
            d7 = Simd.Fma(Vector512.Create(Unsafe.Add(ref a, 15)), b1, d7);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); Simd.AddTo(c4b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); Simd.AddTo(c5b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); Simd.AddTo(c6b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); Simd.AddTo(c7b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d0, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d1, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d2, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d3, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d4, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d5, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d6, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(d7, ref Unsafe.Add(ref row, Vector512<T>.Count));
        if (TSums.On)
        {
            s0.StoreUnsafe(ref sums);
            s1.StoreUnsafe(ref sums, (nuint)Vector512<T>.Count);
            weightSum = ws;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SinglePanel512<T, TWeight>(ref T a0, nint strideA, ref T b, nint strideB, ref T wt, int samples, int start, int end,
        ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        int i = start;
        for (; i + 24 <= end; i += 24)
            Kernel512x24x1<T, TWeight>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples, ref Unsafe.Add(ref c, i * strideC),
                strideC);
        // 16 rows in one kernel rather than two of 8: the rows of B are loaded and weighted once (the float32 Gram at d = 16)
        if (end - i == 16)
        {
            Kernel512x16x1<T, TWeight, NoRowSums>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples,
                ref Unsafe.Add(ref c, i * strideC), strideC, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>());
            i += 16;
        }
        // 12 = 8 + 4 rows in one kernel of 12 accumulators: the 4-row kernel waits on the FMA latency
        if (end - i >= 12 && (end - i) % 8 == 4)
        {
            Kernel512x12x1<T, TWeight>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples, ref Unsafe.Add(ref c, i * strideC),
                strideC);
            i += 12;
        }
        for (; i + 8 <= end; i += 8)
            Kernel512x8x1<T, TWeight, NoRowSums>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples,
                ref Unsafe.Add(ref c, i * strideC), strideC, ref Unsafe.NullRef<T>(), ref Unsafe.NullRef<double>());
        for (; i < end; i += 4)
            Kernel512x4x1<T, TWeight>(ref Unsafe.Add(ref a0, i), strideA, ref b, strideB, ref wt, samples, ref Unsafe.Add(ref c, i * strideC),
                strideC);
    }

    private static void ScalarKernel<T, TWeight>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, ref T wt, int samples,
        int rowEnd, int j0, int w, Span<double> c, int strideC) where T : unmanaged where TWeight : ISampleWeight<T>
    {
        for (int i = 0; i < rowEnd; i++)
        {
            Span<double> row = c.Slice(i * strideC + j0, w);
            for (int k = 0; k < samples; k++)
            {
                double aki = TWeight.Apply(ToDouble(a[k * strideA + i]), ref Unsafe.Add(ref wt, k));
                ReadOnlySpan<T> bk = b.Slice(k * strideB + j0, w);
                for (int j = 0; j < w; j++) row[j] += aki * ToDouble(bk[j]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToDouble<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref value) : Unsafe.As<T, float>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x12x2<T, TWeight, TSums, TKeep>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples,
        ref double c, nint strideC, ref T sums, ref double weightSum, ref T kept, byte* pf = null, int pfLines = 0)
        where TWeight : ISampleWeight<T> where TSums : IRowSums where TKeep : IKeptRows
    {
        Vector512<T> s0 = default, s1 = default;
        double ws = 0;
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default,
            c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default, c8a = default,
            c8b = default, c9a = default, c9b = default, c10a = default, c10b = default, c11a = default, c11b = default;
        for (int k = 0; k < samples; k++)
        {
            if (k < pfLines)
            {
                PrefetchLine(pf);
                pf += 64;
            }
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> b1 = TWeight.Apply(Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count), ref w);
            if (TSums.On) { s0 += b0; s1 += b1; ws += Weighted<T>.Value(ref w); }
            if (TKeep.On)
            {
                b0.StoreUnsafe(ref kept);
                b1.StoreUnsafe(ref kept, (nuint)Vector512<T>.Count);
                kept = ref Unsafe.Add(ref kept, 2 * Vector512<T>.Count);
            }
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a); c4b = Simd.Fma(t, b1, c4b);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a); c5b = Simd.Fma(t, b1, c5b);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a); c6b = Simd.Fma(t, b1, c6b);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a); c7b = Simd.Fma(t, b1, c7b);
            t = Vector512.Create(Unsafe.Add(ref a, 8)); c8a = Simd.Fma(t, b0, c8a); c8b = Simd.Fma(t, b1, c8b);
            t = Vector512.Create(Unsafe.Add(ref a, 9)); c9a = Simd.Fma(t, b0, c9a); c9b = Simd.Fma(t, b1, c9b);
            t = Vector512.Create(Unsafe.Add(ref a, 10)); c10a = Simd.Fma(t, b0, c10a); c10b = Simd.Fma(t, b1, c10b);
            t = Vector512.Create(Unsafe.Add(ref a, 11)); c11a = Simd.Fma(t, b0, c11a); c11b = Simd.Fma(t, b1, c11b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); Simd.AddTo(c4b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); Simd.AddTo(c5b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); Simd.AddTo(c6b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); Simd.AddTo(c7b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c8a, ref row); Simd.AddTo(c8b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c9a, ref row); Simd.AddTo(c9b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c10a, ref row); Simd.AddTo(c10b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c11a, ref row); Simd.AddTo(c11b, ref Unsafe.Add(ref row, Vector512<T>.Count));
        if (TSums.On)
        {
            s0.StoreUnsafe(ref sums);
            s1.StoreUnsafe(ref sums, (nuint)Vector512<T>.Count);
            weightSum = ws;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x4x2<T, TWeight>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> b1 = TWeight.Apply(Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count), ref w);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x24x1<T, TWeight>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        Vector512<T> c0a = default, c1a = default, c2a = default, c3a = default, c4a = default, c5a = default, c6a = default, c7a = default,
            c8a = default, c9a = default, c10a = default, c11a = default, c12a = default, c13a = default, c14a = default, c15a = default,
            c16a = default, c17a = default, c18a = default, c19a = default, c20a = default, c21a = default, c22a = default, c23a = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a);
            t = Vector512.Create(Unsafe.Add(ref a, 8)); c8a = Simd.Fma(t, b0, c8a);
            t = Vector512.Create(Unsafe.Add(ref a, 9)); c9a = Simd.Fma(t, b0, c9a);
            t = Vector512.Create(Unsafe.Add(ref a, 10)); c10a = Simd.Fma(t, b0, c10a);
            t = Vector512.Create(Unsafe.Add(ref a, 11)); c11a = Simd.Fma(t, b0, c11a);
            t = Vector512.Create(Unsafe.Add(ref a, 12)); c12a = Simd.Fma(t, b0, c12a);
            t = Vector512.Create(Unsafe.Add(ref a, 13)); c13a = Simd.Fma(t, b0, c13a);
            t = Vector512.Create(Unsafe.Add(ref a, 14)); c14a = Simd.Fma(t, b0, c14a);
            t = Vector512.Create(Unsafe.Add(ref a, 15)); c15a = Simd.Fma(t, b0, c15a);
            t = Vector512.Create(Unsafe.Add(ref a, 16)); c16a = Simd.Fma(t, b0, c16a);
            t = Vector512.Create(Unsafe.Add(ref a, 17)); c17a = Simd.Fma(t, b0, c17a);
            t = Vector512.Create(Unsafe.Add(ref a, 18)); c18a = Simd.Fma(t, b0, c18a);
            t = Vector512.Create(Unsafe.Add(ref a, 19)); c19a = Simd.Fma(t, b0, c19a);
            t = Vector512.Create(Unsafe.Add(ref a, 20)); c20a = Simd.Fma(t, b0, c20a);
            t = Vector512.Create(Unsafe.Add(ref a, 21)); c21a = Simd.Fma(t, b0, c21a);
            t = Vector512.Create(Unsafe.Add(ref a, 22)); c22a = Simd.Fma(t, b0, c22a);
            t = Vector512.Create(Unsafe.Add(ref a, 23)); c23a = Simd.Fma(t, b0, c23a);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c8a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c9a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c10a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c11a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c12a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c13a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c14a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c15a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c16a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c17a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c18a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c19a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c20a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c21a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c22a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c23a, ref row);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x16x1<T, TWeight, TSums>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c,
        nint strideC, ref T sums, ref double weightSum) where TWeight : ISampleWeight<T> where TSums : IRowSums
    {
        Vector512<T> s0 = default;
        double ws = 0;
        Vector512<T> c0a = default, c1a = default, c2a = default, c3a = default, c4a = default, c5a = default, c6a = default, c7a = default,
            c8a = default, c9a = default, c10a = default, c11a = default, c12a = default, c13a = default, c14a = default, c15a = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            if (TSums.On) { s0 += b0; ws += Weighted<T>.Value(ref w); }
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a);
            t = Vector512.Create(Unsafe.Add(ref a, 8)); c8a = Simd.Fma(t, b0, c8a);
            t = Vector512.Create(Unsafe.Add(ref a, 9)); c9a = Simd.Fma(t, b0, c9a);
            t = Vector512.Create(Unsafe.Add(ref a, 10)); c10a = Simd.Fma(t, b0, c10a);
            t = Vector512.Create(Unsafe.Add(ref a, 11)); c11a = Simd.Fma(t, b0, c11a);
            t = Vector512.Create(Unsafe.Add(ref a, 12)); c12a = Simd.Fma(t, b0, c12a);
            t = Vector512.Create(Unsafe.Add(ref a, 13)); c13a = Simd.Fma(t, b0, c13a);
            t = Vector512.Create(Unsafe.Add(ref a, 14)); c14a = Simd.Fma(t, b0, c14a);
            t = Vector512.Create(Unsafe.Add(ref a, 15)); c15a = Simd.Fma(t, b0, c15a);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c8a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c9a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c10a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c11a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c12a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c13a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c14a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c15a, ref row);
        if (TSums.On)
        {
            s0.StoreUnsafe(ref sums);
            weightSum = ws;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x12x1<T, TWeight>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        Vector512<T> c0a = default, c1a = default, c2a = default, c3a = default, c4a = default, c5a = default, c6a = default, c7a = default,
            c8a = default, c9a = default, c10a = default, c11a = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a);
            t = Vector512.Create(Unsafe.Add(ref a, 8)); c8a = Simd.Fma(t, b0, c8a);
            t = Vector512.Create(Unsafe.Add(ref a, 9)); c9a = Simd.Fma(t, b0, c9a);
            t = Vector512.Create(Unsafe.Add(ref a, 10)); c10a = Simd.Fma(t, b0, c10a);
            t = Vector512.Create(Unsafe.Add(ref a, 11)); c11a = Simd.Fma(t, b0, c11a);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c8a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c9a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c10a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c11a, ref row);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x8x1<T, TWeight, TSums>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c,
        nint strideC, ref T sums, ref double weightSum) where TWeight : ISampleWeight<T> where TSums : IRowSums
    {
        Vector512<T> s0 = default;
        double ws = 0;
        Vector512<T> c0a = default, c1a = default, c2a = default, c3a = default, c4a = default, c5a = default, c6a = default, c7a = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            if (TSums.On) { s0 += b0; ws += Weighted<T>.Value(ref w); }
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row);
        if (TSums.On)
        {
            s0.StoreUnsafe(ref sums);
            weightSum = ws;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x4x1<T, TWeight>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        Vector512<T> c0a = default, c1a = default, c2a = default, c3a = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x4x2<T, TWeight>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples, ref double c, nint strideC)
        where TWeight : ISampleWeight<T>
    {
        Vector256<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        for (int k = 0; k < samples; k++)
        {
            Vector256<T> b0 = TWeight.Apply(Vector256.LoadUnsafe(ref b), ref w);
            Vector256<T> b1 = TWeight.Apply(Vector256.LoadUnsafe(ref b, (nuint)Vector256<T>.Count), ref w);
            Vector256<T> t;
            t = Vector256.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector256.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector256.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector256.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector256<T>.Count));
    }
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512x8x2<T, TWeight, TSums, TKeep>(ref T a, nint strideA, ref T b, nint strideB, ref T w, int samples,
        ref double c, nint strideC, ref T sums, ref double weightSum, ref T kept, byte* pf = null, int pfLines = 0)
        where TWeight : ISampleWeight<T> where TSums : IRowSums where TKeep : IKeptRows
    {
        Vector512<T> s0 = default, s1 = default;
        double ws = 0;
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default,
            c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default;
        for (int k = 0; k < samples; k++)
        {
            if (k < pfLines)
            {
                PrefetchLine(pf);
                pf += 64;
            }
            Vector512<T> b0 = TWeight.Apply(Vector512.LoadUnsafe(ref b), ref w);
            Vector512<T> b1 = TWeight.Apply(Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count), ref w);
            if (TSums.On) { s0 += b0; s1 += b1; ws += Weighted<T>.Value(ref w); }
            if (TKeep.On)
            {
                b0.StoreUnsafe(ref kept);
                b1.StoreUnsafe(ref kept, (nuint)Vector512<T>.Count);
                kept = ref Unsafe.Add(ref kept, 2 * Vector512<T>.Count);
            }
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a); c4b = Simd.Fma(t, b1, c4b);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a); c5b = Simd.Fma(t, b1, c5b);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a); c6b = Simd.Fma(t, b1, c6b);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a); c7b = Simd.Fma(t, b1, c7b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
            w = ref Unsafe.Add(ref w, 1);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); Simd.AddTo(c4b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); Simd.AddTo(c5b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); Simd.AddTo(c6b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); Simd.AddTo(c7b, ref Unsafe.Add(ref row, Vector512<T>.Count));
        if (TSums.On)
        {
            s0.StoreUnsafe(ref sums);
            s1.StoreUnsafe(ref sums, (nuint)Vector512<T>.Count);
            weightSum = ws;
        }
    }
}
