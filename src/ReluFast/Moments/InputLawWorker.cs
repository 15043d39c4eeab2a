using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// The input pass (docs/algorithm.md section 17): for z = U^T x - s (an affine map of the inputs to g coordinates), the Gram
/// sums of z (mean and covariance), and the power sums sum q, q^2, q^3, q^4 (marginal skewness and kurtosis) of the d
/// coordinates q = x - t about a centre t, when one is given, and of K directions q = R^T z. Labels are not read.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class InputLawWorker<T> : IMomentWorker<T, InputLawWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[]? _u;
    private readonly T[] _shift;
    private readonly T[] _r;
    private readonly double[] _centre;
    private readonly double[] _powers;
    private T[] _z = [];
    private T[] _q = [];
    private T[] _ones = [];

    /// <param name="dimension">The input dimension d.</param>
    /// <param name="u">d x g row-major: column k maps x to z_k; null for the identity (z = x - s, g = d).</param>
    /// <param name="shift">g values subtracted after the projection.</param>
    /// <param name="r">g x K row-major: column k is a direction in z's coordinates whose marginal is tested (K may be 0).</param>
    /// <param name="centre">d values t: the coordinates' marginals x - t are tested too (first); null to test only R's.</param>
    public InputLawWorker(int dimension, T[]? u, T[] shift, T[] r, double[]? centre = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(r);
        int g = shift.Length;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(g);
        if (u is null ? g != dimension : u.Length != dimension * g)
            throw new ArgumentException($"u must be d x g = {dimension} x {g} values (or null with g = d), got {u?.Length ?? 0}.", nameof(u));
        if (r.Length % g != 0) throw new ArgumentException($"r must be g x K with g = {g}, got {r.Length} values.", nameof(r));
        if (centre is not null && centre.Length != dimension)
            throw new ArgumentException($"The centre must have d = {dimension} values, got {centre.Length}.", nameof(centre));
        Dimension = dimension;
        GramDimension = g;
        Directions = r.Length / g;
        _u = u;
        _shift = shift;
        _r = r;
        _centre = centre ?? [];
        Marginals = _centre.Length + Directions;
        _powers = new double[4 * Marginals];
        Gram = new WeightedGramAccumulator<T>(g);
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The coordinates of z (g).</summary>
    public int GramDimension { get; }

    /// <summary>The directions tested, K.</summary>
    public int Directions { get; }

    /// <summary>The marginals tested: the d coordinates when a centre was given, then the K directions.</summary>
    public int Marginals { get; }

    /// <summary>Gram sums (unit weights) of z.</summary>
    public WeightedGramAccumulator<T> Gram { get; }

    /// <summary>Samples seen.</summary>
    public long Count => Gram.Count;

    /// <summary>Power sums of the c = <see cref="Marginals"/> marginals q: entry (k - 1) c + j is sum q_j^k, k = 1..4.</summary>
    public ReadOnlySpan<double> Powers => _powers;

    /// <summary>Length of the flat state (<see cref="CopyState"/>).</summary>
    public int StateLength => Gram.StateLength + _powers.Length;

    /// <inheritdoc />
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int n = y.Length, g = GramDimension, k = Directions;
        if (n == 0) return;
        if (_ones.Length < n)
        {
            _z = new T[n * g];
            _q = new T[n * Math.Max(k, 1)];
            _ones = new T[n];
            _ones.AsSpan().Fill(T.One);
        }
        Span<T> z = _z.AsSpan(0, n * g), q = _q.AsSpan(0, n * k);
        // z = U^T x - s, or x - s without a projection
        ReadOnlySpan<T> projected = x;
        if (_u is not null)
        {
            Projection.Project(x, Dimension, _u, g, z);
            projected = z;
        }
        for (int j = 0; j < n; j++) TensorPrimitives.Subtract(projected.Slice(j * g, g), _shift, z.Slice(j * g, g));
        Gram.Accumulate(z, _ones.AsSpan(0, n));
        int d = _centre.Length;
        // the coordinates straight from x, in double about the centre (no projection: x - t is what their marginals are)
        if (d > 0) PowerSums.Accumulate(x, d, _centre, Power(1, 0, d), Power(2, 0, d), Power(3, 0, d), Power(4, 0, d));
        if (k == 0) return;
        Projection.Project(z, g, _r, k, q);
        PowerSums.Accumulate<T>(q, k, [], Power(1, d, k), Power(2, d, k), Power(3, d, k), Power(4, d, k));
    }

    /// <summary>The sums of q^p of marginals first .. first + count - 1.</summary>
    private Span<double> Power(int p, int first, int count) => _powers.AsSpan((p - 1) * Marginals + first, count);

    /// <inheritdoc />
    public void Merge(InputLawWorker<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Gram.Merge(other.Gram);
        TensorPrimitives.Add(_powers, other._powers, _powers);
    }

    /// <inheritdoc />
    public bool CanReset => true;

    /// <inheritdoc />
    public void Reset()
    {
        Gram.Reset();
        Array.Clear(_powers);
    }

    /// <summary>Writes the sums (Gram state, then the power sums) to <paramref name="destination"/>.</summary>
    public void CopyState(Span<double> destination)
    {
        Gram.CopyState(destination[..Gram.StateLength]);
        _powers.CopyTo(destination[Gram.StateLength..]);
    }

    /// <summary>Replaces the sums with <paramref name="state"/> (the layout of <see cref="CopyState"/>).</summary>
    public void SetState(ReadOnlySpan<double> state)
    {
        Gram.Reset();
        Gram.AddState(state[..Gram.StateLength]);
        state[Gram.StateLength..].CopyTo(_powers);
    }
}
