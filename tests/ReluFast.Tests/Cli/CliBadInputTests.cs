using System.Text;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Cli;

/// <summary>
/// Bad input on the command line (issue 8): exit code 1, one <c>error:</c> line naming the problem and
/// the file, no stack trace, and no output file (nor a temporary one) left behind.
/// </summary>
public sealed class CliBadInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Out => _dir.File("model.json");

    /// <summary>Writes n samples of a d-input teacher as x.npy / y.npy (optionally spoiled by <paramref name="edit"/>).</summary>
    private (string X, string Y) Samples(int d, int m, int n, Action<double[], double[]>? edit = null, string prefix = "")
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 7);
        var source = new TeacherSampleSource<double>(teacher, n, 8);
        var x = new double[n * d];
        var y = new double[n];
        source.Read(0, x, y);
        edit?.Invoke(x, y);
        string xp = _dir.File(prefix + "x.npy"), yp = _dir.File(prefix + "y.npy");
        NpyWriter.WriteMatrix<double>(xp, x, n, d);
        NpyWriter.WriteVector<double>(yp, y);
        return (xp, yp);
    }

    private CliRun Learn(string x, string y, params string[] more) => Cli.Run(["learn", "--x", x, "--y", y, "--out", Out, .. more]);

    private void NoOutputLeft(params string[] inputs)
    {
        var left = _dir.Files().Except(inputs.Select(Path.GetFileName)).ToArray();
        Assert.Empty(left);
    }

    [Theory]
    [InlineData("--refine-samples", "9223372036854775807", "is not an integer from -2147483648 to 2147483647")]
    [InlineData("--seed", "-1", "is not an integer from 0 to 18446744073709551615")]
    [InlineData("--threads", "two", "is not an integer from -2147483648 to 2147483647")]
    public void AValueItsOptionsTypeCannotHoldIsNamedInTheUsersWords(string option, string value, string problem)
    {
        // System.CommandLine said "as expected type 'System.Nullable`1[System.Int32]'"
        var run = Cli.Run("learn", "--x", "x.npy", "--y", "y.npy", "--out", Out, option, value)
            .FailedWithBadInput($"error: {option}: '{value}' {problem}.", "relufast learn --help");
        Assert.DoesNotContain("System.", run.Error);
    }

    [Fact]
    public void ThreadsOverTheLimitAreRefusedBeforeAnyWork()
    {
        // --threads 100000 created 100,000 workers' accumulators: out of memory, exit 2
        var (x, y) = Samples(3, 2, 2000);
        Learn(x, y, "--threads", "100000").FailedWithBadInput("--threads", "1 to 1024", "100000");
        NoOutputLeft("x.npy", "y.npy");
        Learn(x, y, "--threads", "1024", "--no-refine").Succeeded();
    }

    [Fact]
    public void MissingXFile()
    {
        var (_, y) = Samples(3, 2, 2000);
        string x = _dir.File("nope.npy");
        Learn(x, y).FailedWithBadInput(x, "does not exist");
        NoOutputLeft("y.npy", "x.npy");
    }

    [Fact]
    public void TruncatedNpy()
    {
        var (x, y) = Samples(3, 2, 2000);
        byte[] bytes = File.ReadAllBytes(x);
        File.WriteAllBytes(x, bytes[..^100]);
        Learn(x, y).FailedWithBadInput(x, "truncated");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void WrongDType()
    {
        var (_, y) = Samples(3, 2, 2000);
        string x = _dir.File("x.npy");
        File.WriteAllBytes(x, TestData.HandMadeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2000, 3), }", new byte[2000 * 3 * 4]));
        Learn(x, y).FailedWithBadInput(x, "<i4");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void ZeroInputs()
    {
        var (_, y) = Samples(3, 2, 2000);
        string x = _dir.File("x.npy");
        File.WriteAllBytes(x, TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2000, 0), }", []));
        Learn(x, y).FailedWithBadInput(x, "d = 0");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void NaNInY()
    {
        var (x, y) = Samples(3, 2, 5000, (_, ys) => ys[1234] = double.NaN);
        Learn(x, y).FailedWithBadInput(y, "1234", "NaN");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void InfinityInXBeyondThePilotPrefix()
    {
        var (x, y) = Samples(2, 1, 300_000, (xs, _) => xs[2 * 250_000 + 1] = double.PositiveInfinity);
        Learn(x, y).FailedWithBadInput(x, "250000");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void HiddenAboveD()
    {
        // m > d is the overcomplete learner's (auto picks it); only full-rank mode rejects it, and every mode m > d(d+1)/2.
        var (x, y) = Samples(3, 2, 2000);
        Learn(x, y, "--hidden", "4", "--mode", "full-rank").FailedWithBadInput("--hidden 4", "m > d in full-rank mode", "d = 3", x);
        Learn(x, y, "--hidden", "7").FailedWithBadInput("--hidden 7", "d(d+1)/2 = 6", x);
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void MismatchedRows()
    {
        var (x, _) = Samples(3, 2, 2000);
        var (_, y) = Samples(3, 2, 1500, prefix: "other-");
        Learn(x, y).FailedWithBadInput(x, y, "(2000, 3)", "(1500,)");
        NoOutputLeft("x.npy", "y.npy", "other-x.npy", "other-y.npy");
    }

    [Fact]
    public void TooFewSamples()
    {
        var (x, y) = Samples(3, 2, 500);
        Learn(x, y).FailedWithBadInput(x, "too few samples", "500", "1000");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void CorruptJson()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(3, 2), 1);
        NetworkJson.Write(teacher, _dir.File("teacher.json"));
        File.WriteAllText(_dir.File("model.json"), "{\"inputDim\": 3, \"hidden\": 2, \"a\": [1, ");
        Cli.Run("evaluate", "--model", _dir.File("model.json"), "--teacher", _dir.File("teacher.json")).FailedWithBadInput(_dir.File("model.json"));
        File.WriteAllText(_dir.File("model.json"), "{\"inputDim\": 3, \"hidden\": 2, \"a\": [1, 2], \"b\": [0, 0], \"w\": [[1, 0, 0]]}");
        Cli.Run("evaluate", "--model", _dir.File("model.json"), "--teacher", _dir.File("teacher.json"), "--json")
            .FailedWithBadInput(_dir.File("model.json"), "w");
    }

    [Fact]
    public void MissingTeacherAndDimensionMismatch()
    {
        NetworkJson.Write(RandomTeacher.Create(new TeacherOptions(3, 2), 1), _dir.File("model.json"));
        Cli.Run("evaluate", "--model", _dir.File("model.json"), "--teacher", _dir.File("none.json"))
            .FailedWithBadInput(_dir.File("none.json"), "does not exist");
        NetworkJson.Write(RandomTeacher.Create(new TeacherOptions(4, 2), 1), _dir.File("teacher.json"));
        Cli.Run("evaluate", "--model", _dir.File("model.json"), "--teacher", _dir.File("teacher.json")).FailedWithBadInput("d = 3", "d = 4");
    }

    [Fact]
    public void UnknownOutputExtensionIsRejectedBeforeLearning()
    {
        var (x, y) = Samples(3, 2, 2000);
        Cli.Run("learn", "--x", x, "--y", y, "--out", _dir.File("model.pt")).FailedWithBadInput("model.pt", ".json", ".safetensors", ".onnx");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void IncompleteOrMixedSampleOptions()
    {
        var (x, y) = Samples(3, 2, 2000);
        Cli.Run("learn", "--x", x, "--out", Out).FailedWithBadInput("--y");
        Cli.Run("learn", "--x", x, "--y", y, "--data", _dir.File("a.npz"), "--out", Out).FailedWithBadInput("one way");
        Cli.Run("learn", "--csv", _dir.File("a.csv"), "--out", Out).FailedWithBadInput("--target");
        Cli.Run("learn", "--out", Out).FailedWithBadInput("no samples");
        NoOutputLeft("x.npy", "y.npy");
    }

    [Fact]
    public void CorruptNpzAndBadCsv()
    {
        File.WriteAllText(_dir.File("a.npz"), "not a zip");
        Cli.Run("learn", "--data", _dir.File("a.npz"), "--out", Out).FailedWithBadInput(_dir.File("a.npz"), "zip");
        var csv = new StringBuilder("x0,x1,y\n");
        for (int j = 0; j < 2000; j++) csv.Append(j == 77 ? "1,oops,3\n" : "1,2,3\n");
        File.WriteAllText(_dir.File("a.csv"), csv.ToString());
        Cli.Run("learn", "--csv", _dir.File("a.csv"), "--target", "y", "--out", Out).FailedWithBadInput(_dir.File("a.csv"), "oops");
        Cli.Run("learn", "--csv", _dir.File("a.csv"), "--target", "label", "--out", Out).FailedWithBadInput(_dir.File("a.csv"), "label");
        NoOutputLeft("a.npz", "a.csv");
    }

    [Fact]
    public void InvalidGenerateOptions()
    {
        string folder = Path.Combine(_dir.Path, "gen");
        Cli.Run("generate", "--dim", "0", "--hidden", "2", "--samples", "10", "--seed", "1", "--out", folder).FailedWithBadInput("--dim");
        Cli.Run("generate", "--dim", "3", "--hidden", "2", "--samples", "10", "--seed", "1", "--out", folder, "--noise", "-1")
            .FailedWithBadInput("--noise");
        Cli.Run("generate", "--dim", "3", "--hidden", "2", "--samples", "10", "--seed", "1", "--out", folder, "--dtype", "int8")
            .FailedWithBadInput("int8", "float32", "relufast generate --help");
        var parse = Cli.Run("generate", "--dim", "three", "--hidden", "2", "--samples", "10", "--seed", "1", "--out", folder)
            .FailedWithBadInput("'three'", "--dim");
        Assert.Equal("", parse.Output);
        Cli.Run("generate", "--dim", "3").FailedWithBadInput("--out", "is required");
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void ReportRejectsAnUnknownFormat()
    {
        NetworkJson.Write(RandomTeacher.Create(new TeacherOptions(3, 2), 1), _dir.File("t.json"));
        Cli.Run("report", "--teacher", _dir.File("t.json"), "--model", _dir.File("t.json"), "--out", _dir.File("r.pdf"))
            .FailedWithBadInput("r.pdf", ".html", ".png");
        Assert.Equal(["t.json"], _dir.Files());
    }
}
