using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using ReluFast.Cli.Infrastructure;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Model;
using Spectre.Console;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast evaluate</c>: compares a learned model with the true network (Hungarian matching on
/// |&lt;w_i, w'_j&gt;|, max parameter errors, test MSE on fresh Gaussian samples).
/// </summary>
internal static class EvaluateCommand
{
    /// <summary>Scientific notation with a short exponent (1.23E-5).</summary>
    private const string Sci = "0.00E+0";

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.RequiredPath("--model", "The learned model: .json or .safetensors.");
        var teacher = CommonOptions.RequiredPath("--teacher", "The true network: .json (e.g. teacher.json from relufast generate) or .safetensors.");
        var testSamples = new Option<long?>("--test-samples")
        {
            Description = "Fresh Gaussian samples behind the test MSE, x ~ N(0, I) or the law recorded by relufast generate --input-mean / "
                + "--input-condition in the teacher (default 200000, fewer where the work would exceed the evaluation budget; docs/bad-input.md).",
        };
        var seed = new Option<ulong>("--seed")
            { Description = "Seed of the test samples.", DefaultValueFactory = _ => NetworkComparison.DefaultSeed };
        var quiet = CommonOptions.Quiet();
        var json = CommonOptions.Json("{\"wError\", \"aError\", \"bError\", \"testMse\", \"relativeTestMse\"}");
        var command = new Command("evaluate", "Compare a learned model with the true network: max |w_i - w'_i|, |a_i - a'_i|, |b_i - b'_i| over " +
            "optimally matched neurons, and the test MSE (also relative to Var f).")
        {
            model, teacher, testSamples, seed, quiet, json,
        };
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!, teacherPath = parse.GetValue(teacher)!;
            long? n = parse.GetValue(testSamples);
            if (n <= 0) throw new CliUsageException($"--test-samples must be positive, got {n}.");
            ReluNetwork learned = ModelFiles.Read(modelPath);
            var (truth, law, lawDescription) = ModelFiles.ReadTeacher(teacherPath);
            if (learned.InputDim != truth.InputDim)
                throw new ReluFastDataException(modelPath, $"the model has d = {learned.InputDim} inputs but the teacher {teacherPath} has d = " +
                    $"{truth.InputDim}.");
            context.Cancellation.ThrowIfCancellationRequested();
            NetworkComparison comparison;
            try
            {
                comparison = NetworkComparison.Compare(learned, truth, n, parse.GetValue(seed), law);
            }
            catch (ArgumentException e)
            {
                throw new ReluFastDataException($"{modelPath} and {teacherPath}", e.Message, e);
            }
            if (parse.GetValue(json)) context.Output.WriteLine(ComparisonJson.ToJson(comparison));
            else if (!parse.GetValue(quiet)) Print(context.CreateOutputConsole(), context.Output, learned, truth, comparison, lawDescription);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IAnsiConsole console, TextWriter output, ReluNetwork learned, ReluNetwork truth, NetworkComparison comparison,
        string inputs)
    {
        var inv = CultureInfo.InvariantCulture;
        var t = truth.Normalized();
        var m = learned.Normalized();
        var table = new Table { Border = TableBorder.Rounded,
            Title = new TableTitle($"Teacher (m = {t.Hidden}) vs model (m = {m.Hidden}), neurons matched") };
        foreach (string h in new[] { "i", "a true", "a found", "b true", "b found", "|w - w'|" })
            table.AddColumn(new TableColumn(h).RightAligned());
        for (int i = 0; i < t.Hidden; i++)
        {
            int j = comparison.Matching[i];
            if (j < 0)
            {
                table.AddRow(i.ToString(inv), t.A[i].ToString("F4", inv), "missing", t.B[i].ToString("F4", inv), "missing", "");
                continue;
            }
            table.AddRow(i.ToString(inv), t.A[i].ToString("F4", inv), m.A[j].ToString("F4", inv), t.B[i].ToString("F4", inv),
                m.B[j].ToString("F4", inv),
                TensorPrimitives.Distance(t.WeightsOf(i), m.WeightsOf(j)).ToString(Sci, inv));
        }
        console.Write(table);
        if (!comparison.ExactMatching)
            output.WriteLine($"Neurons matched greedily (m = {t.Hidden} and {m.Hidden}: the optimal matching's O(m^3) work is over its limit).");
        if (m.Hidden > t.Hidden) output.WriteLine(($"The model has {m.Hidden - t.Hidden} neuron(s) more than the teacher."));
        output.WriteLine((string.Create(inv,
            $"Errors: w {comparison.WError:0.00E+0}, a {comparison.AError:0.00E+0}, b {comparison.BError:0.00E+0}; test MSE " +
            $"{comparison.TestMse:0.00E+0} (relative {comparison.RelativeTestMse:0.00E+0}) on {comparison.TestSamples:N0} fresh samples, " +
            $"{inputs}")));
    }
}
