using System.Numerics;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Work on opened samples whose precision is known only at run time (float32 <c>.npy</c> files stream as float32,
/// everything else as float64): <see cref="SampleData.Run{TResult}"/> calls <see cref="Run{T}"/> with the typed source.
/// </summary>
/// <typeparam name="TResult">What the work returns.</typeparam>
internal interface ISampleRun<out TResult>
{
    /// <summary>Runs the work on <paramref name="source"/>.</summary>
    TResult Run<T>(ISampleSource<T> source) where T : unmanaged, IBinaryFloatingPointIeee754<T>;
}
