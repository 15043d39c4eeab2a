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
/// The 3-tensor is a Gram matrix between the pair features z_i z_j (i &lt;= j) and c o z, computed with the
/// same register-blocked kernel as <see cref="WeightedGramAccumulator{T}"/> on column blocks k &gt;= j; the pair
/// features are built once per tile for all L weights, and the kernel multiplies each row of z by its weight
/// as it loads it.
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
    private readonly double[] _weightSums;
    private readonly double[] _first;  // L x stride
    private readonly double[] _second; // L x stride x stride; entries with i <= j are valid
    private readonly double[] _third;  // L x pairStride x stride: row p(i, j), column k; valid for k >= j
    private readonly int _rowStride;   // row stride of the z and c o z tiles (an odd number of cache lines)
    private readonly int _pairRowStride; // row stride of the pair-feature tile
    private readonly AlignedBuffer<T> _padded; // tile x rowStride (+ one vector of slack): z, zero-padded
    private readonly AlignedBuffer<T> _pairs;  // tile x pairRowStride
    private readonly T[] _columnSums;  // stride
    private readonly int[] _rowEnds;

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
        _rowStride = AlignedBuffer<T>.ConflictFreeStride(_stride);
        _pairRowStride = AlignedBuffer<T>.ConflictFreeStride(_pairStride);
        _tile = Math.Clamp(262144 / (_pairRowStride * size), 16, 512) & ~7;
        _weightSums = new double[weightCount];
        _first = new double[weightCount * _stride];
        _second = new double[weightCount * _stride * _stride];
        _third = new double[checked(weightCount * _pairStride * _stride)];
        _padded = new AlignedBuffer<T>(_tile * _rowStride + unit);
        _pairs = new AlignedBuffer<T>(_tile * _pairRowStride);
        _columnSums = new T[_stride];
        _rowEnds = new int[_stride / unit];
        for (int v = 0; v < _rowEnds.Length; v++)
            _rowEnds[v] = Simd.RoundUp(PairFeatures.Count(Math.Min((v + 1) * unit, dimension)), 4); // pairs (i, j) with j <= the panel's last column
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
            Span<T> padded = _padded.Span, pairs = _pairs.Span;
            for (int k = 0; k < nt; k++) z.Slice((k0 + k) * m, m).CopyTo(padded.Slice(k * _rowStride, m));
            // the unweighted pair features z_i z_j, once for all L weights: the kernels apply each weight as they load z
            PairFeatures.Build<T>(padded, padded, _rowStride, m, nt, pairs, _pairRowStride);
            for (int q = 0; q < l; q++)
            {
                ReadOnlySpan<T> c = weights.Slice(q * n + k0, nt);
                _weightSums[q] += RowScaling.Run<T>(padded, _rowStride, c, _stride, default, 0, _columnSums);
                Simd.AddTo<T>(_columnSums.AsSpan(0, m), _first.AsSpan(q * _stride, m));
                PrefixGemm.RunUpperTriangle<T>(padded, _rowStride, padded, _rowStride, nt, _rowEnds.Length,
                    _second.AsSpan(q * _stride * _stride, _stride * _stride), _stride, weights: c);
                PrefixGemm.Run<T>(pairs, _pairRowStride, padded, _rowStride, nt, _rowEnds,
                    _third.AsSpan(q * _pairStride * _stride, _pairStride * _stride), _stride, c);
            }
        }
        Count += n;
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
        ReadOnlySpan<double> t = _third.AsSpan(l * _pairStride * _stride, _pairStride * _stride);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                {
                    // sort (i, j, k) into a <= b <= c: the entry is stored at row p(a, b), column c
                    int a = i, b = j, c = k;
                    if (a > b) (a, b) = (b, a);
                    if (b > c) (b, c) = (c, b);
                    if (a > b) (a, b) = (b, a);
                    destination[(i * m + j) * m + k] = t[(b * (b + 1) / 2 + a) * _stride + c];
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
    }

    /// <summary>Clears every sum and the count.</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_weightSums);
        Array.Clear(_first);
        Array.Clear(_second);
        Array.Clear(_third);
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
            ReadOnlySpan<double> t = _third.AsSpan(q * _pairStride * _stride, _pairStride * _stride);
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                {
                    int row = (j * (j + 1) / 2 + i) * _stride;
                    t.Slice(row + j, m - j).CopyTo(destination.Slice(p, m - j)); p += m - j;
                }
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
            Span<double> t = _third.AsSpan(q * _pairStride * _stride, _pairStride * _stride);
            for (int j = 0; j < m; j++)
                for (int i = 0; i <= j; i++)
                {
                    int row = (j * (j + 1) / 2 + i) * _stride;
                    for (int k = j; k < m; k++) t[row + k] += state[p++];
                }
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
