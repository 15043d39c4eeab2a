using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Moments;

namespace ReluFast.Sampling;

/// <summary>
/// The samples of another source with the inputs mapped to z = M (x - mu) as each block is read (docs/algorithm.md section
/// 17): the learner sees whitened inputs without a copy of the data. M is r x d (r &lt;= d), so z has r coordinates.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class WhitenedSampleSource<T> : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [ThreadStatic] private static T[]? s_buffer;

    private readonly ISampleSource<T> _inner;
    private readonly T[] _u;
    private readonly T[] _shift;

    /// <param name="inner">The samples in the user's coordinates.</param>
    /// <param name="whitening">M, r x d row-major.</param>
    /// <param name="mean">mu (d values).</param>
    public WhitenedSampleSource(ISampleSource<T> inner, ReadOnlySpan<double> whitening, ReadOnlySpan<double> mean)
    {
        ArgumentNullException.ThrowIfNull(inner);
        int d = inner.Dimension;
        if (mean.Length != d) throw new ArgumentException($"The mean needs {d} values, got {mean.Length}.", nameof(mean));
        if (whitening.Length == 0 || whitening.Length % d != 0)
            throw new ArgumentException($"The whitening must be r x {d}, got {whitening.Length} values.", nameof(whitening));
        int r = whitening.Length / d;
        _inner = inner;
        Dimension = r;
        _u = new T[d * r];
        _shift = new T[r];
        for (int k = 0; k < r; k++)
        {
            ReadOnlySpan<double> row = whitening.Slice(k * d, d);
            for (int i = 0; i < d; i++) _u[i * r + k] = T.CreateChecked(row[i]);
            _shift[k] = T.CreateChecked(TensorPrimitives.Dot(row, mean));
        }
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long Count => _inner.Count;

    /// <inheritdoc />
    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length, d = _inner.Dimension, r = Dimension;
        if (x.Length != (long)n * r) throw new ArgumentOutOfRangeException(nameof(x), $"x must hold n x d = {n} x {r} values, got {x.Length}.");
        if (n == 0) return;
        if (s_buffer is null || s_buffer.Length < n * d) s_buffer = new T[n * d];
        Span<T> raw = s_buffer.AsSpan(0, n * d);
        _inner.Read(start, raw, y);
        Projection.Project(raw, d, _u, r, x);
        for (int j = 0; j < n; j++) TensorPrimitives.Subtract(x.Slice(j * r, r), _shift, x.Slice(j * r, r));
    }
}
