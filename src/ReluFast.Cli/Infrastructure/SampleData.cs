using System.Numerics;
using ReluFast.Interop;
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
    /// Checks, before learning, that the samples suit the learner in <paramref name="mode"/> with <paramref name="options"/>
    /// (the library's rule, <see cref="LearnerRules.Check"/>), in the CLI's words: the file, <c>--hidden</c>, <c>--device</c>, mpirun.
    /// </summary>
    /// <exception cref="ReluFastDataException">Too few samples, or more neurons than the mode can learn; the message names the file.</exception>
    /// <exception cref="CliUsageException">The overcomplete learner with <c>--device</c> or under mpirun with several ranks.</exception>
    public void CheckLearnable(LearnerOptions options, LearnerMode mode)
    {
        try
        {
            LearnerRules.Check(Dimension, Count, options, mode);
        }
        catch (LearnerPlacementException)
        {
            string what = mode == LearnerMode.Overcomplete ? "--mode overcomplete" : $"--hidden {options.Hidden} > d = {Dimension} (the " +
                "overcomplete learner)";
            string where = options.Device.Kind != ComputeDeviceKind.Cpu ? $"--device {options.Device}" : $"mpirun with {options.Reducer?.Size} ranks";
            throw new CliUsageException($"{what} cannot run with {where}: the overcomplete learner runs on the CPU of a single process only; run " +
                "it without " +
                (options.Device.Kind != ComputeDeviceKind.Cpu ? "--device" : "mpirun") + ".");
        }
        catch (LearnerOptionException e) when (e.Option == nameof(LearnerOptions.Hidden))
        {
            throw new ReluFastDataException(Spec.Path, $"--hidden {options.Hidden}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new ReluFastDataException(Spec.Path, e.Message);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the typed samples; an <see cref="ArgumentException"/> from it becomes a
    /// <see cref="ReluFastDataException"/> naming the file (and the row and column of a non-finite value when there is one).</summary>
    public TResult Run<TResult>(ISampleRun<TResult> work, CancellationToken cancellation) => _source.Run(Spec, work, cancellation);

    /// <summary>Runs the learner in <paramref name="mode"/> on the samples (<see cref="ReluLearner.Learn{T}"/>).</summary>
    public LearningResult Learn(LearnerOptions options, LearnerMode mode, IProgress<LearningProgress>? progress, CancellationToken cancellation) =>
        Run(new LearnRun(options, mode, progress, cancellation), cancellation);

    /// <summary>The identifiability report of the samples (<see cref="ReluLearner.Diagnose{T}"/>).</summary>
    public IdentifiabilityReport Diagnose(LearnerOptions options, LearnerMode mode, bool learn, IProgress<LearningProgress>? progress,
        CancellationToken cancellation) =>
        Run(new DiagnoseRun(options, mode, learn, progress, cancellation), cancellation);

    /// <summary>Closes the files.</summary>
    public void Dispose() => _owned?.Dispose();

    private static SampleData OpenNpy<T>(SampleSpec spec) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var source = NpySampleSource<T>.Open(spec.Path, spec.YPath!);
        return new SampleData(spec, source.Dimension, source.Count, NpyDTypeExtensions.For<T>().Name(), source,
            new TypedSource<T>(source));
    }

    private static SampleData FromArrays(SampleSpec spec, ArraySampleSource<double> source) =>
        new(spec, source.Dimension, source.Count, "float64", null, new TypedSource<double>(source));

    /// <summary>The source with its element type hidden, so that <see cref="SampleData"/> itself is not generic.</summary>
    private abstract class TypedSource
    {
        public abstract TResult Run<TResult>(SampleSpec spec, ISampleRun<TResult> work, CancellationToken cancellation);
    }

    private sealed class TypedSource<T>(ISampleSource<T> source) : TypedSource
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public override TResult Run<TResult>(SampleSpec spec, ISampleRun<TResult> work, CancellationToken cancellation)
        {
            try
            {
                return work.Run(source);
            }
            catch (NonFiniteSampleException e)
            {
                // The learner names the sample and coordinate; the CLI adds the file (y.npy for y of a pair).
                string file = spec.Format == SampleFormat.NpyPair && e.Column < 0 ? spec.YPath! : spec.Path;
                throw new NonFiniteValue(file, e.Index, Math.Max(e.Column, 0), e.Value).ToException();
            }
            catch (SampleMagnitudeException e)
            {
                // Finite values too large for the moments: the file, row and column of the largest one.
                string file = spec.Format == SampleFormat.NpyPair && e.Column < 0 ? spec.YPath! : spec.Path;
                throw new ReluFastDataException(file, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"row {e.Index} (0-based), column {Math.Max(e.Column, 0)} holds {e.Value:G3}, the largest magnitude of " +
                    $"{(e.Column < 0 ? "y" : "x")} in the data, and the moment estimates overflow a double: {SampleMagnitudeException.Reason}"), e);
            }
            catch (ArgumentException e)
            {
                // The learner rejects samples it cannot use: name the file.
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

    private sealed class DiagnoseRun(LearnerOptions options, LearnerMode mode, bool learn, IProgress<LearningProgress>? progress,
        CancellationToken cancellation)
        : ISampleRun<IdentifiabilityReport>
    {
        public IdentifiabilityReport Run<T>(ISampleSource<T> source) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            ReluLearner.Diagnose(source, options, mode, learn, progress, cancellation);
    }
}
