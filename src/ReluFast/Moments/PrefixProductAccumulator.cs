using System.Numerics;
using System.Runtime.CompilerServices;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// Sums that are all entries of one <see cref="PrefixGemm"/> per tile of samples: each sample (a row of x, copied with zero
/// padding) and its L weights give one row of A and one row of B, and column panel v of the product needs only the first
/// rowEnds[v] rows of A. What <see cref="QuarticMonomialAccumulator{T}"/> and <see cref="ProjectedTensorAccumulator{T}"/> share
/// lives here: the tile loop, its buffers, the double totals, their merge and the count. Each derived class builds its own rows
/// and columns and reads its own sums.
/// </summary>
/// <remarks>
/// Partial sums within a tile are in T, totals in double, so the tile's size is part of the result's bits: each derived class
/// keeps its own tile rule. Accumulate does not allocate (a subclass with a path of its own may leave the panels' tiles to the
/// first call that takes them). Instances are not thread-safe: give each thread its own and merge them.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal abstract class PrefixProductAccumulator<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _sampleDimension;
    private AlignedBuffer<T>? _x, _a, _b; // the panels' tiles (null until taken where a subclass's own path may never take them)

    /// <summary>Row strides of the padded copy of x, of A and of B (elements), and of the double totals.</summary>
    private protected readonly int _xStride, _aStride, _bStride, _cStride;

    /// <summary>Samples per tile.</summary>
    private protected readonly int _tile;

    /// <summary>Rows of A that each column panel of B needs (non-decreasing, multiples of 4).</summary>
    private protected readonly int[] _rowEnds;

    /// <summary>The totals: rowEnds[^1] x cStride, row r of A against column c of B at r cStride + c.</summary>
    private protected readonly double[] _sums;

    /// <summary>
    /// Lays out the product for samples of <paramref name="sampleDimension"/> entries and <paramref name="weightCount"/> weights.
    /// A tile holds <paramref name="tileBytes"/> of rows and columns (and of the padded copy of x where
    /// <paramref name="tileCountsCopy"/>), at least <paramref name="minimumTileSamples"/>, clamped to 16..512 and a multiple of 8.
    /// The tiles are allocated here, or on the first Accumulate that takes them where <paramref name="tilesOnFirstUse"/> (a subclass
    /// whose own path, <see cref="AccumulateByLanes"/>, will take its samples).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The totals would not fit in one array.</exception>
    private protected PrefixProductAccumulator(int sampleDimension, int weightCount, int[] rowEnds, int tileBytes, bool tileCountsCopy,
        int minimumTileSamples, bool tilesOnFirstUse = false)
    {
        MomentState.RequireFloatingType<T>();
        _sampleDimension = sampleDimension;
        WeightCount = weightCount;
        _rowEnds = rowEnds;
        int unit = PrefixGemm.PanelWidth<T>();
        _cStride = rowEnds.Length * unit;
        _xStride = AlignedBuffer<T>.ConflictFreeStride(Simd.RoundUp(sampleDimension, unit) + unit);
        _aStride = AlignedBuffer<T>.ConflictFreeStride(rowEnds[^1] + unit);
        _bStride = AlignedBuffer<T>.ConflictFreeStride(_cStride + unit);
        int bytes = (_aStride + _bStride + (tileCountsCopy ? _xStride : 0)) * MomentState.ElementSize<T>();
        _tile = Math.Clamp(Math.Max(tileBytes / bytes, minimumTileSamples), 16, 512) & ~7;
        long sums = (long)rowEnds[^1] * _cStride;
        _sums = new double[sums <= Array.MaxLength ? (int)sums
            : throw new ArgumentOutOfRangeException(nameof(sampleDimension), "The sums would not fit in one array.")];
        if (!tilesOnFirstUse) AllocateTiles();
    }

    private void AllocateTiles()
    {
        _x = new AlignedBuffer<T>(_tile * _xStride);
        _a = new AlignedBuffer<T>(_tile * _aStride);
        _b = new AlignedBuffer<T>(_tile * _bStride);
    }

    /// <summary>Number L of weight vectors accumulated side by side.</summary>
    public int WeightCount { get; }

    /// <summary>Number of samples accumulated.</summary>
    public long Count { get; private protected set; }

    /// <summary>Whether the panels' tiles have been allocated (by an Accumulate that took them).</summary>
    internal bool HoldsPanelTiles => _x is not null;

    /// <summary>Multiply-adds per sample in the kernel, all weights and padding included (what the layout costs).</summary>
    internal long KernelLanes => _rowEnds.Sum(r => (long)r) * PrefixGemm.PanelWidth<T>();

    /// <summary>Adds a block of n samples: x is n x (sample dimension) row-major, weights is L x n (weight l at [l n, (l+1) n)).</summary>
    /// <exception cref="ArgumentException">The lengths do not match the sample dimension and L.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> weights)
    {
        int d = _sampleDimension, l = WeightCount;
        int n = weights.Length / l;
        if (n * l != weights.Length)
            throw new ArgumentException($"weights has {weights.Length} entries, not a multiple of the weight count {l}.", nameof(weights));
        if ((long)n * d != x.Length)
            throw new ArgumentException($"x has {x.Length} entries but {n} samples of dimension {d} need {(long)n * d}.", nameof(x));
        if (AccumulateByLanes(x, weights, n))
        {
            Count += n;
            return;
        }
        if (_x is null) AllocateTiles();
        Span<T> copy = _x!.Span, rows = _a!.Span, columns = _b!.Span;
        for (int k0 = 0; k0 < n; k0 += _tile)
        {
            int nt = Math.Min(_tile, n - k0);
            // rows of x padded with zeros: the builders read whole vectors past d
            Simd.CopyRows(x.Slice(k0 * d, nt * d), d, nt, copy, _xStride);
            BuildRows(copy, weights, n, k0, nt, rows);
            BuildColumns(copy, nt, columns);
            PrefixGemm.Run<T>(rows, _aStride, columns, _bStride, nt, _rowEnds, _sums, _cStride);
        }
        Count += n;
    }

    /// <summary>
    /// Accumulates the n samples another way (the same sums in the same places of the sums' array) and returns true, or returns
    /// false for the tiles of rows and columns above. The projected 3-tensor takes small m through <see cref="Kernels.SampleLaneTensor"/>.
    /// </summary>
    private protected virtual bool AccumulateByLanes(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, int n) => false;

    /// <summary>
    /// Writes row k of A (stride aStride) for the samples k0 .. k0 + samples - 1 from their padded copies (stride xStride) and
    /// their weights (L x n).
    /// </summary>
    private protected abstract void BuildRows(Span<T> copy, ReadOnlySpan<T> weights, int n, int k0, int samples, Span<T> rows);

    /// <summary>Writes row k of B (stride bStride) for the tile's samples from their padded copies (stride xStride).</summary>
    private protected abstract void BuildColumns(Span<T> copy, int samples, Span<T> columns);

    /// <summary>Clears every sum and the count.</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_sums);
    }

    /// <summary>Adds the totals and count of <paramref name="other"/>, an accumulator of the same type, sample dimension and L.</summary>
    /// <exception cref="ArgumentException">The other accumulator differs in type or shape.</exception>
    private protected void MergeSums(PrefixProductAccumulator<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.GetType() != GetType() || other._sampleDimension != _sampleDimension || other.WeightCount != WeightCount)
            throw new ArgumentException($"Cannot merge a (d={other._sampleDimension}, L={other.WeightCount}) {other.GetType().Name} into a " +
                $"(d={_sampleDimension}, L={WeightCount}) {GetType().Name}.", nameof(other));
        Count += other.Count;
        System.Numerics.Tensors.TensorPrimitives.Add(_sums, other._sums, _sums);
    }

    /// <summary>Throws unless 0 &lt;= l &lt; L.</summary>
    private protected void CheckWeight(int l)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(l);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(l, WeightCount);
    }
}
