using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.Evaluation;
using ReluFast.Tests.IO;
using ReluFast.Tests.Learning;

namespace ReluFast.Tests.Cli;

/// <summary>relufast learn / diagnose / generate with inputs that are not N(0, I) (docs/algorithm.md section 17).</summary>
public sealed class CliInputLawTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void NonGaussianInputsExitWithOneAndTheOverrideLearns()
    {
        const int D = 16, N = 100_000;
        var teacher = RandomTeacher.Create(new TeacherOptions(D, 4), 61);
        var x = InputLawTests.NonGaussian("uniform", N, D, 62);
        var y = new double[N];
        teacher.Evaluate(x, y);
        string xs = _dir.File("x.npy"), ys = _dir.File("y.npy"), model = _dir.File("model.json");
        NpyWriter.WriteMatrix<double>(xs, x, N, D);
        NpyWriter.WriteVector<double>(ys, y);

        Cli.Run("learn", "--x", xs, "--y", ys, "--out", model, "--no-refine").FailedWithBadInput("not Gaussian", "--assume-gaussian");
        Assert.False(File.Exists(model));
        var anyway = Cli.Run("learn", "--x", xs, "--y", ys, "--out", model, "--no-refine", "--assume-gaussian", "--json").Succeeded().Json();
        Assert.False(anyway.GetProperty("inputs").GetProperty("gaussian").GetBoolean());
        Assert.True(File.Exists(model));
        var diagnosis = Cli.Run("diagnose", "--x", xs, "--y", ys, "--no-learn", "--json").Succeeded().Json();
        Assert.InRange(diagnosis.GetProperty("inputs").GetProperty("largestExcessKurtosis").GetDouble(), -1.3, -1.1); // uniform: -1.2
    }

    [Fact]
    public void GeneratedCorrelatedInputsAreLearnedInTheUsersCoordinates()
    {
        string folder = _dir.File("data"), model = _dir.File("model.json");
        Cli.Run("generate", "--dim", "8", "--hidden", "4", "--samples", "600000", "--seed", "5", "--input-mean", "1",
            "--input-condition", "100", "--out", folder, "--quiet").Succeeded();
        var learn = Cli.Run("learn", "--x", Path.Combine(folder, "x.npy"), "--y", Path.Combine(folder, "y.npy"), "--out", model, "--json")
            .Succeeded().Json();
        var inputs = learn.GetProperty("inputs");
        Assert.True(inputs.GetProperty("whitened").GetBoolean());
        Assert.InRange(inputs.GetProperty("conditionNumber").GetDouble(), 90, 110);
        var e = Cli.Run("evaluate", "--model", model, "--teacher", Path.Combine(folder, "teacher.json"), "--json").Succeeded().Json();
        Assert.True(e.GetProperty("wError").GetDouble() < 1e-6, e.ToString());
        Assert.True(e.GetProperty("aError").GetDouble() < 1e-6, e.ToString());
        Assert.True(e.GetProperty("bError").GetDouble() < 1e-6, e.ToString());
    }

    [Fact]
    public void EvaluateTestsOnTheLawTheTeacherWasGeneratedWith()
    {
        // model - teacher = <c, x>: its test MSE is E[(c^T x)^2] = (c^T mu)^2 + |L^T c|^2 under the generated law, |c|^2 under N(0, I)
        const int D = 6;
        string folder = _dir.File("law"), model = _dir.File("shifted.json");
        Cli.Run("generate", "--dim", $"{D}", "--hidden", "3", "--samples", "1000", "--seed", "7", "--input-mean", "1",
            "--input-condition", "1000", "--out", folder, "--quiet").Succeeded();
        string teacherPath = Path.Combine(folder, "teacher.json");
        var teacher = NetworkJson.Read(teacherPath);
        double[] c = [0.3, -1.0, 0.5, 2.0, -0.7, 0.1];
        NetworkJson.Write(new ReluNetwork(D, teacher.A, teacher.W, teacher.B, 0, c), model);
        var law = ReluFast.Cli.Infrastructure.GeneratedInputLaw.Create(D, 1, 1000, 7)!;
        const long n = 200_000;
        var (expected, tolerance) = TestErrorUnderALawTests.LinearDifferenceMse(c, law, n);
        var (standard, standardTolerance) = TestErrorUnderALawTests.LinearDifferenceMse(c, InputDistribution.Standard(D), n);
        Assert.True(Math.Abs(expected - standard) > 20 * tolerance, "the two laws must give MSEs the test tells apart");

        var json = Cli.Run("evaluate", "--model", model, "--teacher", teacherPath, "--json").Succeeded().Json();
        Assert.InRange(json.GetProperty("testMse").GetDouble(), expected - tolerance, expected + tolerance);
        var text = Cli.Run("evaluate", "--model", model, "--teacher", teacherPath).Succeeded();
        Assert.Contains("fresh samples, x ~ N(mu, Sigma) as generated (mean range 1, condition number 1000)", text.Output);

        // a teacher without a recorded law (or written by another program) is tested on N(0, I), as before
        string plain = _dir.File("plain.json");
        NetworkJson.Write(teacher, plain, metadata: new Dictionary<string, string> { ["generator"] = "elsewhere", ["inputCondition"] = "x" });
        var onStandard = Cli.Run("evaluate", "--model", model, "--teacher", plain, "--json").Succeeded().Json();
        Assert.InRange(onStandard.GetProperty("testMse").GetDouble(), standard - standardTolerance, standard + standardTolerance);
    }

    [Theory]
    [InlineData("inputCondition", "abc", "metadata.inputCondition must be a finite number", "\"abc\"")]
    [InlineData("inputCondition", "0.5", "at least 1", "0.5")]
    [InlineData("inputMean", "-1", "non-negative", "inputMean -1")]
    [InlineData("seed", "seven", "metadata.seed must be the teacher's seed", "\"seven\"")]
    [InlineData("inputCondition", "1\u0000", "must be a finite number", "\"1\\u0000\"")]
    public void AMalformedRecordedLawIsNamedWithItsFile(string field, string value, string problem, string shown)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 2), 3);
        string path = _dir.File("teacher.json"), model = _dir.File("model.json");
        var metadata = new Dictionary<string, string>
        {
            ["generator"] = "relufast generate", ["seed"] = "3", ["inputMean"] = "1", ["inputCondition"] = "10",
        };
        metadata[field] = value;
        NetworkJson.Write(teacher, path, metadata: metadata);
        NetworkJson.Write(teacher, model);
        Cli.Run("evaluate", "--model", model, "--teacher", path).FailedWithBadInput(path, problem, shown);
    }

    [Fact]
    public void GenerateRefusesALawOverItsDimensionAtOnce()
    {
        // d = 20,000 took hours (a d x d rotation by Gram-Schmidt), d = 100,000 ran out of memory with exit 2
        foreach (string d in new[] { "4097", "20000", "100000" })
        {
            string folder = _dir.File("big" + d);
            Cli.Run("generate", "--dim", d, "--hidden", "1", "--samples", "1", "--seed", "1", "--input-condition", "2", "--out", folder)
                .FailedWithBadInput("--input-condition", $"--dim {d}", "the limit is d <= 4096");
            Assert.False(Directory.Exists(folder));
        }
    }
}
