using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// A result that its own evidence contradicts is announced on the first lines of <c>relufast learn</c>'s summary, not only
/// in the log at its end: too small a <c>--hidden</c> for a three-neuron teacher leaves variance unexplained.
/// </summary>
public sealed class CliWarningsFirstTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LearnPrintsEveryWarningFirstAndOnce()
    {
        string data = Path.Combine(_dir.Path, "data");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "100000", "--seed", "4", "--out", data, "--quiet").Succeeded();
        string[] common = ["learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--mode", "full-rank",
            "--hidden", "1", "--threads", "2"];
        var json = Cli.Run([.. common, "--out", _dir.File("json.json"), "--json"]).Succeeded().Json();
        string[] codes = [.. json.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("code").GetString()!)];
        Assert.Contains("UnexplainedVariance", codes);

        var human = Cli.Run([.. common, "--out", _dir.File("text.json")]).Succeeded();
        string[] lines = human.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // exactly the warnings, in order, before the first line of the summary proper
        for (int k = 0; k < codes.Length; k++)
            Assert.StartsWith("warning: ", lines[k]);
        Assert.StartsWith("Samples: ", lines[codes.Length]);
        Assert.Equal(codes.Length, lines.Count(l => l.TrimStart().StartsWith("warning: ", StringComparison.Ordinal)));
        Assert.Contains(lines.Take(codes.Length), l => l.Contains("of the variance of y unexplained", StringComparison.Ordinal));
    }
}
