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

    /// <summary>
    /// Consumes one block as <see cref="Accumulate(ReadOnlySpan{T}, ReadOnlySpan{T})"/> does. <paramref name="nextX"/> is x of the
    /// block this worker is given next, in memory that stays valid (an in-memory source), or empty: a worker may ask for its first
    /// lines ahead (a prefetch), never read it. Without it the first tile of every block waits on memory while the rest were
    /// prefetched by the tile before (docs/passes.md, "The weighted rows kept").
    /// </summary>
    void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX) => Accumulate(x, y);

    /// <summary>Adds everything <paramref name="other"/> accumulated to this worker.</summary>
    void Merge(TSelf other);

    /// <summary>
    /// Whether <see cref="Reset"/> clears this worker. A pass deals the segments of its samples out to its threads as they
    /// free up only to workers that can be reset (<see cref="SamplePass"/>); a worker whose sums live elsewhere (a device
    /// session) says false and gets a fixed range of blocks per thread.
    /// </summary>
    bool CanReset => false;

    /// <summary>Sets every sum back to what a new worker holds (scratch buffers may keep their contents). Must not allocate.</summary>
    /// <exception cref="NotSupportedException"><see cref="CanReset"/> is false.</exception>
    void Reset() => throw new NotSupportedException($"{GetType().Name} cannot be reset.");
}
