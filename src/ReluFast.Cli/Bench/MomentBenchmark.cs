using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using ReluFast.Decomposition;
using ReluFast.Interop;
using ReluFast.Learning;
using ReluFast.Moments;
using ReluFast.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace ReluFast.Cli.Bench;

/// <summary>
/// Measures the SIMD moment engine against libtorch on the same data (the numbers of <c>relufast bench</c>).
/// </summary>
internal static class MomentBenchmark
{
    /// <summary>
    /// The flops a kernel needs per pass, counting only unique work (an FMA is 2 flops), used for both engines:
    /// weighted Gram N d (d + 1) (upper triangle), projected 3-tensor N m (m + 1)(m + 2) / 3 (unique entries) per weight,
    /// Hermite projection 2 N d m (the projection).
    /// </summary>
    public static double UsefulFlops(string name, long samples, int d, int m, int weights = 1) => name switch
    {
        "weighted-gram" => (double)samples * d * (d + 1),
        "projected-3tensor" => (double)samples * m * (m + 1) * (m + 2) / 3 * weights,
        "hermite-projection" => 2.0 * samples * d * m,
        _ => throw new ArgumentException($"Unknown kernel '{name}'.", nameof(name)),
    };

    /// <summary>Runs every kernel; <paramref name="quick"/> uses small data sets (about 10 s in all).</summary>
    public static MomentBenchmarkReport Run(bool quick, Action<string>? log = null)
    {
        TorchRuntime.EnsureLoaded();
        log ??= _ => { };
        int cores = Environment.ProcessorCount;
        double clock = MeasureClockGhz();
        double fma = MeasureFmaGflops(cores, quick ? 0.1 : 0.3);
        int lanes = Math.Max(1, HardwareInfo.SimdWidthBits / 64);
        int pipes = FmaPipes(fma, cores, lanes, clock);
        double peak = cores * lanes * pipes * 2 * clock;
        double bandwidth = MachinePeak.MeasureReadBandwidth(cores);
        log($"peak estimate {peak:F1} GFLOP/s = {cores} cores x {lanes} float64 lanes x {pipes} full-width FMA/cycle x 2 flops x {clock:F2} GHz " +
            $"(measured FMA throughput {fma:F1} GFLOP/s); read bandwidth {bandwidth / 1e9:F1} GB/s on {cores} threads");
        int repeats = quick ? 2 : 3;
        long gramN = quick ? 100_000 : 1_000_000;
        var kernels = new List<KernelBenchmark>();
        void Add(KernelBenchmark k)
        {
            bool single = k.Dtype == "float32";
            var (limit, memoryBound) = Limit(single ? 2 * peak : peak, UsefulFlops(k.Name, 1, k.D, k.M, k.Weights),
                (Math.Max(k.D, k.M) + 1) * (single ? sizeof(float) : sizeof(double)), bandwidth);
            k = k with { LimitGflops = limit, MemoryBound = memoryBound };
            kernels.Add(k);
            string weights = k.Weights > 1 ? $"L={k.Weights} " : "";
            log($"{k.Name,-19} {k.Dtype} d={k.D,-3} m={k.M,-3} {weights}N={k.Samples,-8} SIMD {k.Gflops,7:F1} GFLOP/s " +
                $"({100 * k.Gflops / (single ? 2 * peak : peak),3:F0}% of peak, {100 * k.Gflops / limit,3:F0}% of the " +
                $"{(memoryBound ? "memory" : "compute")} limit {limit:F0})  libtorch {k.TorchGflops,7:F1} GFLOP/s  " +
                $"x{k.Speedup:F2}  alloc {k.AllocatedBytes} B"
                + (k.RelativeError is double e ? $"  rel.err {e:E2}" : string.Empty)
                + (k.GflopsCopied is double gc ? $"  (copied blocks: {gc:F1} GFLOP/s)" : string.Empty));
        }

        foreach (int d in quick ? new[] { 64 } : new[] { 64, 16, 256 })
        {
            // d = 16 at 10^7 samples also measures the float32 accumulation error at large N
            long n = d == 256 ? gramN / 4 : d == 16 ? 10 * gramN : gramN;
            GramPair(d, n, repeats, cores, withFloat: d <= 64, Add);
        }
        // the work of N weighted samples; m = 8 on 10^6 samples: at 250,000 its pass took 5 ms, a third of it the workers' start
        foreach (int m in quick ? new[] { 32 } : new[] { 8, 32 })
            TensorPair(m, (quick ? gramN / 4 : gramN) / (m == 8 ? 1 : TensorWeights), repeats, cores, withFloat: m == 32, Add);
        HermitePair(64, 32, quick ? gramN / 2 : gramN, repeats, cores, Add);
        return new MomentBenchmarkReport(peak, clock, cores, lanes, pipes, fma, cores, torch.get_num_threads(), kernels)
        {
            ReadBandwidth = bandwidth,
        };
    }

