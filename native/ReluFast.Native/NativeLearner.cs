using System.Diagnostics;
using System.Numerics;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Native;

/// <summary>The options a C host passes (relufast_learner_options in relufast.h; same layout).</summary>
internal struct LearnerOptionsNative
{
    public uint StructSize;
    public int InputDim;
    public int Hidden;
    public int Refine;
    public ulong Seed;
    public int Threads;
    public int DType;

    public static unsafe uint Version1Size => (uint)sizeof(LearnerOptionsNative);
}

/// <summary>relufast_result_info in relufast.h (API version 2: the fields after NoiseFloor are new).</summary>
internal struct ResultInfoNative
{
    /// <summary>The size of version 1 of the struct (up to and including NoiseFloor): hosts built against it get those fields only.</summary>
    public const int Version1Size = 56;

    public uint StructSize;
    public int Hidden;
    public int HiddenWasEstimated;
    public int ChosenCandidate;
    public long Samples;
    public double HeldOutMse;
    public double HeldOutVariance;
    public double Seconds;
    public double NoiseFloor;
    public long OracleQueries;
    public int Mode;
    public int Reserved;
}

/// <summary>relufast_comparison in relufast.h.</summary>
internal struct ComparisonNative
{
    public uint StructSize;
    public int Reserved;
    public double WError;
    public double AError;
    public double BError;
    public double TestMse;
    public double RelativeTestMse;
    public long TestSamples;
}

internal enum DType
{
    Float32 = 1,
    Float64 = 2,
}

/// <summary>
/// A learner behind a C handle: its options, its samples (buffered, or a teacher stream), and its last result.
/// One thread at a time: <see cref="Enter"/> fails with <see cref="Status.Busy"/> rather than wait.
/// </summary>
internal abstract class NativeLearner
{
    private int _busy;

    protected NativeLearner(int inputDim, LearnerOptions options)
    {
        InputDim = inputDim;
        Options = options;
    }

    public int InputDim { get; }

    public LearnerOptions Options { get; }

    public LearningResult? Result { get; private set; }

    /// <summary>The learner ReluLearner runs (relufast_learner_set_mode; auto by default).</summary>
    public LearnerMode Mode { get; set; } = LearnerMode.Auto;

    /// <summary>The host's progress/cancel callback, if set: (fn, user data).</summary>
    public unsafe (nint Fn, nint UserData) ProgressCallback { get; set; }

    /// <summary>Oracle queries of the last run (0 without an oracle).</summary>
    public abstract long OracleQueries { get; }

    public double Seconds { get; private set; }

    public abstract long Count { get; }

    public abstract long BufferBytes { get; }

    public abstract bool HasTeacher { get; }

    public static NativeLearner Create(in LearnerOptionsNative o)
    {
        if (o.StructSize < LearnerOptionsNative.Version1Size)
            throw new NativeException(Status.InvalidArgument, $"options->struct_size is {o.StructSize}, less than the " +
                $"{LearnerOptionsNative.Version1Size} bytes of relufast_learner_options: call relufast_learner_options_init first.");
        if (o.InputDim <= 0) throw new NativeException(Status.InvalidArgument, $"options->input_dim must be positive, got {o.InputDim}.");
        if (o.Hidden < 0) throw new NativeException(Status.InvalidArgument, "options->hidden must be 0 (choose from the spectrum) or positive, " +
            $"got {o.Hidden}.");
        if (o.Hidden > OvercompleteLearner.MaximumHidden(o.InputDim))
            throw new NativeException(Status.InvalidArgument, $"options->hidden = {o.Hidden} > d(d+1)/2 = " +
                $"{OvercompleteLearner.MaximumHidden(o.InputDim)} for input_dim = {o.InputDim}: no learner separates more neurons.");
        if (LearnerRules.ThreadsProblem(o.Threads) is string threads)
            throw new NativeException(Status.InvalidArgument, "options->threads " + threads);
        var options = new LearnerOptions
        {
            Hidden = o.Hidden == 0 ? null : o.Hidden,
            Refine = o.Refine != 0,
            Seed = o.Seed,
            Threads = o.Threads,
        };
        return (DType)o.DType switch
        {
            DType.Float32 => new NativeLearner<float>(o.InputDim, options),
            DType.Float64 => new NativeLearner<double>(o.InputDim, options),
            _ => throw new NativeException(Status.InvalidArgument, "options->dtype must be RELUFAST_DTYPE_FLOAT32 (1) or " +
                $"RELUFAST_DTYPE_FLOAT64 (2), got {o.DType}."),
        };
    }

