using System.Diagnostics;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Reliability;

/// <summary>
/// A test that needs Open MPI's <c>mpirun</c>: skipped, with the reason, where there is none, unless
/// <c>RELUFAST_REQUIRE_MPI=1</c> (set by .ci/run, which installs Open MPI): then it runs and fails without it.
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Launcher is null && Environment.GetEnvironmentVariable("RELUFAST_REQUIRE_MPI") != "1")
            Skip = "no mpirun on PATH (install openmpi-bin and libopenmpi-dev, as .ci/run does): the mpirun -np 2 relufast learn test did not run";
    }
}

/// <summary>Starts commands under Open MPI's mpirun, as root if need be, with a time limit.</summary>
internal static class MpiRun
{
    /// <summary>Open MPI's launcher (mpirun.openmpi, else mpirun) on PATH, or null.</summary>
    public static string? Launcher { get; } = Find("mpirun.openmpi") ?? Find("mpirun");

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Runs <c>mpirun</c> with one or more application contexts (MPMD: <c>-np 1 A : -np 1 B</c> gives rank 0 the command A
    /// and rank 1 the command B); each context is (ranks, arguments of relufast).
    /// </summary>
    public static (int Code, string Output, string Error) Relufast(TimeSpan limit, params (int Ranks, string[] Args)[] contexts)
    {
        Assert.True(Launcher is not null, "RELUFAST_REQUIRE_MPI=1 but there is no mpirun on PATH");
        string cli = Path.Combine(AppContext.BaseDirectory, "ReluFast.Cli.dll");
        var start = new ProcessStartInfo(Launcher!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none" }) start.ArgumentList.Add(a);
        for (int c = 0; c < contexts.Length; c++)
        {
            if (c > 0) start.ArgumentList.Add(":");
            start.ArgumentList.Add("-np");
            start.ArgumentList.Add(contexts[c].Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add("dotnet");
            start.ArgumentList.Add(cli);
            foreach (string a in contexts[c].Args) start.ArgumentList.Add(a);
        }
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun did not finish in {limit.TotalSeconds} s (a rank hangs in a reduction?)\nstdout:\n{stdout.Result}" +
                $"\nstderr:\n{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// <c>mpirun -np 2 relufast learn</c> end to end (docs/mpi.md): rank 0 alone writes the model, which equals the one-process
/// model of the same command; a bad file on one rank fails every rank with exit code 1 and writes nothing.
/// </summary>
public sealed class MpiLearnEndToEndTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (string X, string Y) WriteSamples(long n)
    {
        const int d = 8;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 4), 5);
        var x = new double[n * d];
        var y = new double[n];
        new TeacherSampleSource<double>(teacher, n, 6).Read(0, x, y);
        NpyWriter.WriteMatrix<double>(_dir.File("x.npy"), x, n, d);
        NpyWriter.WriteVector<double>(_dir.File("y.npy"), y);
        NetworkJson.Write(teacher, _dir.File("teacher.json"));
        return (_dir.File("x.npy"), _dir.File("y.npy"));
    }

    [MpiFact]
    public void TwoRanksWriteTheModelOfOneProcess()
    {
        var (x, y) = WriteSamples(400_000);
        // The method of moments alone: the two runs differ only in the order of the moment sums (relative 1e-15; docs/mpi.md
        // measured 6e-15), which the pencil and the least squares amplify by their condition numbers, far below 1e-10. (A
        // missing or doubled slice changes the sums by their statistical error, 1/sqrt(N) ~ 2e-3.) Pass 2 in the samples' type: the
        // default's float32 tile sums start where each rank's slice starts, which changes their rounding (about 1e-7), not the sums.
        string[] common = ["--x", x, "--y", y, "--hidden", "4", "--no-refine", "--seed", "7", "--threads", "1", "--quiet",
            "--tensor-precision", "sample"];
        string single = _dir.File("single.json"), distributed = _dir.File("distributed.json");
        Cli.Cli.Run(["learn", .. common, "--out", single]).Succeeded();
        var (code, output, error) = MpiRun.Relufast(Limit, (2, ["learn", .. common, "--out", distributed, "--json"]));
        Assert.True(code == 0, $"mpirun exited with {code}\nstdout:\n{output}\nstderr:\n{error}");
        // Rank 0 alone printed the summary: exactly one JSON object.
        using var summary = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(400_000, summary.RootElement.GetProperty("samples").GetInt64());
        Assert.Equal(["distributed.json", "single.json", "teacher.json", "x.npy", "y.npy"], _dir.Files().Order().ToArray());

        var a = NetworkJson.Read(single);
        var b = NetworkJson.Read(distributed);
        double difference = MaxRelativeDifference(Parameters(a), Parameters(b));
        Assert.True(difference <= 1e-10, $"mpirun -np 2 model differs from the one-process model by {difference:G3} (relative)");
    }

    [MpiFact]
    public void ABadFileOnOneRankFailsEveryRankWithExitCode1AndNoOutput()
    {
        var (x, y) = WriteSamples(20_000);
        string truncated = _dir.File("truncated.npy");
        byte[] bytes = File.ReadAllBytes(x);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        string model = _dir.File("model.json");
        foreach (int badRank in new[] { 1, 0 })
        {
            string[] good = ["learn", "--x", x, "--y", y, "--hidden", "4", "--out", model],
                bad = ["learn", "--x", truncated, "--y", y, "--hidden", "4", "--out", model];
            var (code, output, error) = badRank == 1 ? MpiRun.Relufast(Limit, (1, good), (1, bad)) : MpiRun.Relufast(Limit, (1, bad), (1, good));
            Assert.True(code == 1, $"bad file on rank {badRank}: mpirun exited with {code}, expected 1\nstdout:\n{output}\nstderr:\n{error}");
            // One error line, from the failing rank, naming the file and the problem (Open MPI adds its own MPI_ABORT notice).
            var errors = error.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
            Assert.True(errors.Length == 1 && errors[0].Contains("truncated.npy", StringComparison.Ordinal)
                    && errors[0].Contains("truncated", StringComparison.Ordinal),
                $"bad file on rank {badRank}: expected one error line naming truncated.npy\nstderr:\n{error}");
            Assert.Equal("", output);
            Assert.DoesNotContain("   at ", error);
            Assert.False(File.Exists(model), $"bad file on rank {badRank}: a model was written");
            Assert.DoesNotContain(_dir.Files(), f => f.Contains("model", StringComparison.Ordinal));
        }
    }

    private static double[] Parameters(ReluNetwork n) =>
        [.. n.A.ToArray(), .. n.W.ToArray(), .. n.B.ToArray(), n.LinearBias, .. n.LinearWeights.ToArray()];

    /// <summary>max_i |a_i - b_i| / max(1, |b_i|); infinite when the shapes differ.</summary>
    private static double MaxRelativeDifference(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]) / Math.Max(1, Math.Abs(b[i])));
        return double.IsNaN(max) ? double.PositiveInfinity : max;
    }
}
