using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// Arrays as an <see cref="IInMemorySampleSource{T}"/>: <see cref="SamplePass"/> hands spans of them to the workers without
/// copying (what `relufast bench` and the benchmarks time the kernels on; the learner's array sources keep the copied read, whose
/// chunks fix the result's bits).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal sealed class InMemoryArrays<T>(int dimension, T[] x, T[] y) : IInMemorySampleSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension => dimension;

    public long Count => y.LongLength;

    public void Read(long start, Span<T> xBlock, Span<T> yBlock)
    {
        GetInputs(start, yBlock.Length).CopyTo(xBlock);
        GetResponses(start, yBlock.Length).CopyTo(yBlock);
    }

    public ReadOnlySpan<T> GetInputs(long start, int count) => x.AsSpan(checked((int)(start * dimension)), count * dimension);

    public ReadOnlySpan<T> GetResponses(long start, int count) => y.AsSpan(checked((int)start), count);
}
