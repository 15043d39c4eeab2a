using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// Arrays (or parts of them) as an <see cref="IInMemorySampleSource{T}"/>: <see cref="SamplePass"/> hands spans of them to the
/// workers without copying (what `relufast bench` and the benchmarks time the kernels on, and the passes of refinement over the
/// learner's in-memory refinement and held-out sets; the learner's array sources keep the copied read, whose chunks fix the
/// result's bits).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class InMemoryArrays<T>(int dimension, ReadOnlyMemory<T> x, ReadOnlyMemory<T> y) : IInMemorySampleSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension => dimension;

    public long Count => y.Length;

    public void Read(long start, Span<T> xBlock, Span<T> yBlock)
    {
        GetInputs(start, yBlock.Length).CopyTo(xBlock);
        GetResponses(start, yBlock.Length).CopyTo(yBlock);
    }

    public ReadOnlySpan<T> GetInputs(long start, int count) => x.Span.Slice(checked((int)(start * dimension)), count * dimension);

    public ReadOnlySpan<T> GetResponses(long start, int count) => y.Span.Slice(checked((int)start), count);
}
