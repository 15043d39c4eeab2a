using System.Numerics;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Opened training samples of either precision: <c>.npy</c> pairs are streamed as float32 when x is
/// float32 (float64 otherwise); <c>.npz</c> and CSV samples are loaded as float64. Learning errors that
/// concern the data (too few samples, NaN or infinity) are reported naming the file (and, for NaN or
/// infinity, the row and column).
/// </summary>
internal sealed class SampleData : IDisposable
{
    private readonly IDisposable? _owned;
    private readonly TypedSource _source;

    private SampleData(SampleSpec spec, int dimension, long count, string dtype, IDisposable? owned, TypedSource source)
    {
        Spec = spec;
        Dimension = dimension;
        Count = count;
        DType = dtype;
        _owned = owned;
        _source = source;
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
                var source = CsvSampleReader.Load<double>(spec.Path, spec.Target!, spec.CsvOptions, cancellation);
                return FromArrays(spec, source);
            }
        }
    }

    /// <summary>
    /// Checks, before learning, that the samples suit the learner in <paramref name="mode"/> with <paramref name="hidden"/>
    /// neurons: enough samples, m &lt;= d in full-rank mode, m &lt;= d(d+1)/2 in any mode.
    /// </summary>
    /// <exception cref="ReluFastDataException">Too few samples, or more neurons than the mode can learn; the message names the file.</exception>
    public void CheckLearnable(int? hidden, LearnerMode mode = LearnerMode.FullRank)
    {
        int d = Dimension;
        long minimum = MomentLearner.MinimumSamples(d);
        if (Count < minimum)
            throw new ReluFastDataException(Spec.Path,
                $"too few samples: {Count} given, the learner needs at least {minimum} for d = {d} inputs (max(1000, 2 d^2)).");
        int flattened = OvercompleteLearner.MaximumHidden(d);
        if (mode == LearnerMode.Overcomplete)
        {
            long overcomplete = OvercompleteLearner.MinimumSamples(d);
            if (Count < overcomplete)
                throw new ReluFastDataException(Spec.Path,
                    $"too few samples for the overcomplete learner: {Count} given, it needs at least {overcomplete} for d = {d} inputs (max(1000, 2 d^2, 4 D^2), D = d(d+1)/2 = {flattened}).");
        }
        if (hidden is not int m) return;
        if (m > flattened)
            throw new ReluFastDataException(Spec.Path,
                $"--hidden {m} is larger than d(d+1)/2 = {flattened} for d = {d}, the number of inputs in the data: even the overcomplete learner separates at most d(d+1)/2 neurons.");
        if (m > d && mode == LearnerMode.FullRank)
            throw new ReluFastDataException(Spec.Path,
                $"--hidden {m}: m > d in full-rank mode (d = {d}, the number of inputs in the data): the full-rank learner finds at most d neurons; use --mode overcomplete (or auto) for m > d.");
    }

    /// <summary>Runs <paramref name="work"/> on the typed samples; an <see cref="ArgumentException"/> from it becomes a
    /// <see cref="ReluFastDataException"/> naming the file (and the row and column of a non-finite value when there is one).</summary>
    public TResult Run<TResult>(ISampleRun<TResult> work, CancellationToken cancellation) => _source.Run(Spec, work, cancellation);

    /// <summary>Runs the learner in <paramref name="mode"/> on the samples (<see cref="ReluLearner.Learn{T}"/>).</summary>
    public LearningResult Learn(LearnerOptions options, LearnerMode mode, IProgress<LearningProgress>? progress, CancellationToken cancellation) =>
        Run(new LearnRun(options, mode, progress, cancellation), cancellation);

    /// <summary>The identifiability report of the samples (<see cref="ReluLearner.Diagnose{T}"/>).</summary>
    public IdentifiabilityReport Diagnose(LearnerOptions options, LearnerMode mode, bool learn, IProgress<LearningProgress>? progress, CancellationToken cancellation) =>
        Run(new DiagnoseRun(options, mode, learn, progress, cancellation), cancellation);

    /// <summary>Closes the files.</summary>
    public void Dispose() => _owned?.Dispose();

    private static SampleData OpenNpy<T>(SampleSpec spec) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var source = NpySampleSource<T>.Open(spec.Path, spec.YPath!);
        return new SampleData(spec, source.Dimension, source.Count, NpyDTypeExtensions.For<T>().Name(), source,
            new TypedSource<T>(source, token => source.FindNonFinite(token)));
    }

    private static SampleData FromArrays(SampleSpec spec, ArraySampleSource<double> source) =>
        new(spec, source.Dimension, source.Count, "float64", null, new TypedSource<double>(source, _ => source.FindNonFinite()));

    /// <summary>The source with its element type hidden, so that <see cref="SampleData"/> itself is not generic.</summary>
    private abstract class TypedSource
    {
        public abstract TResult Run<TResult>(SampleSpec spec, ISampleRun<TResult> work, CancellationToken cancellation);
    }

    private sealed class TypedSource<T>(ISampleSource<T> source, Func<CancellationToken, NonFiniteValue?> findNonFinite) : TypedSource
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public override TResult Run<TResult>(SampleSpec spec, ISampleRun<TResult> work, CancellationToken cancellation)
        {
            try
            {
                return work.Run(source);
            }
            catch (ArgumentException e)
            {
                // The learner rejects samples it cannot use; name the file, row and column where it can be found.
                if (findNonFinite(cancellation) is NonFiniteValue bad) throw bad.ToException();
                throw new ReluFastDataException(spec.Path, ErrorReporter.MessageOf(e), e);
            }
        }
    }

    private sealed class LearnRun(LearnerOptions options, LearnerMode mode, IProgress<LearningProgress>? progress, CancellationToken cancellation)
        : ISampleRun<LearningResult>
    {
        public LearningResult Run<T>(ISampleSource<T> source) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            ReluLearner.Learn(source, options, mode, progress, cancellation);
    }

    private sealed class DiagnoseRun(LearnerOptions options, LearnerMode mode, bool learn, IProgress<LearningProgress>? progress, CancellationToken cancellation)
        : ISampleRun<IdentifiabilityReport>
    {
        public IdentifiabilityReport Run<T>(ISampleSource<T> source) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            ReluLearner.Diagnose(source, options, mode, learn, progress, cancellation);
    }
}