    /// <summary>
    /// The most a kernel can do here, in useful GFLOP/s: the peak of its type, or, where the samples cannot be read that fast, the
    /// useful flops of the samples the read bandwidth brings (each pass reads x and y once, in place). Narrow rows (d = 16) are bound
    /// by the memory: 136 bytes a sample of float64 carry 272 useful flops, about 70 GFLOP/s at 35 GB/s against a peak of 220.
    /// </summary>
    /// <param name="peakGflops">The peak of the kernel's type (float32: twice the float64 peak).</param>
    /// <param name="usefulFlopsPerSample">Useful flops of one sample (<see cref="UsefulFlops"/> of one sample).</param>
    /// <param name="bytesPerSample">Bytes the pass reads per sample.</param>
    /// <param name="bytesPerSecond">Measured read bandwidth on the pass's threads.</param>
    internal static (double Gflops, bool MemoryBound) Limit(double peakGflops, double usefulFlopsPerSample, int bytesPerSample,
        double bytesPerSecond)
    {
        double memory = usefulFlopsPerSample * bytesPerSecond / bytesPerSample / 1e9;
        return memory < peakGflops ? (memory, true) : (peakGflops, false);
    }

    /// <summary>
    /// Full-width vector FMAs a core retires per cycle, from the measured FMA throughput: 2 on server cores with two
    /// 512-bit FMA units, 1 where AVX-512 runs on two 256-bit pipes (AMD Zen 4) or one unit (many client cores). A fixed
    /// "2 FMA units" would double the peak of such machines.
    /// </summary>
    internal static int FmaPipes(double measuredFmaGflops, int cores, int lanes, double clockGhz) =>
        Math.Clamp((int)Math.Round(measuredFmaGflops / (cores * lanes * 2 * clockGhz)), 1, 2);

    private static void GramPair(int d, long n, int repeats, int threads, bool withFloat, Action<KernelBenchmark> add)
    {
        double[] x = Gaussians(n * d, 1), y = Gaussians(n, 2);
        var (k, reference) = Gram(x, y, d, n, repeats, threads, null);
        add(k);
        if (!withFloat) return;
        float[] xf = Array.ConvertAll(x, v => (float)v), yf = Array.ConvertAll(y, v => (float)v);
        for (long i = 0; i < x.LongLength; i++) x[i] = xf[i];
        for (long i = 0; i < y.LongLength; i++) y[i] = yf[i];
        reference = Run<double, GramWorker<double>>(x, y, d, threads, () => new GramWorker<double>(d)).State();
        add(Gram(xf, yf, d, n, repeats, threads, reference).Result);
    }

    private static (KernelBenchmark Result, double[] State) Gram<T>(T[] x, T[] y, int d, long n, int repeats, int threads, double[]? reference)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const string name = "weighted-gram";
        double best = double.MaxValue;
        GramWorker<T>? result = null;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            result = Run<T, GramWorker<T>>(x, y, d, threads, () => new GramWorker<T>(d));
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double copiedBest = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Run<T, GramWorker<T>>(x, y, d, threads, () => new GramWorker<T>(d), copied: true);
            copiedBest = Math.Min(copiedBest, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        long allocated = SteadyStateAllocation(x, y, d, new GramWorker<T>(d));
        double torchBest = TimeTorch(repeats, () =>
        {
            Tensor xt = Tensor2(x, n, d), c = Tensor2(y, 1, n);
            return () => { var (s, f, g) = TorchMomentEngine.GramTensors(xt, c); _ = Total(g) + Total(f) + Total(s); };
        }, () => GramInPlace(Tensor2(x, n, d), Tensor2(y, n)));
        double[] state = result!.State();
        KernelBenchmark k = Make(name, DtypeOf<T>(), d, 0, n, best, torchBest, allocated, reference is null ? null : RelativeError(state, reference));
        return (k with { GflopsCopied = UsefulFlops(name, n, d, 0) / copiedBest / 1e9 }, state);
    }

