using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// The weighted Gram sums of f = [svec(x x^T); x] (dimension D + d, D = d(d+1)/2; docs/algorithm.md section 11) computed from
/// the distinct monomials they hold: every entry of sum c f f^T is, up to the sqrt(2) of svec, a sum c x_p x_q x_r x_s of
/// degree 4, 3 or 2, and f f^T repeats each monomial of degree 4 up to 24 times. Each monomial is made once, in one
/// <see cref="PrefixGemm"/> per tile of samples for all L weights together:
/// <list type="bullet">
/// <item>rows (A): the weights c_l, then for each q = 0..d-1 and each weight the pairs c_l x_p x_q, p &lt;= q;</item>
/// <item>columns (B): for each r = 0..d-1 the group [x_r, x_r x_r, x_r x_(r+1), ..., x_r x_(d-1)], then the constant 1.</item>
/// </list>
/// x_p x_q x_r x_s (p &lt;= q &lt;= r &lt;= s) is row (l, p, q) times column x_r x_s and x_p x_q x_r is row (l, p, q) times column x_r:
/// column group r needs the rows with q &lt;= r, a prefix, so the kernel makes about L d^4 / 24 products per sample where the Gram
/// of f takes about L d^4 / 8. The weights' rows against the columns give the sums of degree 0 to 2.
/// </summary>
/// <remarks>
/// Sums are kept in double, partial sums within a tile in T (as in <see cref="WeightedGramAccumulator{T}"/>). Accumulate does
/// not allocate. Instances are not thread-safe: give each thread its own and <see cref="Merge"/> them.
/// </remarks>
internal sealed class QuarticMonomialAccumulator<T> : PrefixProductAccumulator<T>, IWeightedGramSums
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static readonly double Sqrt2 = Math.Sqrt(2);
    private readonly int _d, _l, _pairs, _constant;
    private readonly int[] _groupStart;

    /// <summary>Creates an empty accumulator for samples in R^<paramref name="d"/> and <paramref name="weightCount"/> weight vectors.</summary>
    public QuarticMonomialAccumulator(int d, int weightCount)
        : base(d, weightCount, Layout(d, weightCount), TileBytes, tileCountsCopy: true, minimumTileSamples: 16)
    {
        _d = d;
        _l = weightCount;
        _pairs = PairFeatures.Count(d);
        Dimension = _pairs + d;
        _groupStart = GroupStarts(d);
        _constant = _groupStart[d];
    }

    /// <summary>Bytes of the tile's rows and columns, which stay in L2 while every kernel of the tile reads them.</summary>
    private const int TileBytes = 393216;

    /// <summary>D + d: the dimension of f = [svec(x x^T); x].</summary>
    public int Dimension { get; }

    /// <summary>
    /// Multiply-adds per sample of the kernel for float64 at dimension d with <paramref name="weightCount"/> weights (padding
    /// included): about weightCount d^4 / 24 (4,960 at d = 10 and 60,192 at d = 23 for three weights).
    /// </summary>
    public static long LanesPerSample(int d, int weightCount) => RowEnds(d, weightCount, 8).Sum(r => (long)r) * 8;

    /// <summary>The rows each column panel needs, after checking the arguments.</summary>
    private static int[] Layout(int d, int weightCount)
    {
        MomentState.RequireFloatingType<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        return RowEnds(d, weightCount, PrefixGemm.PanelWidth<T>());
    }

    /// <summary>Start of column group r (x_r, then x_r x_r .. x_r x_(d-1)); entry d is the constant column.</summary>
    private static int[] GroupStarts(int d)
    {
        var start = new int[d + 1];
        for (int r = 0; r < d; r++) start[r + 1] = start[r] + d - r + 1;
        return start;
    }

    /// <summary>
    /// Rows each column panel needs: those of its last column's group r (the constant column: every row), i.e. the weights and
    /// the pairs with q &lt;= r, rounded up to the kernel's multiple of 4.
    /// </summary>
    private static int[] RowEnds(int d, int weightCount, int unit)
    {
        int[] start = GroupStarts(d);
        int columns = start[d] + 1;
        var ends = new int[(columns + unit - 1) / unit];
        for (int v = 0, r = 0; v < ends.Length; v++)
        {
            int last = Math.Min((v + 1) * unit, columns) - 1;
            while (r < d - 1 && start[r + 1] <= last) r++;
            ends[v] = Simd.RoundUp(weightCount * (1 + PairFeatures.Count(r + 1)), 4);
        }
        return ends;
    }

    /// <summary>Row k of <paramref name="rows"/>: c_0 .. c_(L-1), then for each q and each weight l the segment c_l x_q x_0..x_q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void BuildRows(Span<T> copy, ReadOnlySpan<T> weights, int n, int k0, int samples, Span<T> rows)
    {
        int d = _d, l = _l, width = Simd.WidthBits;
        ref T xr = ref MemoryMarshal.GetReference(copy);
        ref T ar = ref MemoryMarshal.GetReference(rows);
        for (int k = 0; k < samples; k++)
        {
            ref T xk = ref Unsafe.Add(ref xr, (nint)k * _xStride);
            ref T ak = ref Unsafe.Add(ref ar, (nint)k * _aStride);
            for (int w = 0; w < l; w++) Unsafe.Add(ref ak, w) = weights[w * n + k0 + k];
            int segment = l;
            for (int q = 0; q < d; q++)
                for (int w = 0; w < l; w++)
                {
                    // whole vectors run into the next segment (written after) or the padding after the last
                    Simd.ScaleInto(width, ref xk, q + 1, Unsafe.Add(ref ak, w) * Unsafe.Add(ref xk, q), ref Unsafe.Add(ref ak, segment));
                    segment += q + 1;
                }
        }
    }

    /// <summary>Row k of <paramref name="columns"/>: for each group r, x_r then x_r x_r, ..., x_r x_(d-1); then 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void BuildColumns(Span<T> copy, int samples, Span<T> columns)
    {
        int d = _d, width = Simd.WidthBits;
        ref T xr = ref MemoryMarshal.GetReference(copy);
        ref T br = ref MemoryMarshal.GetReference(columns);
        for (int k = 0; k < samples; k++)
        {
            ref T xk = ref Unsafe.Add(ref xr, (nint)k * _xStride);
            ref T bk = ref Unsafe.Add(ref br, (nint)k * _bStride);
            for (int r = 0; r < d; r++)
            {
                T s = Unsafe.Add(ref xk, r);
                int start = _groupStart[r];
                Unsafe.Add(ref bk, start) = s;
                Simd.ScaleInto(width, ref Unsafe.Add(ref xk, r), d - r, s, ref Unsafe.Add(ref bk, start + 1));
            }
            Unsafe.Add(ref bk, _constant) = T.One; // after the last group's spill
        }
    }

    /// <inheritdoc/>
    public double WeightSum(int l)
    {
        CheckWeight(l);
        return Sum(l, _constant);
    }

    /// <summary>Copies sum_j c_lj f_j: svec(x x^T) then x (D + d raw sums).</summary>
    public void CopyFirstMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        if (destination.Length < Dimension) throw new ArgumentException($"The destination needs {Dimension} entries.", nameof(destination));
        int d = _d, a = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) destination[a++] = Scale(i, j) * Sum(l, PairColumn(i, j));
        for (int k = 0; k < d; k++) destination[_pairs + k] = Sum(l, _groupStart[k]);
    }

    /// <summary>Copies sum_j c_lj f_j f_j^T ((D + d) x (D + d) row-major, full symmetric).</summary>
    public void CopyGram(int l, Span<double> destination)
    {
        CheckWeight(l);
        int d = _d, f = Dimension;
        if (destination.Length < f * f) throw new ArgumentException($"The destination needs {f * f} entries.", nameof(destination));
        Span<int> index = stackalloc int[4];
        int a = 0;
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++, a++)
            {
                int b = a;
                for (int k = i; k < d; k++)
                    for (int m = k == i ? j : k; m < d; m++, b++)
                    {
                        index[0] = i; index[1] = j; index[2] = k; index[3] = m;
                        index.Sort();
                        double value = Scale(i, j) * Scale(k, m) * Product(l, index[0], index[1], PairColumn(index[2], index[3]));
                        destination[a * f + b] = destination[b * f + a] = value;
                    }
                for (int k = 0; k < d; k++)
                {
                    index[0] = i; index[1] = j; index[2] = k;
                    index[..3].Sort();
                    double value = Scale(i, j) * Product(l, index[0], index[1], _groupStart[index[2]]);
                    destination[a * f + _pairs + k] = destination[(_pairs + k) * f + a] = value;
                }
            }
        for (int k = 0; k < d; k++)
            for (int m = k; m < d; m++)
                destination[(_pairs + k) * f + _pairs + m] = destination[(_pairs + m) * f + _pairs + k] = Sum(l, PairColumn(k, m));
    }

    private static double Scale(int i, int j) => i == j ? 1 : Sqrt2;

    /// <summary>Column of x_r x_s (r &lt;= s).</summary>
    private int PairColumn(int r, int s) => _groupStart[r] + 1 + s - r;

    /// <summary>Weight l's row (sum c_l) against a column: sums of degree 0 to 2.</summary>
    private double Sum(int l, int column) => _sums[l * _cStride + column];

    /// <summary>sum c_l x_p x_q (p &lt;= q) times the column.</summary>
    private double Product(int l, int p, int q, int column) =>
        _sums[(_l * (1 + PairFeatures.Count(q)) + l * (q + 1) + p) * _cStride + column];

    /// <summary>Adds the sums of <paramref name="other"/> (same d and L) to this one.</summary>
    public void Merge(QuarticMonomialAccumulator<T> other) => MergeSums(other);
}
