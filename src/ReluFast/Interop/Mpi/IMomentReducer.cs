namespace ReluFast.Interop.Mpi;

/// <summary>
/// Sums flat moment states (the accumulators' <c>CopyState</c> layout) over the processes of a distributed
/// learning run. Every process of the group calls the same methods in the same order (they are collective).
/// </summary>
/// <remarks>
/// <see cref="SingleProcessReducer"/> is the one-process group (no MPI needed); <see cref="MpiSession"/> binds the
/// system's MPI library (Open MPI or MPICH, detected at run time).
/// </remarks>
public interface IMomentReducer
{
    /// <summary>This process's index in the group, 0 .. <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the group.</summary>
    int Size { get; }

    /// <summary>
    /// Replaces <paramref name="values"/> on every process by the element-wise sum over all processes. Collective: every
    /// process must call it with the same length. Every process receives the same bits, so the processes stay in step.
    /// </summary>
    void AllreduceSum(Span<double> values);
}

/// <summary>The group of one process: <see cref="IMomentReducer.AllreduceSum"/> leaves the values unchanged. Needs no MPI.</summary>
internal sealed class SingleProcessReducer : IMomentReducer
{
    /// <summary>The single instance.</summary>
    public static SingleProcessReducer Instance { get; } = new();

    private SingleProcessReducer() { }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public void AllreduceSum(Span<double> values) { }
}

/// <summary>The MPI library could not be found, loaded or initialised, or an MPI call failed.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception with a message and an optional cause.</summary>
    public MpiException(string message, Exception? inner = null) : base(message, inner) { }
}