    /// <summary>
    /// Weights per projected 3-tensor pass: the learner's (<see cref="LearnerOptions.Restarts"/>: y~ (1 + &lt;z, g_r&gt;) for each
    /// g_r), so that the row measures the product pass 2 computes, one kernel call for all weights (docs/passes.md).
    /// </summary>
    internal static readonly int TensorWeights = new LearnerOptions().Restarts;

    private static void TensorPair(int m, long n, int repeats, int threads, bool withFloat, Action<KernelBenchmark> add)
    {
        double[] z = Gaussians(n * m, 3), y = Gaussians(n, 4);
        add(Tensor3(z, y, m, n, repeats, threads, null).Result);
        if (!withFloat) return;
        float[] zf = Array.ConvertAll(z, v => (float)v), yf = Array.ConvertAll(y, v => (float)v);
        for (long i = 0; i < z.LongLength; i++) z[i] = zf[i];
        for (long i = 0; i < y.LongLength; i++) y[i] = yf[i];
        double[] reference = State(Run<double, ProjectedTensorTimingWorker<double>>(z, y, m, threads, () => new(m, TensorWeights)));
        add(Tensor3(zf, yf, m, n, repeats, threads, reference).Result);
    }

    private static (KernelBenchmark Result, double[] State) Tensor3<T>(T[] z, T[] y, int m, long n, int repeats, int threads, double[]? reference)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double best = double.MaxValue;
        ProjectedTensorTimingWorker<T>? result = null;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            result = Run<T, ProjectedTensorTimingWorker<T>>(z, y, m, threads, () => new(m, TensorWeights));
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        long allocated = SteadyStateAllocation(z, y, m, new ProjectedTensorTimingWorker<T>(m, TensorWeights));
        int l = TensorWeights;
        T[] weights = new T[l * n];
        ProjectedTensorTimingWorker<T>.Weights(z, y, m, l, weights);
        double torchBest = TimeTorch(repeats, () =>
        {
            Tensor zt = Tensor2(z, n, m), c = Tensor2(weights, l, n);
            return () =>
            {
                var (_, _, _, third) = TorchMomentEngine.TensorMoments(zt, c);
                _ = Total(third);
            };
        }, () => TensorInPlace(Tensor2(z, n, m), Tensor2(weights, l, n), second: false)); // the 3-tensors, as pass 2's worker
        double[] state = State(result!);
        return (Make("projected-3tensor", DtypeOf<T>(), 0, m, n, best, torchBest, allocated,
            reference is null ? null : RelativeError(state, reference), l), state);
    }

    private static void HermitePair(int d, int m, long n, int repeats, int threads, Action<KernelBenchmark> add)
    {
        double[] x = Gaussians(n * d, 5), y = Gaussians(n, 6), w = Gaussians((long)d * m, 7);
        for (int i = 0; i < w.Length; i++) w[i] /= Math.Sqrt(d);
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Run<double, HermiteWorker<double>>(x, y, d, threads, () => new HermiteWorker<double>(d, w, m));
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        long allocated = SteadyStateAllocation(x, y, d, new HermiteWorker<double>(d, w, m));
        double torchBest = TimeTorch(repeats, () =>
        {
            Tensor xt = Tensor2(x, n, d), r = Tensor2(y, n), wt = Tensor2(w, d, m);
            return () => _ = Total(TorchMomentEngine.HermiteSums(xt, wt, r, 5));
        }, () => HermiteInPlace(Tensor2(x, n, d), Tensor2(w, d, m), Tensor2(y, n)));
        add(Make("hermite-projection", "float64", d, m, n, best, torchBest, allocated, null));
    }

    private static KernelBenchmark Make(string name, string dtype, int d, int m, long n, double seconds, double torchSeconds, long allocated,
        double? error, int weights = 1)
    {
        double flops = UsefulFlops(name, n, d, m, weights);
        double g = flops / seconds / 1e9, gt = flops / torchSeconds / 1e9;
        return new KernelBenchmark(name, dtype, d, m, n, g, gt, g / gt, allocated, seconds, torchSeconds, error) { Weights = weights };
    }

    /// <summary>
    /// Best time of a libtorch computation with its default intra-op threads (all cores), and also with one
    /// thread when the default is more: on a busy machine libtorch's threads wait for each other, and the
    /// baseline should be libtorch at its best.
    /// </summary>
    private static double TimeTorch(int repeats, params Func<Action>[] formulations)
    {
        int threads = torch.get_num_threads();
        double best = double.MaxValue;
        Func<Action> fastest = formulations[0];
        foreach (Func<Action> prepare in formulations)
        {
            double t = TimeTorchOnce(repeats, prepare);
            if (t < best) (best, fastest) = (t, prepare);
        }
        if (threads > 1)
        {
            try
            {
                torch.set_num_threads(1);
                best = Math.Min(best, TimeTorchOnce(repeats, fastest));
            }
            finally
            {
                torch.set_num_threads(threads);
            }
        }
        return best;
    }

    /// <summary>
    /// X^T diag(c) X, sum c x and sum c by matmul over chunks of samples through one reused buffer and in-place
    /// addmm_: libtorch's matmul without large temporaries (whose fresh pages cost more than the arithmetic here).
    /// </summary>
    internal static Action GramInPlace(Tensor x, Tensor c, Action<Tensor, Tensor>? results = null)
    {
        const long chunk = 16384;
        long n = x.shape[0], d = x.shape[1];
        Tensor buffer = empty([Math.Min(chunk, n), d], dtype: x.dtype);
        Tensor gram = zeros([d, d], dtype: x.dtype), first = zeros([d], dtype: x.dtype);
        return () =>
        {
            gram.zero_();
            first.zero_();
            for (long k0 = 0; k0 < n; k0 += chunk)
            {
                using var scope = NewDisposeScope();
                long k1 = Math.Min(n, k0 + chunk);
                Tensor xc = x[TensorIndex.Slice(k0, k1)], b = buffer[TensorIndex.Slice(0, k1 - k0)];
                b.copy_(xc).mul_(c[TensorIndex.Slice(k0, k1)].unsqueeze(1));
                gram.addmm_(b.T, xc);
                TorchTensors.AddInPlace(first, b.sum(dim: 0));
            }
            _ = Total(gram) + Total(first) + Total(c);
            results?.Invoke(gram, first);
        };
    }

    /// <summary>sum_j r_j He_k(s_ji), k = 0..5, s = x W, over chunks through reused buffers (in-place addmm_ and recurrence).</summary>
    internal static Action HermiteInPlace(Tensor x, Tensor w, Tensor r, Action<Tensor>? results = null)
    {
        const long chunk = 16384;
        long n = x.shape[0], m = w.shape[1], size = Math.Min(chunk, n);
        Tensor s = empty([size, m], dtype: x.dtype), g0 = empty([size, m], dtype: x.dtype), g1 = empty([size, m], dtype: x.dtype),
            g2 = empty([size, m], dtype: x.dtype);
        Tensor sums = zeros([6, m], dtype: x.dtype);
        return () =>
        {
            sums.zero_();
            for (long k0 = 0; k0 < n; k0 += chunk)
            {
                using var scope = NewDisposeScope();
                long k1 = Math.Min(n, k0 + chunk), len = k1 - k0;
                Tensor sc = s[TensorIndex.Slice(0, len)], previous = g0[TensorIndex.Slice(0, len)], current = g1[TensorIndex.Slice(0, len)],
                    next = g2[TensorIndex.Slice(0, len)];
                sc.zero_().addmm_(x[TensorIndex.Slice(k0, k1)], w);
                previous.copy_(r[TensorIndex.Slice(k0, k1)].unsqueeze(1).expand(len, m));   // g_0 = r
                current.copy_(previous).mul_(sc);                                            // g_1 = r s
                TorchTensors.AddInPlace(sums[0], previous.sum(dim: 0));
                TorchTensors.AddInPlace(sums[1], current.sum(dim: 0));
                for (int k = 1; k < 5; k++)
                {
                    using var factor = ((double)k).ToScalar(); // held for the call (TorchTensors.Scaled says why)
                    next.copy_(sc).mul_(current).sub_(previous.mul_(factor));                // g_(k+1) = s g_k - k g_(k-1)
                    TorchTensors.AddInPlace(sums[k + 1], next.sum(dim: 0));
                    (previous, current, next) = (current, next, previous);
                }
            }
            _ = Total(sums);
            results?.Invoke(sums);
        };
    }

    /// <summary>
    /// sum c z (x) z (x) z (full m^3) and, with <paramref name="second"/>, sum c z z^T for each weight row of c (L x n, or n for one
    /// weight) by in-place addmm_ over chunks, through reused buffers; results get the sums as L x m^2 x m and L x m x m (zero
    /// without <paramref name="second"/>).
    /// </summary>
    internal static Action TensorInPlace(Tensor z, Tensor c, Action<Tensor, Tensor>? results = null, bool second = true)
    {
        const long chunk = 2048;
        if (c.dim() == 1) c = c.unsqueeze(0);
        long n = z.shape[0], m = z.shape[1], l = c.shape[0], size = Math.Min(chunk, n);
        Tensor scaled = empty([size, m], dtype: z.dtype), pairs = empty([size, m, m], dtype: z.dtype);
        Tensor third = zeros([l, m * m, m], dtype: z.dtype), seconds = zeros([l, m, m], dtype: z.dtype);
        return () =>
        {
            third.zero_();
            seconds.zero_();
            for (long k0 = 0; k0 < n; k0 += chunk)
            {
                using var scope = NewDisposeScope();
                long k1 = Math.Min(n, k0 + chunk), len = k1 - k0;
                Tensor zc = z[TensorIndex.Slice(k0, k1)], s = scaled[TensorIndex.Slice(0, len)], p = pairs[TensorIndex.Slice(0, len)];
                for (long q = 0; q < l; q++)
                {
                    s.copy_(zc).mul_(c[q, TensorIndex.Slice(k0, k1)].unsqueeze(1));
                    p.copy_(s.unsqueeze(2).expand(len, m, m)).mul_(zc.unsqueeze(1));
                    third[q].addmm_(p.reshape(len, m * m).T, zc);
                    if (second) seconds[q].addmm_(s.T, zc);
                }
            }
            _ = Total(third) + Total(seconds) + Total(c);
            results?.Invoke(third, seconds);
        };
    }

    private static double TimeTorchOnce(int repeats, Func<Action> prepare)
    {
        using var scope = NewDisposeScope();
        Action run = prepare();
        long w0 = Stopwatch.GetTimestamp();
        run(); // warm-up (libtorch allocator, thread pool)
        double warmUp = Stopwatch.GetElapsedTime(w0).TotalSeconds;
        double best = double.MaxValue;
        if (warmUp > 1) repeats = 1; // slow baselines: one timed run after the warm-up keeps the bench short
        for (int r = 0; r < repeats; r++)
        {
            using var inner = NewDisposeScope();
            long t0 = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }

    private static Tensor Tensor2<T>(T[] values, params long[] shape) where T : unmanaged =>
        typeof(T) == typeof(double)
            ? tensor((double[])(object)values, shape, dtype: ScalarType.Float64)
            : tensor((float[])(object)values, shape, dtype: ScalarType.Float32);

    /// <summary>Reads a result back (so the timing includes it).</summary>
    private static double Total(Tensor t) => t.sum().to(ScalarType.Float64).item<double>();

    private static string DtypeOf<T>() => typeof(T) == typeof(double) ? "float64" : "float32";

    private static TWorker Run<T, TWorker>(T[] x, T[] y, int d, int threads, Func<TWorker> create, bool copied = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TWorker : IMomentWorker<T, TWorker>
    {
        ISampleSource<T> source = copied ? new ArraySampleSource<T>(x, y, d) : new InMemoryArrays<T>(d, x, y); // the first copies every block
        return SamplePass.Run<T, TWorker>(source, create, new SamplePassOptions(threads));
    }

    /// <summary>Bytes the worker allocates on this thread over four blocks after five warm-up blocks (the least of three tries: the JIT's own
    /// first-call work can land on this thread).</summary>
    private static long SteadyStateAllocation<T, TWorker>(T[] x, T[] y, int d, TWorker worker)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TWorker : IMomentWorker<T, TWorker>
    {
        int block = (int)Math.Min(4096, y.Length);
        for (int i = 0; i < 5; i++) worker.Accumulate(x.AsSpan(0, block * d), y.AsSpan(0, block)); // warm-up (tiering, first-call JIT work)
        long least = long.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 4; i++) worker.Accumulate(x.AsSpan(0, block * d), y.AsSpan(0, block));
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    private static double RelativeError(double[] state, double[] reference)
    {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < state.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(state[i] - reference[i]));
            maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    private static double[] Gaussians(long count, int seed)
    {
        var values = new double[count];
        var r = new Random(seed);
        for (long i = 0; i < count; i += 2)
        {
            double u1 = 1.0 - r.NextDouble(), u2 = 2 * Math.PI * r.NextDouble(), radius = Math.Sqrt(-2 * Math.Log(u1));
            (double s, double c) = Math.SinCos(u2);
            values[i] = radius * c;
            if (i + 1 < count) values[i + 1] = radius * s;
        }
        return values;
    }

    /// <summary>
    /// Clock in GHz from a chain of dependent one-cycle integer operations, timed with this thread's CPU time
    /// where the platform has it (so time slices lost to other processes do not count).
    /// </summary>
    public static double MeasureClockGhz()
    {
        Chain(1_000_000, 3);
        double best = 0;
        for (int r = 0; r < 7; r++)
        {
            const long iterations = 20_000_000;
            double t0 = MachinePeak.ThreadCpuSeconds();
            long v = Chain(iterations, r + 3);
            double seconds = MachinePeak.ThreadCpuSeconds() - t0;
            if (v == 42) Console.Write(string.Empty);
            if (seconds > 0) best = Math.Max(best, 8.0 * iterations / seconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Chain(long iterations, long seed)
    {
        long a = seed, b = seed * 7 + 1;
        for (long i = 0; i < iterations; i++)
        {
            // eight dependent single-cycle ALU operations per iteration
            a += b; a ^= i; a += b; a ^= i; a += b; a ^= i; a += b; a ^= i;
        }
        return a;
    }

    /// <summary>
    /// float64 FMA throughput (GFLOP/s) of <paramref name="threads"/> threads running independent register FMAs, the best of three runs
    /// (<see cref="MachinePeak"/>).
    /// </summary>
    public static double MeasureFmaGflops(int threads, double seconds = 0.2) =>
        2 * MachinePeak.MeasureFmaPerSecond(threads, seconds, threadCpuTime: false) / 1e9;

    private sealed class GramWorker<T>(int d) : IMomentWorker<T, GramWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly WeightedGramAccumulator<T> _acc = new(d);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => _acc.Accumulate(x, y);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX) => _acc.Accumulate(x, y, nextX);
        public void Merge(GramWorker<T> other) => _acc.Merge(other._acc);
        public bool CanReset => true;
        public void Reset() => _acc.Reset();
        public double[] State() { var s = new double[_acc.StateLength]; _acc.CopyState(s); return s; }
    }

    private static double[] State<T>(ProjectedTensorTimingWorker<T> worker) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var s = new double[worker.Sums.StateLength];
        worker.Sums.CopyState(s);
        return s;
    }

    private sealed class HermiteWorker<T>(int d, double[] w, int m) : IMomentWorker<T, HermiteWorker<T>>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly HermiteProjectionAccumulator<T> _acc = new(d, w, m);
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => _acc.Accumulate(x, y);
        public void Merge(HermiteWorker<T> other) => _acc.Merge(other._acc);
        public bool CanReset => true;
        public void Reset() => _acc.Reset();
    }
}
