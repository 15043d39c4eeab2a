using ReluFast.Interop.Mpi;

namespace ReluFast.Learning;

/// <summary>A pass worker whose sums can be flattened, reduced over processes and put back.</summary>
internal interface IReducibleMomentWorker
{
    /// <summary>Length of the flat state.</summary>
    int StateLength { get; }

    /// <summary>Copies every sum into <paramref name="destination"/> (<see cref="StateLength"/> doubles).</summary>
    void CopyState(Span<double> destination);

    /// <summary>Replaces every sum by the flat state <paramref name="state"/>.</summary>
    void SetState(ReadOnlySpan<double> state);
}

/// <summary>
/// The distributed part of a moment pass: each of K processes streams its own contiguous slice of the samples
/// and the workers' states are summed over the processes, so every process continues with the moments of all N
/// samples (the same sums as one process, up to the order of summation).
/// </summary>
internal static class DistributedPass
{
    /// <summary>This process's samples [N r / K, N (r + 1) / K) as (start, count); all samples for one process.</summary>
    public static (long Start, long Count) Slice(long n, IMomentReducer? reducer)
    {
        if (reducer is null || reducer.Size <= 1) return (0, n);
        long start = (long)((Int128)n * reducer.Rank / reducer.Size);
        long end = (long)((Int128)n * (reducer.Rank + 1) / reducer.Size);
        return (start, end - start);
    }

    /// <summary>Sums the worker's state over the processes (nothing to do for one process).</summary>
    public static void Reduce<TWorker>(TWorker worker, IMomentReducer? reducer) where TWorker : IReducibleMomentWorker
    {
        if (reducer is null || reducer.Size <= 1) return;
        var state = new double[worker.StateLength];
        worker.CopyState(state);
        reducer.AllreduceSum(state);
        worker.SetState(state);
    }

    /// <summary>
    /// Gives every process rank 0's <paramref name="values"/> (in place). The learner shares its data-dependent choices
    /// this way (m, the subspace U, the pencil factors): ranks on different machines can round the decompositions
    /// differently (MKL picks its kernels by CPU), and ranks that chose different m would pass the next reduction states of
    /// different lengths.
    /// </summary>
    public static void ShareFromRankZero(IMomentReducer? reducer, Span<double> values)
    {
        if (reducer is null || reducer.Size <= 1) return;
        if (reducer.Rank != 0) values.Clear();
        reducer.AllreduceSum(values); // x + 0 + ... + 0 = x exactly
    }

    /// <inheritdoc cref="ShareFromRankZero(IMomentReducer?, Span{double})"/>
    public static int ShareFromRankZero(IMomentReducer? reducer, int value)
    {
        Span<double> v = [value];
        ShareFromRankZero(reducer, v);
        return (int)v[0];
    }

    /// <summary>
    /// Checks that every process sees the same number of samples and dimension (a rank given another file would
    /// otherwise silently corrupt the sums). Collective; every process throws the same error.
    /// </summary>
    public static void RequireSameSource(IMomentReducer reducer, long n, int d)
    {
        int size = reducer.Size, rank = reducer.Rank;
        var seen = new double[2 * size];
        seen[2 * rank] = n;
        seen[2 * rank + 1] = d;
        reducer.AllreduceSum(seen);
        for (int r = 0; r < size; r++)
            if (seen[2 * r] != seen[0] || seen[2 * r + 1] != seen[1])
                throw new ArgumentException(
                    $"The processes of the distributed run see different samples: rank 0 has N = {seen[0]}, d = {seen[1]} but rank {r} has N = " +
                    $"{seen[2 * r]}, d = {seen[2 * r + 1]}. Every rank must open the same source.");
    }
}

internal sealed partial class SecondMomentWorker<T> : IReducibleMomentWorker
{
    public int StateLength => Moments.StateLength + 1;

    public void CopyState(Span<double> destination)
    {
        Moments.CopyState(destination[..Moments.StateLength]);
        destination[Moments.StateLength] = SumOfSquares;
    }

    public void SetState(ReadOnlySpan<double> state)
    {
        Moments.Reset();
        Moments.AddState(state[..Moments.StateLength]);
        SumOfSquares = state[Moments.StateLength];
    }
}

internal sealed partial class ProjectedMomentWorker<T> : IReducibleMomentWorker
{
    public int StateLength => Moments.StateLength + CentredMoments.StateLength;

    public void CopyState(Span<double> destination)
    {
        Moments.CopyState(destination[..Moments.StateLength]);
        CentredMoments.CopyState(destination[Moments.StateLength..]);
    }

    public void SetState(ReadOnlySpan<double> state)
    {
        Moments.Reset();
        Moments.AddState(state[..Moments.StateLength]);
        CentredMoments.Reset();
        CentredMoments.AddState(state[Moments.StateLength..]);
    }
}

internal sealed partial class CoefficientWorker<T> : IReducibleMomentWorker
{
    public int StateLength => Moments.StateLength;

    public void CopyState(Span<double> destination) => Moments.CopyState(destination);

    public void SetState(ReadOnlySpan<double> state)
    {
        Moments.Reset();
        Moments.AddState(state);
    }
}
