using System.Text.Json;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>generate -> learn -> evaluate through the command line, in-process.</summary>
public class CliRoundTripTests
{
    /// <summary>Largest parameter error and relative test MSE a round trip may show.</summary>
    internal readonly record struct Accuracy(double Parameters, double RelativeMse);

    /// <summary>
    /// Noiseless samples, refined: the learner fits them to round-off (measured through the CLI: parameter errors 2e-10 .. 9e-10,
    /// relative test MSE ~1e-20, full rank and overcomplete), so 1e-6 and its square 1e-12 leave three orders of margin and
    /// still fail on anything short of an exact recovery (the moment estimate alone is off by ~1e-2).
    /// </summary>
    internal static readonly Accuracy Noiseless = new(1e-6, 1e-12);

    /// <summary>
    /// Noiseless float32 files learned into a <c>.safetensors</c> model, which stores the parameters in float32: rounding them
    /// moves each by at most 2^-24 |p| &lt;= 1e-7 (|a|, |b| &lt;= 1.5, unit w), and the function by as much (relative MSE ~1e-14);
    /// measured 3e-8 and 2e-15 (the same data into .json: 5e-10, so y rounded to float is not the limit). Bounds: 10 x the
    /// rounding.
    /// </summary>
    internal static readonly Accuracy Float32 = new(1e-6, 1e-12);

    /// <summary>Asserts the errors of <c>relufast evaluate --json</c>.</summary>
    internal static void AssertRecovered(JsonElement e, Accuracy bound)
    {
        foreach (string p in new[] { "wError", "aError", "bError" })
            Assert.True(e.GetProperty(p).GetDouble() < bound.Parameters, $"{p} >= {bound.Parameters:G3}: {e}");
        Assert.True(e.GetProperty("relativeTestMse").GetDouble() < bound.RelativeMse, $"relativeTestMse >= {bound.RelativeMse:G3}: {e}");
    }

