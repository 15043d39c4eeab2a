using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Interop;

/// <summary>
/// The machine's float64 FMA throughput, measured by register-only FMA chains at the widest accelerated vector: the peak that
/// `relufast bench` and the benchmarks' per-pass account state rates against. One place, so that both read the same peak
/// (the account once timed 256-bit chains only and read an AVX-512 machine's cores at half their throughput).
/// </summary>
internal static class MachinePeak
{
    /// <summary>Independent FMA chains per loop iteration: enough to cover the latency of two pipes (4 cycles x 2 x 2).</summary>
    private const int Chains = 16;

    /// <summary>float64 lanes of the vectors the loop runs on.</summary>
    private static int Lanes => Vector512.IsHardwareAccelerated ? 8 : 4;

    /// <summary>
    /// Lane FMAs per second of <paramref name="threads"/> threads, each running about <paramref name="seconds"/> of chains; the best of
    /// three runs, since a run that shares its cores with another process only looks slower (one such run read a two-pipe Zen 5 as one
    /// pipe). With <paramref name="threadCpuTime"/> the rate is over the slowest thread's own CPU time (Linux; unaffected by other users
    /// of the core), else over the elapsed time.
    /// </summary>
    public static double MeasureFmaPerSecond(int threads, double seconds, bool threadCpuTime)
    {
        FmaLoop(1000);
        long iterations = 1_000_000;
        long t0 = Stopwatch.GetTimestamp();
        FmaLoop(iterations);
        double one = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        iterations = Math.Max(1000, (long)(iterations * seconds / Math.Max(one, 1e-6)));
        double best = double.PositiveInfinity;
        for (int run = 0; run < 3; run++)
        {
            var workers = new Thread[threads];
            var cpu = new double[threads];
            long start = Stopwatch.GetTimestamp();
            for (int t = 0; t < threads; t++)
            {
                int id = t;
                workers[t] = new Thread(() =>
                {
                    double c0 = ThreadCpuSeconds();
                    FmaLoop(iterations);
                    cpu[id] = ThreadCpuSeconds() - c0;
                });
                workers[t].Start();
            }
            foreach (Thread w in workers) w.Join();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Min(best, threadCpuTime ? cpu.Max() : elapsed);
        }
        return threads * iterations * (double)Chains * Lanes / best;
    }

    /// <summary>
    /// Bytes a second that <paramref name="threads"/> threads read from memory: the sum of a 256 MiB array (past every cache), split
    /// over the threads; the best of six runs after one that touches the pages (on a shared virtual machine the rate moves by
    /// 10-20 % from run to run, so a pass bound by its reads can come out a little above it). Each run is timed from the first
    /// thread's start of its sum to the last thread's end, after all have started: the threads' creation (0.3-0.5 ms on a 2-core
    /// VM, 5-8 % of a 256 MiB read) is not the memory's (docs/passes.md, "Pass threads kept"). The rate at which a pass can bring its
    /// samples from memory, against which `relufast bench` and the per-pass account state their memory limits.
    /// </summary>
    public static double MeasureReadBandwidth(int threads)
    {
        var data = new double[32 << 20];
        data.AsSpan().Fill(1);
        double best = 0;
        for (int r = 0; r < 7; r++)
        {
            var workers = new Thread[threads];
            var starts = new long[threads];
            var ends = new long[threads];
            using var ready = new Barrier(threads);
            for (int t = 0; t < threads; t++)
            {
                int id = t, first = (int)((long)data.Length * t / threads), last = (int)((long)data.Length * (t + 1) / threads);
                workers[t] = new Thread(() =>
                {
                    ready.SignalAndWait();
                    starts[id] = Stopwatch.GetTimestamp();
                    System.Numerics.Tensors.TensorPrimitives.Sum<double>(data.AsSpan(first, last - first));
                    ends[id] = Stopwatch.GetTimestamp();
                });
                workers[t].Start();
            }
            foreach (Thread w in workers) w.Join();
            double seconds = (double)(ends.Max() - starts.Min()) / Stopwatch.Frequency;
            if (r > 0) best = Math.Max(best, data.Length * 8.0 / seconds);
        }
        return best;
    }

    /// <summary>CPU time of the calling thread in seconds (Linux), else the process's elapsed time.</summary>
    public static unsafe double ThreadCpuSeconds()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                long* ts = stackalloc long[2];
                if (ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts) == 0) return ts[0] + ts[1] * 1e-9;
            }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
        }
        return s_wall.Elapsed.TotalSeconds;
    }

    private static readonly Stopwatch s_wall = Stopwatch.StartNew();

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int ClockGetTime(int clock, long* timespec);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaLoop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> m = Vector512.Create(0.999999), a = Vector512.Create(1e-7);
            Vector512<double> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m, c12 = m,
                c13 = m, c14 = m, c15 = m;
            for (long i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
                c12 = Vector512.FusedMultiplyAdd(c12, m, a); c13 = Vector512.FusedMultiplyAdd(c13, m, a);
                c14 = Vector512.FusedMultiplyAdd(c14, m, a); c15 = Vector512.FusedMultiplyAdd(c15, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15);
        }
        Vector256<double> n = Vector256.Create(0.999999), b = Vector256.Create(1e-7);
        Vector256<double> d0 = n, d1 = n, d2 = n, d3 = n, d4 = n, d5 = n, d6 = n, d7 = n, d8 = n, d9 = n, d10 = n, d11 = n, d12 = n,
            d13 = n, d14 = n, d15 = n;
        for (long i = 0; i < iterations; i++)
        {
            d0 = Vector256.FusedMultiplyAdd(d0, n, b); d1 = Vector256.FusedMultiplyAdd(d1, n, b);
            d2 = Vector256.FusedMultiplyAdd(d2, n, b); d3 = Vector256.FusedMultiplyAdd(d3, n, b);
            d4 = Vector256.FusedMultiplyAdd(d4, n, b); d5 = Vector256.FusedMultiplyAdd(d5, n, b);
            d6 = Vector256.FusedMultiplyAdd(d6, n, b); d7 = Vector256.FusedMultiplyAdd(d7, n, b);
            d8 = Vector256.FusedMultiplyAdd(d8, n, b); d9 = Vector256.FusedMultiplyAdd(d9, n, b);
            d10 = Vector256.FusedMultiplyAdd(d10, n, b); d11 = Vector256.FusedMultiplyAdd(d11, n, b);
            d12 = Vector256.FusedMultiplyAdd(d12, n, b); d13 = Vector256.FusedMultiplyAdd(d13, n, b);
            d14 = Vector256.FusedMultiplyAdd(d14, n, b); d15 = Vector256.FusedMultiplyAdd(d15, n, b);
        }
        return Vector256.Sum(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11 + d12 + d13 + d14 + d15);
    }
}
