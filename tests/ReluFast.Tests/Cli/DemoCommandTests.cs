using System.Globalization;
using System.Text.RegularExpressions;
using ReluFast.Model;

namespace ReluFast.Tests.Cli;

/// <summary>
/// <c>relufast demo</c>, the README's first command, at a small size, as its own process (the command prints to the
/// console): the teacher it prints is the one its seed makes, the recovered parameters match it, and the errors it prints
/// are those of an exact recovery.
/// </summary>
public partial class DemoCommandTests
{
    [GeneratedRegex(@"^Errors: w (\S+), a (\S+), b (\S+); test MSE (\S+) \(relative (\S+)\)$", RegexOptions.Multiline)]
    private static partial Regex ErrorsLine();

    [GeneratedRegex(@"^\s*(\d+) \|\s+(\S+)\s+(\S+) \|\s+(\S+)\s+(\S+) \|\s+(\S+)$", RegexOptions.Multiline)]
    private static partial Regex NeuronRow();

    [Fact]
    public void ASmallDemoRecoversItsTeacherAndPrintsTheErrors()
    {
        const int d = 6, m = 3;
        const ulong seed = 2;
        var (code, output, error) = RunCli("demo", "--dim", $"{d}", "--hidden", $"{m}", "--samples", "300000", "--seed", $"{seed}");
        Assert.True(code == 0, $"exit code {code}\n{output}\n{error}");
        Assert.Contains($"Teacher: d = {d}, m = {m}", output);

        // The printed errors: noiseless, refined, so round-off (the library reaches ~1e-9; README: below 2e-9).
        var errors = ErrorsLine().Match(output);
        Assert.True(errors.Success, output);
        double[] e = Enumerable.Range(1, 5).Select(i => double.Parse(errors.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(e[0] < 1e-6 && e[1] < 1e-6 && e[2] < 1e-6, errors.Value);
        Assert.True(e[3] < 1e-12 && e[4] < 1e-12, errors.Value);

        // The table: one row per neuron of the teacher the seed makes, found values equal to it at the printed 4 decimals.
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed).Normalized();
        var rows = NeuronRow().Matches(output);
        Assert.True(rows.Count == m, output);
        foreach (Match row in rows)
        {
            int i = int.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture);
            double aTrue = Parse(row, 2), aFound = Parse(row, 3), bTrue = Parse(row, 4), bFound = Parse(row, 5), dw = Parse(row, 6);
            Assert.Equal(teacher.A[i], aTrue, 4);
            Assert.Equal(teacher.B[i], bTrue, 4);
            Assert.True(Math.Abs(aFound - aTrue) <= 1e-4 && Math.Abs(bFound - bTrue) <= 1e-4 && dw < 1e-6, row.Value);
        }
    }

    private static double Parse(Match row, int group) => double.Parse(row.Groups[group].Value, CultureInfo.InvariantCulture);

    /// <summary>Runs the built relufast as a process.</summary>
    internal static (int Code, string Output, string Error) RunCli(params string[] args) => ToolProcess.Run(args);
}