    /// <summary>
    /// <c>--refine-samples</c> sets the in-memory refinement set (at d = 784, m = 128 the default 10^5 is one sample per parameter, and
    /// the tool had no way to change it): an exact fit reports the samples it was fitted on, here 30,000 of the 200,000 instead of the
    /// default 100,000; zero is refused with the option named.
    /// </summary>
    [Fact]
    public void RefineSamplesSetsTheRefinementSet()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "3", "--out", data).Succeeded();
        string x = Path.Combine(data, "x.npy"), y = Path.Combine(data, "y.npy");
        var learn = Cli.Run("learn", "--x", x, "--y", y, "--refine-samples", "30000", "--out", dir.File("model.json"), "--json")
            .Succeeded().Json();
        Assert.Equal(30_000, learn.GetProperty("fittedSamples").GetInt64());
        Assert.True(learn.GetProperty("relativeHeldOutMse").GetDouble() < Noiseless.RelativeMse);
        Cli.Run("learn", "--x", x, "--y", y, "--refine-samples", "0", "--out", dir.File("zero.json")).FailedWithBadInput("--refine-samples");
        Assert.False(File.Exists(dir.File("zero.json")));
    }

    [Fact]
    public void GenerateLearnEvaluateRecoversTheTeacher()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data"), model = dir.File("model.json");
        var gen = Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "3", "--out", data,
            "--json").Succeeded().Json();
        Assert.Equal(200_000, gen.GetProperty("samples").GetInt64());
        var x = NpyReader.ReadHeader(Path.Combine(data, "x.npy"));
        Assert.Equal("float64 (200000, 6), C order", x.ToString());
        Assert.Equal("(200000,)", NpyReader.ReadHeader(Path.Combine(data, "y.npy")).ShapeText);
        var teacher = NetworkJson.Read(Path.Combine(data, "teacher.json"));
        Assert.Equal(3, teacher.Hidden);

        var learn = Cli.Run("learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--out", model,
            "--json").Succeeded().Json();
        Assert.Equal(3, learn.GetProperty("hidden").GetInt32());
        Assert.True(learn.GetProperty("hiddenWasEstimated").GetBoolean());
        Assert.Equal(6, learn.GetProperty("spectrum").GetArrayLength());
        Assert.Equal("float64", learn.GetProperty("dtype").GetString());
        var timings = learn.GetProperty("timings");
        // a .npy's law is unknown, so the input pass runs before pass 1, and the total counts it
        double inputLaw = timings.GetProperty("inputLaw").GetDouble();
        Assert.True(inputLaw > 0);
        double steps = timings.EnumerateObject().Where(p => p.Name != "total").Sum(p => p.Value.GetDouble());
        Assert.Equal(steps, timings.GetProperty("total").GetDouble(), 1e-3);
        Assert.Equal(3, learn.GetProperty("model").GetProperty("hidden").GetInt32());
        Assert.True(File.Exists(model));

        var eval = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json"), "--json").Succeeded();
        var e = eval.Json();
        Assert.Equal(["wError", "aError", "bError", "testMse", "relativeTestMse"], e.EnumerateObject().Select(p => p.Name).ToArray());
        AssertRecovered(e, Noiseless);

        // The human-readable forms print the summary; --quiet prints nothing.
        var human = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json")).Succeeded();
        Assert.Contains("Errors: w ", human.Output);
        Assert.Equal("", Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json"), "--quiet").Succeeded().Output);
    }

    [Fact]
    public void Float32FilesLearnInSinglePrecisionAndSafeTensorsOutputEvaluates()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data"), model = dir.File("model.safetensors");
        Cli.Run("generate", "--dim", "5", "--hidden", "2", "--samples", "100000", "--seed", "11", "--out", data, "--dtype", "float32",
            "--quiet").Succeeded();
        Assert.Equal(NpyDType.Float32, NpyReader.ReadHeader(Path.Combine(data, "x.npy")).DType);
        var learn = Cli.Run("learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--hidden", "2", "--out", model,
            "--json").Succeeded().Json();
        Assert.Equal("float32", learn.GetProperty("dtype").GetString());
        Assert.False(learn.GetProperty("hiddenWasEstimated").GetBoolean());
        Assert.Equal(2, SafeTensorsReader.ReadNetwork(model).Hidden);
        var e = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json"), "--json").Succeeded().Json();
        AssertRecovered(e, Float32);
    }

    [Fact]
    public void NoRefineStopsAtTheMomentEstimate()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data"), model = dir.File("model.json");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "5", "--out", data, "--quiet").Succeeded();
        var learn = Cli.Run("learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--no-refine", "--out", model,
            "--json").Succeeded().Json();
        Assert.All(learn.GetProperty("candidates").EnumerateArray(), c => Assert.Equal(0, c.GetProperty("refinementIterations").GetInt32()));
        var e = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(data, "teacher.json"), "--json").Succeeded().Json();
        Assert.True(e.GetProperty("wError").GetDouble() < 0.2, e.ToString());
    }

    [Fact]
    public void NpzAndCsvSamplesLearn()
    {
        using var dir = new TempDirectory();
        var teacher = RandomTeacher.Create(new TeacherOptions(3, 2), 21);
        var source = new ReluFast.Sampling.TeacherSampleSource<double>(teacher, 20_000, 22);
        var x = new double[20_000 * 3];
        var y = new double[20_000];
        source.Read(0, x, y);
        string npz = dir.File("samples.npz"), csv = dir.File("samples.csv");
        NpzWriter.WriteSamples<double>(npz, x, y, 20_000, 3);
        using (var w = new StreamWriter(csv))
        {
            w.WriteLine("id,x0,x1,x2,target");
            for (int j = 0; j < 20_000; j++)
                w.WriteLine(FormattableString.Invariant($"s{j},{x[3 * j]:R},{x[3 * j + 1]:R},{x[3 * j + 2]:R},{y[j]:R}"));
        }
        NetworkJson.Write(teacher, dir.File("teacher.json"));
        foreach (var input in new[] { new[] { "--data", npz }, new[] { "--csv", csv, "--target", "target", "--ignore-columns", "id" } })
        {
            string model = dir.File($"model-{input[0].TrimStart('-')}.json");
            var learn = Cli.Run(["learn", .. input, "--hidden", "2", "--out", model, "--json"]).Succeeded().Json();
            Assert.Equal(3, learn.GetProperty("inputDim").GetInt32());
            var e = Cli.Run("evaluate", "--model", model, "--teacher", dir.File("teacher.json"), "--json").Succeeded().Json();
            AssertRecovered(e, Noiseless);
        }
    }

    [Fact]
    public void MissingNeuronsGiveLargeFiniteJsonErrors()
    {
        using var dir = new TempDirectory();
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 3), 1);
        var model = RandomTeacher.Create(new TeacherOptions(4, 2), 2);
        NetworkJson.Write(teacher, dir.File("teacher.json"));
        NetworkJson.Write(model, dir.File("model.json"));
        var run = Cli.Run("evaluate", "--model", dir.File("model.json"), "--teacher", dir.File("teacher.json"), "--json", "--test-samples",
            "10000").Succeeded();
        Assert.Contains("1.7976931348623157E+308", run.Output);
        var e = run.Json();
        Assert.Equal(double.MaxValue, e.GetProperty("wError").GetDouble());
        Assert.True(double.IsFinite(e.GetProperty("testMse").GetDouble()));
    }

    [Fact]
    public void EveryCommandHasHelpAndTheToolAVersion()
    {
        foreach (string command in new[] { "generate", "learn", "diagnose", "evaluate", "report", "demo", "info" })
        {
            var run = Cli.Run(command, "--help").Succeeded();
            Assert.Contains($"relufast {command}", run.Output);
            Assert.Contains("--help", run.Output);
        }
        Assert.Matches(@"^\d+\.\d+\.\d+", Cli.Run("--version").Succeeded().Output);
        Cli.Run("no-such-command").FailedWithBadInput("no-such-command");
    }

    [Fact]
    public void CancelledGenerateAndLearnLeaveNoFiles()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data");
        Cli.Run("generate", "--dim", "4", "--hidden", "2", "--samples", "50000", "--seed", "1", "--out", data, "--quiet").Succeeded();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        string fresh = Path.Combine(dir.Path, "fresh");
        var gen = Cli.Run(cancelled.Token, "generate", "--dim", "4", "--hidden", "2", "--samples", "50000", "--seed", "1", "--out", fresh);
        Assert.Equal(130, gen.ExitCode);
        Assert.Contains("cancelled", gen.Error);
        Assert.False(Directory.Exists(fresh));
        var learn = Cli.Run(cancelled.Token, "learn", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--out",
            dir.File("model.json"));
        Assert.Equal(130, learn.ExitCode);
        learn.NoStackTrace();
        Assert.Empty(dir.Files());
    }
}
