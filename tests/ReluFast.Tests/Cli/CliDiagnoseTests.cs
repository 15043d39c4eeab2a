using System.Text.Json;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;
using ReluFast.Tests.Model;

namespace ReluFast.Tests.Cli;

/// <summary><c>relufast diagnose</c> (issue 6): the identifiability report as JSON and as text; exit code 0 even with warnings.</summary>
[Collection(OvercompleteSamplesCollection.Name)]
public sealed class CliDiagnoseTests(OvercompleteSamples samples) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AFullRankTeacherIsIdentifiable()
    {
        string data = Path.Combine(_dir.Path, "data");
        Cli.Run("generate", "--dim", "6", "--hidden", "3", "--samples", "200000", "--seed", "3", "--out", data, "--quiet").Succeeded();
        var run = Cli.Run("diagnose", "--x", Path.Combine(data, "x.npy"), "--y", Path.Combine(data, "y.npy"), "--json").Succeeded();
        var d = run.Json();
        Assert.Equal("full-rank", d.GetProperty("mode").GetString());
        Assert.Equal(6, d.GetProperty("inputDim").GetInt32());
        Assert.Equal(6, d.GetProperty("secondMomentSpectrum").GetArrayLength());
        Assert.Equal(3, d.GetProperty("secondMomentRank").GetInt32());
        Assert.True(d.GetProperty("secondMomentThreshold").GetDouble() > d.GetProperty("secondMomentNoiseFloor").GetDouble());
        Assert.Equal(3, d.GetProperty("estimatedHidden").GetInt32());
        Assert.True(d.GetProperty("learned").GetBoolean());
        // The learned network is the teacher to ~1e-9, so the report's geometry is the teacher's, computed here from the definitions.
        var teacher = NetworkJson.Read(Path.Combine(data, "teacher.json"));
        AssertClose(IndependentReference.SigmaMinW(teacher), d.GetProperty("sigmaMinW").GetDouble(), "sigma_min(W)");
        AssertClose(IndependentReference.SigmaMinFlattened(teacher), d.GetProperty("sigmaMinFlattened").GetDouble(), "sigma_min of svec(w_i w_i^T)");
        var c = d.GetProperty("smallestCoefficients");
        Assert.Equal(["c2", "c3", "c4", "c5"], c.EnumerateObject().Select(p => p.Name).ToArray());
        double[] smallest = IndependentReference.SmallestCoefficients(teacher);
        for (int k = 2; k <= 5; k++) AssertClose(smallest[k - 2], c.GetProperty($"c{k}").GetDouble(), $"min |c_{k}(b_i)|");
        Assert.True(d.GetProperty("relativeHeldOutMse").GetDouble() < 1e-6, d.ToString());
        Assert.Equal(JsonValueKind.Array, d.GetProperty("warnings").ValueKind);
        Assert.Equal(JsonValueKind.Null, d.GetProperty("absorbed").ValueKind);
    }

    [Fact]
    public void ANeuronBeyondTheVisibilityLimitIsReportedAsAbsorbed()
    {
        // Three visible neurons and one with b = 8: on 2*10^5 samples (sqrt(2 ln N) = 4.9) it acts as the linear function
        // 1.2 (<w,x> + 8), which no moment of order >= 2 sees; the report must say so and still exit 0.
        const int d = 5, n = 200_000;
        var visible = RandomTeacher.Create(new TeacherOptions(d, 3, BiasRange: 1), 31);
        var extra = RandomTeacher.Create(new TeacherOptions(d, 1), 32);
        var teacher = new ReluNetwork(d, [.. visible.A, 1.2], [.. visible.W, .. extra.W], [.. visible.B, 8]);
        var source = new TeacherSampleSource<double>(teacher, n, 33);
        var x = new double[n * d];
        var y = new double[n];
        source.Read(0, x, y);
        NpyWriter.WriteMatrix<double>(_dir.File("x.npy"), x, n, d);
        NpyWriter.WriteVector<double>(_dir.File("y.npy"), y);

        var run = Cli.Run("diagnose", "--x", _dir.File("x.npy"), "--y", _dir.File("y.npy"), "--json").Succeeded();
        var report = run.Json();
        Assert.Equal(3, report.GetProperty("estimatedHidden").GetInt32());
        var warnings = report.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Contains(warnings, w => w.Contains("linear remainder", StringComparison.Ordinal) && w.Contains("absorbed", StringComparison.Ordinal));

        var human = Cli.Run("diagnose", "--x", _dir.File("x.npy"), "--y", _dir.File("y.npy")).Succeeded();
        Assert.Contains("Warnings (", human.Output);
        Assert.Contains("warning: linear remainder", human.Output);
        Assert.Contains("smallest |c_k(b_i)| over the neurons: k = 2: ", human.Output);
    }

    [Fact]
    public void NoLearnReportsTheSpectraOnly()
    {
        var report = Cli.Run("diagnose", "--x", samples.X, "--y", samples.Y, "--no-learn", "--json").Succeeded().Json();
        Assert.Equal("overcomplete", report.GetProperty("mode").GetString());
        Assert.False(report.GetProperty("learned").GetBoolean());
        Assert.Equal(15, report.GetProperty("flattenedSpectrum").GetArrayLength());
        int rank = report.GetProperty("flattenedRank").GetInt32();
        // the floors up to the first value that is not counted, and four beyond it (each one is an eigen-decomposition)
        Assert.Equal(Math.Min(15, rank + 5), report.GetProperty("flattenedResidualFloors").GetArrayLength());
        Assert.InRange(rank, OvercompleteSamples.Dimension + 1, OvercompleteSamples.Hidden);
        Assert.Equal(rank, report.GetProperty("estimatedHidden").GetInt32());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("sigmaMinW").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("smallestCoefficients").ValueKind);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("relativeHeldOutMse").ValueKind);

        var human = Cli.Run("diagnose", "--x", samples.X, "--y", samples.Y, "--no-learn").Succeeded();
        Assert.Contains("T_2 spectrum (noise floor", human.Output);
        Assert.Contains("flattened [T_4, T_5(g_1), T_5(g_2)] singular values", human.Output);
        Assert.Contains("Mode: overcomplete (auto: ", human.Output);
        Assert.Contains("Learning skipped (--no-learn)", human.Output);
        Assert.Equal("", Cli.Run("diagnose", "--x", samples.X, "--y", samples.Y, "--no-learn", "--quiet").Succeeded().Output);
    }

    [Fact]
    public void TheOvercompleteTeacherIsIdentifiedWithSigmaMinOfTheFlattenedFactors()
    {
        var report = Cli.Run("diagnose", "--x", samples.X, "--y", samples.Y, "--json").Succeeded().Json();
        Assert.Equal("overcomplete", report.GetProperty("mode").GetString());
        Assert.Equal(OvercompleteSamples.Hidden, report.GetProperty("estimatedHidden").GetInt32());
        Assert.Equal(0, report.GetProperty("sigmaMinW").GetDouble()); // m > d
        var teacher = NetworkJson.Read(samples.Teacher);
        AssertClose(IndependentReference.SigmaMinFlattened(teacher), report.GetProperty("sigmaMinFlattened").GetDouble(),
            "sigma_min of svec(w_i w_i^T)");
        double[] smallest = IndependentReference.SmallestCoefficients(teacher);
        var c = report.GetProperty("smallestCoefficients");
        for (int k = 2; k <= 5; k++) AssertClose(smallest[k - 2], c.GetProperty($"c{k}").GetDouble(), $"min |c_{k}(b_i)|");
        Assert.True(report.GetProperty("relativeHeldOutMse").GetDouble() < 1e-8, report.ToString());
        Assert.Contains("linear remainder", report.GetProperty("absorbed").GetString());
    }

    /// <summary>The report's value against the teacher's: the refined network matches the teacher to ~1e-9 (noiseless), so 1e-6.</summary>
    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)),
            $"{what}: reported {actual:R}, the teacher's {expected:R}");
}
