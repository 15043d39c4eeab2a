using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// The projected 3-tensor as a pass worker with the weights y, y z_0, y z_1, .. of each block (y z_((r - 1) mod m) where the
/// weights outnumber m + 1): the product pass 2 computes (the 3-tensors alone, as <see cref="ProjectedTensorAccumulator{T}"/>
/// without its lower degrees), with weights of the same count and shape, for what `relufast bench` and the tensor-stream
/// experiment time (pass 2's own weights need the learner's contractions). Accumulate does not allocate.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class ProjectedTensorTimingWorker<T>(int m, int weightCount) : IMomentWorker<T, ProjectedTensorTimingWorker<T>>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _weights = new T[weightCount * new SamplePassOptions().BlockSize];

    /// <summary>The sums so far.</summary>
    public ProjectedTensorAccumulator<T> Sums { get; } = new(m, weightCount, lowerDegrees: false);

    public void Accumulate(ReadOnlySpan<T> z, ReadOnlySpan<T> y)
    {
        Span<T> weights = _weights.AsSpan(0, weightCount * y.Length);
        Weights(z, y, m, weightCount, weights);
        Sums.Accumulate(z, weights);
    }

    public void Merge(ProjectedTensorTimingWorker<T> other) => Sums.Merge(other.Sums);

    /// <summary>Weight 0 is y, weight r is y z_((r - 1) mod m); L x n, weight after weight (the remainder taken once a weight).</summary>
    public static void Weights(ReadOnlySpan<T> z, ReadOnlySpan<T> y, int m, int l, Span<T> weights)
    {
        int n = y.Length;
        y.CopyTo(weights);
        for (int r = 1; r < l; r++)
        {
            Span<T> to = weights.Slice(r * n, n);
            int i = (r - 1) % m;
            for (int j = 0; j < n; j++) to[j] = y[j] * z[j * m + i];
        }
    }
}
