using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// The projected 3-tensor as a pass worker with pass 2's weights y (1 + &lt;z, g_r&gt;), r = 0 .. L - 1
/// (<see cref="ProjectedTensorAccumulator{T}.AccumulateContractions(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>, the
/// 3-tensors alone) for fixed directions g_r of norm about 1 in place of the learner's random ones: the product pass 2 computes
/// once y~ is known, for what `relufast bench` and the tensor-stream experiment time (with <paramref name="singleProducts"/>, the
/// float32 products of <see cref="ProjectedTensorAccumulator{T}"/>). Accumulate does not allocate.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class ProjectedTensorTimingWorker<T>(int m, int weightCount, bool singleProducts = false)
    : IMomentWorker<T, ProjectedTensorTimingWorker<T>>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _directions = Directions(m, weightCount);

    /// <summary>The sums so far.</summary>
    public ProjectedTensorAccumulator<T> Sums { get; } = new(m, weightCount, lowerDegrees: false, singleProducts);

    public void Accumulate(ReadOnlySpan<T> z, ReadOnlySpan<T> y) => Sums.AccumulateContractions(z, y, _directions);

    public void Merge(ProjectedTensorTimingWorker<T> other) => Sums.Merge(other.Sums);

    public bool CanReset => true;

    public void Reset() => Sums.Reset();

    /// <summary>The directions g_r as the columns of an m x L row-major matrix: g_ir = cos(1 + i + 7 r) / sqrt(m).</summary>
    public static T[] Directions(int m, int l)
    {
        var g = new T[m * l];
        for (int i = 0; i < m; i++)
            for (int r = 0; r < l; r++) g[i * l + r] = T.CreateTruncating(Math.Cos(1 + i + 7 * r) / Math.Sqrt(m));
        return g;
    }

    /// <summary>The weights the worker sums, L x n (weight after weight), in memory: for libtorch's side of the benchmark.</summary>
    public static void Weights(ReadOnlySpan<T> z, ReadOnlySpan<T> y, int m, int l, Span<T> weights) =>
        ProjectedTensorAccumulator<T>.ContractionWeights(z, m, y, Directions(m, l), l, new T[y.Length * l], weights);
}
