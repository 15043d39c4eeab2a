using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using ReluFast.Interop;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;
using static ReluFast.Benchmarks.Experiments.PassAccount;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// The per-pass account of issue 16 for samples read from a pair of <c>.npy</c> files (page-cached): the passes that read a
/// file and not a generator, the input pass (the law of x: docs/algorithm.md section 17) and pass 1 (T_2), stage by stage
/// (the read, the projection, the Gram, the power sums, the control variate), whole on 1 and P threads, against the limit of
/// this machine: the file's bytes at the measured page-cache copy bandwidth (the read is a copy by the reading core, so its
/// time adds to the arithmetic's) plus the unique FMAs at the measured FMA rate.
/// <code>
/// DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- passes-npy x.npy y.npy [threads=0] [repeats=3]
/// </code>
/// Make the files with <c>relufast generate --dim 64 --hidden 32 --samples 10000000 --dtype float32 --x x.npy --y y.npy</c>
/// (any float32 or float64 pair the learner reads will do); the first read puts them in the page cache.
/// </summary>
internal static class NpyPassAccount
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The input pass's random marginal directions (InputStandardisation.Directions).</summary>
    private const int Directions = InputStandardisation.Directions;

    public static void Run(string[] args)
    {
        if (args.Length < 3) throw new ArgumentException("usage: passes-npy x.npy y.npy [threads] [repeats]");
        int threads = args.Length > 3 ? int.Parse(args[3], Inv) : 0;
        int repeats = args.Length > 4 ? int.Parse(args[4], Inv) : 3;
        if (threads <= 0) threads = Environment.ProcessorCount;
        NpyDType dtype;
        using (var reader = NpyFileReader.Open(args[1])) dtype = reader.Header.DType;
        if (dtype.ItemSize() == 4) Run<float>(args[1], args[2], threads, repeats);
        else Run<double>(args[1], args[2], threads, repeats);
    }

    private static void Run<T>(string xPath, string yPath, int threads, int repeats) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var source = NpySampleSource<T>.Open(xPath, yPath);
        long n = source.Count;
        int d = source.Dimension, size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Console.WriteLine($"passes-npy: {xPath}, {yPath}: N = {n:E2}, d = {d}, {typeof(T).Name}, {threads} threads, block {Block}; " +
            HardwareInfo.Describe());
        Console.WriteLine($"cpu: {CpuModel()}; load average at start: {Load()}");
        // the learner's input pass first in the process, as the tool runs it: what the JIT adds to the first pass
        var options = new LearnerOptions { Threads = threads, Inputs = InputHandling.Estimate };
        var reporter = new LearningReporter(null);
        TimeSpan jit0 = System.Runtime.JitInfo.GetCompilationTime();
        long methods0 = System.Runtime.JitInfo.GetCompiledMethodCount(), cold0 = Stopwatch.GetTimestamp();
        InputStandardisation.Estimate(source, options, reporter, default);
        double cold = Stopwatch.GetElapsedTime(cold0).TotalSeconds;
        double jit = (System.Runtime.JitInfo.GetCompilationTime() - jit0).TotalSeconds;
        long methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methods0;
        // float32 runs twice the lanes of float64 on the same pipes
        double fma64 = MachinePeak.MeasureFmaPerSecond(1, 0.3, threadCpuTime: true), fmaT = fma64 * 8 / size;
        var (bandwidth, chunk) = PageCacheBandwidth(xPath, threads);
        Console.WriteLine(string.Create(Inv, $"peak: {fma64 / 1e9:F1} G FMA/s float64 per core (thread CPU time), {fmaT / 1e9:F1} in " +
            $"{typeof(T).Name}; page-cache copy bandwidth of {xPath} ({threads} threads, best with pread of {chunk >> 10} KiB) " +
            $"{bandwidth / 1e9:F1} GB/s"));

        int stageSamples = (int)Math.Min(n, StageBlocks * Block);
        T[] xs = new T[(long)stageSamples * d], ys = new T[stageSamples];
        source.Read(0, xs, ys);
        double S(StageAction<T> action) => Stage(repeats, stageSamples, action, xs, ys, d);
        T[] readX = new T[Block * d], readY = new T[Block];
        double readNs = S((x, y, s) => source.Read(s % (n - y.Length + 1), readX.AsSpan(0, x.Length), readY.AsSpan(0, y.Length)));
        double bytes = (d + 1.0) * size;
        double readLimitNs = bytes * threads / bandwidth * 1e9;
        Console.WriteLine();
        Console.WriteLine("stage costs on one thread (ns per sample, best of repeats):");
        Console.WriteLine(string.Create(Inv, $"  read of a block (x and y, {bytes} bytes a sample) {readNs:F1}: " +
            $"{bytes / readNs:F2} GB/s, against {bandwidth / threads / 1e9:F2} GB/s per thread from the page cache"));

        var rows = new List<(string Name, string Work, double LimitNs, PassRates Rates)>();
        var random = new CounterGaussian(99, 5);
        static T[] InT(double[] values) => Array.ConvertAll(values, T.CreateChecked);
        // the input pass as InputStandardisation runs it on full-rank inputs (g = d coordinates; values do not change its cost)
        {
            int g = d;
            T[] u = InT(Random(random, 0, d * g, 1 / Math.Sqrt(d))), shift = InT(Random(random, 10_000, g, 1));
            T[] r = InT(Random(random, 20_000, g * Directions, 1 / Math.Sqrt(g)));
            double[] centre = Random(random, 30_000, d, 1);
            var z = new T[Block * g];
            var q = new T[Block * Directions];
            var ones = Enumerable.Repeat(T.One, Block).ToArray();
            var gram = new WeightedGramAccumulator<T>(g);
            var powers = new double[4 * (d + Directions)];
            double projection = S((x, y, s) => Projection.Project<T>(x, d, u, g, z.AsSpan(0, y.Length * g)));
            double kernel = S((x, y, s) => gram.Accumulate(z.AsSpan(0, y.Length * g), ones.AsSpan(0, y.Length)));
            double coordinates = S((x, y, s) => PowerSums.Accumulate<T>(x, d, centre, powers.AsSpan(0, d), powers.AsSpan(d, d),
                powers.AsSpan(2 * d, d), powers.AsSpan(3 * d, d)));
            double marginals = S((x, y, s) =>
            {
                Projection.Project<T>(z.AsSpan(0, y.Length * g), g, r, Directions, q.AsSpan(0, y.Length * Directions));
                PowerSums.Accumulate<T>(q.AsSpan(0, y.Length * Directions), Directions, [], powers.AsSpan(0, Directions),
                    powers.AsSpan(Directions, Directions), powers.AsSpan(2 * Directions, Directions), powers.AsSpan(3 * Directions, Directions));
            });
            var worker = new InputLawWorker<T>(d, u, shift, r, centre);
            double whole = S((x, y, s) => worker.Accumulate(x, y));
            Console.WriteLine(string.Create(Inv, $"  input pass worker {whole,7:F1}: projection {d} -> {g} {projection:F1}, " +
                $"Gram {kernel:F1}, power sums of the {d} coordinates {coordinates:F1}, {Directions} directions (projection and power " +
                $"sums) {marginals:F1}, shift and the rest {whole - projection - kernel - coordinates - marginals:F1}"));
            // unique work: the projection, the Gram's triangle with its first moments, the directions' projection in T; the power
            // sums of d + K marginals in float64 (6 operations each, counted as FMAs)
            long fmas = (long)d * g + g * (g + 1) / 2 + g + (long)g * Directions;
            long ops64 = 6L * (d + Directions);
            var rates = Passes(source, () => new InputLawWorker<T>(d, u, shift, r, centre), threads, repeats, (a, b) => a.Merge(b));
            rows.Add(("input pass (law of x)", $"{fmas} + {ops64} in float64", readLimitNs + fmas / fmaT * 1e9 + ops64 / fma64 * 1e9, rates));

            // as the learner runs it: the pilot on a prefix, the whitening, the pass (CPU seconds of the process and the clock)
            double cpu = double.MaxValue, wall = double.MaxValue;
            for (int k = 0; k < repeats; k++)
            {
                double c0 = CpuSeconds(process: true);
                long t0 = Stopwatch.GetTimestamp();
                InputStandardisation.Estimate(source, options, reporter, default);
                wall = Math.Min(wall, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                cpu = Math.Min(cpu, CpuSeconds(process: true) - c0);
            }
            Console.WriteLine(string.Create(Inv, $"  the learner's input pass (pilot, whitening, pass): {wall:F3} s by the clock, " +
                $"{cpu:F3} CPU s; {n / wall:E2} samples/s; first in the process {cold:F3} s, of which the JIT {jit:F3} s ({methods} " +
                $"methods, on any thread)"));
        }
        // pass 1 as the learner runs it on data that need no whitening
        {
            var c1 = Random(random, 40_000, d, 0.1);
            var linear = ControlVariate.Linear(0.1, c1);
            var centred = new T[Block];
            var gram = new WeightedGramAccumulator<T>(d);
            double cv = S((x, y, s) => linear.Apply<T>(x, y, centred.AsSpan(0, y.Length)));
            double kernel = S((x, y, s) => gram.Accumulate(x, centred.AsSpan(0, y.Length)));
            var worker = new SecondMomentWorker<T>(linear, Block);
            double whole = S((x, y, s) => worker.Accumulate(x, y));
            Console.WriteLine(string.Create(Inv, $"  pass 1 worker {whole,7:F1}: control variate {cv:F1}, Gram {kernel:F1}, " +
                $"sum of squares and the rest {whole - cv - kernel:F1}"));
            long fmas = d + 1 + (long)d * (d + 1) / 2 + d + 1;
            var rates = Passes(source, () => new SecondMomentWorker<T>(linear, Block), threads, repeats, (a, b) => a.Merge(b));
            rows.Add(("pass 1 (T_2)", $"{fmas}", readLimitNs + fmas / fmaT * 1e9, rates));
        }
        // the read alone through SamplePass: what a pass with no arithmetic reaches
        rows.Add(("read only", "0", readLimitNs, Passes(source, () => new ReadOnlyWorker<T>(), threads, repeats, (a, b) => { })));

        Console.WriteLine();
        Console.WriteLine("samples/s; CPU: P x samples per process CPU second; wall: by the clock, on this shared machine");
        Console.WriteLine($"| pass | unique FMAs / sample | limit, {threads} cores | 1 thread (CPU) | {threads} threads (CPU) | " +
            $"{threads} threads (wall) | CPU rate / limit | page-cache bandwidth alone | share of it read |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        double bandwidthRate = bandwidth / bytes;
        foreach (var (name, work, limitNs, r) in rows)
        {
            double limit = threads / (limitNs * 1e-9);
            Console.WriteLine(string.Create(Inv, $"| {name} | {work} | {limit:E2} | {r.One:E2} | {r.All:E2} | {r.Wall:E2} | " +
                $"{r.All / limit:P0} | {bandwidthRate:E2} | {r.All / bandwidthRate:P0} |"));
        }
        Console.WriteLine($"limit = P / (bytes x P / page-cache bandwidth + FMAs / per-core FMA rate); load average at end: {Load()}");
    }

    /// <summary>
    /// Bytes/s of copying <paramref name="path"/> out of the page cache with pread (up to its first GiB, split over
    /// <paramref name="threads"/> threads), the best over calls of 256 KiB, 1 MiB and 4 MiB (the copy's destination stays in
    /// the core's caches only while it is small) and three runs each, after a read that fills the cache.
    /// </summary>
    private static (double BytesPerSecond, int Chunk) PageCacheBandwidth(string path, int threads)
    {
        using var handle = File.OpenHandle(path);
        long length = Math.Min(RandomAccess.GetLength(handle), 1L << 30);
        (double best, int bestChunk) = (0, 0);
        foreach (int chunk in new[] { 256 << 10, 1 << 20, 4 << 20 })
        {
            for (int run = 0; run < 4; run++)
            {
                var workers = new Thread[threads];
                long start = Stopwatch.GetTimestamp();
                for (int t = 0; t < threads; t++)
                {
                    long first = length * t / threads, last = length * (t + 1) / threads;
                    workers[t] = new Thread(() =>
                    {
                        var buffer = new byte[chunk];
                        for (long offset = first; offset < last; offset += chunk)
                            RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(chunk, last - offset)), offset);
                    });
                    workers[t].Start();
                }
                foreach (Thread w in workers) w.Join();
                double rate = length / Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (run > 0 && rate > best) (best, bestChunk) = (rate, chunk);
            }
        }
        return (best, bestChunk);
    }

    /// <summary>A pass that reads its blocks and does nothing with them.</summary>
    private sealed class ReadOnlyWorker<T> : IMomentWorker<T, ReadOnlyWorker<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y) { }

        public void Merge(ReadOnlyWorker<T> other) { }
    }
}
