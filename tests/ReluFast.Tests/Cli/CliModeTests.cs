using ReluFast.Interop;
using ReluFast.Learning;
using ReluFast.Cli.Infrastructure;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary><c>relufast learn --mode auto|full-rank|overcomplete</c> (issue 6).</summary>
[Collection(OvercompleteSamplesCollection.Name)]
public sealed class CliModeTests(OvercompleteSamples samples) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ForcedOvercompleteRecoversTheTeacherAndReportsTheFlattenedSpectrum()
    {
        string model = _dir.File("model.json");
        var learn = Cli.Run("learn", "--x", samples.X, "--y", samples.Y, "--mode", "overcomplete", "--out", model, "--json").Succeeded().Json();
        Assert.Equal("overcomplete", learn.GetProperty("mode").GetString());
        Assert.Equal("overcomplete", learn.GetProperty("requestedMode").GetString());
        Assert.Equal("forced by --mode", learn.GetProperty("modeReason").GetString());
        Assert.Equal(OvercompleteSamples.Hidden, learn.GetProperty("hidden").GetInt32());
        Assert.True(learn.GetProperty("hiddenWasEstimated").GetBoolean());
        Assert.Equal(15, learn.GetProperty("flattenedSpectrum").GetArrayLength()); // D = d(d+1)/2
        Assert.True(learn.GetProperty("flattenedNoiseFloor").GetDouble() > 0);
        Assert.Contains("linear remainder", learn.GetProperty("absorbed").GetString());
        Assert.Equal(OvercompleteSamples.Hidden, learn.GetProperty("model").GetProperty("hidden").GetInt32());

        var e = Cli.Run("evaluate", "--model", model, "--teacher", samples.Teacher, "--json").Succeeded().Json();
        CliRoundTripTests.AssertRecovered(e, CliRoundTripTests.Noiseless);
    }

    [Fact]
    public void AutoChoosesOvercompleteWhenTheFlattenedSpectrumShowsMoreThanDNeurons()
    {
        var learn = Cli.Run("learn", "--x", samples.X, "--y", samples.Y, "--out", _dir.File("model.json"), "--json").Succeeded().Json();
        Assert.Equal("overcomplete", learn.GetProperty("mode").GetString());
        Assert.Equal("auto", learn.GetProperty("requestedMode").GetString());
        Assert.Contains("more neurons than inputs", learn.GetProperty("modeReason").GetString());
        Assert.StartsWith("mode: Overcomplete", learn.GetProperty("log")[0].GetString());
        Assert.True(learn.GetProperty("relativeHeldOutMse").GetDouble() < CliRoundTripTests.Noiseless.RelativeMse,
            learn.GetProperty("relativeHeldOutMse").ToString());
    }

    [Fact]
    public void OvercompleteHumanSummaryShowsTheFlattenedSpectrumAndNoFullRankPasses()
    {
        // --no-refine keeps it short; the summary is what is checked.
        var run = Cli.Run("learn", "--x", samples.X, "--y", samples.Y, "--hidden", "8", "--no-refine", "--out", _dir.File("model.json")).Succeeded();
        Assert.Contains("Mode: overcomplete (auto: m = 8 was given (> d = 5))", run.Output);
        Assert.Contains("flattened [T_4, T_5(g_1), T_5(g_2)] singular values", run.Output);
        Assert.Contains("span passes", run.Output);
        Assert.Contains("Linear remainder: absorbed:", run.Output);
        Assert.Contains("Hidden neurons: m = 8 (given by --hidden)", run.Output);
        Assert.DoesNotContain("pass 2: projected", run.Output);
        Assert.DoesNotContain("eigen-gap", run.Output);
    }

    [Fact]
    public void AutoChoosesFullRankOnAFullRankTeacher()
    {
        string data = Path.Combine(_dir.Path, "data"), model = _dir.File("model.json");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "3", "--out", data, "--quiet").Succeeded();
        var learn = Cli.Run("learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--out", model, "--json")
            .Succeeded().Json();
        Assert.Equal("full-rank", learn.GetProperty("mode").GetString());
        Assert.Contains("at most d neurons", learn.GetProperty("modeReason").GetString());
        Assert.Equal(3, learn.GetProperty("hidden").GetInt32());
        Assert.False(learn.TryGetProperty("flattenedSpectrum", out _));
        var e = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json"), "--json").Succeeded().Json();
        CliRoundTripTests.AssertRecovered(e, CliRoundTripTests.Noiseless);
    }

    [Fact]
    public void HiddenAboveDIsAnErrorInFullRankModeOnlyAndAboveDTimesDPlusOneOverTwoAlways()
    {
        string x = Path.Combine(samples.Folder, "x.npy"), y = Path.Combine(samples.Folder, "y.npy"), model = _dir.File("model.json");
        Cli.Run("learn", "--x", x, "--y", y, "--mode", "full-rank", "--hidden", "9", "--out", model)
            .FailedWithBadInput("--hidden 9", "m > d in full-rank mode", "d = 5", x);
        Cli.Run("learn", "--x", x, "--y", y, "--hidden", "16", "--out", model).FailedWithBadInput("--hidden 16", "d(d+1)/2 = 15", x);
        Cli.Run("learn", "--x", x, "--y", y, "--mode", "overcomplete", "--device", "cuda", "--out", model)
            .FailedWithBadInput("--mode overcomplete", "--device cuda:0", "single process");
        Cli.Run("learn", "--x", x, "--y", y, "--mode", "sideways", "--out", model)
            .FailedWithBadInput("sideways", "full-rank", "relufast learn --help");
        Cli.Run("learn", "--x", x, "--y", y, "--tensor-precision", "half", "--out", model)
            .FailedWithBadInput("half", "--tensor-precision", "mixed", "sample");
        Cli.Run("diagnose", "--x", x, "--y", y, "--mode", "full-rank", "--hidden", "9").FailedWithBadInput("m > d in full-rank mode");
        Assert.Empty(_dir.Files());

        // The overcomplete learner needs max(1000, 2 d^2, 4 D^2) samples: 1764 for d = 6; auto with m > d runs it.
        string few = Path.Combine(_dir.Path, "few");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "1500", "--seed", "1", "--out", few, "--quiet").Succeeded();
        string fx = Path.Combine(few, "x.npy"), fy = Path.Combine(few, "y.npy");
        Cli.Run("learn", "--x", fx, "--y", fy, "--hidden", "7", "--out", model)
            .FailedWithBadInput("too few samples for the overcomplete learner", "1500", "1764", fx);
        Cli.Run("learn", "--x", fx, "--y", fy, "--mode", "overcomplete", "--out", model)
            .FailedWithBadInput("too few samples for the overcomplete learner", "1764");
        Cli.Run("diagnose", "--x", fx, "--y", fy, "--hidden", "7").FailedWithBadInput("too few samples for the overcomplete learner", "1764");
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void OvercompleteCannotRunOnCudaOrOverSeveralRanksAndAutoFallsBackToFullRankThere()
    {
        // The rule is the library's (LearnerRules); the CLI only words it with its flags.
        var cpu = new LearnerOptions();
        var ranks = new LearnerOptions { Reducer = new FakeReducer(4) };
        Assert.Throws<LearnerPlacementException>(() => LearnerRules.Check(5, 100_000, ranks, LearnerMode.Overcomplete));
        Assert.Throws<LearnerPlacementException>(() => LearnerRules.Check(5, 100_000, ranks with { Hidden = 9 }, LearnerMode.Auto));
        Assert.Throws<LearnerPlacementException>(() =>
            LearnerRules.Check(5, 100_000, new LearnerOptions { Device = ComputeDevice.Cuda(0) }, LearnerMode.Overcomplete));
        LearnerRules.Check(5, 100_000, ranks, LearnerMode.Auto);
        LearnerRules.Check(5, 100_000, ranks, LearnerMode.FullRank);
        LearnerRules.Check(5, 100_000, cpu with { Hidden = 9 }, LearnerMode.Auto);
        Assert.Equal("4 processes", LearnerRules.Placement(ranks));
        Assert.Null(LearnerRules.Placement(cpu));
    }

    /// <summary>A reducer that reports a group size and is never asked to reduce (the rule checks only the size).</summary>
    private sealed class FakeReducer(int size) : ReluFast.Interop.Mpi.IMomentReducer
    {
        public int Size => size;

        public int Rank => 0;

        public void AllreduceSum(Span<double> values) => throw new InvalidOperationException("not reduced in this test");
    }
}