    /// <summary>Claims the learner for the calling thread, or fails with <see cref="Status.Busy"/>.</summary>
    public Scope Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new NativeException(Status.Busy, "Another thread is using this learner right now: calls on one learner must not overlap.");
        return new Scope(this);
    }

    public readonly struct Scope(NativeLearner learner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref learner._busy, 0);
    }

    public abstract void AddSamples<TIn>(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y) where TIn : unmanaged, IBinaryFloatingPointIeee754<TIn>;

    public abstract void UseTeacher(ReluNetwork teacher, long count, ulong seed, double noiseStd);

    public abstract unsafe void UseOracle(delegate* unmanaged<double*, long, double*, nint, int> fn, nint userData, long count, ulong seed,
        CallbackFlags flags);

    public abstract unsafe void UseStream(delegate* unmanaged<long, long, double*, double*, nint, int> fn, nint userData, long count,
        CallbackFlags flags);

    protected abstract LearningResult Learn(IProgress<LearningProgress>? progress, CancellationToken cancellation);

    public unsafe void Run()
    {
        if (Count == 0) throw new NativeException(Status.InvalidState, "The learner has no samples: add sample blocks, a teacher, an oracle or a " +
            "stream before relufast_learner_run.");
        if (Mode == LearnerMode.FullRank && Options.Hidden > InputDim)
            throw new NativeException(Status.InvalidArgument, $"options->hidden = {Options.Hidden} > input_dim = {InputDim} in full-rank mode: use " +
                "RELUFAST_MODE_AUTO or RELUFAST_MODE_OVERCOMPLETE.");
        TorchLoader.EnsureLoaded();
        using var cancel = new CancellationTokenSource();
        var (fn, userData) = ProgressCallback;
        var progress = fn == 0 ? null : new HostProgress((delegate* unmanaged<int, double, byte*, nint, int>)fn, userData, cancel);
        var clock = Stopwatch.StartNew();
        try
        {
            Result = Learn(progress, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new NativeException(Status.Cancelled, "The run was cancelled by the progress callback (it returned nonzero); the previous " +
                "result, if any, is kept.");
        }
        Seconds = clock.Elapsed.TotalSeconds;
    }

    public LearningResult RequireResult() =>
        Result ?? throw new NativeException(Status.InvalidState, "The learner has no result yet: call relufast_learner_run first.");
}

internal sealed class NativeLearner<T>(int inputDim, LearnerOptions options) : NativeLearner(inputDim, options)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly SampleBuffer<T> _buffer = new(inputDim);
    private ISampleSource<T>? _stream; // a teacher, an oracle or the host's stream: nothing buffered

    public override long Count => _stream?.Count ?? _buffer.Count;

    public override long BufferBytes => _buffer.AllocatedBytes;

    public override bool HasTeacher => _stream is not null;

    public override long OracleQueries => _stream is OracleSampleSource<T> oracle ? oracle.Queries : 0;

    public override void AddSamples<TIn>(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y)
    {
        if (_stream is not null)
            throw new NativeException(Status.InvalidState, "This learner learns from a teacher, an oracle or a stream: it cannot also take sample " +
                "blocks.");
        _buffer.Add(x, y);
    }

    public override void UseTeacher(ReluNetwork teacher, long count, ulong seed, double noiseStd)
    {
        if (teacher.InputDim != InputDim)
            throw new NativeException(Status.InvalidArgument, $"The teacher has input dimension {teacher.InputDim} but the learner was created for " +
                $"{InputDim}.");
        Use(new TeacherSampleSource<T>(teacher, count, seed, noiseStd));
    }

    public override unsafe void UseOracle(delegate* unmanaged<double*, long, double*, nint, int> fn, nint userData, long count, ulong seed,
        CallbackFlags flags)
    {
        if (count < 0) throw new NativeException(Status.InvalidArgument, $"count must be non-negative, got {count}.");
        var oracle = new HostOracle<T>(InputDim, fn, userData, flags.HasFlag(CallbackFlags.ThreadSafe));
        Use(new OracleSampleSource<T>(oracle, count, seed, flags.HasFlag(CallbackFlags.CacheResponses)));
    }

    public override unsafe void UseStream(delegate* unmanaged<long, long, double*, double*, nint, int> fn, nint userData, long count,
        CallbackFlags flags)
    {
        if (count < 0) throw new NativeException(Status.InvalidArgument, $"count must be non-negative, got {count}.");
        Use(new HostStream<T>(InputDim, count, fn, userData, flags.HasFlag(CallbackFlags.ThreadSafe)));
    }

    private void Use(ISampleSource<T> stream)
    {
        if (_buffer.Count > 0)
            throw new NativeException(Status.InvalidState, $"This learner already holds {_buffer.Count} samples: a teacher, oracle or stream " +
                "cannot be added to them.");
        _stream = stream; // replaces a previous teacher, oracle or stream
    }

    protected override LearningResult Learn(IProgress<LearningProgress>? progress, CancellationToken cancellation) =>
        ReluLearner.Learn(_stream ?? _buffer, Options, Mode, progress, cancellation);
}
