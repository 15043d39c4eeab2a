using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Learning;

/// <summary>
/// The moment pass behind <see cref="QuarticSlices"/>: per sample the features f = [psi; x] with psi = svec(x x^T)
/// (D-space, no basis) or psi = P^T svec(x x^T) = (x'A_r x)_r (a basis P, D x p), and the weights
/// y~ and y~ &lt;u_l, x&gt; (y~: the response minus a <see cref="ResponseControl"/>). Blocks go alternately to two
/// accumulators, so the two halves give a split-half estimate of the sampling noise of every slice.
/// With a basis this costs about N (p + d)^2 (1 + L) / 2 multiply-adds; without one the sums come from the distinct monomials
/// of degree up to 4 (<see cref="QuarticMonomialAccumulator{T}"/>), about N d^4 (1 + L) / 24. Does not allocate.
/// </summary>
internal sealed class QuarticSliceWorker<T> : IMomentWorker<T, QuarticSliceWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ResponseControl _control;
    private readonly int _d, _dim, _p, _l, _f;
    private readonly T[]? _basis;
    private readonly T[] _directions;
    private readonly T[] _phi, _psi, _features, _weights, _scratch;
    private readonly WeightedGramAccumulator<T>[]? _gram;            // with a basis: the Gram of the projected features
    private readonly QuarticMonomialAccumulator<T>[]? _monomials;    // without: the distinct monomials
    private int _blocks;

    /// <param name="control">What is subtracted from y (a quadratic polynomial and optionally an earlier network).</param>
    /// <param name="d">Input dimension.</param>
    /// <param name="basis">P (D x p row-major), or null for the symmetric coordinates themselves (p = D).</param>
    /// <param name="p">Number of columns of P (D when basis is null).</param>
    /// <param name="directions">u_1..u_L as the columns of a d x L row-major matrix.</param>
    /// <param name="l">Number L of directions.</param>
    /// <param name="blockSize">Largest block the pass sends.</param>
    public QuarticSliceWorker(ResponseControl control, int d, T[]? basis, int p, T[] directions, int l, int blockSize)
    {
        _control = control;
        _scratch = new T[blockSize];
        _d = d;
        _dim = SymmetricCoordinates.Dimension(d);
        _basis = basis;
        _p = basis is null ? _dim : p;
        _l = l;
        _f = _p + d;
        _directions = Projection.ColumnsAsRows<T>(directions, d, l);
        _phi = basis is null ? [] : new T[blockSize * _dim];
        _psi = basis is null ? [] : new T[blockSize * _p];
        _features = basis is null ? [] : new T[blockSize * _f];
        _weights = new T[blockSize * (1 + l)];
        if (basis is null)
            Halves = _monomials = [new QuarticMonomialAccumulator<T>(d, 1 + l), new QuarticMonomialAccumulator<T>(d, 1 + l)];
        else
            Halves = _gram = [new WeightedGramAccumulator<T>(_f, 1 + l), new WeightedGramAccumulator<T>(_f, 1 + l)];
    }

    /// <summary>The two split halves (blocks alternate between them).</summary>
    public IWeightedGramSums[] Halves { get; }

    /// <summary>sum y~^2 over all samples.</summary>
    public double SumOfSquares { get; private set; }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int n = y.Length, d = _d, f = _f;
        Span<T> centred = _weights.AsSpan(0, n);
        _control.Apply(x, y, centred, _scratch);
        SumOfSquares += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(centred));
        Projection.WeightedDots<T>(x, d, _directions, centred, _weights.AsSpan(n, _l * n));
        ReadOnlySpan<T> weights = _weights.AsSpan(0, (1 + _l) * n);
        int half = _blocks++ & 1;
        if (_monomials is not null)
        {
            _monomials[half].Accumulate(x, weights);
            return;
        }
        Span<T> features = _features.AsSpan(0, n * f), phi = _phi.AsSpan(0, n * _dim), psi = _psi.AsSpan(0, n * _p);
        SymmetricCoordinates.Features(x, d, phi, _dim);
        Projection.Project<T>(phi, _dim, _basis, _p, psi);
        Simd.CopyRows<T>(psi, _p, n, features, f);
        Simd.CopyRows(x, d, n, features[_p..], f);
        _gram![half].Accumulate(features, weights);
    }

    public void Merge(QuarticSliceWorker<T> other)
    {
        // Keep the halves balanced: a worker whose block count is odd put one block more into half 0.
        int first = (_blocks & 1) == 0 ? 0 : 1;
        if (_monomials is not null)
        {
            _monomials[0].Merge(other._monomials![first]);
            _monomials[1].Merge(other._monomials[1 - first]);
        }
        else
        {
            _gram![0].Merge(other._gram![first]);
            _gram[1].Merge(other._gram[1 - first]);
        }
        _blocks += other._blocks;
        SumOfSquares += other.SumOfSquares;
    }

    public bool CanReset => true;

    public void Reset()
    {
        if (_monomials is not null)
            foreach (var half in _monomials) half.Reset();
        else
            foreach (var half in _gram!) half.Reset();
        _blocks = 0;
        SumOfSquares = 0;
    }
}

/// <summary>
/// The coefficient pass of the overcomplete learner: sum y~ He_k(&lt;w_j, x&gt;) for k = 0..maxOrder and every
/// direction w_j (the columns of a d x count matrix; count may exceed d).
/// </summary>
internal sealed class DirectionHermiteWorker<T> : IMomentWorker<T, DirectionHermiteWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ResponseControl _control;
    private readonly T[] _centred, _scratch;

    public DirectionHermiteWorker(int d, double[] directions, int count, int maxOrder, ResponseControl control, int blockSize)
    {
        _control = control;
        _centred = new T[blockSize];
        _scratch = new T[blockSize];
        Moments = new HermiteProjectionAccumulator<T>(d, directions, count, maxOrder);
    }

    public HermiteProjectionAccumulator<T> Moments { get; }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        Span<T> centred = _centred.AsSpan(0, y.Length);
        _control.Apply(x, y, centred, _scratch);
        Moments.Accumulate(x, centred);
    }

    public void Merge(DirectionHermiteWorker<T> other) => Moments.Merge(other.Moments);

    public bool CanReset => true;

    public void Reset() => Moments.Reset();
}
