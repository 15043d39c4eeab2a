using System.Globalization;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// Issue 19, item 10: the numbers <c>relufast learn</c> prints (neuron count, held-out error) describe the network in the
/// file it wrote, in both learners (as JSON and as text).
/// </summary>
[Collection(OvercompleteSamplesCollection.Name)]
public sealed class CliSummaryConsistencyTests(OvercompleteSamples samples) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void FullRankSummaryDescribesTheWrittenModel()
    {
        string data = Path.Combine(_dir.Path, "data");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "4", "--out", data, "--quiet").Succeeded();
        Check(Path.Combine(data, "x.npy"), Path.Combine(data, "y.npy"), "full-rank");
    }

    [Fact]
    public void OvercompleteSummaryDescribesTheWrittenModel() => Check(samples.X, samples.Y, "overcomplete", "--no-refine");

    private void Check(string x, string y, string mode, params string[] extra)
    {
        string first = _dir.File($"{mode}-1.json"), second = _dir.File($"{mode}-2.json");
        string[] common = ["learn", "--x", x, "--y", y, "--mode", mode, "--seed", "7", "--threads", "2", .. extra];
        var summary = Cli.Run([.. common, "--out", first, "--json"]).Succeeded().Json();
        var written = NetworkJson.Read(first);

        // The summary's model is the file's, and its counts and held-out error are the file's network's.
        AssertBitIdentical(written, NetworkJson.Parse(summary.GetProperty("model").GetRawText(), "summary"));
        int m = summary.GetProperty("hidden").GetInt32();
        Assert.True(written.Hidden <= m, $"{written.Hidden} neurons written, summary m = {m}");
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
        if (printed.Hidden != m) Assert.Contains(string.Create(inv, $"; {printed.Hidden} in the returned network"), human.Output);
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
