using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using ReluFast.Evaluation;
using ReluFast.Gpu;
using ReluFast.Interop;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.GpuCheck;

/// <summary>
/// Learning runs of the check: <see cref="ReluLearner.Learn{T}"/> with <c>Device = cuda:0</c> (the learner's own device
/// path: every pass thread feeds its own device session) on a teacher stream generated on the device
/// (<see cref="DeviceTeacherSampleSource"/>), and, side by side on the same machine, the same teacher streamed from the
/// host (<see cref="TeacherSampleSource{T}"/>, as <c>relufast demo</c> does) into the SIMD engine and into the device
/// (<see cref="LearningSource"/>). Each run is a child process of the check (the same program with
/// <c>--learn-child</c>), because the learner's dense solves need libtorch, which the package does not carry (it would
/// not fit in 64 MiB): the child finds it on <c>LD_LIBRARY_PATH</c> (the GPU machine's PyTorch, or here the NuGet cache),
/// and a libtorch that does not load, or crashes the process, costs that run only, not the check's JSON line.
/// </summary>
internal static class LearningCheck
{
    /// <summary>The argument that makes the program a learning child.</summary>
    public const string ChildFlag = "--learn-child";

    /// <summary>Where a learning run's samples come from and which engine forms its moment sums.</summary>
    public enum LearningSource
    {
        /// <summary>The teacher stream generated on the device and copied to the host block by block; device engine.</summary>
        DeviceStream,

        /// <summary>The host's teacher stream (<see cref="TeacherSampleSource{T}"/>) into the device engine.</summary>
        HostToDevice,

        /// <summary>The host's teacher stream into the SIMD engine (<c>--device cpu</c>): the baseline on the same machine.</summary>
        HostToCpu,
    }

    /// <summary>The JSON and command-line name of a source.</summary>
    public static string Name(LearningSource source) => source switch
    {
        LearningSource.DeviceStream => "device-stream",
        LearningSource.HostToDevice => "host-to-device",
        _ => "host-to-cpu",
    };

    /// <summary>The source of a <see cref="Name"/>, or false for none.</summary>
    public static bool TryParse(string name, out LearningSource source)
    {
        foreach (LearningSource s in Enum.GetValues<LearningSource>())
            if (Name(s) == name)
            {
                source = s;
                return true;
            }
        source = default;
        return false;
    }

