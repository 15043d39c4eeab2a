using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The moment pass behind <see cref="QuarticSlices"/>: per sample the features f = [psi; x] with psi = svec(x x^T)
/// (D-space, no basis) or psi = P^T svec(x x^T) = (x'A_r x)_r (a basis P, D x p), and the weights
/// y~ and y~ &lt;u_l, x&gt; (y~: the response minus a <see cref="ResponseControl"/>). Blocks go alternately to two
/// accumulators, so the two halves give a split-half estimate of the sampling noise of every slice.
/// Costs about N (p + d)^2 (1 + L) / 2 multiply-adds; does not allocate.
/// </summary>
internal sealed class QuarticSliceWorker<T> : IMomentWorker<T, QuarticSliceWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ResponseControl _control;
    private readonly int _d, _dim, _p, _l, _f;
    private readonly T[]? _basis;
    private readonly T[] _directions;
    private readonly T[] _phi, _psi, _features, _contractions, _weights, _scratch;
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
        _directions = directions;
        _phi = basis is null ? [] : new T[blockSize * _dim];
        _psi = basis is null ? [] : new T[blockSize * _p];
        _features = new T[blockSize * _f];
        _contractions = new T[blockSize * l];
        _weights = new T[blockSize * (1 + l)];
        Halves = [new WeightedGramAccumulator<T>(_f, 1 + l), new WeightedGramAccumulator<T>(_f, 1 + l)];
    }

    /// <summary>The two split halves (blocks alternate between them).</summary>
    public WeightedGramAccumulator<T>[] Halves { get; }

    /// <summary>sum y~^2 over all samples.</summary>
    public double SumOfSquares { get; private set; }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int n = y.Length, d = _d, f = _f;
        Span<T> centred = _weights.AsSpan(0, n);
        _control.Apply(x, y, centred, _scratch);
        SumOfSquares += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(centred));
        Span<T> features = _features.AsSpan(0, n * f);
        if (_basis is null)
        {
            SymmetricCoordinates.Features(x, d, features, f);
        }
        else
        {
            Span<T> phi = _phi.AsSpan(0, n * _dim), psi = _psi.AsSpan(0, n * _p);
            SymmetricCoordinates.Features(x, d, phi, _dim);
            Projection.Project<T>(phi, _dim, _basis, _p, psi);
            for (int j = 0; j < n; j++) psi.Slice(j * _p, _p).CopyTo(features.Slice(j * f, _p));
        }
        for (int j = 0; j < n; j++) x.Slice(j * d, d).CopyTo(features.Slice(j * f + _p, d));
        Span<T> contractions = _contractions.AsSpan(0, n * _l);
        Projection.Project<T>(x, d, _directions, _l, contractions);
        for (int li = 0; li < _l; li++)
        {
            Span<T> weight = _weights.AsSpan((1 + li) * n, n);
            for (int j = 0; j < n; j++) weight[j] = centred[j] * contractions[j * _l + li];
        }
        Halves[_blocks++ & 1].Accumulate(features, _weights.AsSpan(0, (1 + _l) * n));
    }

    public void Merge(QuarticSliceWorker<T> other)
    {
        // Keep the halves balanced: a worker whose block count is odd put one block more into half 0.
        Halves[0].Merge(other.Halves[(_blocks & 1) == 0 ? 0 : 1]);
        Halves[1].Merge(other.Halves[(_blocks & 1) == 0 ? 1 : 0]);
        _blocks += other._blocks;
        SumOfSquares += other.SumOfSquares;
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
}
