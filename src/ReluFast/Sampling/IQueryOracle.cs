using System.Numerics;

namespace ReluFast.Sampling;

/// <summary>
/// A black box that can only be queried: y_j = f(x_j) for a block of inputs chosen by the caller. ReluFast draws the
/// queries itself (<see cref="OracleSampleSource{T}"/>), so extracting a network needs no file and no N samples in memory.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>: the precision the box computes in.</typeparam>
public interface IQueryOracle<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Input dimension d.</summary>
    int Dimension { get; }

    /// <summary>
    /// Whether <see cref="Query"/> may be called from several threads at once. When false, the source serialises the calls
    /// (the learner's passes then wait for the box one block at a time).
    /// </summary>
    bool IsThreadSafe { get; }

    /// <summary>
    /// Writes f(x_j) to <paramref name="y"/>[j] for the n = y.Length inputs in <paramref name="x"/> (n x d, row-major).
    /// Must be deterministic: the same x gives the same y on every call (the learner reads the stream several times).
    /// </summary>
    void Query(ReadOnlySpan<T> x, Span<T> y);
}
