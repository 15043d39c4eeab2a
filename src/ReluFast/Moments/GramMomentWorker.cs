using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// A ready-made <see cref="IMomentWorker{T, TSelf}"/> for the first pass (docs/algorithm.md section 5): subtracts a
/// control variate from y and accumulates sum y~, sum y~ x and sum y~ x x^T.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class GramMomentWorker<T> : IMomentWorker<T, GramMomentWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private T[] _centred = [];

    /// <summary>A worker for inputs of the control variate's dimension.</summary>
    public GramMomentWorker(ControlVariate controlVariate)
    {
        ArgumentNullException.ThrowIfNull(controlVariate);
        ControlVariate = controlVariate;
        Moments = new WeightedGramAccumulator<T>(controlVariate.Dimension);
    }

    /// <summary>The polynomial subtracted from y.</summary>
    public ControlVariate ControlVariate { get; }

    /// <summary>The sums of y~ = y - p(x): weight sum, first moment and Gram matrix (weight index 0).</summary>
    public WeightedGramAccumulator<T> Moments { get; }

    /// <inheritdoc />
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => Accumulate(x, y, default);

    /// <inheritdoc />
    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX)
    {
        if (_centred.Length < y.Length) _centred = new T[y.Length];
        Span<T> centred = _centred.AsSpan(0, y.Length);
        ControlVariate.Apply(x, y, centred);
        Moments.Accumulate(x, centred, nextX);
    }

    /// <inheritdoc />
    public void Merge(GramMomentWorker<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Moments.Merge(other.Moments);
    }

    /// <inheritdoc />
    public bool CanReset => true;

    /// <inheritdoc />
    public void Reset() => Moments.Reset();
}
