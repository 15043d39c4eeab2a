namespace ReluFast.Moments;

/// <summary>Progress of a <see cref="SamplePass"/>: samples accumulated so far out of the pass's total, and the time taken.</summary>
internal readonly record struct SamplePassProgress(long SamplesDone, long SamplesTotal, TimeSpan Elapsed);
