using System.Text.Json;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary><c>relufast extract</c> on ONNX models made by PyTorch (Fixtures/Onnx/make_fixtures.py): issue 15.</summary>
public class CliExtractTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Onnx", name);

    [Theory]
    [InlineData("relu_d8_m4", 4)]
    [InlineData("relu_d12_m6_linear", 6)]
    public void ExtractRecoversTheNetworkAndWritesFilesThatAgree(string name, int hidden)
    {
        using var dir = new TempDirectory();
        var truth = NetworkJson.Read(Fixture(name + ".json"));
        string onnx = dir.File("model.onnx"), safetensors = dir.File("model.safetensors");
        var run = Cli.Run("extract", "--onnx", Fixture(name + ".onnx"), "--queries", "400000", "--out", onnx, "--json").Succeeded();
        var summary = run.Json();
        Assert.True(summary.GetProperty("depthTwoFit").GetBoolean(), run.Output);
        Assert.Equal(0, summary.GetProperty("warnings").GetArrayLength());
        Assert.Equal(400_000, summary.GetProperty("distinctQueries").GetInt64());
        long learning = summary.GetProperty("learningQueries").GetInt64();
        Assert.InRange(learning, 1, 400_000); // answers are cached: each query asked at most once
        Assert.Equal(learning + 10_000, summary.GetProperty("totalQueries").GetInt64());

        // The summary's model is the network written: recovered to 1e-4, linear remainder included.
        var model = NetworkJson.Parse(summary.GetProperty("model").GetRawText(), "summary");
        Assert.Equal(hidden, model.Hidden);
        var errors = NetworkComparison.Compare(model, truth);
        Assert.True(errors.WError < 1e-4 && errors.AError < 1e-4 && errors.BError < 1e-4, $"{errors}\n{run.Output}");
        var c = truth.LinearWeights.ToArray();
        for (int i = 0; i < c.Length; i++) Assert.True(Math.Abs(model.LinearWeights[i] - c[i]) < 1e-4, $"c[{i}]: {model.LinearWeights[i]} vs {c[i]}");
        Assert.True(Math.Abs(model.LinearBias - truth.LinearBias) < 1e-4, $"c0: {model.LinearBias} vs {truth.LinearBias}");

        // ONNX Runtime evaluates the written ONNX file as the library evaluates the network (1e-12, float64).
        int d = model.InputDim, n = 2000;
        var x = new double[n * d];
        var rng = new Random(3);
        for (int i = 0; i < x.Length; i++) x[i] = 2 * rng.NextDouble() - 1;
        var expected = new double[n];
        model.Evaluate(x, expected);
        var fromOnnx = OnnxWriterTests.RunOnnx(onnx, x, d);
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(fromOnnx[j] - expected[j]) <= 1e-12 * (1 + Math.Abs(expected[j])), $"onnx {j}: {fromOnnx[j]} vs {expected[j]}");

        // The safetensors output of another run (runs on several threads may differ in the last bits: compared with its own summary).
        var stRun = Cli.Run("extract", "--onnx", Fixture(name + ".onnx"), "--queries", "400000", "--out", safetensors, "--json").Succeeded().Json();
        var stModel = NetworkJson.Parse(stRun.GetProperty("model").GetRawText(), "summary");
        stModel.Evaluate(x, expected);
        var fromSafeTensors = new double[n];
        SafeTensorsReader.ReadNetwork(safetensors).Evaluate(x, fromSafeTensors);
        for (int j = 0; j < n; j++) // float32 tensors: the parameters rounded once
            Assert.True(Math.Abs(fromSafeTensors[j] - expected[j]) <= 1e-5 * (1 + Math.Abs(expected[j])),
                $"safetensors {j}: {fromSafeTensors[j]} vs {expected[j]}");
    }

    [Fact]
    public void ADeeperNetworkGetsItsBestDepthTwoFitAndAWarningFirst()
    {
        using var dir = new TempDirectory();
        var run = Cli.Run("extract", "--onnx", Fixture("deep_d8.onnx"), "--queries", "200000", "--out", dir.File("deep.json")).Succeeded();
        string[] lines = run.Output.Split('\n');
        Assert.StartsWith("warning: the oracle is not reproduced: the best depth-2 fit found leaves ", lines[0]);
        Assert.Contains("NOT reproduced", run.Output);
        Assert.True(NetworkJson.Read(dir.File("deep.json")).Hidden > 0); // the best depth-2 fit, written as JSON

        var json = Cli.Run("extract", "--onnx", Fixture("deep_d8.onnx"), "--queries", "200000", "--out", dir.File("deep.onnx"), "--json")
            .Succeeded().Json();
        Assert.False(json.GetProperty("depthTwoFit").GetBoolean());
        Assert.Equal(1, json.GetProperty("checkWarnings").GetArrayLength());
        // a deeper network is not a depth-2 ReLU network of x: the residual of the best fit shows it
        Assert.Contains(json.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "UnfittedStructure");
        double relative = json.GetProperty("checkRelativeMse").GetDouble();
        Assert.InRange(relative, OracleComparison.ExactFitRelativeMse, 1.0);
    }

    [Fact]
    public void ModelsOfAnotherShapeAreRefusedWithTheShapesNamed()
    {
        using var dir = new TempDirectory();
        Cli.Run("extract", "--onnx", Fixture("two_columns_d8.onnx"), "--queries", "10000", "--out", dir.File("m.json"))
            .FailedWithBadInput("two_columns_d8.onnx", "output 'y' has shape [batch, 2]", "[batch] or [batch, 1]");
        Cli.Run("extract", "--onnx", Fixture("relu_d8_m4.onnx"), "--input", "z", "--queries", "10000", "--out", dir.File("m.json"))
            .FailedWithBadInput("relu_d8_m4.onnx", "no input 'z'", "'x' [batch, 8]");
        Cli.Run("extract", "--onnx", dir.File("missing.onnx"), "--queries", "10000", "--out", dir.File("m.json"))
            .FailedWithBadInput("missing.onnx", "does not exist");
        File.WriteAllText(dir.File("garbage.onnx"), "not a model");
        Cli.Run("extract", "--onnx", dir.File("garbage.onnx"), "--queries", "10000", "--out", dir.File("m.json"))
            .FailedWithBadInput("garbage.onnx", "ONNX Runtime cannot load the model");
        Cli.Run("extract", "--onnx", Fixture("relu_d8_m4.onnx"), "--queries", "100", "--out", dir.File("m.json"))
            .FailedWithBadInput("--queries 100 is too few");
        Cli.Run("extract", "--onnx", Fixture("relu_d8_m4.onnx"), "--queries", "10000", "--out", dir.File("m.txt"))
            .FailedWithBadInput(".json", ".safetensors", ".onnx");
        Assert.Equal(["garbage.onnx"], dir.Files());
    }
}
