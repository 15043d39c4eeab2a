using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// A moment engine on an accelerator (the GPU engine of ReluFast.Gpu): it computes the same sums as the SIMD
/// accumulators (<see cref="WeightedGramAccumulator{T}"/>, <see cref="ProjectedTensorAccumulator{T}"/>,
/// <see cref="HermiteProjectionAccumulator{T}"/>) and hands them back in their flat state layout, so a pass worker
/// adds them to its accumulator with <c>AddState</c> and merges as on the CPU.
/// </summary>
/// <remarks>A device is shared by the threads of a pass; each thread creates its own <see cref="IDeviceMoments{T}"/>.</remarks>
internal interface IMomentDevice : IDisposable
{
    /// <summary>The device, e.g. "cuda:0 (NVIDIA H200)" or "ILGPU CPU accelerator".</summary>
    string Name { get; }

    /// <summary>Sums of <see cref="WeightedGramAccumulator{T}"/>: inputs x (n x d), weights (L x n).</summary>
    IDeviceMoments<T> CreateWeightedGram<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T>;

    /// <summary>Sums of <see cref="ProjectedTensorAccumulator{T}"/>: inputs z (n x m), weights (L x n).</summary>
    IDeviceMoments<T> CreateProjectedTensor<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T>;

    /// <summary>Sums of <see cref="HermiteProjectionAccumulator{T}"/>: inputs x (n x d), weights = the response (n).</summary>
    IDeviceMoments<T> CreateHermiteProjection<T>(int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>;
}

/// <summary>
/// One thread's stream of blocks into one kind of device sums. <see cref="Accumulate"/> may return before the device has
/// finished (the block is copied first, so the caller may reuse its buffers); <see cref="Flush"/> waits for every block.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface IDeviceMoments<T> : IDisposable where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Length of the flat state (the matching accumulator's <c>StateLength</c>).</summary>
    int StateLength { get; }

    /// <summary>Queues one block: inputs n x (dimension) row-major, weights as the matching accumulator takes them.</summary>
    /// <exception cref="ArgumentException">The lengths do not match the shape.</exception>
    void Accumulate(ReadOnlySpan<T> inputs, ReadOnlySpan<T> weights);

    /// <summary>
    /// Waits for the queued blocks, writes the count and the sums since the last flush in the accumulator's
    /// <c>CopyState</c> layout into <paramref name="state"/>, and clears them on the device.
    /// </summary>
    void Flush(Span<double> state);
}

/// <summary>Hands a device session's sums to the matching SIMD accumulator (nothing when there is no session).</summary>
internal static class DeviceMomentsExtensions
{
    /// <summary>Flushes <paramref name="session"/> into <paramref name="target"/> (through the flat state).</summary>
    public static void FlushInto<T>(this IDeviceMoments<T>? session, WeightedGramAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        if (session is not null) target.AddState(Flush(session));
    }

    /// <summary>Flushes <paramref name="session"/> into <paramref name="target"/> (through the flat state).</summary>
    public static void FlushInto<T>(this IDeviceMoments<T>? session, ProjectedTensorAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        if (session is not null) target.AddState(Flush(session));
    }

    /// <summary>Flushes <paramref name="session"/> into <paramref name="target"/> (through the flat state).</summary>
    public static void FlushInto<T>(this IDeviceMoments<T>? session, HermiteProjectionAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        if (session is not null) target.AddState(Flush(session));
    }

    private static double[] Flush<T>(IDeviceMoments<T> session) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var state = new double[session.StateLength];
        session.Flush(state);
        return state;
    }
}

/// <summary>
/// Ends a pass worker's device session: its sums go into the worker's accumulator and the session is closed (its device
/// and page-locked memory freed). Nothing happens when there is no session (the CPU path, or already completed).
/// </summary>
internal static class DeviceSessions
{
    /// <summary>Flushes <paramref name="session"/> into <paramref name="target"/>, disposes it and sets it to null.</summary>
    public static void Complete<T>(ref IDeviceMoments<T>? session, WeightedGramAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Take(ref session) is not { } open) return;
        using (open) open.FlushInto(target);
    }

    /// <inheritdoc cref="Complete{T}(ref IDeviceMoments{T}?, WeightedGramAccumulator{T})"/>
    public static void Complete<T>(ref IDeviceMoments<T>? session, ProjectedTensorAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Take(ref session) is not { } open) return;
        using (open) open.FlushInto(target);
    }

    /// <inheritdoc cref="Complete{T}(ref IDeviceMoments{T}?, WeightedGramAccumulator{T})"/>
    public static void Complete<T>(ref IDeviceMoments<T>? session, HermiteProjectionAccumulator<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Take(ref session) is not { } open) return;
        using (open) open.FlushInto(target);
    }

    private static IDeviceMoments<T>? Take<T>(ref IDeviceMoments<T>? session) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var open = session;
        session = null;
        return open;
    }
}
