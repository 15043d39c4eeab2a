using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// Per-thread state of a moment pass (accumulators and scratch buffers) for <see cref="SamplePass"/>: it consumes
/// blocks of samples and can absorb another worker of the same kind. Accumulate must not allocate.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <typeparam name="TSelf">The worker type itself.</typeparam>
internal interface IMomentWorker<T, TSelf>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
    where TSelf : IMomentWorker<T, TSelf>
{
    /// <summary>Consumes one block: x is n x d row-major, y has n entries.</summary>
    void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y);

    /// <summary>Adds everything <paramref name="other"/> accumulated to this worker.</summary>
    void Merge(TSelf other);
}
