using System.Numerics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// Streaming weighted moments of projected samples z in R^m (docs/algorithm.md sections 4 and 6): for each of L
/// per-sample weight vectors c_l, sum c, sum c z (m), sum c z z^T (m x m) and the symmetric 3-tensor
/// sum c z (x) z (x) z. Only the unique entries i &lt;= j &lt;= k are accumulated (about m^3/6 per sample);
/// copies expose the full tensor.
/// </summary>
/// <remarks>
/// The 3-tensor is a Gram matrix between pair features and the weighted copy c o z, computed with the same
/// register-blocked kernel as <see cref="WeightedGramAccumulator{T}"/> (<see cref="PrefixGemm"/>), whose
/// columns come in panels of one 512-bit vector (w = 8 doubles or 16 floats). Each unique entry i &lt;= j &lt;= k is
/// taken once, from one of two products, so that no panel is spent on entries below the diagonal of j and k:
/// <list type="bullet">
/// <item>j in an earlier panel than k: the pair features z_i z_j (j &lt; the first column of k's panel) against the
/// columns k of c o z; every lane is an entry (stored at row p(i, j), column k);</item>
/// <item>j and k in the same panel P: the w (w + 1) / 2 pairs z_j z_k within P against the columns i &lt;= the last of
/// P (stored at row r(j, k) of P's diagonal block, column i); only the entries i &gt; j of panel P itself are spent.</item>
/// </list>
/// At m = 32 (float64) that is 6656 multiply-adds per sample and weight for the 5984 unique entries, against 8000 for
/// the pair features alone against every panel k &gt;= j. The pair features are built once per tile for all L weights.
/// Totals are double; partial sums over one tile of samples are in T. Accumulate does not allocate;
/// instances are not thread-safe.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class ProjectedTensorAccumulator<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _stride;      // padded row stride of z copies
    private readonly int _pairCount;   // m (m + 1) / 2
    private readonly int _pairStride;  // row stride of the pair features (pairs + one vector of slack, padded)
    private readonly int _tile;

    /// <summary>Bytes of pair features per tile (with the diagonal features): the tile stays in L2 while every kernel reads it.</summary>
    private const int TileBytes = 262144;

    /// <summary>
    /// The fewest samples a tile holds, whatever its bytes. Every tile ends by adding its partial sums to the double totals, all
    /// m(m+1)(m+2)/6 x L of them (1.4 MB at m = 64 and four weights) and about as many as the kernels' lanes per sample, so that
    /// read-modify-write costs about one sample's kernel work per tile, from L3. At 256 KiB alone a tile was 48 samples at m = 32 and
    /// 16 at m = 64, and on a two-pipe core two threads ran slower than one at m = 64, their flushes contending for the shared L3
    /// (docs/passes.md, "A two-pipe machine"). From m = 17 up (float64; 20 in float32) this bound sets the tile; smaller m keep their 256 KiB tiles.
    /// </summary>
    private const int MinimumTileSamples = 128;
    private readonly double[] _weightSums;
    private readonly double[] _first;  // L x stride
    private readonly double[] _second; // L x stride x stride; entries with i <= j are valid
    private readonly double[] _third;  // L x pairStride x stride: row p(i, j), column k; valid for j in an earlier panel than k
    private readonly double[] _diagonal; // L x panels x diagonalPairs x stride: panel P, row r(j, k), column i; valid for i <= j
    private readonly int _panelWidth, _panels, _diagonalPairs, _diagonalRowStride;
    private readonly int _rowStride;   // row stride of the z and c o z tiles (an odd number of cache lines)
    private readonly int _pairRowStride; // row stride of the pair-feature tile
    private readonly AlignedBuffer<T> _padded; // tile x rowStride (+ one vector of slack): z, zero-padded
    private readonly AlignedBuffer<T> _scaled; // tile x rowStride: c o z for the weight being accumulated
    private readonly AlignedBuffer<T> _pairs;  // tile x pairRowStride
    private readonly AlignedBuffer<T> _diagonalFeatures; // tile x diagonalRowStride: the pairs within each panel, panel after panel
    private readonly T[] _columnSums;  // stride
    private readonly int[] _rowEnds;   // pairs with j before panel v + 1, for the panels v + 1 = 1 .. panels - 1
    private readonly int[][] _diagonalEnds; // panel P: P + 1 times the rows of its diagonal block (its pairs, or its real columns')

    /// <summary>Creates an empty accumulator for z in R^<paramref name="dimension"/> and <paramref name="weightCount"/> weight vectors.</summary>
    /// <exception cref="ArgumentOutOfRangeException">dimension or weightCount is not positive.</exception>
    public ProjectedTensorAccumulator(int dimension, int weightCount = 1)
    {
        MomentState.RequireFloatingType<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxDimension); // the m^3/6 sums must fit in memory
        Dimension = dimension;
        WeightCount = weightCount;
        int unit = PrefixGemm.PanelWidth<T>();
        _stride = Simd.RoundUp(dimension, unit);
        _pairCount = PairFeatures.Count(dimension);
        _pairStride = Simd.RoundUp(_pairCount + unit, unit);
        int size = MomentState.ElementSize<T>();
        _panelWidth = unit;
        _panels = _stride / unit;
        _diagonalPairs = PairFeatures.Count(unit);
        _rowStride = AlignedBuffer<T>.ConflictFreeStride(_stride);
        _pairRowStride = AlignedBuffer<T>.ConflictFreeStride(_pairStride);
        _diagonalRowStride = AlignedBuffer<T>.ConflictFreeStride(_panels * _diagonalPairs + unit);
        _tile = Math.Clamp(Math.Max(TileBytes / ((_pairRowStride + _diagonalRowStride) * size), MinimumTileSamples), 16, 512) & ~7;
        _weightSums = new double[weightCount];
        _first = new double[weightCount * _stride];
        _second = new double[weightCount * _stride * _stride];
        _third = new double[checked(weightCount * _pairStride * _stride)];
        _diagonal = new double[checked(weightCount * _panels * _diagonalPairs * _stride)];
        _padded = new AlignedBuffer<T>(_tile * _rowStride + unit);
        _scaled = new AlignedBuffer<T>(_tile * _rowStride);
        _pairs = new AlignedBuffer<T>(_tile * _pairRowStride);
        _diagonalFeatures = new AlignedBuffer<T>(_tile * _diagonalRowStride + _panels * _diagonalPairs);
        _columnSums = new T[_stride];
        _rowEnds = new int[_panels - 1];
        for (int v = 1; v < _panels; v++) _rowEnds[v - 1] = PairFeatures.Count(v * unit); // a multiple of 4 (unit is 8 or 16)
        _diagonalEnds = new int[_panels][];
        for (int p = 0; p < _panels; p++)
        {
            _diagonalEnds[p] = new int[p + 1];
            Array.Fill(_diagonalEnds[p], Simd.RoundUp(PairFeatures.Count(Math.Min(unit, dimension - p * unit)), 4));
        }
    }

    /// <summary>Largest supported m (the unique third moments alone take m^3/6 doubles per weight).</summary>
    public const int MaxDimension = 256;

    /// <summary>Projected dimension m.</summary>
    public int Dimension { get; }

    /// <summary>Number L of weight vectors accumulated side by side.</summary>
    public int WeightCount { get; }

    /// <summary>Number of samples accumulated.</summary>
    public long Count { get; private set; }

    /// <summary>Length of the flat state: 1 + L (1 + m + m(m+1)/2 + m(m+1)(m+2)/6).</summary>
    public int StateLength => 1 + WeightCount * (1 + Dimension + _pairCount + UniqueThird(Dimension));

    private static int UniqueThird(int m) => m * (m + 1) * (m + 2) / 6;

    /// <summary>Adds a block of n samples: z is n x m row-major, weights is L x n (weight l at [l n, (l+1) n)).</summary>
    /// <exception cref="ArgumentException">The lengths do not match m and L.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Accumulate(ReadOnlySpan<T> z, ReadOnlySpan<T> weights)
    {
        int m = Dimension, l = WeightCount;
        int n = weights.Length / l;
        if (n * l != weights.Length)
            throw new ArgumentException($"weights has {weights.Length} entries, not a multiple of the weight count {l}.", nameof(weights));
        if ((long)n * m != z.Length)
            throw new ArgumentException($"z has {z.Length} entries but {n} samples of dimension {m} need {(long)n * m}.", nameof(z));
        for (int k0 = 0; k0 < n; k0 += _tile)
        {
            int nt = Math.Min(_tile, n - k0);
            Span<T> padded = _padded.Span, pairs = _pairs.Span, scaled = _scaled.Span, diagonal = _diagonalFeatures.Span;
            for (int k = 0; k < nt; k++) z.Slice((k0 + k) * m, m).CopyTo(padded.Slice(k * _rowStride, m));
            // the unweighted pair features, once for all L weights, against the weighted copy c o z of each weight (one multiply
            // per entry of z, instead of one per z row in every kernel call): z_i z_j for j before the last panel, and the pairs
            // within each panel
            int w = _panelWidth, before = _panels > 1 ? _rowEnds[^1] : 0;
            if (before > 0) PairFeatures.Build<T>(padded, padded, _rowStride, (_panels - 1) * w, nt, pairs, _pairRowStride);
            for (int p = 0; p < _panels; p++)
            {
                ReadOnlySpan<T> zp = padded[(p * w)..];
                PairFeatures.Build<T>(zp, zp, _rowStride, w, nt, diagonal[(p * _diagonalPairs)..], _diagonalRowStride);
            }
            for (int q = 0; q < l; q++)
            {
                ReadOnlySpan<T> c = weights.Slice(q * n + k0, nt);
                _weightSums[q] += RowScaling.Run<T>(padded, _rowStride, c, _stride, scaled, _rowStride, _columnSums);
                Simd.AddTo<T>(_columnSums.AsSpan(0, m), _first.AsSpan(q * _stride, m));
                PrefixGemm.RunUpperTriangle<T>(padded, _rowStride, scaled, _rowStride, nt, _panels,
                    _second.AsSpan(q * _stride * _stride, _stride * _stride), _stride);
                // j in an earlier panel than k: the panels k of 1 .. panels - 1 against the pairs before them
                if (before > 0)
                    PrefixGemm.Run<T>(pairs, _pairRowStride, scaled[w..], _rowStride, nt, _rowEnds,
                        _third.AsSpan(q * _pairStride * _stride + w, _pairStride * _stride - w), _stride);
                // j and k in panel P: its pairs against the columns i of the panels 0 .. P
                for (int p = 0; p < _panels; p++)
                    PrefixGemm.Run<T>(diagonal[(p * _diagonalPairs)..], _diagonalRowStride, scaled, _rowStride, nt, _diagonalEnds[p],
                        DiagonalBlock(q, p), _stride);
            }
        }
        Count += n;
    }

    private Span<double> DiagonalBlock(int q, int p) =>
        _diagonal.AsSpan((q * _panels + p) * _diagonalPairs * _stride, _diagonalPairs * _stride);

    /// <summary>The sum of weight q for the unique entry a &lt;= b &lt;= c of the 3-tensor, in whichever product holds it.</summary>
    private ref double Third(int q, int a, int b, int c)
    {
        int p = c / _panelWidth, first = p * _panelWidth;
        if (b < first) return ref _third[(q * _pairStride + b * (b + 1) / 2 + a) * _stride + c];
        int j = b - first, k = c - first; // the pair (j, k) within panel p
        return ref _diagonal[((q * _panels + p) * _diagonalPairs + k * (k + 1) / 2 + j) * _stride + a];
    }

    /// <summary>sum_j c_lj.</summary>
    public double WeightSum(int l) { CheckWeight(l); return _weightSums[l]; }

    /// <summary>Copies sum_j c_lj z_j (m raw sums) into <paramref name="destination"/>.</summary>
    public void CopyFirstMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        RequireLength(destination, Dimension);
        _first.AsSpan(l * _stride, Dimension).CopyTo(destination);
    }

    /// <summary>Copies sum_j c_lj z_j z_j^T (m x m row-major, full symmetric) into <paramref name="destination"/>.</summary>
    public void CopySecondMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        int m = Dimension;
        RequireLength(destination, m * m);
        ReadOnlySpan<double> s = _second.AsSpan(l * _stride * _stride, _stride * _stride);
        for (int j = 0; j < m; j++)
            for (int i = 0; i <= j; i++)
                destination[i * m + j] = destination[j * m + i] = s[i * _stride + j];
    }

    /// <summary>Copies sum_j c_lj z_j (x) z_j (x) z_j (m^3, full symmetric, entry (i, j, k) at (i m + j) m + k).</summary>
    public void CopyThirdMoment(int l, Span<double> destination)
    {
        CheckWeight(l);
        int m = Dimension;
        RequireLength(destination, m * m * m);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                {
                    // sort (i, j, k) into a <= b <= c, the unique entry
                    int a = i, b = j, c = k;
                    if (a > b) (a, b) = (b, a);
                    if (b > c) (b, c) = (c, b);
                    if (a > b) (a, b) = (b, a);
                    destination[(i * m + j) * m + k] = Third(l, a, b, c);
                }
    }

    /// <summary>Adds the sums of <paramref name="other"/> (same m and L) to this one.</summary>
    public void Merge(ProjectedTensorAccumulator<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension || other.WeightCount != WeightCount)
            throw new ArgumentException($"Cannot merge a (m={other.Dimension}, L={other.WeightCount}) accumulator into a (m={Dimension}, " +
                $"L={WeightCount}) one.", nameof(other));
        Count += other.Count;
        Add(other._weightSums, _weightSums);
        Add(other._first, _first);
        Add(other._second, _second);
        Add(other._third, _third);
        Add(other._diagonal, _diagonal);
    }

    /// <summary>Clears every sum and the count.</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_weightSums);
        Array.Clear(_first);
        Array.Clear(_second);
        Array.Clear(_third);
        Array.Clear(_diagonal);
    }

    /// <summary>
    /// Copies all sums into <see cref="StateLength"/> doubles: [count, then for each l: sum c, sum c z (m),
    /// sum c z_i z_j for j = 0..m-1, i = 0..j, then sum c z_i z_j z_k for j = 0..m-1, i = 0..j, k = j..m-1].
    /// </summary>
    public void CopyState(Span<double> destination)
    {
        MomentState.RequireStateLength(destination.Length, StateLength);
        int m = Dimension, p = 0;
        destination[p++] = Count;
        for (int q = 0; q < WeightCount; q++)
        {
            destination[p++] = _weightSums[q];
            _first.AsSpan(q * _stride, m).CopyTo(destination.Slice(p, m)); p += m;
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++) destination[p++] = _second[(q * _stride + i) * _stride + j];
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                    for (int k = j; k < m; k++) destination[p++] = Third(q, i, j, k);
        }
    }

    /// <summary>Adds a flat state (the layout of <see cref="CopyState"/>) to this accumulator.</summary>
    public void AddState(ReadOnlySpan<double> state)
    {
        MomentState.RequireStateLength(state.Length, StateLength);
        int m = Dimension, p = 0;
        long count = MomentState.CountFrom(state[p++]);
        for (int q = 0; q < WeightCount; q++)
        {
            _weightSums[q] += state[p++];
            for (int i = 0; i < m; i++) _first[q * _stride + i] += state[p++];
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++) _second[(q * _stride + i) * _stride + j] += state[p++];
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                    for (int k = j; k < m; k++) Third(q, i, j, k) += state[p++];
        }
        Count += count;
    }

    /// <summary>Writes the accumulator (shape and every sum, bit-exact) to a stream.</summary>
    public void WriteTo(Stream s)
    {
        double[] state = new double[StateLength];
        CopyState(state);
        MomentState.Write(s, MomentState.KindProjectedTensor, MomentState.ElementSize<T>(), [Dimension, WeightCount], [], state);
    }

    /// <summary>Reads an accumulator written by <see cref="WriteTo"/> for the same T.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a projected tensor accumulator over T.</exception>
    public static ProjectedTensorAccumulator<T> ReadFrom(Stream s)
    {
        var (shape, _, state) = MomentState.Read(s, MomentState.KindProjectedTensor, MomentState.ElementSize<T>(), typeof(T).Name);
        if (shape.Length != 2 || shape[0] <= 0 || shape[0] > MaxDimension || shape[1] <= 0)
            throw new InvalidDataException("Corrupt projected tensor accumulator header.");
        var result = new ProjectedTensorAccumulator<T>(shape[0], shape[1]);
        if (state.Length != result.StateLength)
            throw new InvalidDataException("Corrupt projected tensor accumulator: the state length does not match the shape.");
        result.AddState(state);
        return result;
    }

    private void CheckWeight(int l)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(l);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(l, WeightCount);
    }

    private static void RequireLength(Span<double> destination, int length)
    {
        if (destination.Length < length) throw new ArgumentException($"The destination needs {length} entries.", nameof(destination));
    }

    private static void Add(double[] source, double[] destination) =>
        System.Numerics.Tensors.TensorPrimitives.Add(destination, source, destination);
}
