using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// The input pass (docs/algorithm.md section 17): for z = U^T x - s (an affine map of the inputs to g coordinates), the Gram
/// sums of z (mean and covariance), and for K directions q = R^T z the power sums sum q, q^2, q^3, q^4 (marginal skewness and
/// kurtosis). Labels are not read.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class InputLawWorker<T> : IMomentWorker<T, InputLawWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _u;
    private readonly T[] _shift;
    private readonly T[] _r;
    private readonly double[] _powers;
    private T[] _z = [];
    private T[] _q = [];
    private T[] _ones = [];

    /// <param name="dimension">The input dimension d.</param>
    /// <param name="u">d x g row-major: column k maps x to z_k.</param>
    /// <param name="shift">g values subtracted after the projection.</param>
    /// <param name="r">g x K row-major: column k is a direction in z's coordinates whose marginal is tested (K may be 0).</param>
    public InputLawWorker(int dimension, T[] u, T[] shift, T[] r)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(r);
        int g = shift.Length;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(g);
        if (u.Length != dimension * g) throw new ArgumentException($"u must be d x g = {dimension} x {g} values, got {u.Length}.", nameof(u));
        if (r.Length % g != 0) throw new ArgumentException($"r must be g x K with g = {g}, got {r.Length} values.", nameof(r));
        Dimension = dimension;
        GramDimension = g;
        Directions = r.Length / g;
        _u = u;
        _shift = shift;
        _r = r;
        _powers = new double[4 * Directions];
        Gram = new WeightedGramAccumulator<T>(g);
    }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The coordinates of z (g).</summary>
    public int GramDimension { get; }

    /// <summary>The directions tested, K.</summary>
    public int Directions { get; }

    /// <summary>Gram sums (unit weights) of z.</summary>
    public WeightedGramAccumulator<T> Gram { get; }

    /// <summary>Samples seen.</summary>
    public long Count => Gram.Count;

    /// <summary>Power sums of the K marginals q: entry (k - 1) * K + j is sum q_j^k, k = 1..4.</summary>
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
        Projection.Project(x, Dimension, _u, g, z);
        for (int j = 0; j < n; j++) TensorPrimitives.Subtract(z.Slice(j * g, g), _shift, z.Slice(j * g, g));
        Gram.Accumulate(z, _ones.AsSpan(0, n));
        if (k == 0) return;
        Projection.Project(z, g, _r, k, q);
        PowerSums.Accumulate<T>(q, k, _powers.AsSpan(0, k), _powers.AsSpan(k, k), _powers.AsSpan(2 * k, k), _powers.AsSpan(3 * k, k));
    }

    /// <inheritdoc />
    public void Merge(InputLawWorker<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Gram.Merge(other.Gram);
        TensorPrimitives.Add(_powers, other._powers, _powers);
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
