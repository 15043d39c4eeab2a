using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;

namespace ReluFast.Native;

/// <summary>
/// The C ABI of ReluFast (native/include/relufast.h). Every export catches every exception and returns a
/// <see cref="Status"/> code with the message in the thread's last error; handles go through
/// <see cref="HandleTable"/>. The header documents each function; this file only implements them.
/// </summary>
internal static unsafe class Exports
{
    /// <summary>RELUFAST_API_VERSION of the header this library implements.</summary>
    public const int CurrentApiVersion = 2;

    private static int Ok => (int)Status.Ok;

    // ---- version and errors ----

    [UnmanagedCallersOnly(EntryPoint = "relufast_api_version")]
    public static int ApiVersion() => CurrentApiVersion;

    [UnmanagedCallersOnly(EntryPoint = "relufast_version")]
    public static byte* Version() => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("0.1.0\0"u8));

    [UnmanagedCallersOnly(EntryPoint = "relufast_last_error")]
    public static byte* LastErrorText()
    {
        try { return LastError.Pointer; }
        catch (Exception) { return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("\0"u8)); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_status_name")]
    public static byte* StatusName(int status) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(LastError.StatusName(status)));

    [UnmanagedCallersOnly(EntryPoint = "relufast_runtime_check")]
    public static int RuntimeCheck(byte* libtorchVersion, nuint capacity)
    {
        try
        {
            string version = TorchLoader.EnsureLoaded();
            return libtorchVersion == null ? Ok : CopyString(version, libtorchVersion, capacity, null);
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    // ---- learner ----

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_options_init")]
    public static int LearnerOptionsInit(LearnerOptionsNative* options)
    {
        try
        {
            if (options == null) return LastError.Fail(Status.NullPointer, "options is NULL.");
            *options = new LearnerOptionsNative
            {
                StructSize = LearnerOptionsNative.Version1Size,
                InputDim = 0,
                Hidden = 0,
                Refine = 1,
                Seed = 1,
                Threads = 0,
                DType = (int)DType.Float64,
            };
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_create")]
    public static int LearnerCreate(LearnerOptionsNative* options, nint* learner)
    {
        try
        {
            if (learner == null) return LastError.Fail(Status.NullPointer, "out_learner is NULL.");
            *learner = 0;
            if (options == null) return LastError.Fail(Status.NullPointer, "options is NULL.");
            var created = NativeLearner.Create(*options);
            *learner = HandleTable.Add(created, HandleKind.Learner);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_destroy")]
    public static int LearnerDestroy(nint learner)
    {
        try
        {
            if (learner == 0) return Ok;
            var l = GetLearner(learner);
            using (l.Enter())
                HandleTable.Remove(learner);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_add_samples_f32")]
    public static int LearnerAddSamplesF32(nint learner, float* x, float* y, long count) => AddSamples(learner, x, y, count);

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_add_samples_f64")]
    public static int LearnerAddSamplesF64(nint learner, double* x, double* y, long count) => AddSamples(learner, x, y, count);

    private static int AddSamples<T>(nint learner, T* x, T* y, long count) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        try
        {
            var l = GetLearner(learner);
            if (count < 0) return LastError.Fail(Status.InvalidArgument, $"count must be non-negative, got {count}.");
            if (count == 0) return Ok;
            if (x == null) return LastError.Fail(Status.NullPointer, "x is NULL.");
            if (y == null) return LastError.Fail(Status.NullPointer, "y is NULL.");
            int d = l.InputDim;
            using (l.Enter())
            {
                // Blocks of at most 2^30 values of x, so that spans can describe them.
                long perBlock = Math.Max(1, (1L << 30) / d);
                for (long done = 0; done < count; done += perBlock)
                {
                    int n = (int)Math.Min(perBlock, count - done);
                    l.AddSamples(new ReadOnlySpan<T>(x + done * d, n * d), new ReadOnlySpan<T>(y + done, n));
                }
            }
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_use_teacher")]
    public static int LearnerUseTeacher(nint learner, nint teacher, long count, ulong seed, double noiseStd)
    {
        try
        {
            var l = GetLearner(learner);
            var t = GetNetwork(teacher, "teacher");
            using (l.Enter())
                l.UseTeacher(t, count, seed, noiseStd);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_use_oracle")]
    public static int LearnerUseOracle(nint learner, delegate* unmanaged<double*, long, double*, nint, int> fn, nint userData, long count,
        ulong seed, int flags)
    {
        try
        {
            var l = GetLearner(learner);
            if (fn == null) return LastError.Fail(Status.NullPointer, "fn is NULL.");
            if ((flags & ~3) != 0)
                return LastError.Fail(Status.InvalidArgument,
                    $"flags must combine RELUFAST_CALLBACK_THREAD_SAFE (1) and RELUFAST_ORACLE_CACHE (2), got {flags}.");
            using (l.Enter())
                l.UseOracle(fn, userData, count, seed, (CallbackFlags)flags);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_use_stream")]
    public static int LearnerUseStream(nint learner, delegate* unmanaged<long, long, double*, double*, nint, int> fn, nint userData, long count,
        int flags)
    {
        try
        {
            var l = GetLearner(learner);
            if (fn == null) return LastError.Fail(Status.NullPointer, "fn is NULL.");
            if ((flags & ~1) != 0)
                return LastError.Fail(Status.InvalidArgument, $"flags must be 0 or RELUFAST_CALLBACK_THREAD_SAFE (1), got {flags}.");
            using (l.Enter())
                l.UseStream(fn, userData, count, (CallbackFlags)flags);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_set_progress")]
    public static int LearnerSetProgress(nint learner, nint fn, nint userData)
    {
        try
        {
            var l = GetLearner(learner);
            using (l.Enter())
                l.ProgressCallback = (fn, userData);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_set_mode")]
    public static int LearnerSetMode(nint learner, int mode)
    {
        try
        {
            var l = GetLearner(learner);
            LearnerMode value = mode switch
            {
                0 => LearnerMode.Auto,
                1 => LearnerMode.FullRank,
                2 => LearnerMode.Overcomplete,
                _ => throw new NativeException(Status.InvalidArgument,
                    $"mode must be RELUFAST_MODE_AUTO (0), RELUFAST_MODE_FULL_RANK (1) or RELUFAST_MODE_OVERCOMPLETE (2), got {mode}."),
            };
            using (l.Enter())
                l.Mode = value;
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_sample_count")]
    public static int LearnerSampleCount(nint learner, long* count, long* bufferBytes)
    {
        try
        {
            var l = GetLearner(learner);
            using (l.Enter())
            {
                if (count != null) *count = l.Count;
                if (bufferBytes != null) *bufferBytes = l.BufferBytes;
            }
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_run")]
    public static int LearnerRun(nint learner)
    {
        try
        {
            var l = GetLearner(learner);
            using (l.Enter())
                l.Run();
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_result")]
    public static int LearnerResult(nint learner, ResultInfoNative* info)
    {
        try
        {
            var l = GetLearner(learner);
            if (info == null) return LastError.Fail(Status.NullPointer, "info is NULL.");
            uint size = info->StructSize;
            if (size < ResultInfoNative.Version1Size)
                return LastError.Fail(Status.InvalidArgument,
                    $"info->struct_size is {size}, less than the {ResultInfoNative.Version1Size} bytes of relufast_result_info (version 1): " +
                    "set it to sizeof(relufast_result_info).");
            using (l.Enter())
            {
                var r = l.RequireResult();
                var full = new ResultInfoNative
                {
                    StructSize = (uint)Math.Min(size, (uint)sizeof(ResultInfoNative)),
                    Hidden = r.Hidden,
                    HiddenWasEstimated = r.HiddenWasEstimated ? 1 : 0,
                    ChosenCandidate = r.ChosenCandidate,
                    Samples = r.Samples,
                    HeldOutMse = r.HeldOutMse,
                    HeldOutVariance = r.HeldOutVariance,
                    Seconds = l.Seconds,
                    NoiseFloor = r.NoiseFloor,
                    OracleQueries = l.OracleQueries,
                    Mode = r.Mode == LearnerMode.Overcomplete ? 2 : 1,
                };
                // A host built against version 1 of the header gets the version-1 fields only.
                Buffer.MemoryCopy(&full, info, size, Math.Min(size, (uint)sizeof(ResultInfoNative)));
            }
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_network")]
    public static int LearnerNetwork(nint learner, nint* network)
    {
        try
        {
            if (network == null) return LastError.Fail(Status.NullPointer, "out_network is NULL.");
            *network = 0;
            var l = GetLearner(learner);
            using (l.Enter())
                *network = HandleTable.Add(l.RequireResult().Network, HandleKind.Network);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_learner_log")]
    public static int LearnerLog(nint learner, byte* buffer, nuint capacity, nuint* needed)
    {
        try
        {
            var l = GetLearner(learner);
            string text;
            using (l.Enter())
                text = string.Join('\n', l.RequireResult().Log);
            return CopyString(text, buffer, capacity, needed);
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    // ---- network ----

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_create")]
    public static int NetworkCreate(int inputDim, int hidden, double* a, double* w, double* b, double c0, double* c, nint* network)
    {
        try
        {
            if (network == null) return LastError.Fail(Status.NullPointer, "out_network is NULL.");
            *network = 0;
            if (inputDim <= 0) return LastError.Fail(Status.InvalidArgument, $"input_dim must be positive, got {inputDim}.");
            if (hidden < 0) return LastError.Fail(Status.InvalidArgument, $"hidden must be non-negative, got {hidden}.");
            if (hidden > 0 && (a == null || w == null || b == null))
                return LastError.Fail(Status.NullPointer, $"{(a == null ? "a" : w == null ? "w" : "b")} is NULL but hidden = {hidden}.");
            long wLength = (long)hidden * inputDim;
            if (wLength > Array.MaxLength)
                return LastError.Fail(Status.InvalidArgument, $"W would have {wLength} entries, more than a network can hold.");
            var net = new ReluNetwork(inputDim, new ReadOnlySpan<double>(a, hidden), new ReadOnlySpan<double>(w, (int)wLength),
                new ReadOnlySpan<double>(b, hidden), c0, c == null ? default : new ReadOnlySpan<double>(c, inputDim));
            *network = HandleTable.Add(net, HandleKind.Network);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_create_random")]
    public static int NetworkCreateRandom(int inputDim, int hidden, ulong seed, nint* network)
    {
        try
        {
            if (network == null) return LastError.Fail(Status.NullPointer, "out_network is NULL.");
            *network = 0;
            var net = RandomTeacher.Create(new TeacherOptions(inputDim, hidden), seed);
            *network = HandleTable.Add(net, HandleKind.Network);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_destroy")]
    public static int NetworkDestroy(nint network)
    {
        try
        {
            if (network == 0) return Ok;
            GetNetwork(network, "network");
            HandleTable.Remove(network);
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_dims")]
    public static int NetworkDims(nint network, int* inputDim, int* hidden)
    {
        try
        {
            var n = GetNetwork(network, "network");
            if (inputDim != null) *inputDim = n.InputDim;
            if (hidden != null) *hidden = n.Hidden;
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_read")]
    public static int NetworkRead(nint network, double* a, long aLength, double* w, long wLength, double* b, long bLength, double* c0, double* c,
        long cLength)
    {
        try
        {
            var n = GetNetwork(network, "network");
            // Check every buffer before writing any.
            RequireLength("a", a, aLength, n.Hidden);
            RequireLength("w", w, wLength, n.W.Length);
            RequireLength("b", b, bLength, n.Hidden);
            RequireLength("c", c, cLength, n.InputDim);
            if (a != null) n.A.CopyTo(new Span<double>(a, n.Hidden));
            if (w != null) n.W.CopyTo(new Span<double>(w, n.W.Length));
            if (b != null) n.B.CopyTo(new Span<double>(b, n.Hidden));
            if (c0 != null) *c0 = n.LinearBias;
            if (c != null) n.LinearWeights.CopyTo(new Span<double>(c, n.InputDim));
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_evaluate_f32")]
    public static int NetworkEvaluateF32(nint network, float* x, long count, float* y) => Evaluate(network, x, count, y);

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_evaluate_f64")]
    public static int NetworkEvaluateF64(nint network, double* x, long count, double* y) => Evaluate(network, x, count, y);

    private static int Evaluate<T>(nint network, T* x, long count, T* y) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        try
        {
            var n = GetNetwork(network, "network");
            if (count < 0) return LastError.Fail(Status.InvalidArgument, $"count must be non-negative, got {count}.");
            if (count == 0) return Ok;
            if (x == null) return LastError.Fail(Status.NullPointer, "x is NULL.");
            if (y == null) return LastError.Fail(Status.NullPointer, "y is NULL.");
            int d = n.InputDim;
            long perBlock = Math.Max(1, (1L << 30) / d);
            for (long done = 0; done < count; done += perBlock)
            {
                int k = (int)Math.Min(perBlock, count - done);
                if (typeof(T) == typeof(float))
                    n.Evaluate(new ReadOnlySpan<float>((float*)x + done * d, k * d), new Span<float>((float*)y + done, k));
                else
                    n.Evaluate(new ReadOnlySpan<double>((double*)x + done * d, k * d), new Span<double>((double*)y + done, k));
            }
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "relufast_network_compare")]
    public static int NetworkCompare(nint model, nint truth, long testSamples, ulong seed, ComparisonNative* result)
    {
        try
        {
            var m = GetNetwork(model, "model");
            var t = GetNetwork(truth, "truth");
            if (result == null) return LastError.Fail(Status.NullPointer, "out is NULL.");
            if (result->StructSize < (uint)sizeof(ComparisonNative))
                return LastError.Fail(Status.InvalidArgument,
                    $"out->struct_size is {result->StructSize}, less than the {sizeof(ComparisonNative)} bytes of relufast_comparison: " +
                    "set it to sizeof(relufast_comparison).");
            if (testSamples <= 0) return LastError.Fail(Status.InvalidArgument, $"test_samples must be positive, got {testSamples}.");
            var cmp = NetworkComparison.Compare(m, t, testSamples, seed);
            *result = new ComparisonNative
            {
                StructSize = (uint)sizeof(ComparisonNative),
                Reserved = 0,
                WError = cmp.WError,
                AError = cmp.AError,
                BError = cmp.BError,
                TestMse = cmp.TestMse,
                RelativeTestMse = cmp.RelativeTestMse,
                TestSamples = cmp.TestSamples,
            };
            return Ok;
        }
        catch (Exception e) { return LastError.Fail(e); }
    }

    // ---- helpers ----

    private static NativeLearner GetLearner(nint handle) => HandleTable.Get<NativeLearner>(handle, HandleKind.Learner, "learner");

    private static ReluNetwork GetNetwork(nint handle, string parameter) => HandleTable.Get<ReluNetwork>(handle, HandleKind.Network, parameter);

    private static void RequireLength(string name, double* pointer, long length, int needed)
    {
        if (pointer != null && length < needed)
            throw new NativeException(Status.BufferTooSmall,
                $"{name} holds {length} values but the network has {needed} to copy (nothing was written).");
    }

    /// <summary>
    /// Copies <paramref name="text"/> as NUL-terminated UTF-8. <paramref name="needed"/> (if not NULL) receives the
    /// bytes needed including the NUL; a NULL buffer only queries; a short buffer gets a truncated, terminated copy
    /// and <see cref="Status.BufferTooSmall"/>.
    /// </summary>
    private static int CopyString(string text, byte* buffer, nuint capacity, nuint* needed)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (needed != null) *needed = (nuint)bytes.Length + 1;
        if (buffer == null) return Ok;
        if (capacity == 0) return LastError.Fail(Status.BufferTooSmall, $"The buffer has no room; {bytes.Length + 1} bytes are needed.");
        int copy = (int)Math.Min((nuint)bytes.Length, capacity - 1);
        bytes.AsSpan(0, copy).CopyTo(new Span<byte>(buffer, copy));
        buffer[copy] = 0;
        return (nuint)bytes.Length + 1 > capacity
            ? LastError.Fail(Status.BufferTooSmall, $"The buffer holds {capacity} bytes; {bytes.Length + 1} are needed (the text was truncated).")
            : Ok;
    }
}
