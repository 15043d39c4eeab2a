using System.Diagnostics;
using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Scale measurements (issue 8, not run in CI): learning from a streamed teacher at large N in constant memory, and
/// from a 10^8-row <c>.npy</c> file streamed from disk. Each run is its own process, so the peak working set
/// (Process.PeakWorkingSet64, the kernel's VmHWM) is that run's alone.
/// <code>
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- scale teacher N [d=32] [m=8] [float|double] [threads=0]
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- scale memory [d=32] [m=8] [N1=1e6] [N2=1e8]
/// dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- scale npy [rows=1e8] [d=8] [m=4] [dir=/tmp]
/// </code>
/// Progress goes to standard error every 10 s; Ctrl-C cancels the learner (OperationCanceledException, exit 130).
/// </summary>
internal static class ScaleExperiment
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Run(string[] args)
    {
        string mode = args.Length > 1 ? args[1] : "memory";
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            switch (mode)
            {
                case "teacher":
                    Teacher(Count(Arg(args, 2, "1e7")), int.Parse(Arg(args, 3, "32"), Inv), int.Parse(Arg(args, 4, "8"), Inv),
                        Arg(args, 5, "float"), int.Parse(Arg(args, 6, "0"), Inv), cancel.Token);
                    break;
                case "memory":
                    Memory(args);
                    break;
                case "npy":
                    Npy(Count(Arg(args, 2, "1e8")), int.Parse(Arg(args, 3, "8"), Inv), int.Parse(Arg(args, 4, "4"), Inv),
                        Arg(args, 5, Path.GetTempPath()), cancel.Token);
                    break;
                default:
                    throw new ArgumentException($"Unknown scale mode '{mode}': use teacher, memory or npy.");
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            Environment.Exit(130);
        }
    }

    private static string Arg(string[] args, int i, string fallback) => args.Length > i ? args[i] : fallback;

    private static long Count(string text) => (long)double.Parse(text, Inv);

    /// <summary>One learning run on a streamed teacher; prints one result line.</summary>
    private static void Teacher(long n, int d, int m, string type, int threads, CancellationToken token)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 1);
        var options = new LearnerOptions { Hidden = m, Seed = 1, Threads = threads };
        LearningResult result = type == "double"
            ? Learn(new TeacherSampleSource<double>(teacher, n, 2), options, token)
            : Learn(new TeacherSampleSource<float>(teacher, n, 2), options, token);
        Report($"teacher {type}", n, d, m, result, teacher);
    }

    private static LearningResult Learn<T>(ISampleSource<T> source, LearnerOptions options, CancellationToken token)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var progress = new ThrottledProgress();
        return ReluLearner.Learn(source, options, LearnerMode.Auto, progress, token);
    }

    private static void Report(string what, long n, int d, int m, LearningResult r, ReluNetwork teacher)
    {
        var t = r.Timings;
        double passes = (t.SecondMoments + t.HigherMoments + t.Coefficients).TotalSeconds;
        var cmp = NetworkComparison.Compare(r.Network, teacher, 100_000);
        var moment = NetworkComparison.Compare(r.MomentEstimate, teacher, 100_000);
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(Inv,
            $"| {what} | {d} | {m} | {n:E1} | {t.Total.TotalSeconds:F1} | " +
            $"{t.SecondMoments.TotalSeconds:F1} / {t.HigherMoments.TotalSeconds:F1} / {t.Coefficients.TotalSeconds:F1} | " +
            $"{n / t.SecondMoments.TotalSeconds:E2} / {n / t.HigherMoments.TotalSeconds:E2} / {n / t.Coefficients.TotalSeconds:E2} | " +
            $"{3 * n / passes:E2} | " +
            $"{self.PeakWorkingSet64 / 1048576.0:F0} | {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F0} | " +
            $"{moment.WError:E2} | {cmp.WError:E2} |"));
    }

    /// <summary>The header of <see cref="Report"/>'s rows.</summary>
    private static void Header()
    {
        Console.WriteLine("| source | d | m | N | total (s) | pass 1 / 2 / 3 (s) | samples/s pass 1 / 2 / 3 | samples/s over the 3 passes | " +
            "peak working set (MiB) | managed heap (MiB) | moment w-error | refined w-error |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
    }

    /// <summary>The same learning at two sample counts, each in its own process: the peak working set must not grow with N.</summary>
    private static void Memory(string[] args)
    {
        string d = Arg(args, 2, "32"), m = Arg(args, 3, "8");
        Header();
        foreach (string n in new[] { Arg(args, 4, "1e6"), Arg(args, 5, "1e8") })
            RunChild(["scale", "teacher", n, d, m, "float"]);
    }

    private static void RunChild(string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = false, UseShellExecute = false };
        string host = Environment.ProcessPath!;
        start.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ScaleExperiment).Assembly.Location);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"scale {string.Join(' ', args)} exited with {child.ExitCode}");
    }

    /// <summary>Writes x (rows x d, float32) and y to .npy files with NpyStreamWriter, learns from them streamed, deletes them.</summary>
    private static void Npy(long rows, int d, int m, string directory, CancellationToken token)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 1);
        string xPath = Path.Combine(directory, $"relufast-scale-x-{Environment.ProcessId}.npy");
        string yPath = Path.Combine(directory, $"relufast-scale-y-{Environment.ProcessId}.npy");
        try
        {
            var clock = Stopwatch.StartNew();
            var stream = new TeacherSampleSource<float>(teacher, rows, 2);
            using (var xw = NpyStreamWriter.Create(xPath, NpyDType.Float32, rows, d))
            using (var yw = NpyStreamWriter.Create(yPath, NpyDType.Float32, rows))
            {
                const int Block = 1 << 16;
                var x = new float[Block * d];
                var y = new float[Block];
                for (long s = 0; s < rows; s += Block)
                {
                    token.ThrowIfCancellationRequested();
                    int count = (int)Math.Min(Block, rows - s);
                    stream.Read(s, x.AsSpan(0, count * d), y.AsSpan(0, count));
                    xw.WriteRows<float>(x.AsSpan(0, count * d));
                    yw.WriteRows<float>(y.AsSpan(0, count));
                }
                xw.Complete();
                yw.Complete();
            }
            double gib = (new FileInfo(xPath).Length + new FileInfo(yPath).Length) / (1024.0 * 1024 * 1024);
            Console.Error.WriteLine(string.Create(Inv, $"wrote {rows:E1} rows ({gib:F2} GiB) in {clock.Elapsed.TotalSeconds:F0} s"));
            using var self0 = Process.GetCurrentProcess();
            Console.Error.WriteLine(string.Create(Inv, $"peak working set after writing: {self0.PeakWorkingSet64 / 1048576.0:F0} MiB"));

            using var source = NpySampleSource<float>.Open(xPath, yPath);
            Header();
            var result = Learn(source, new LearnerOptions { Hidden = m, Seed = 1 }, token);
            Report(string.Create(Inv, $"npy float32 ({gib:F1} GiB)"), rows, d, m, result, teacher);
        }
        finally
        {
            File.Delete(xPath);
            File.Delete(yPath);
        }
    }

    /// <summary>Prints the learner's progress to standard error at most every 10 s.</summary>
    private sealed class ThrottledProgress : IProgress<LearningProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.FromSeconds(-10);

        public void Report(LearningProgress value)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(10) || value.SamplesTotal == 0) return;
            _last = _clock.Elapsed;
            using var self = Process.GetCurrentProcess();
            Console.Error.WriteLine(string.Create(Inv,
                $"[{_clock.Elapsed.TotalSeconds:F0} s] {value.Stage}: {value.SamplesDone:E2} / {value.SamplesTotal:E2} samples, " +
                $"{value.SamplesDone / Math.Max(value.Elapsed.TotalSeconds, 1e-9):E2} samples/s, " +
                $"working set {self.WorkingSet64 / 1048576.0:F0} MiB"));
        }
    }
}
