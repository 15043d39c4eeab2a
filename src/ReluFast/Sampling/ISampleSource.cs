using System.Numerics;

namespace ReluFast.Sampling;

/// <summary>
/// A replayable, random-access stream of samples (x_j, y_j), x_j in R^d. The learner makes several
/// passes over the same samples, from several threads at once, so every implementation must return
/// the same values for the same range on every call and be safe to read concurrently.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Input dimension d.</summary>
    int Dimension { get; }

    /// <summary>Number of samples N.</summary>
    long Count { get; }

    /// <summary>
    /// Fills <paramref name="x"/> (n x d, row-major: sample j at x[j*d .. (j+1)*d)) and
    /// <paramref name="y"/> (n entries) with samples [start, start + n), where n = y.Length.
    /// Must not allocate in the steady state; safe to call from several threads at once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside [0, Count) or x.Length != n*d.</exception>
    void Read(long start, Span<T> x, Span<T> y);
}
