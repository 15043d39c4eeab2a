using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ReluFast.Cli.Infrastructure;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Cli.Commands;

/// <summary><c>relufast demo</c>: a random teacher streamed (no files), learned, and compared with the truth.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var dim = new Option<int>("--dim") { Description = "Input dimension d.", DefaultValueFactory = _ => 32 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden neurons m of the teacher.", DefaultValueFactory = _ => 16 };
        var samples = new Option<long>("--samples")
        {
            Description = "Number of samples N streamed from the teacher.",
            DefaultValueFactory = _ => 10_000_000
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the teacher and its samples.", DefaultValueFactory = _ => 1 };
        var noRefine = new Option<bool>("--no-refine") { Description = "Stop after the method of moments (no L-BFGS refinement)." };
        var command = new Command("demo",
            "Learn a random teacher streamed on the fly and print true vs recovered parameters, errors and the time of each pass.")
        {
            dim, hidden, samples, seed, noRefine,
        };
        command.SetAction(parse =>
        {
            int d = parse.GetValue(dim), m = parse.GetValue(hidden);
            long n = parse.GetValue(samples);
            ulong s = parse.GetValue(seed);
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), s);
            var source = new TeacherSampleSource<double>(teacher, n, s + 1);
            Console.WriteLine($"Teacher: d = {d}, m = {m}, a in +-[0.5, 1.5], b in [-1.5, 1.5], unit w_i; N = {n:N0} samples streamed (seed {s}).");
            var clock = Stopwatch.StartNew();
            var result = ReluLearner.Learn(source, new LearnerOptions { Refine = !parse.GetValue(noRefine), Seed = s });
            clock.Stop();
            var comparison = NetworkComparison.Compare(result.Network, teacher);
            PrintTable(teacher.Normalized(), result.Network, comparison);
            Console.WriteLine($"Mode: {ModeOption.Name(result.Mode)} ({result.Reason})");
            foreach (var line in result.Log) Console.WriteLine("  " + line);
            var t = result.Timings;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Time: pilot {t.Pilot.TotalSeconds:F2} s, pass 1 (T_2) {t.SecondMoments.TotalSeconds:F2} s, " +
                $"higher-order passes {t.HigherMoments.TotalSeconds:F2} s, decomposition {t.Decomposition.TotalSeconds:F2} s, " +
                $"pass 3 (coefficients) {t.Coefficients.TotalSeconds:F2} s, refinement {t.Refinement.TotalSeconds:F2} s, " +
                $"mode check {t.ModeCheck.TotalSeconds:F2} s; total {clock.Elapsed.TotalSeconds:F2} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Errors: w {comparison.WError:E2}, a {comparison.AError:E2}, b {comparison.BError:E2}; " +
                $"test MSE {comparison.TestMse:E2} (relative {comparison.RelativeTestMse:E2})"));
            return 0;
        });
        return command;
    }

    private static void PrintTable(ReluNetwork truth, ReluNetwork model, NetworkComparison comparison)
    {
        Console.WriteLine("  i |   a true   a found |   b true   b found | |w - w'|");
        for (int i = 0; i < truth.Hidden; i++)
        {
            int j = comparison.Matching[i];
            if (j < 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i,3} | {truth.A[i],8:F4}  (missing) | {truth.B[i],8:F4}  (missing) |"));
                continue;
            }
            double dw = 0;
            for (int k = 0; k < truth.InputDim; k++) dw += Math.Pow(truth.WeightsOf(i)[k] - model.WeightsOf(j)[k], 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i,3} | {truth.A[i],8:F4} {model.A[j],9:F4} | {truth.B[i],8:F4} {model.B[j],9:F4} | {Math.Sqrt(dw):E2}"));
        }
    }
}
