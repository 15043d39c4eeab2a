using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ILGPU;
using ILGPU.Runtime;
using ReluFast.Gpu;
using ReluFast.Interop;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.GpuCheck;

/// <summary>
/// The GPU check that scripts/gpu-check.sh runs on a GPU machine (or, with --cpu, on ILGPU's CPU accelerator as a dry
/// run): (1) the kernels agree with the SIMD engine on random data of odd sizes, (2) the three passes' kernels over a
/// teacher stream generated on the device at (d, m, N) = (32, 16, 1e7), (64, 32, 2e7) and (256, 128, 2e6) (times --scale), with no
/// transfer, their sums checked against the SIMD engine on the stream's first samples, (3) pass 1 streamed from host
/// memory through the page-locked double buffers, (4) the learner (<see cref="ReluLearner"/>, device cuda:0) learning
/// (32, 16, 1e7) and (64, 32, 2e7) (times --learn-scale) from a teacher stream generated on the device, and from the
/// host's teacher stream into the device and into the SIMD engine side by side (--learn-sources), each in a child process
/// that loads libtorch from --libtorch DIR (<see cref="LearningCheck"/>). Prints one JSON line; exit 0 only when every
/// check passed.
/// </summary>
internal static class Program
{
    private static readonly JsonArray s_errors = [];

    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == LearningCheck.ChildFlag) return LearningCheck.Child(args);
        bool cpu = args.Contains("--cpu");
        if (!TryNumber(args, "--scale", 1, out double scale) || !TryNumber(args, "--learn-scale", 1, out double learnScale)
            || !TryNumber(args, "--deadline-s", 540, out double deadline)
            || !TryNumber(args, "--learn-max-iterations", 1, out double iterations))
            return 1;
        int maxIterations = Array.IndexOf(args, "--learn-max-iterations") >= 0 ? (int)iterations : 0;
        if (!TrySources(args, out LearningCheck.LearningSource[] sources)) return 1;
        int li = Array.IndexOf(args, "--libtorch");
        string? libtorch = li >= 0 && li + 1 < args.Length ? args[li + 1] : null;
        var result = new JsonObject
        {
            ["check"] = "relufast-gpu",
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["accelerator"] = cpu ? "ilgpu-cpu (dry run: the GPU kernels on ILGPU's CPU accelerator, N scaled down)" : "cuda:0",
            ["scale"] = scale,
            ["learn_scale"] = learnScale,
        };
        var clock = Stopwatch.StartNew();
        GpuMomentDevice? device = null;
        try
        {
            device = cpu ? GpuMomentDevice.OpenCpuAccelerator() : GpuMomentDevice.Open(ComputeDevice.Cuda(0));
            result["device"] = device.Name;
            result["open_s"] = Round(clock.Elapsed.TotalSeconds);
            result["peak_bandwidth_gbs"] = Round(device.PeakBandwidthGBs);
            result["peak_fp64_gflops"] = Round(device.PeakFp64GFlops);
            result["agreement"] = Agreement(device);
            var runs = new JsonArray();
            // the third size takes the tiled kernels' other paths: Gram tiles in both directions with those below the
            // diagonal skipped, a tensor whose launches are one segment (sums added in place), Hermite over two column
            // blocks and two direction tiles
            foreach (var (d, m, n) in new[] { (32, 16, 10_000_000L), (64, 32, 20_000_000L), (256, 128, 2_000_000L) })
                runs.Add(Run(device, d, m, Math.Max(4096, (long)(n * scale))));
            result["runs"] = runs;
        }
        catch (Exception e)
        {
            s_errors.Add($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            device?.Dispose();
        }
        // the learner, each run in a child process with its own device (this one is closed first: one context at a time);
        // per size, the device stream first, then the host's stream into the device and into the SIMD engine side by side
        var learning = new JsonArray();
        foreach (var (d, m, n) in new[] { (32, 16, 10_000_000L), (64, 32, 20_000_000L) })
        {
            long samples = Math.Max(LearnerRules.MinimumSamples(d) * 2, (long)(n * learnScale));
            foreach (var source in sources)
            {
                var left = TimeSpan.FromSeconds(deadline) - clock.Elapsed;
                learning.Add(LearningCheck.Run(d, m, n, samples, maxIterations, cpu, source, libtorch, left, s_errors));
            }
        }
        result["learning"] = learning;
        result["total_s"] = Round(clock.Elapsed.TotalSeconds);
        result["errors"] = s_errors;
        bool ok = s_errors.Count == 0;
        result["ok"] = ok;
        Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return ok ? 0 : 1;
    }

    // ---- 1. kernel agreement on random data -------------------------------------------------------------------------

    private static JsonObject Agreement(GpuMomentDevice device)
    {
        int[] blocks = [5000, 1, 777];
        int total = blocks.Sum();
        var agreement = new JsonObject();
        agreement["gram_d33_l2"] = Ratio("gram", () =>
        {
            const int d = 33, l = 2;
            var simd = new WeightedGramAccumulator<double>(d, l);
            var abs = new WeightedGramAccumulator<double>(d, l);
            using var session = device.CreateWeightedGram<double>(d, l);
            int seed = 1;
            foreach (int n in blocks)
            {
                double[] x = Gaussians(n * d, seed++), c = Gaussians(n * l, seed++);
                simd.Accumulate(x, c); session.Accumulate(x, c); abs.Accumulate(Abs(x), Abs(c));
            }
            return StateRatio(simd.StateLength, simd.CopyState, Flushed(session), abs.CopyState, total, 4);
        });
        agreement["tensor_m17_l3"] = Ratio("tensor", () =>
        {
            const int m = 17, l = 3;
            var simd = new ProjectedTensorAccumulator<double>(m, l);
            var abs = new ProjectedTensorAccumulator<double>(m, l);
            using var session = device.CreateProjectedTensor<double>(m, l);
            int seed = 100;
            foreach (int n in blocks)
            {
                double[] z = Gaussians(n * m, seed++), c = Gaussians(n * l, seed++);
                simd.Accumulate(z, c); session.Accumulate(z, c); abs.Accumulate(Abs(z), Abs(c));
            }
            return StateRatio(simd.StateLength, simd.CopyState, Flushed(session), abs.CopyState, total, 5);
        });
        agreement["hermite_d40_m13_k5"] = Ratio("hermite", () =>
        {
            const int d = 40, m = 13;
            double[] w = Gaussians(d * m, 7, 1 / Math.Sqrt(d));
            var simd = new HermiteProjectionAccumulator<double>(d, w, m);
            using var session = device.CreateHermiteProjection<double>(d, w, m, 5);
            int seed = 200;
            foreach (int n in blocks)
            {
                double[] x = Gaussians(n * d, seed++), r = Gaussians(n, seed++);
                simd.Accumulate(x, r); session.Accumulate(x, r);
            }
            double[] expected = State(simd.StateLength, simd.CopyState), got = Flushed(session);
            return HermiteRatio(expected, got, total);
        });
        agreement["teacher_d32_m16"] = Ratio("teacher", () =>
        {
            ReluNetwork teacher = RandomTeacher.Create(new TeacherOptions(32, 16), 5);
            const int n = 4099;
            const long start = 1_000_003;
            var (x, y) = CpuSamples(teacher, start, n, 9);
            using var stream = new DeviceTeacherStream(device, teacher, 9);
            using var dx = device.Accelerator.Allocate1D<double>(n * 32);
            using var dy = device.Accelerator.Allocate1D<double>(n);
            stream.Generate(device.Accelerator.DefaultStream, start, n, dx.View, dy.View);
            device.Accelerator.Synchronize();
            double[] gx = new double[n * 32], gy = new double[n];
            dx.View.CopyToCPU(gx); dy.View.CopyToCPU(gy);
            double worst = 0, scale = 1 + 10 * teacher.A.ToArray().Sum(Math.Abs);
            for (int k = 0; k < x.Length; k++) worst = Math.Max(worst, Math.Abs(x[k] - gx[k]) / (1e-14 * (1 + Math.Abs(x[k]))));
            for (int k = 0; k < n; k++) worst = Math.Max(worst, Math.Abs(y[k] - gy[k]) / (1e-13 * scale));
            return worst;
        });
        agreement["project_d45_m11"] = Ratio("project", () =>
        {
            const int d = 45, m = 11, n = 1001;
            double[] x = Gaussians(n * d, 300), u = Gaussians(d * m, 301);
            var expected = new double[n * m];
            Projection.Project<double>(x, d, u, m, expected);
            using var dx = device.Accelerator.Allocate1D(x);
            using var du = device.Accelerator.Allocate1D(u);
            using var dz = device.Accelerator.Allocate1D<double>(n * m);
            device.Projection(device.Accelerator.DefaultStream, n * m, dx.View, du.View, dz.View, d, m);
            device.Accelerator.Synchronize();
            var got = new double[n * m];
            dz.View.CopyToCPU(got);
            double worst = 0;
            for (int k = 0; k < got.Length; k++)
            {
                double bound = 2 * (d + 1) * Math.Pow(2, -53) * 10 * d; // d products of |x u| <~ 10 each, both sides rounded
                worst = Math.Max(worst, Math.Abs(expected[k] - got[k]) / bound);
            }
            return worst;
        });
        return agreement;
    }

    private static bool TryNumber(string[] args, string name, double fallback, out double value)
    {
        value = fallback;
        int i = Array.IndexOf(args, name);
        if (i < 0) return true;
        if (i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value > 0)
            return true;
        Console.Error.WriteLine($"error: {name} needs a positive number");
        return false;
    }

    /// <summary>--learn-sources a,b,...: the learning runs' sources (<see cref="LearningCheck.Name"/>); all three by default.</summary>
    private static bool TrySources(string[] args, out LearningCheck.LearningSource[] sources)
    {
        sources = Enum.GetValues<LearningCheck.LearningSource>();
        int i = Array.IndexOf(args, "--learn-sources");
        if (i < 0) return true;
        var named = new List<LearningCheck.LearningSource>();
        foreach (string name in i + 1 < args.Length ? args[i + 1].Split(',') : [string.Empty])
        {
            if (!LearningCheck.TryParse(name, out var source))
            {
                Console.Error.WriteLine("error: --learn-sources needs a comma-separated list of device-stream, host-to-device, host-to-cpu");
                return false;
            }
            named.Add(source);
        }
        sources = [.. named];
        return true;
    }

    private static JsonNode Ratio(string what, Func<double> check)
    {
        try
        {
            double ratio = check();
            if (!(ratio <= 1)) s_errors.Add($"agreement {what}: error {ratio:G3} x its rounding bound");
            return new JsonObject { ["max_error_over_bound"] = Round(ratio), ["pass"] = ratio <= 1 };
        }
        catch (Exception e)
        {
            s_errors.Add($"agreement {what}: {e.GetType().Name}: {e.Message}");
            return new JsonObject { ["pass"] = false };
        }
    }

    // ---- 2. the learner's passes over a device-side teacher stream --------------------------------------------------

    private static JsonObject Run(GpuMomentDevice device, int d, int m, long samples)
    {
        var run = new JsonObject { ["d"] = d, ["m"] = m, ["n"] = samples };
        try
        {
            ReluNetwork teacher = RandomTeacher.Create(new TeacherOptions(d, m), (ulong)(d * 1000 + m));
            const ulong seed = 17;
            double[] u = Orthonormal(teacher, d, m);          // U: d x m, the span of the w_i (pass 2 projects on it)
            double[] wt = Transposed(teacher.W, m, d);        // d x m: column i is w_i (pass 3's directions)
            int chunk = (int)Math.Min(samples, Math.Max(4096, (128 << 20) / (8 * d)));
            using var stream = new DeviceTeacherStream(device, teacher, seed);
            using var dx = device.Accelerator.Allocate1D<double>((long)chunk * d);
            using var dy = device.Accelerator.Allocate1D<double>(chunk);
            using var dz = device.Accelerator.Allocate1D<double>((long)chunk * m);
            using var du = device.Accelerator.Allocate1D(u);

            var gram = (DeviceSession<double>)device.CreateWeightedGram<double>(d, 1);
            var tensor = (DeviceSession<double>)device.CreateProjectedTensor<double>(m, 1);
            var hermite = (DeviceSession<double>)device.CreateHermiteProjection<double>(d, wt, m, 5);
            try
            {
                // warm-up: compile every kernel before timing
                Pass(device, stream, gram, dx, dy, dz, du, 0, Math.Min(chunk, 4096), d, m, project: false);
                Pass(device, stream, tensor, dx, dy, dz, du, 0, Math.Min(chunk, 4096), d, m, project: true);
                Pass(device, stream, hermite, dx, dy, dz, du, 0, Math.Min(chunk, 4096), d, m, project: false);
                foreach (var s in new[] { gram, tensor, hermite }) s.Flush(new double[s.StateLength]);

                double tGen = Timed(() =>
                {
                    for (long s = 0; s < samples; s += chunk)
                        stream.Generate(gram.DeviceStream, s, (int)Math.Min(chunk, samples - s), dx.View, dy.View);
                    gram.DeviceStream.Synchronize();
                });
                run["generate"] = Rate(samples, tGen, 0, (d + 1) * 8.0, device);
                double t1 = Timed(() => Pass(device, stream, gram, dx, dy, dz, du, 0, samples, d, m, project: false));
                double t2 = Timed(() => Pass(device, stream, tensor, dx, dy, dz, du, 0, samples, d, m, project: true));
                double t3 = Timed(() => Pass(device, stream, hermite, dx, dy, dz, du, 0, samples, d, m, project: false));
                double[] s1 = Flushed(gram), s2 = Flushed(tensor), s3 = Flushed(hermite);
                if (s1[0] != samples || s2[0] != samples || s3[0] != samples) s_errors.Add($"run d={d}: a pass did not count {samples} samples");
                run["pass1_gram"] = Rate(samples, t1, Flops(MonomialTerms.GramTerms(d)), (d + 1) * 8.0, device);
                run["pass2_tensor"] = Rate(samples, t2, Flops(MonomialTerms.TensorTerms(m)) + 2.0 * d * m, (d + 1) * 8.0, device);
                run["pass3_hermite"] = Rate(samples, t3, 2.0 * d * m + 6.0 * 5 * m, (d + 1) * 8.0, device);
                run["pass_time_s_excluding_generation"] = new JsonArray(Round(t1 - tGen), Round(t2 - tGen), Round(t3 - tGen));

                // the same passes over the stream's first samples, against the SIMD engine on the CPU source
                int check = (int)Math.Min(samples, 32768);
                Pass(device, stream, gram, dx, dy, dz, du, 0, check, d, m, project: false);
                Pass(device, stream, tensor, dx, dy, dz, du, 0, check, d, m, project: true);
                Pass(device, stream, hermite, dx, dy, dz, du, 0, check, d, m, project: false);
                run["errors_vs_simd"] = CheckAgainstSimd(teacher, seed, check, u, wt, d, m, Flushed(gram), Flushed(tensor), Flushed(hermite));

                run["pass1_host_streamed"] = HostStreamed(device, teacher, seed, d, samples);
            }
            finally
            {
                gram.Dispose(); tensor.Dispose(); hermite.Dispose();
            }
        }
        catch (Exception e)
        {
            s_errors.Add($"run d={d} m={m}: {e.GetType().Name}: {e.Message}");
        }
        return run;
    }

    private static void Pass(GpuMomentDevice device, DeviceTeacherStream stream, DeviceSession<double> session,
        MemoryBuffer1D<double, Stride1D.Dense> dx, MemoryBuffer1D<double, Stride1D.Dense> dy, MemoryBuffer1D<double, Stride1D.Dense> dz,
        MemoryBuffer1D<double, Stride1D.Dense> du, long start, long count, int d, int m, bool project)
    {
        long chunk = dy.Length;
        for (long s = start; s < start + count; s += chunk)
        {
            int n = (int)Math.Min(chunk, start + count - s);
            stream.Generate(session.DeviceStream, s, n, dx.View, dy.View);
            if (project)
            {
                lock (device.LaunchLock) device.Projection(session.DeviceStream, n * m, dx.View, du.View, dz.View, d, m);
                session.AccumulateOnDevice(dz.View.SubView(0, (long)n * m), dy.View.SubView(0, n), n);
            }
            else
            {
                session.AccumulateOnDevice(dx.View.SubView(0, (long)n * d), dy.View.SubView(0, n), n);
            }
        }
        session.DeviceStream.Synchronize();
    }

    private static JsonObject CheckAgainstSimd(ReluNetwork teacher, ulong seed, int n, double[] u, double[] wt, int d, int m,
        double[] gram, double[] tensor, double[] hermite)
    {
        var (x, y) = CpuSamples(teacher, 0, n, seed);
        var g = new WeightedGramAccumulator<double>(d);
        var ga = new WeightedGramAccumulator<double>(d);
        g.Accumulate(x, y); ga.Accumulate(Abs(x), Abs(y));
        var z = new double[n * m];
        Projection.Project<double>(x, d, u, m, z);
        var t = new ProjectedTensorAccumulator<double>(m);
        var ta = new ProjectedTensorAccumulator<double>(m);
        t.Accumulate(z, y); ta.Accumulate(Abs(z), Abs(y));
        var h = new HermiteProjectionAccumulator<double>(d, wt, m);
        h.Accumulate(x, y);
        // the device's samples differ from the CPU's by rounding (1e-14 relative on x, 1e-13 on y): the bound adds that
        double sampleError = 1e-13 * (1 + 10 * teacher.A.ToArray().Sum(Math.Abs));
        double r1 = StateRatio(g.StateLength, g.CopyState, gram, ga.CopyState, n, 4, sampleError * 4);
        double r2 = StateRatio(t.StateLength, t.CopyState, tensor, ta.CopyState, n, 5, sampleError * 5);
        double r3 = HermiteRatio(State(h.StateLength, h.CopyState), hermite, n);
        foreach (var (name, r) in new[] { ("pass 1", r1), ("pass 2", r2), ("pass 3", r3) })
            if (!(r <= 1)) s_errors.Add($"run d={d} {name}: sums differ from the SIMD engine by {r:G3} x the bound");
        return new JsonObject
        {
            ["samples"] = n,
            ["pass1_max_error_over_bound"] = Round(r1),
            ["pass2_max_error_over_bound"] = Round(r2),
            ["pass3_max_error_over_bound"] = Round(r3),
        };
    }

    // ---- 3. pass 1 streamed from host memory (the learner's path for data files) ------------------------------------

    private static JsonObject HostStreamed(GpuMomentDevice device, ReluNetwork teacher, ulong seed, int d, long samples)
    {
        int block = (int)Math.Min(samples, 1 << 16);
        var (x, y) = CpuSamples(teacher, 0, block, seed);
        using var session = device.CreateWeightedGram<double>(d, 1);
        session.Accumulate(x.AsSpan(0, Math.Min(block, 1024) * d), y.AsSpan(0, Math.Min(block, 1024)));
        session.Flush(new double[session.StateLength]);
        long total = Math.Min(samples, 1L << 24);
        double seconds = Timed(() =>
        {
            for (long s = 0; s < total; s += block)
            {
                int n = (int)Math.Min(block, total - s);
                session.Accumulate(x.AsSpan(0, n * d), y.AsSpan(0, n));
            }
            session.Flush(new double[session.StateLength]);
        });
        JsonObject rate = Rate(total, seconds, Flops(MonomialTerms.GramTerms(d)), (d + 1) * 8.0, device);
        rate["blocks_of"] = block;
        return rate;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private static JsonObject Rate(long samples, double seconds, double flopsPerSample, double bytesPerSample, GpuMomentDevice device)
    {
        double gflops = flopsPerSample * samples / seconds / 1e9, gbs = bytesPerSample * samples / seconds / 1e9;
        var o = new JsonObject
        {
            ["seconds"] = Round(seconds),
            ["samples_per_s"] = Round(samples / seconds),
            ["input_gbs"] = Round(gbs),
        };
        if (flopsPerSample > 0) o["gflops"] = Round(gflops);
        if (device.PeakBandwidthGBs > 0) o["input_gbs_of_peak"] = Round(gbs / device.PeakBandwidthGBs);
        if (flopsPerSample > 0 && device.PeakFp64GFlops > 0) o["gflops_of_fp64_peak"] = Round(gflops / device.PeakFp64GFlops);
        return o;
    }

    private static double Flops(IEnumerable<(int I, int J, int K)> terms) => LearningCheck.MonomialFlops(terms);

    private static double StateRatio(int length, SpanAction copyExpected, double[] got, SpanAction copyAbs, long n, int roundings, double extra = 0)
    {
        double[] expected = State(length, copyExpected), abs = State(length, copyAbs);
        double gamma = Bound(1, 1) + 2 * Bound(n, roundings) + extra;
        double worst = 0;
        for (int k = 0; k < length; k++) worst = Math.Max(worst, Math.Abs(expected[k] - got[k]) / (gamma * abs[k] + 1e-300));
        return worst;
    }

    private static double HermiteRatio(double[] expected, double[] got, long n)
    {
        // both engines round u = <v_i, x> (d terms) and the recurrence in double (the unit tests' bound)
        double worst = 0;
        for (int k = 0; k < expected.Length; k++) worst = Math.Max(worst, Math.Abs(expected[k] - got[k]) / (1e-11 * (1 + Math.Abs(expected[k])) * n));
        return worst;
    }

    /// <summary>Higham's gamma for n terms of up to <paramref name="roundings"/> roundings each, in double.</summary>
    private static double Bound(long n, int roundings)
    {
        double u = Math.Pow(2, -53), k = n + roundings;
        return k * u / (1 - k * u);
    }

    private static (double[] X, double[] Y) CpuSamples(ReluNetwork teacher, long start, int n, ulong seed)
    {
        var source = new TeacherSampleSource<double>(teacher, start + n, seed);
        double[] x = new double[n * teacher.InputDim], y = new double[n];
        source.Read(start, x, y);
        return (x, y);
    }

    private static double[] Orthonormal(ReluNetwork teacher, int d, int m)
    {
        // Gram-Schmidt on the w_i: U (d x m row-major) spans them
        var u = new double[d * m];
        for (int j = 0; j < m; j++)
        {
            var v = teacher.WeightsOf(j).ToArray();
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += v[c] * u[c * m + p];
                for (int c = 0; c < d; c++) v[c] -= dot * u[c * m + p];
            }
            double norm = Math.Sqrt(v.Sum(a => a * a));
            for (int c = 0; c < d; c++) u[c * m + j] = v[c] / norm;
        }
        return u;
    }

    private static double[] Transposed(ReadOnlySpan<double> w, int rows, int columns)
    {
        var t = new double[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) t[c * rows + r] = w[r * columns + c];
        return t;
    }

    private static double[] Gaussians(int count, int seed, double scale = 1)
    {
        var values = new double[count];
        new CounterGaussian((ulong)seed, 99).Fill(0, values);
        if (scale != 1) for (int k = 0; k < count; k++) values[k] *= scale;
        return values;
    }

    private static double[] Abs(double[] values) => Array.ConvertAll(values, Math.Abs);

    private static double[] Flushed(IDeviceMoments<double> session)
    {
        var state = new double[session.StateLength];
        session.Flush(state);
        return state;
    }

    private delegate void SpanAction(Span<double> destination);

    private static double[] State(int length, SpanAction copy)
    {
        var s = new double[length];
        copy(s);
        return s;
    }

    private static double Timed(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Six significant digits (tiny errors keep theirs); -1 for NaN or infinity.</summary>
    internal static double Round(double value) =>
        double.IsFinite(value) ? double.Parse(value.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : -1;
}
