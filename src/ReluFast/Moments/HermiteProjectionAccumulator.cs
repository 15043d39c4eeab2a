using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// Per-neuron Hermite projections (docs/algorithm.md sections 4.5 and 8): sum_j r_j He_k(s_ji) for k = 0..maxOrder and
/// i = 0..m-1, where s_j = W^T x_j and r is the response passed in (usually the centred y~). Costs N d m for
/// the projection plus N m maxOrder for the Hermite recurrence.
/// </summary>
/// <remarks>Sums are in double (the projection s is computed in T). Accumulate does not allocate; instances are not thread-safe.</remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class HermiteProjectionAccumulator<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Largest supported Hermite order.</summary>
    public const int MaxSupportedOrder = 5;

    private const int Tile = 256;
    private readonly double[] _w;     // d x m as given (for serialisation and merging checks)
    private readonly T[] _u;          // the same in T, for the projection kernel
    private readonly double[] _sums;  // (maxOrder + 1) x m
    private readonly T[] _s;          // Tile x m
    private readonly double[] _sd;    // Tile x m in double (float samples only)

    /// <summary>
    /// Creates an empty accumulator for inputs in R^<paramref name="dimension"/> and the <paramref name="hidden"/>
    /// directions in the columns of <paramref name="w"/> (d x m row-major).
    /// </summary>
    /// <exception cref="ArgumentException">The shape of w does not match, or maxOrder is outside 0..5.</exception>
    public HermiteProjectionAccumulator(int dimension, ReadOnlySpan<double> w, int hidden, int maxOrder = MaxSupportedOrder)
    {
        MomentState.RequireFloatingType<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOrder);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxOrder, MaxSupportedOrder);
        if (w.Length != dimension * hidden)
            throw new ArgumentException($"w must be d x m = {dimension} x {hidden} = {dimension * hidden} entries, got {w.Length}.", nameof(w));
        Dimension = dimension;
        Hidden = hidden;
        MaxOrder = maxOrder;
        _w = w.ToArray();
        _u = new T[_w.Length];
        for (int i = 0; i < _w.Length; i++) _u[i] = T.CreateTruncating(_w[i]);
        _sums = new double[(maxOrder + 1) * hidden];
        _s = new T[Tile * hidden];
        _sd = typeof(T) == typeof(double) ? [] : new double[Tile * hidden];
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Number m of directions (neurons).</summary>
    public int Hidden { get; }

    /// <summary>Highest Hermite order accumulated (at most 5).</summary>
    public int MaxOrder { get; }

    /// <summary>Number of samples accumulated.</summary>
    public long Count { get; private set; }

    /// <summary>Length of the flat state: 1 + (maxOrder + 1) m.</summary>
    public int StateLength => 1 + _sums.Length;

    /// <summary>The directions W (d x m row-major, column i is w_i) in double.</summary>
    public ReadOnlySpan<double> Directions => _w;

    /// <summary>Adds a block of n samples: x is n x d row-major, response has n entries.</summary>
    /// <exception cref="ArgumentException">The lengths do not match d.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> response)
    {
        int d = Dimension, m = Hidden, n = response.Length;
        if ((long)n * d != x.Length)
            throw new ArgumentException($"x has {x.Length} entries but {n} samples of dimension {d} need {(long)n * d}.", nameof(x));
        for (int k0 = 0; k0 < n; k0 += Tile)
        {
            int nt = Math.Min(Tile, n - k0);
            Span<T> s = _s.AsSpan(0, nt * m);
            Projection.Project(x.Slice(k0 * d, nt * d), d, _u, m, s);
            ReadOnlySpan<double> sd;
            if (typeof(T) == typeof(double))
            {
                sd = MemoryMarshal.Cast<T, double>(s);
            }
            else
            {
                TensorPrimitives.ConvertTruncating<float, double>(MemoryMarshal.Cast<T, float>(s), _sd.AsSpan(0, nt * m));
                sd = _sd.AsSpan(0, nt * m);
            }
            AccumulateHermite(sd, response.Slice(k0, nt), m);
        }
        Count += n;
    }

    // g_k = r He_k(s) obeys the same recurrence as He_k (docs/algorithm.md section 4.5): g_{k+1} = s g_k - k g_{k-1}.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AccumulateHermite(ReadOnlySpan<double> s, ReadOnlySpan<T> r, int m)
    {
        int n = r.Length, col = 0, orders = MaxOrder + 1;
        if (Simd.WidthBits >= 512)
        {
            ref double sr = ref MemoryMarshal.GetReference(s);
            for (; col + 8 <= m; col += 8)
            {
                Vector512<double> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
                for (int k = 0; k < n; k++)
                {
                    Vector512<double> sv = Vector512.LoadUnsafe(ref sr, (nuint)(k * m + col));
                    Vector512<double> g0 = Vector512.Create(double.CreateTruncating(r[k]));
                    Vector512<double> g1 = g0 * sv;
                    Vector512<double> g2 = sv * g1 - g0;
                    Vector512<double> g3 = sv * g2 - 2.0 * g1;
                    Vector512<double> g4 = sv * g3 - 3.0 * g2;
                    Vector512<double> g5 = sv * g4 - 4.0 * g3;
                    h0 += g0; h1 += g1; h2 += g2; h3 += g3; h4 += g4; h5 += g5;
                }
                Span<Vector512<double>> h = [h0, h1, h2, h3, h4, h5];
                for (int o = 0; o < orders; o++)
                {
                    ref double dst = ref _sums[o * m + col];
                    (Vector512.LoadUnsafe(ref dst) + h[o]).StoreUnsafe(ref dst);
                }
            }
        }
        Span<double> g = stackalloc double[MaxSupportedOrder + 1];
        for (; col < m; col++)
        {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
            for (int k = 0; k < n; k++)
            {
                double sv = s[k * m + col], g0 = double.CreateTruncating(r[k]);
                double g1 = g0 * sv, g2 = sv * g1 - g0, g3 = sv * g2 - 2 * g1, g4 = sv * g3 - 3 * g2, g5 = sv * g4 - 4 * g3;
                a0 += g0; a1 += g1; a2 += g2; a3 += g3; a4 += g4; a5 += g5;
            }
            g[0] = a0; g[1] = a1; g[2] = a2; g[3] = a3; g[4] = a4; g[5] = a5;
            for (int o = 0; o < orders; o++) _sums[o * m + col] += g[o];
        }
    }

    /// <summary>sum_j r_j He_order(&lt;w_neuron, x_j&gt;).</summary>
    public double Sum(int order, int neuron)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        ArgumentOutOfRangeException.ThrowIfNegative(neuron);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(neuron, Hidden);
        return _sums[order * Hidden + neuron];
    }

    /// <summary>Copies all sums, (maxOrder + 1) x m row-major (row k holds order k).</summary>
    public void CopySums(Span<double> destination)
    {
        if (destination.Length < _sums.Length) throw new ArgumentException($"The destination needs {_sums.Length} entries.", nameof(destination));
        _sums.CopyTo(destination);
    }

    /// <summary>Adds the sums of <paramref name="other"/> (same d, W and maxOrder) to this one.</summary>
    public void Merge(HermiteProjectionAccumulator<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension || other.Hidden != Hidden || other.MaxOrder != MaxOrder || !other._w.AsSpan().SequenceEqual(_w))
            throw new ArgumentException("Cannot merge Hermite projections taken with different dimensions, directions or orders.", nameof(other));
        Count += other.Count;
        TensorPrimitives.Add(_sums, other._sums, _sums);
    }

    /// <summary>Clears every sum and the count.</summary>
    public void Reset()
    {
        Count = 0;
        Array.Clear(_sums);
    }

    /// <summary>Copies [count, sums ((maxOrder + 1) x m row-major)] into <see cref="StateLength"/> doubles.</summary>
    public void CopyState(Span<double> destination)
    {
        MomentState.RequireStateLength(destination.Length, StateLength);
        destination[0] = Count;
        _sums.CopyTo(destination[1..]);
    }

    /// <summary>Adds a flat state (the layout of <see cref="CopyState"/>) to this accumulator.</summary>
    public void AddState(ReadOnlySpan<double> state)
    {
        MomentState.RequireStateLength(state.Length, StateLength);
        long count = MomentState.CountFrom(state[0]);
        TensorPrimitives.Add(_sums, state[1..], _sums);
        Count += count;
    }

    /// <summary>Writes the accumulator (shape, directions and every sum, bit-exact) to a stream.</summary>
    public void WriteTo(Stream s)
    {
        double[] state = new double[StateLength];
        CopyState(state);
        MomentState.Write(s, MomentState.KindHermiteProjection, MomentState.ElementSize<T>(), [Dimension, Hidden, MaxOrder], _w, state);
    }

    /// <summary>Reads an accumulator written by <see cref="WriteTo"/> for the same T.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold a Hermite projection accumulator over T.</exception>
    public static HermiteProjectionAccumulator<T> ReadFrom(Stream s)
    {
        var (shape, w, state) = MomentState.Read(s, MomentState.KindHermiteProjection, MomentState.ElementSize<T>(), typeof(T).Name);
        if (shape.Length != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] < 0 || shape[2] > MaxSupportedOrder
            || w.Length != (long)shape[0] * shape[1])
            throw new InvalidDataException("Corrupt Hermite projection accumulator header.");
        var result = new HermiteProjectionAccumulator<T>(shape[0], w, shape[1], shape[2]);
        if (state.Length != result.StateLength)
            throw new InvalidDataException("Corrupt Hermite projection accumulator: the state length does not match the shape.");
        result.AddState(state);
        return result;
    }
}
