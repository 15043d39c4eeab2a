using ReluFast.IO;
using ReluFast.Model;
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
}
