using System.Globalization;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// Issue 19, item 10: the numbers <c>relufast learn</c> prints (neuron count, held-out error) describe the network in the
/// file it wrote, in both learners (as JSON and as text), and the same command writes the same file, byte for byte, in
/// the same process and in separate processes.
/// </summary>
[Collection(OvercompleteSamplesCollection.Name)]
public sealed class CliSummaryConsistencyTests(OvercompleteSamples samples) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void FullRankSummaryDescribesTheWrittenModelAndRepeatsBitForBit()
    {
        string data = Path.Combine(_dir.Path, "data");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "4", "--out", data, "--quiet").Succeeded();
        Check(Path.Combine(data, "x.npy"), Path.Combine(data, "y.npy"), "full-rank", 3);
    }

    [Fact]
    public void OvercompleteSummaryDescribesTheWrittenModelAndRepeatsBitForBit() =>
        Check(samples.X, samples.Y, "overcomplete", OvercompleteSamples.Hidden, "--no-refine");

    /// <param name="teacherHidden">The teacher's neurons: on these noiseless samples the learner finds each of them (m) and
    /// returns them all.</param>
    private void Check(string x, string y, string mode, int teacherHidden, params string[] extra)
    {
        string first = _dir.File($"{mode}-1.json"), second = _dir.File($"{mode}-2.json");
        string[] common = ["learn", "--x", x, "--y", y, "--mode", mode, "--seed", "7", "--threads", "2", .. extra];
        var summary = Cli.Run([.. common, "--out", first, "--json"]).Succeeded().Json();
        var written = NetworkJson.Read(first);

        // The summary's model is the file's, and its counts and held-out error are the file's network's.
        AssertBitIdentical(written, NetworkJson.Parse(summary.GetProperty("model").GetRawText(), "summary"));
        int m = summary.GetProperty("hidden").GetInt32();
        Assert.True(written.Hidden == teacherHidden && m == teacherHidden,
            $"{written.Hidden} neurons written, summary m = {m}, the teacher has {teacherHidden}");
        using var source = NpySampleSource<double>.Open(x, y);
        var local = new ReluFast.Learning.LocalSamples<double>(source, new LearnerOptions(), default);
        local.Read();
        var (mse, variance) = local.HeldOutError(written);
        Assert.Equal(mse, summary.GetProperty("heldOutMse").GetDouble(), mse * 1e-12);
        Assert.Equal(variance, summary.GetProperty("heldOutVariance").GetDouble(), variance * 1e-12);

        // The printed summary describes the file written by the same run.
        var human = Cli.Run([.. common, "--out", second]).Succeeded();
        var printed = NetworkJson.Read(second);
        var inv = CultureInfo.InvariantCulture;
        Assert.Contains(string.Create(inv, $"Held-out MSE: {local.HeldOutError(printed).Mse:G4}"), human.Output);
        Assert.Contains(string.Create(inv, $"Hidden neurons: m = {m} "), human.Output);
        Assert.Equal(m, printed.Hidden);
        Assert.DoesNotContain("in the returned network", human.Output); // it names the count only when neurons were left out

        // Same samples, seed and threads: the same file, byte for byte.
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    /// <summary>
    /// Auto mode on inputs with a non-zero mean and a covariance (whitened by the input pass), once in this process and twice
    /// as a separate <c>relufast</c> process: three identical files. (libtorch's least squares once differed from call to
    /// call, and a process starts with a fresh heap, so a repeat in one process alone could miss an address-dependent sum.)
    /// </summary>
    [Fact]
    public void AutoRepeatsBitForBitAcrossProcesses()
    {
        string data = Path.Combine(_dir.Path, "shifted");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "9", "--input-mean", "0.5", "--input-condition", "4",
            "--out", data, "--quiet").Succeeded();
        string[] learn = ["learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--seed", "7", "--threads", "2",
            "--quiet"];
        string here = _dir.File("here.json");
        Cli.Run([.. learn, "--out", here]).Succeeded();
        byte[] expected = File.ReadAllBytes(here);
        for (int k = 1; k <= 2; k++)
        {
            string file = _dir.File($"process-{k}.json");
            RunProcess([.. learn, "--out", file]);
            Assert.Equal(expected, File.ReadAllBytes(file));
        }
    }

    private static void RunProcess(string[] args)
    {
        var (code, output, error) = ToolProcess.Run(args);
        Assert.True(code == 0, $"relufast {string.Join(' ', args)} exited with {code}\nstdout:\n{output}\nstderr:\n{error}");
    }

    private static void AssertBitIdentical(ReluNetwork expected, ReluNetwork actual)
    {
        Assert.Equal(expected.Hidden, actual.Hidden);
        Assert.Equal(expected.A.ToArray(), actual.A.ToArray());
        Assert.Equal(expected.W.ToArray(), actual.W.ToArray());
        Assert.Equal(expected.B.ToArray(), actual.B.ToArray());
        Assert.Equal(expected.LinearBias, actual.LinearBias);
        Assert.Equal(expected.LinearWeights.ToArray(), actual.LinearWeights.ToArray());
    }
}
