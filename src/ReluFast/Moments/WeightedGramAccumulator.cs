using System.Numerics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// Streaming weighted Gram matrices (docs/algorithm.md section 4): for each of L per-sample weight vectors c_l it
/// accumulates sum_j c_lj, sum_j c_lj x_j and sum_j c_lj x_j x_j^T over all samples seen, in one pass that
/// loads each block of x once for all L weights. Only the upper triangle is computed; copies expose the full
/// symmetric matrix.
/// </summary>
/// <remarks>
/// Sums are kept in double. Within one tile of at most a few hundred samples partial sums are formed in T
/// (for float this adds a relative error of order sqrt(tile) * 6e-8 per tile, far below 1/sqrt(N) noise).
/// Accumulate does not allocate. Instances are not thread-safe: give each thread its own and
/// <see cref="Merge"/> them.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class WeightedGramAccumulator<T> : IWeightedGramSums where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _stride;       // d padded to whole vectors: the row stride of the Gram storage
    private readonly int _rowStride;    // row stride of the tile copies (an odd number of cache lines)
    private readonly int _tile;         // samples per tile
    private readonly double[] _weightSums;
    private readonly double[] _first;   // L x stride
    private readonly double[] _gram;    // L x stride x stride; entries with i <= j are valid
    private readonly AlignedBuffer<T> _copy;   // tile x rowStride: x, zero-padded (only when d is not a whole number of vectors)
    private readonly AlignedBuffer<T> _scaled; // tile x rowStride: c o x (empty when the kernels apply the weights)
    private readonly AlignedBuffer<T> _keptRows; // a pair of panels' weighted rows for one tile (PrefixGemm.KeptRowsLength)
    private readonly T[] _columnSums;   // stride
    private readonly int[] _rowEnds;

    /// <summary>Creates an empty accumulator for samples in R^<paramref name="dimension"/> and <paramref name="weightCount"/> weight
    /// vectors.</summary>
    /// <exception cref="ArgumentOutOfRangeException">dimension or weightCount is not positive.</exception>
    public WeightedGramAccumulator(int dimension, int weightCount = 1)
    {
        MomentState.RequireFloatingType<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        Dimension = dimension;
        WeightCount = weightCount;
        int unit = PrefixGemm.PanelWidth<T>();
        _stride = Simd.RoundUp(dimension, unit);
        _rowStride = AlignedBuffer<T>.ConflictFreeStride(_stride);
        _tile = TileSize(_rowStride, MomentState.ElementSize<T>());
        _weightSums = new double[weightCount];
        _first = new double[weightCount * _stride];
        _gram = new double[(long)weightCount * _stride * _stride <= int.MaxValue ? weightCount * _stride * _stride
            : throw new ArgumentOutOfRangeException(nameof(dimension), "The Gram matrices would not fit in one array.")];
        _copy = new AlignedBuffer<T>(Simd.RoundUp(dimension, unit) == dimension ? 0 : _tile * _rowStride);
        _scaled = new AlignedBuffer<T>(WeightsInKernel(_stride / unit) ? 0 : _tile * _rowStride);
        _columnSums = new T[_stride];
        _keptRows = new AlignedBuffer<T>(WeightsInKernel(_stride / unit) ? PrefixGemm.KeptRowsLength<T>(_stride / unit, _tile) : 0);
        _rowEnds = new int[_stride / unit];
        for (int v = 0; v < _rowEnds.Length; v++) _rowEnds[v] = (v + 1) * unit; // upper triangle: rows up to the panel's last column
    }

    /// <summary>Samples per tile: about 128 KiB of c o x, which stays in L2 with the rows of x while every kernel of the tile reads them (tile sizes
    /// from 32 to 256 KiB measured within noise).</summary>
    internal static int TileSize(int stride, int elementSize) => Math.Clamp(TileBytes / (stride * elementSize), 16, 512) & ~7;

    private const int TileBytes = 131072;

    /// <summary>
    /// Whether the kernels multiply each loaded row of x by its weight (C += X^T diag(c) X) rather than read a scaled copy c o x.
    /// The copy costs a store and a second read of every entry of the tile, O(d) a sample; the kernels' multiplies cost about one
    /// in twelve of their FMAs, O(d^2). Up to 16 panels (d = 128 in float64, 256 in float32) the copy is the dearer one: on a
    /// two-pipe Zen 5, two threads, 1.08-1.4x at d = 16 to 128 in float64 and 1.03 at d = 64 in float32; at d = 256 in float64
    /// the copy was 3-7 % faster, until the pairs of panels kept their weighted rows (<see cref="PrefixGemm.KeepsRows{T}"/>):
    /// then the kernels multiply each row once, as the copy does, and the copy's stores and second read are all it adds
    /// (docs/passes.md, "The weighted rows kept").
    /// </summary>
    private static bool WeightsInKernel(int panels) => panels <= 16 || PrefixGemm.KeepsRows<T>(panels);

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Number L of weight vectors accumulated side by side.</summary>
    public int WeightCount { get; }

    /// <summary>Number of samples accumulated.</summary>
    public long Count { get; private set; }

    /// <summary>Length of the flat state of <see cref="CopyState"/>: 1 + L (1 + d + d(d+1)/2).</summary>
    public int StateLength => 1 + WeightCount * (1 + Dimension + Dimension * (Dimension + 1) / 2);

    /// <summary>
    /// Adds a block of n samples: x is n x d row-major, weights is L x n (weight vector l at [l n, (l+1) n)).
    /// <paramref name="nextX"/> (never read; may be empty) is the x this accumulator is given next, if the caller knows it: the last
    /// tile's kernels prefetch its first tile as every tile's do for the tile after it.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths do not match d and L.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, ReadOnlySpan<T> nextX = default)
    {
        int d = Dimension, l = WeightCount;
        int n = weights.Length / l;
        if (n * l != weights.Length)
            throw new ArgumentException($"weights has {weights.Length} entries, not a multiple of the weight count {l}.", nameof(weights));
        if ((long)n * d != x.Length)
            throw new ArgumentException($"x has {x.Length} entries but {n} samples of dimension {d} need {(long)n * d}.", nameof(x));
        bool whole = d == _stride; // rows of whole vectors: the kernels read x where it is
        bool sumsInKernel = _scaled.Span.IsEmpty && PrefixGemm.SumsInKernel<T>(_rowEnds.Length);
        for (int k0 = 0; k0 < n; k0 += _tile)
        {
            int nt = Math.Min(_tile, n - k0);
            // the next tile, which the first weight's kernels prefetch while they multiply this one (RowScaling's read of it then
            // finds it in L2 rather than waiting on memory)
            ReadOnlySpan<T> ahead = k0 + nt < n ? x.Slice((k0 + nt) * d, Math.Min(_tile, n - k0 - nt) * d)
                : nextX[..Math.Min(nextX.Length, _tile * d)];
            // B = the rows of x (or a zero-padded copy when d is not a whole number of vectors); A = the same rows, weighted in the
            // kernels, or c o x in an aligned tile with an odd-cache-line stride written with the column sums c x from one load of each row.
            ReadOnlySpan<T> rows = x.Slice(k0 * d, nt * d);
            int rowStride = d;
            if (!whole)
            {
                Span<T> copy = _copy.Span;
                Simd.CopyRows(rows, d, nt, copy, _rowStride);
                rows = copy;
                rowStride = _rowStride;
            }
            for (int q = 0; q < l; q++)
            {
                ReadOnlySpan<T> c = weights.Slice(q * n + k0, nt);
                Span<double> gram = _gram.AsSpan(q * _stride * _stride, _stride * _stride);
                ReadOnlySpan<T> next = q == 0 ? ahead : default; // one weight's kernels fetch the next tile once
                if (sumsInKernel)
                {
                    // the kernels take the column and weight sums as they read the rows (one read of the tile): one kernel for one
                    // panel, each pair's diagonal block (float64) or first kernel (float32) at an even number of panels
                    _weightSums[q] += PrefixGemm.RunUpperTriangleWithSums<T>(rows, rowStride, rows, rowStride, nt, _rowEnds.Length, gram, _stride,
                        c, _columnSums, d, next, _keptRows.Span);
                }
                else
                {
                    _weightSums[q] += RowScaling.Run<T>(rows, rowStride, c, _stride, _scaled.Span, _rowStride, _columnSums);
                    if (_scaled.Span.IsEmpty)
                        PrefixGemm.RunUpperTriangle<T>(rows, rowStride, rows, rowStride, nt, _rowEnds.Length, gram, _stride, c, next,
                            _keptRows.Span);
                    else PrefixGemm.RunUpperTriangle<T>(_scaled.Span, _rowStride, rows, rowStride, nt, _rowEnds.Length, gram, _stride,
                            next: next);
                }
                Simd.AddTo<T>(_columnSums, _first.AsSpan(q * _stride, _stride));
            }
        }
        Count += n;
    }

    /// <summary>sum_j c_lj.</summary>
    public double WeightSum(int l)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(l);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(l, WeightCount);
        return _weightSums[l];
    }

    /// <summary>Copies sum_j c_lj x_j (d raw sums, not means) into <paramref name="destination"/>.</summary>
    public void CopyFirstMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        if (destination.Length < Dimension) throw new ArgumentException($"The destination needs {Dimension} entries.", nameof(destination));
        _first.AsSpan(l * _stride, Dimension).CopyTo(destination);
    }

    /// <summary>Copies sum_j c_lj x_j x_j^T (d x d row-major, full symmetric) into <paramref name="destination"/>.</summary>
    public void CopyGram(int l, Span<double> destination)
    {
        CheckWeight(l);
        int d = Dimension;
        if (destination.Length < d * d) throw new ArgumentException($"The destination needs {d * d} entries.", nameof(destination));
        ReadOnlySpan<double> g = _gram.AsSpan(l * _stride * _stride, _stride * _stride);
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
                destination[i * d + j] = destination[j * d + i] = g[i * _stride + j];
    }

    /// <summary>Adds the sums of <paramref name="other"/> (same d and L) to this one.</summary>
    public void Merge(WeightedGramAccumulator<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension || other.WeightCount != WeightCount)
            throw new ArgumentException($"Cannot merge a (d={other.Dimension}, L={other.WeightCount}) accumulator into a (d={Dimension}, " +
                $"L={WeightCount}) one.", nameof(other));
        Count += other.Count;
        Add(other._weightSums, _weightSums);
        Add(other._first, _first);
        // the upper triangles only (i <= j < d): nothing reads the entries below, so half the memory a merge moves (a pass merges
        // each of its segments: docs/passes.md, "Segments dealt out as threads free up")
        for (int q = 0; q < WeightCount; q++)
            for (int i = 0; i < Dimension; i++)
            {
                Span<double> row = _gram.AsSpan((q * _stride + i) * _stride + i, Dimension - i);
                System.Numerics.Tensors.TensorPrimitives.Add(row, other._gram.AsSpan((q * _stride + i) * _stride + i, Dimension - i), row);
            }
    }

    /// <summary>
    /// Adds sums of weight <paramref name="l"/> computed elsewhere over <paramref name="count"/> samples: sum c, sum c x (d) and
    /// sum c x x^T (d x d row-major, symmetric; its upper triangle is read).
    /// </summary>
    /// <exception cref="ArgumentException">A vector or matrix has the wrong length.</exception>
    internal void AddSums(int l, long count, double weightSum, ReadOnlySpan<double> first, ReadOnlySpan<double> gram)
    {
        CheckWeight(l);
        int d = Dimension;
        if (first.Length != d || gram.Length != d * d) throw new ArgumentException($"The sums need {d} and {d} x {d} entries.");
        _weightSums[l] += weightSum;
        for (int i = 0; i < d; i++) _first[l * _stride + i] += first[i];
        Span<double> g = _gram.AsSpan(l * _stride * _stride, _stride * _stride);
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) g[i * _stride + j] += gram[i * d + j];
        Count += count;
    }

    /// <summary>Clears every sum and the count.</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_weightSums);
        Array.Clear(_first);
        Array.Clear(_gram);
    }

    /// <summary>
    /// Copies all sums into a flat array of <see cref="StateLength"/> doubles (for an MPI Allreduce):
    /// [count, then for each l: sum c, sum c x (d), upper triangle of sum c x x^T row by row (d(d+1)/2)].
    /// </summary>
    public void CopyState(Span<double> destination)
    {
        MomentState.RequireStateLength(destination.Length, StateLength);
        int d = Dimension, p = 0;
        destination[p++] = Count;
        for (int q = 0; q < WeightCount; q++)
        {
            destination[p++] = _weightSums[q];
            _first.AsSpan(q * _stride, d).CopyTo(destination.Slice(p, d)); p += d;
            MomentState.PackUpper(_gram.AsSpan(q * _stride * _stride), _stride, d, destination.Slice(p, d * (d + 1) / 2)); p += d * (d + 1) / 2;
        }
    }

    /// <summary>Adds a flat state (the layout of <see cref="CopyState"/>) to this accumulator.</summary>
    public void AddState(ReadOnlySpan<double> state)
    {
        MomentState.RequireStateLength(state.Length, StateLength);
        int d = Dimension, p = 0;
        long count = MomentState.CountFrom(state[p++]);
        for (int q = 0; q < WeightCount; q++)
        {
            _weightSums[q] += state[p++];
            for (int i = 0; i < d; i++) _first[q * _stride + i] += state[p++];
            MomentState.AddPackedUpper(state.Slice(p, d * (d + 1) / 2), _gram.AsSpan(q * _stride * _stride), _stride, d); p += d * (d + 1) / 2;
        }
        Count += count;
    }

    /// <summary>Writes the accumulator (shape and every sum, bit-exact) to a stream.</summary>
    public void WriteTo(Stream s)
    {
        double[] state = new double[StateLength];
        CopyState(state);
        MomentState.Write(s, MomentState.KindWeightedGram, MomentState.ElementSize<T>(), [Dimension, WeightCount], [], state);
    }

    /// <summary>Reads an accumulator written by <see cref="WriteTo"/> for the same T.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a weighted Gram accumulator over T.</exception>
    public static WeightedGramAccumulator<T> ReadFrom(Stream s)
    {
        var (shape, _, state) = MomentState.Read(s, MomentState.KindWeightedGram, MomentState.ElementSize<T>(), typeof(T).Name);
        if (shape.Length != 2 || shape[0] <= 0 || shape[1] <= 0) throw new InvalidDataException("Corrupt weighted Gram accumulator header.");
        var result = new WeightedGramAccumulator<T>(shape[0], shape[1]);
        if (state.Length != result.StateLength)
            throw new InvalidDataException("Corrupt weighted Gram accumulator: the state length does not match the shape.");
        result.AddState(state);
        return result;
    }

    private void CheckWeight(int l)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(l);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(l, WeightCount);
    }

    private static void Add(double[] source, double[] destination) =>
        System.Numerics.Tensors.TensorPrimitives.Add(destination, source, destination);
}
