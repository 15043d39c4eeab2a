using ReluFast.IO;
using ReluFast.Tests.IO;
using ReluFast.Tests.Overcomplete;

namespace ReluFast.Tests.Cli;

/// <summary>
/// relufast learn --assume-gaussian on data whose flattened moments hold no rank-one direction (the overcomplete round finds
/// no neuron; <see cref="NoDirectionTests"/>): exit 0 with a warning, never a stack trace or an internal error's message.
/// </summary>
public sealed class CliNoDirectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LearnExitsWithZeroAndAWarningWhenTheOvercompleteRoundFindsNoDirection()
    {
        const int D = 4, N = 500_000;
        var (x, y) = NoDirectionTests.RadialSamples(D, N, 1001);
        string xs = _dir.File("x.npy"), ys = _dir.File("y.npy");
        NpyWriter.WriteMatrix<double>(xs, x, N, D);
        NpyWriter.WriteVector<double>(ys, y);
        string[] common = ["learn", "--x", xs, "--y", ys, "--assume-gaussian", "--threads", "2", "--json"];

        var forced = Cli.Run([.. common, "--mode", "overcomplete", "--hidden", "1", "--out", _dir.File("forced.json")]).Succeeded();
        forced.NoStackTrace();
        Assert.Contains("LinearOnly", Codes(forced));

        // auto: the full-rank fit, then the overcomplete fallback that finds no direction and is not kept
        var auto = Cli.Run([.. common, "--out", _dir.File("auto.json")]).Succeeded();
        auto.NoStackTrace();
        Assert.Contains("UnexplainedVariance", Codes(auto));
    }

    private static string[] Codes(CliRun run) =>
        [.. run.Json().GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("code").GetString()!)];
}
