namespace ReluFast.Moments;

/// <summary>How <see cref="SamplePass"/> splits a pass over samples [Start, Start + Count).</summary>
/// <param name="Threads">Worker threads; 0 means <see cref="Environment.ProcessorCount"/>.</param>
/// <param name="BlockSize">Samples read and accumulated per block.</param>
/// <param name="Start">First sample of the pass.</param>
/// <param name="Count">Number of samples, or -1 for every sample from <paramref name="Start"/> to the end.</param>
internal sealed record SamplePassOptions(int Threads = 0, int BlockSize = 4096, long Start = 0, long Count = -1)
{
    /// <summary>
    /// The most worker threads a pass takes: each holds its own accumulators (a pass holds at most 2 P + 1 workers for P threads),
    /// so the count bounds the pass's memory whatever is asked; a pass also never starts more threads than it has segments of blocks
    /// (<see cref="SamplePass.SegmentBounds"/>; blocks, for workers that cannot be reset).
    /// </summary>
    public const int MaxThreads = 1024;
}
