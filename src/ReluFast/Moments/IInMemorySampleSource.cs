using System.Numerics;
using ReluFast.Sampling;

namespace ReluFast.Moments;

/// <summary>
/// A sample source whose samples already lie in memory in the layout of <see cref="ISampleSource{T}.Read"/>
/// (x row-major, y contiguous): <see cref="SamplePass"/> hands its spans to the workers without copying them
/// into block buffers first. Arrays and memory-mapped files can offer this; generated samples cannot.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface IInMemorySampleSource<T> : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>x of samples [start, start + count): count x d row-major, read-only, valid while the source lives.</summary>
    ReadOnlySpan<T> GetInputs(long start, int count);

    /// <summary>y of samples [start, start + count).</summary>
    ReadOnlySpan<T> GetResponses(long start, int count);
}
