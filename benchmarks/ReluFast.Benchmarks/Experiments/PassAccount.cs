using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Interop;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The per-pass account of issue 16: for each streamed pass of the full-rank learner (pass 1: T_2, pass 2: projected
/// 3-tensor, pass 3: Hermite projection) on a streamed teacher, where the time of one sample goes (normals, teacher,
/// control variate, projection, kernel), the whole pass on 1 and P threads (with the learner's progress sink, and
/// without), the merge, and the pass's limit on this machine: unique FMAs per sample against the measured FMA peak
/// plus the measured cost of the d normals; the memory limit (bytes per sample against the measured read bandwidth)
/// applies to in-memory and .npy sources.
/// <code>
/// DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- passes [N=1e7] [d=32] [m=16] [threads=0] [repeats=3]
/// </code>
/// (the tool runs without tiered compilation, so the account does too). Stage costs and the CPU rates are taken from CPU clocks
/// (CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID), so that other users of a shared machine do not count; the wall rate is printed
/// beside them.
/// Stage costs are the best of the repeats on one thread over 64 x 4096 samples, in the chunks a pass hands its workers and in L2 as
/// they are there (<see cref="Stage{T}"/>); whole passes are the best of the repeats.
/// </summary>
internal static class PassAccount
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    internal const int Block = 4096;
    internal const int StageBlocks = 64;

    public static void Run(string[] args)
    {
        long n = (long)double.Parse(Arg(args, 1, "1e7"), Inv);
        int d = int.Parse(Arg(args, 2, "32"), Inv), m = int.Parse(Arg(args, 3, "16"), Inv);
        int threads = int.Parse(Arg(args, 4, "0"), Inv);
        int repeats = int.Parse(Arg(args, 5, "3"), Inv);
        if (threads <= 0) threads = Environment.ProcessorCount;
        if (n < (long)StageBlocks * Block)
        {
            Console.Error.WriteLine($"error: passes: N = {n} is too small; the stage costs take {StageBlocks} blocks of {Block} samples " +
                $"(N >= {StageBlocks * Block}).");
            Environment.ExitCode = 1;
            return;
        }
        const int restarts = 3;

        Console.WriteLine($"passes: N = {n:E1}, d = {d}, m = {m}, R = {restarts}, {threads} threads, block {Block}; {HardwareInfo.Describe()}");
        Console.WriteLine($"cpu: {CpuModel()}; load average at start: {Load()}");
        double fmaPerCore = MachinePeak.MeasureFmaPerSecond(1, 0.3, threadCpuTime: true);
        double fmaAll = MachinePeak.MeasureFmaPerSecond(threads, 0.3, threadCpuTime: false);
        double bandwidth = MachinePeak.MeasureReadBandwidth(threads);
        Console.WriteLine(string.Create(Inv, $"peak: {fmaPerCore / 1e9:F1} G FMA/s (float64) per core (thread CPU time), " +
            $"{fmaAll / 1e9:F1} G FMA/s on {threads} threads (wall clock); " +
            $"read bandwidth {bandwidth / 1e9:F1} GB/s on {threads} threads"));

        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 1);
        var source = new TeacherSampleSource<double>(teacher, n, 2);
        var random = new CounterGaussian(99, 3);
        double[] c1 = Random(random, 0, d, 0.1), c1z = Random(random, 1000, m, 0.1), q = Random(random, 2000, m * m, 0.05);
        var linear = ControlVariate.Linear(0.1, c1);
        var quadratic = ControlVariate.Quadratic(0.1, c1z, q);
        double[] u = Random(random, 3000, d * m, 1 / Math.Sqrt(d));
        double[] g = Random(random, 4000, m * restarts, 1);
        int columns = m * restarts;
        double[] directions = Random(random, 5000, m * columns, 1 / Math.Sqrt(m));

        // the samples of the stage measurements, generated once (the read itself is measured as its own stage)
        int stageSamples = StageBlocks * Block;
        double[] xs = new double[(long)stageSamples * d], ys = new double[stageSamples];
        source.Read(0, xs, ys);
        double S(StageAction<double> action) => Stage(repeats, stageSamples, action, xs, ys, d);
        double normalNs = S((x, y, s) => new CounterGaussian(2, 1).Fill(s * d, x));
        double normalPerValue = normalNs / d;
        // the generator's paths, and the generator before its 256-bit path (issue 16), side by side (ns per value)
        double Normals(StageAction<double> action) => S(action) / d;
        double before = Normals((x, y, s) => GaussianBefore256.FillPairs(new CounterGaussian(2, 1), s * d / 2, x));
        double path256 = Normals((x, y, s) => new CounterGaussian(2, 1).FillPairs(s * d / 2, x, 256));
        double path64 = Normals((x, y, s) => new CounterGaussian(2, 1).FillPairs(s * d / 2, x, 64));
        double path512 = Normals((x, y, s) => new CounterGaussian(2, 1).FillPairs(s * d / 2, x, 512));
        Console.WriteLine(string.Create(Inv, $"normals, ns per value: {normalPerValue:F2} ({Simd.WidthBits}-bit path); 256-bit path " +
            $"{path256:F2}, scalar path {path64:F2}, 512-bit path {path512:F2} ({(Vector512.IsHardwareAccelerated ? "" : "not ")}accelerated); " +
            $"before the 256-bit path {before:F2} (ratio {before / normalPerValue:F2})"));

        Console.WriteLine();
        Console.WriteLine("stage costs on one thread (ns per sample, best of repeats):");
        double teacherNs = S((x, y, s) => teacher.Evaluate(x, y));
        double[] readX = new double[Block * d], readY = new double[Block];
        double readNs = S((x, y, s) => source.Read(s, readX.AsSpan(0, x.Length), readY.AsSpan(0, y.Length)));
        // the read as it was before it generated in place: into a scratch buffer, then copied (side by side with the read above)
        double[] scratch = new double[Block * (d + 1)];
        double copiedNs = S((x, y, s) =>
        {
            Span<double> sx = scratch.AsSpan(0, x.Length), sy = scratch.AsSpan(x.Length, y.Length);
            new CounterGaussian(2, 1).Fill(s * d, sx);
            teacher.Evaluate(sx, sy);
            sx.CopyTo(readX.AsSpan(0, x.Length));
            sy.CopyTo(readY.AsSpan(0, y.Length));
        });
        Console.WriteLine(string.Create(Inv, $"  read through a scratch copy (the read before issue 16) {copiedNs:F1}; " +
            $"ratio to the read {copiedNs / readNs:F2}"));
        // the projection x -> z (d -> m, the teacher's pre-activations) as it was on 256-bit machines before issue 16: one
        // TensorPrimitives.MultiplyAdd of m values per input coordinate and sample; side by side with Projection.Project
        double[] wT = Random(random, 6000, d * m, 1), pre = new double[Block * m];
        double projectNs = S((x, y, s) => Projection.Project<double>(x, d, wT, m, pre.AsSpan(0, y.Length * m)));
        double oldProjectNs = S((x, y, s) =>
        {
            for (int j = 0; j < y.Length; j++)
            {
                Span<double> zj = pre.AsSpan(j * m, m);
                zj.Clear();
                for (int i = 0; i < d; i++) TensorPrimitives.MultiplyAdd(wT.AsSpan(i * m, m), x[j * d + i], zj, zj);
            }
        });
        Console.WriteLine(string.Create(Inv, $"  projection {d} -> {m}: {projectNs:F1} ({d * m / projectNs:F2} FMA/ns); " +
            $"the 256-bit fallback before issue 16 {oldProjectNs:F1}; ratio {oldProjectNs / projectNs:F2}"));
        Console.WriteLine(string.Create(Inv, $"  sample read (teacher stream) {readNs,7:F1}: " +
            $"normals {normalNs:F1} ({normalPerValue:F2} per value), " +
            $"teacher {teacherNs:F1}, copies and the rest {readNs - normalNs - teacherNs:F1}"));

        var rows = new List<(string Name, long Fmas, double Limit, PassRates Rates)>();

        // Pass 1
        {
            var centred = new double[Block];
            var gram = new WeightedGramAccumulator<double>(d);
            double cv = S((x, y, s) => linear.Apply<double>(x, y, centred.AsSpan(0, y.Length)));
            double kernel = S((x, y, s) => gram.Accumulate(x, centred.AsSpan(0, y.Length)));
            double squares = S((x, y, s) => TensorPrimitives.SumOfSquares<double>(centred.AsSpan(0, y.Length)));
            var worker = new SecondMomentWorker<double>(linear, Block);
            double whole = S((x, y, s) => worker.Accumulate(x, y));
            Console.WriteLine(string.Create(Inv, $"  pass 1 worker {whole,7:F1}: control variate {cv:F1}, " +
                $"Gram kernel {kernel:F1}, sum of squares {squares:F1}"));
            long fmas = TeacherFmas(d, m) + d + d * (d + 1) / 2 + d + 1;
            var rates = Passes(source, () => new SecondMomentWorker<double>(linear, Block), threads, repeats,
                (a, b) => a.Merge(b));
            Console.WriteLine(string.Create(Inv, $"    merge of {threads} workers {rates.Merge * 1e3:F2} ms"));
            rows.Add(("pass 1 (T_2)", fmas, Limit(fmas, d, normalPerValue, fmaPerCore, threads), rates));
        }
        // Pass 2, as the learner runs it (LearnerOptions.TensorPrecision: float32 products by default), then in float64 throughout
        bool mixed = new LearnerOptions().TensorPrecision == TensorPrecision.Mixed;
        foreach (bool single in mixed ? new[] { true, false } : [false])
        {
            double[] uT = u, gT = g;
            var z = new double[Block * m];
            var centred = new double[Block];
            var tensor = new ProjectedTensorAccumulator<double>(m, restarts, lowerDegrees: false, singleProducts: single);
            var centredSums = new WeightedGramAccumulator<double>(m);
            double projection = S((x, y, s) => Projection.Project<double>(x, d, uT, m, z.AsSpan(0, y.Length * m)));
            double cv = S((x, y, s) => quadratic.Apply<double>(z.AsSpan(0, y.Length * m), y, centred.AsSpan(0, y.Length)));
            // the 3-tensors with their weights y~ (1 + <z, g_r>), made in the kernel's tile (sample lanes) or in memory (panels)
            double kernel = S((x, y, s) => tensor.AccumulateContractions(z.AsSpan(0, y.Length * m), centred.AsSpan(0, y.Length), gT));
            // the worker's way: y~ made from the same tile (the sample lanes transpose z once for both)
            double fused = S((x, y, s) => tensor.AccumulateContractions(z.AsSpan(0, y.Length * m), y, gT, quadratic,
                centred.AsSpan(0, y.Length)));
            double low = S((x, y, s) => centredSums.Accumulate(z.AsSpan(0, y.Length * m), centred.AsSpan(0, y.Length)));
            var worker = new ProjectedMomentWorker<double>(uT, d, m, gT, restarts, quadratic, Block, singleProducts: single);
            double whole = S((x, y, s) => worker.Accumulate(x, y));
            string name = single ? "pass 2 (3-tensor, float32 products)" : "pass 2 (3-tensor)";
            Console.WriteLine(string.Create(Inv, $"  {name} worker {whole,7:F1}: projection {projection:F1}, control variate with the " +
                $"tensor kernel and its weights {fused:F1} (apart: {cv:F1} + {kernel:F1}), centred sums {low:F1}, " +
                $"the rest {whole - projection - fused - low:F1}"));
            int pairs = m * (m + 1) / 2;
            // the weights y~ (1 + <z, g_r>): R 3-tensors (their lower degrees come from y~'s), and y~'s sums of degree 0 to 2
            long tensorFmas = restarts * ((long)m * (m + 1) * (m + 2) / 6);
            long fmas = TeacherFmas(d, m) + (long)d * m + pairs + m + m * restarts + 2 * restarts + pairs + tensorFmas + 1 + m + pairs;
            var rates = Passes(source, () => new ProjectedMomentWorker<double>(uT, d, m, gT, restarts, quadratic, Block,
                singleProducts: single), threads, repeats, (a, b) => a.Merge(b));
            Console.WriteLine(string.Create(Inv, $"    merge of {threads} workers {rates.Merge * 1e3:F2} ms"));
            // float32 products: the 3-tensors' multiply-adds at twice the float64 rate (16 lanes a vector)
            double limit = single
                ? threads / (d * normalPerValue * 1e-9 + (fmas - tensorFmas) / fmaPerCore + tensorFmas / (2 * fmaPerCore))
                : Limit(fmas, d, normalPerValue, fmaPerCore, threads);
            rows.Add((name, fmas, limit, rates));
        }
        // Pass 3
        {
            var z = new double[Block * m];
            var centred = new double[Block];
            var hermite = new HermiteProjectionAccumulator<double>(m, directions, columns, 4);
            double projection = S((x, y, s) => Projection.Project<double>(x, d, u, m, z.AsSpan(0, y.Length * m)));
            double cv = S((x, y, s) => quadratic.Apply<double>(z.AsSpan(0, y.Length * m), y, centred.AsSpan(0, y.Length)));
            double kernel = S((x, y, s) => hermite.Accumulate(z.AsSpan(0, y.Length * m), centred.AsSpan(0, y.Length)));
            var worker = new CoefficientWorker<double>(u, d, m, directions, columns, 4, quadratic, Block);
            double whole = S((x, y, s) => worker.Accumulate(x, y));
            Console.WriteLine(string.Create(Inv, $"  pass 3 worker {whole,7:F1}: projection {projection:F1}, control variate {cv:F1}, " +
                $"Hermite kernel {kernel:F1}"));
            int pairs = m * (m + 1) / 2;
            long fmas = TeacherFmas(d, m) + (long)d * m + pairs + m + (long)m * columns + 4L * columns;
            var rates = Passes(source, () => new CoefficientWorker<double>(u, d, m, directions, columns, 4, quadratic, Block),
                threads, repeats, (a, b) => a.Merge(b));
            Console.WriteLine(string.Create(Inv, $"    merge of {threads} workers {rates.Merge * 1e3:F2} ms"));
            rows.Add(("pass 3 (Hermite)", fmas, Limit(fmas, d, normalPerValue, fmaPerCore, threads), rates));
        }

        Console.WriteLine();
        Console.WriteLine("samples/s; CPU: P x samples per process CPU second (the pass on cores of its own); wall: by the clock, " +
            "on this shared machine");
        Console.WriteLine($"| pass | unique FMAs / sample | limit, {threads} cores | 1 thread (CPU) | {threads} threads (CPU) | " +
            $"{threads} threads (wall) | {threads} threads, no progress (CPU) | CPU rate / limit | in-memory limit (bandwidth) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, fmas, limit, r) in rows)
            Console.WriteLine(string.Create(Inv, $"| {name} | {fmas} | {limit:E2} | {r.One:E2} | {r.All:E2} | {r.Wall:E2} | {r.Silent:E2} | " +
                $"{r.All / limit:P0} | {bandwidth / ((d + 1) * 8.0):E2} |"));
        Console.WriteLine($"limit = {threads} / (d x normal + FMAs / per-core FMA rate); load average at end: {Load()}");
    }

    private static string Arg(string[] args, int i, string fallback) => args.Length > i ? args[i] : fallback;

    private static long TeacherFmas(int d, int m) => (long)d * m + m;

    private static double Limit(long fmas, int d, double normalNs, double fmaPerCore, int threads) =>
        threads / (d * normalNs * 1e-9 + fmas / fmaPerCore);

    internal static double[] Random(CounterGaussian random, long start, int count, double scale)
    {
        var values = new double[count];
        random.Fill(start, values);
        for (int i = 0; i < count; i++) values[i] *= scale;
        return values;
    }

    internal delegate void StageAction<T>(Span<T> x, Span<T> y, long start);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID) or of the process (CLOCK_PROCESS_CPUTIME_ID): time
    /// the machine's other users take is not counted, which is what makes the account usable on a shared machine.</summary>
    internal static double CpuSeconds(bool process = false)
    {
        ClockGetTime(process ? 2 : 3, out TimeSpec t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>
    /// ns per sample of <paramref name="action"/>, best of the repeats on one thread, on the pieces a pass hands its workers from a
    /// copied source (<see cref="SamplePass.ChunkSize"/>: at most 256 KiB of x): every call takes the first piece of the stage's
    /// samples, which stays in L2 as a pass's reused chunk buffer does, with the stream index s advancing over them. (Over the
    /// stage's 64 blocks in order, from memory, the projection d = 32 -> m = 16 took 21-22 ns a sample against 9.2 in L2.)
    /// </summary>
    internal static double Stage<T>(int repeats, int samples, StageAction<T> action, T[] xs, T[] ys, int d) where T : unmanaged
    {
        int piece = Math.Min(samples, SamplePass.ChunkSize(Block, d, System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
        int pieces = samples / piece;
        double best = double.MaxValue;
        for (int r = 0; r <= repeats; r++) // the first round warms up
        {
            double t0 = CpuSeconds();
            for (int q = 0; q < pieces; q++) action(xs.AsSpan(0, piece * d), ys.AsSpan(0, piece), q * piece);
            double seconds = CpuSeconds() - t0;
            if (r > 0) best = Math.Min(best, seconds);
        }
        return best * 1e9 / ((double)pieces * piece);
    }

    /// <summary>
    /// Samples/s of the whole pass (best of the repeats): on one thread and on P threads with the learner's progress sink, and on P
    /// threads without; each as P x samples per process CPU second (what the pass does with cores of its own), and the P-thread
    /// pass also by the wall clock. Then the time of merging P fresh workers.
    /// </summary>
    internal static PassRates Passes<T, TWorker>(ISampleSource<T> source, Func<TWorker> create, int threads, int repeats,
        Action<TWorker, TWorker> merge) where T : unmanaged, IBinaryFloatingPointIeee754<T> where TWorker : IMomentWorker<T, TWorker>
    {
        var sink = new LearningReporter(new Progress<LearningProgress>(_ => { })).ForPass(LearningStage.SecondMoments);
        (double Cpu, double Wall) Rate(int p, IProgress<SamplePassProgress>? progress, long count)
        {
            double cpu = double.MaxValue, wall = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                double c0 = CpuSeconds(process: true);
                long t0 = Stopwatch.GetTimestamp();
                SamplePass.Run(source, create, new SamplePassOptions(p, Block) { Count = count }, progress);
                wall = Math.Min(wall, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                cpu = Math.Min(cpu, CpuSeconds(process: true) - c0);
            }
            return (p * count / cpu, count / wall);
        }
        Rate(threads, sink, Math.Min(source.Count, 1 << 20)); // warm-up
        double one = Rate(1, sink, Math.Min(source.Count, 1L << 22)).Cpu;
        var (all, wall) = Rate(threads, sink, source.Count);
        double silent = Rate(threads, null, source.Count).Cpu;
        var workers = new TWorker[threads];
        for (int t = 0; t < threads; t++) workers[t] = create();
        long m0 = Stopwatch.GetTimestamp();
        for (int t = 1; t < threads; t++) merge(workers[0], workers[t]);
        return new PassRates(one, all, wall, silent, Stopwatch.GetElapsedTime(m0).TotalSeconds);
    }

    internal readonly record struct PassRates(double One, double All, double Wall, double Silent, double Merge);

    internal static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "unknown";
    }

    internal static string Load()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}
