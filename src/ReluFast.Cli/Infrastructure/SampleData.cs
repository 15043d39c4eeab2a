using System.Numerics;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Opened training samples of either precision: <c>.npy</c> pairs are streamed as float32 when x is
/// float32 (float64 otherwise); <c>.npz</c> and CSV samples are loaded as float64. Learning errors that
/// concern the data (too few samples, NaN or infinity) are reported naming the file.
/// </summary>
internal sealed class SampleData : IDisposable
{
    private readonly IDisposable? _owned;
    private readonly Func<LearnerOptions, IProgress<LearningProgress>?, CancellationToken, LearningResult> _learn;

    private SampleData(SampleSpec spec, int dimension, long count, string dtype, IDisposable? owned,
        Func<LearnerOptions, IProgress<LearningProgress>?, CancellationToken, LearningResult> learn)
    {
        Spec = spec;
        Dimension = dimension;
        Count = count;
        DType = dtype;
        _owned = owned;
        _learn = learn;
    }

    /// <summary>What was opened.</summary>
    public SampleSpec Spec { get; }

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Number of samples N.</summary>
    public long Count { get; }

    /// <summary>The precision the learner runs in: <c>float32</c> or <c>float64</c>.</summary>
    public string DType { get; }

    /// <summary>Opens the samples and checks their shapes (not yet their values).</summary>
    /// <exception cref="ReluFastDataException">A file is missing, corrupt, of the wrong type or shape.</exception>
    public static SampleData Open(SampleSpec spec, CancellationToken cancellation)
    {
        switch (spec.Format)
        {
            case SampleFormat.NpyPair:
                NpyHeader header = NpyReader.ReadHeader(spec.Path);
                return header.DType == NpyDType.Float32 ? OpenNpy<float>(spec) : OpenNpy<double>(spec);
            case SampleFormat.Npz:
            {
                var source = NpzReader.ReadSamples<double>(spec.Path);
                source.Validate();
                return FromArrays(spec, source);
            }
            default:
            {
                var source = CsvSampleReader.Load<double>(spec.Path, spec.Target!, cancellationToken: cancellation);
                return FromArrays(spec, source);
            }
        }
    }

    /// <summary>Checks, before learning, that the samples suit the learner with <paramref name="hidden"/> neurons.</summary>
    /// <exception cref="ReluFastDataException">Too few samples, or more neurons than inputs; the message names the file.</exception>
    public void CheckLearnable(int? hidden)
    {
        long minimum = MomentLearner.MinimumSamples(Dimension);
        if (Count < minimum)
            throw new ReluFastDataException(Spec.Path,
                $"too few samples: {Count} given, the learner needs at least {minimum} for d = {Dimension} inputs (max(1000, 2 d^2)).");
        if (hidden is int m && m > Dimension)
            throw new ReluFastDataException(Spec.Path,
                $"--hidden {m} is larger than d = {Dimension}, the number of inputs in the data: the full-rank learner finds at most d neurons.");
    }

    /// <summary>Runs the learner on the samples.</summary>
    public LearningResult Learn(LearnerOptions options, IProgress<LearningProgress>? progress, CancellationToken cancellation) =>
        _learn(options, progress, cancellation);

    /// <summary>Closes the files.</summary>
    public void Dispose() => _owned?.Dispose();

    private static SampleData OpenNpy<T>(SampleSpec spec) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var source = NpySampleSource<T>.Open(spec.Path, spec.YPath!);
        return new SampleData(spec, source.Dimension, source.Count, NpyDTypeExtensions.For<T>().Name(), source,
            (options, progress, token) => Learn(spec, source, options, progress, token, () => source.FindNonFinite(token)));
    }

    private static SampleData FromArrays(SampleSpec spec, ArraySampleSource<double> source) =>
        new(spec, source.Dimension, source.Count, "float64", null,
            (options, progress, token) => Learn(spec, source, options, progress, token, source.FindNonFinite));

    private static LearningResult Learn<T>(SampleSpec spec, ISampleSource<T> source, LearnerOptions options,
        IProgress<LearningProgress>? progress, CancellationToken token, Func<NonFiniteValue?> findNonFinite)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        try
        {
            return MomentLearner.Learn(source, options, progress, token);
        }
        catch (ArgumentException e)
        {
            // The learner rejects samples it cannot use; name the file, row and column where it can be found.
            if (findNonFinite() is NonFiniteValue bad) throw bad.ToException();
            throw new ReluFastDataException(spec.Path, e.Message, e);
        }
    }
}