    /// <summary>Runs one learning child and returns its JSON object (or what went wrong); errors go to <paramref name="errors"/>.</summary>
    /// <param name="d">Input dimension of the teacher.</param>
    /// <param name="m">Its hidden neurons.</param>
    /// <param name="fullSamples">N of the check on a GPU.</param>
    /// <param name="samples">N of this run (smaller in a dry run).</param>
    /// <param name="maxIterations">L-BFGS iterations of each refinement (0: the learner's default).</param>
    /// <param name="cpu">Whether the device is ILGPU's CPU accelerator.</param>
    /// <param name="source">Where the samples come from and which engine sums them.</param>
    /// <param name="libtorch">The folder with libtorch's libraries (put on the child's LD_LIBRARY_PATH), or null.</param>
    /// <param name="timeout">How long the child may run.</param>
    /// <param name="errors">Receives what went wrong.</param>
    public static JsonObject Run(int d, int m, long fullSamples, long samples, int maxIterations, bool cpu, LearningSource source,
        string? libtorch, TimeSpan timeout, JsonArray errors)
    {
        var run = new JsonObject { ["d"] = d, ["m"] = m, ["n"] = samples, ["n_asked"] = fullSamples, ["source"] = Name(source) };
        string what = $"learn d={d} m={m} {Name(source)}";
        if (samples != fullSamples)
            run["scaled"] = "N scaled down for the CPU accelerator's dry run (the GPU run uses the full N): the path runs end to end, " +
                "but this N is too small to recover the teacher";
        if (maxIterations > 0) run["refinement_max_iterations"] = maxIterations;
        if (timeout <= TimeSpan.FromSeconds(5))
        {
            errors.Add($"{what}: not run, the check's time was used up");
            run["ok"] = false;
            return run;
        }
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The check cannot find its own program.");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { ChildFlag, Text(d), Text(m), Text(samples), cpu ? "cpu" : "cuda", Text(maxIterations), Name(source) })
            start.ArgumentList.Add(a);
        if (libtorch is not null)
        {
            string? path = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            start.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(path) ? libtorch : $"{libtorch}:{path}";
            run["libtorch_dir"] = libtorch;
        }
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException("The learning child did not start.");
        var stderr = new StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        child.BeginErrorReadLine();
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(timeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            errors.Add($"{what}: stopped after {timeout.TotalSeconds:F0} s (the check's time limit)");
            run["ok"] = false;
            run["seconds"] = Round(clock.Elapsed.TotalSeconds);
            return run;
        }
        child.WaitForExit();
        string line = stdout.Result.Trim().Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{')) ?? string.Empty;
        JsonObject? result = null;
        try
        {
            result = line.Length > 0 ? JsonNode.Parse(line) as JsonObject : null;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (result is null)
        {
            string tail;
            lock (stderr) tail = Tail(stderr.ToString(), 600);
            errors.Add($"{what}: the learning child exited with {child.ExitCode} and no result: {tail}");
            run["ok"] = false;
            run["exit_code"] = child.ExitCode;
            return run;
        }
        foreach (var (key, value) in result.ToArray())
        {
            result.Remove(key);
            run[key] = value;
        }
        if (run["error"] is JsonNode error) errors.Add($"{what}: {error}");
        else if (samples == fullSamples) Judge(run, what, m, errors);
        run["process_seconds"] = Round(clock.Elapsed.TotalSeconds);
        return run;
    }

    /// <summary>
    /// At the check's full N the learner should find the teacher: all m neurons, and a test error below the learners' own
    /// warning threshold (<see cref="ConditioningChecks.MaximumRefinedRelativeMse"/> of Var y).
    /// </summary>
    private static void Judge(JsonObject run, string what, int m, JsonArray errors)
    {
        int learned = run["hidden_learned"]?.GetValue<int>() ?? -1;
        double mse = run["vs_teacher"]?["relative_test_mse"]?.GetValue<double>() ?? double.NaN;
        bool found = learned == m && mse <= ConditioningChecks.MaximumRefinedRelativeMse;
        run["found_teacher"] = found;
        if (!found)
            errors.Add($"{what}: learned m = {learned} with relative test MSE {mse:G3} (expected m = {m} and at most " +
                $"{ConditioningChecks.MaximumRefinedRelativeMse:G1})");
    }

    /// <summary>The child: learns from its source (<see cref="LearningSource"/>) and prints one JSON object; exit 0 when it learned.</summary>
    public static int Child(string[] args)
    {
        var o = new JsonObject();
        try
        {
            int d = int.Parse(args[1], CultureInfo.InvariantCulture), m = int.Parse(args[2], CultureInfo.InvariantCulture);
            long n = long.Parse(args[3], CultureInfo.InvariantCulture);
            bool cpu = args[4] == "cpu";
            int maxIterations = int.Parse(args[5], CultureInfo.InvariantCulture);
            if (!TryParse(args[6], out LearningSource kind)) throw new ArgumentException($"unknown learning source '{args[6]}'");
            o["libtorch"] = TorchRuntime.LibTorchVersion; // loads libtorch first: a missing or mismatched one fails here
            // the host-to-cpu baseline opens no device: the SIMD engine, as `relufast learn --device cpu`
            using GpuMomentDevice? device = kind == LearningSource.HostToCpu ? null
                : cpu ? GpuMomentDevice.OpenCpuAccelerator() : GpuMomentDevice.Open(ComputeDevice.Cuda(0));
            o["device"] = device?.Name ?? $"cpu (SIMD engine, {Environment.ProcessorCount} threads)";
            ReluNetwork teacher = RandomTeacher.Create(new TeacherOptions(d, m), (ulong)(d * 1000 + m));
            using var deviceSource = kind == LearningSource.DeviceStream ? new DeviceTeacherSampleSource(device!, teacher, n, seed: 17) : null;
            ISampleSource<double> source = deviceSource ?? (ISampleSource<double>)new TeacherSampleSource<double>(teacher, n, seed: 17);
            var passes = new PassClock();
            var options = new LearnerOptions { Device = device is null ? ComputeDevice.Cpu : ComputeDevice.Cuda(0), Seed = 1 };
            if (maxIterations > 0) options = options with { MaxRefinementIterations = maxIterations };
            LearningResult result;
            var clock = Stopwatch.StartNew();
            // the learner opens "cuda:0": here, the device that also generates the samples (one context, not two)
            using (device is null ? null : ComputeDevice.UseCudaEngine(_ => new SharedDevice(device)))
                result = ReluLearner.Learn(source, options, LearnerMode.FullRank, passes);
            double seconds = clock.Elapsed.TotalSeconds;
            o["seconds"] = Round(seconds);
            o["samples_per_s_whole_run"] = Round(n / seconds);
            o["hidden_learned"] = result.Hidden;
            o["passes"] = Passes(passes, n, d, result.Hidden, device);
            var t = result.Timings;
            o["timings_s"] = new JsonObject
            {
                ["pilot"] = Round(t.Pilot.TotalSeconds),
                ["pass1_second_moments"] = Round(t.SecondMoments.TotalSeconds),
                ["pass2_higher_moments"] = Round(t.HigherMoments.TotalSeconds),
                ["decomposition"] = Round(t.Decomposition.TotalSeconds),
                ["pass3_coefficients"] = Round(t.Coefficients.TotalSeconds),
                ["refinement_cpu"] = Round(t.Refinement.TotalSeconds),
            };
            NetworkComparison c = NetworkComparison.Compare(result.Network, teacher, 200_000);
            // the parameter errors need the teacher's m neurons (NaN otherwise): then only the test error is given
            o["vs_teacher"] = result.Hidden == m
                ? new JsonObject
                {
                    ["w_error"] = Round(c.WError),
                    ["a_error"] = Round(c.AError),
                    ["b_error"] = Round(c.BError),
                    ["relative_test_mse"] = Round(c.RelativeTestMse),
                }
                : new JsonObject { ["relative_test_mse"] = Round(c.RelativeTestMse) };
            o["held_out_relative_mse"] = Round(result.HeldOutMse / Math.Max(result.HeldOutVariance, 1e-300));
            o["ok"] = true;
            Console.WriteLine(o.ToJsonString());
            return 0;
        }
        catch (Exception e)
        {
            o["error"] = $"{e.GetType().Name}: {e.Message}";
            o["ok"] = false;
            Console.WriteLine(o.ToJsonString());
            return 1;
        }
    }

    /// <summary>Each pass's time (its last progress report) as samples/s, and the device sums' GFLOP/s for passes 1 and 2.</summary>
    private static JsonObject Passes(PassClock passes, long n, int d, int m, GpuMomentDevice? device)
    {
        const int weights = 4; // pass 2 on a device: y~ and y~ (1 + <z, g_r>) for the learner's 3 restarts (ProjectedMomentWorker)
        var o = new JsonObject();
        foreach (var (stage, name, flops) in new (LearningStage, string, double)[]
        {
            (LearningStage.InputLaw, "input_law_cpu", 0),
            (LearningStage.SecondMoments, "pass1_gram", MonomialFlops(MonomialTerms.GramTerms(d))),
            (LearningStage.ProjectedTensor, "pass2_tensor", m > 0 ? weights * MonomialFlops(MonomialTerms.TensorTerms(m)) : 0),
            (LearningStage.Coefficients, "pass3_hermite", 0),
        })
        {
            if (passes.Seconds(stage) is not double s) continue;
            var p = new JsonObject { ["seconds"] = Round(s), ["samples_per_s"] = Round(n / s) };
            double gbs = (d + 1) * 8.0 * n / s / 1e9;
            p["input_gbs"] = Round(gbs);
            if (device?.PeakBandwidthGBs > 0) p["input_gbs_of_peak"] = Round(gbs / device.PeakBandwidthGBs);
            if (flops > 0 && device is not null)
            {
                double gflops = flops * n / s / 1e9;
                p["device_gflops"] = Round(gflops);
                if (device.PeakFp64GFlops > 0) p["device_gflops_of_fp64_peak"] = Round(gflops / device.PeakFp64GFlops);
            }
            o[name] = p;
        }
        return o;
    }

    /// <summary>Useful flops per sample of a monomial table: per output, one multiply per factor and one add.</summary>
    public static double MonomialFlops(IEnumerable<(int I, int J, int K)> terms)
    {
        double flops = 0;
        foreach (var (i, j, k) in terms) flops += 1 + (i >= 0 ? 1 : 0) + (j >= 0 ? 1 : 0) + (k >= 0 ? 1 : 0);
        return flops;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Tail(string text, int length)
    {
        text = text.Trim().Replace('\n', ' ');
        return text.Length <= length ? text : "..." + text[^length..];
    }

    /// <summary>Six significant digits (tiny errors keep theirs); -1 for NaN or infinity.</summary>
    internal static double Round(double value) =>
        double.IsFinite(value) ? double.Parse(value.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : -1;

    /// <summary>The time of each pass: the elapsed time of its last progress report (the pass's own clock).</summary>
    private sealed class PassClock : IProgress<LearningProgress>
    {
        private readonly Dictionary<LearningStage, TimeSpan> _last = [];

        public void Report(LearningProgress value)
        {
            if (value.Message.Length > 0 || value.SamplesTotal <= 0 || value.SamplesDone != value.SamplesTotal) return;
            lock (_last) _last[value.Stage] = value.Elapsed;
        }

        public double? Seconds(LearningStage stage)
        {
            lock (_last) return _last.TryGetValue(stage, out var t) && t > TimeSpan.Zero ? t.TotalSeconds : null;
        }
    }

    /// <summary>The check's device, lent to the learner: the learner disposes what it opens, the check keeps its own.</summary>
    private sealed class SharedDevice(GpuMomentDevice device) : IMomentDevice
    {
        public string Name => device.Name;

        public IDeviceMoments<T> CreateWeightedGram<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            device.CreateWeightedGram<T>(dimension, weightCount);

        public IDeviceMoments<T> CreateProjectedTensor<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            device.CreateProjectedTensor<T>(dimension, weightCount);

        public IDeviceMoments<T> CreateHermiteProjection<T>(int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
            where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            device.CreateHermiteProjection<T>(dimension, directions, hidden, maxOrder);

        public void Dispose()
        {
        }
    }
}
