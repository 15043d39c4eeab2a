using System.CommandLine;
using System.Globalization;
using ReluFast.Cli.Infrastructure;
using ReluFast.Learning;
using Spectre.Console;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast diagnose</c>: the identifiability picture of a data set (<see cref="ReluLearner.Diagnose{T}"/>): the T_2
/// spectrum against its noise floor, the flattened [T_4, T_5] spectrum where it was computed, the mode the data call for
/// and why, the estimated m, and after a learning run sigma_min(W), sigma_min of the flattened factors, the smallest
/// |c_k(b_i)| for k = 2..5, the held-out error and every warning with its reason. Warnings do not change the exit code
/// (0): the command is a report. It runs on this process's CPU (no <c>--device</c>, no MPI).
/// </summary>
internal static class DiagnoseCommand
{
    public static Command Create(CliContext context)
    {
        var input = SampleInput.Create(required: true);
        var mode = ModeOption.Create("The learner the report assumes: auto (default: the one the data call for), full-rank or overcomplete (the " +
            "report says what the data suggest).");
        var hidden = new Option<int?>("--hidden") { Description = "Number of hidden neurons m (decides the mode under auto: m > d is overcomplete; " +
            "at most d in full-rank mode, d(d+1)/2 in overcomplete mode). Default: from the spectra." };
        var noLearn = new Option<bool>("--no-learn") { Description = "Spectra only: skip the learning run (no sigma_min, coefficients or held-out " +
            "error)." };
        var seed = CommonOptions.LearnerSeed();
        var threads = CommonOptions.Threads();
        var quiet = CommonOptions.Quiet();
        var json = CommonOptions.Json("the identifiability report (spectra, mode, estimated m, sigma_min, smallest |c_k(b_i)|, warnings)");
        var command = new Command("diagnose", "Report what the samples can identify: the T_2 spectrum, the flattened T_4/T_5 spectrum, full rank " +
            "or overcomplete and why, the estimated m, sigma_min of the recovered W and of its flattened factors, the smallest |c_k(b_i)| " +
            "per order k = 2..5, and a warning with its reason wherever the data cannot identify the network. Exit code 0 even with warnings.");
        input.AddTo(command);
        command.Options.Add(mode);
        command.Options.Add(hidden);
        command.Options.Add(noLearn);
        command.Options.Add(seed);
        command.Options.Add(threads);
        command.Options.Add(quiet);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var spec = input.Resolve(parse)!;
            var requested = ModeOption.Parse(parse.GetValue(mode));
            int? m = CommonOptions.GetHidden(parse, hidden);
            int threadCount = CommonOptions.GetThreads(parse, threads);
            bool asJson = parse.GetValue(json), isQuiet = parse.GetValue(quiet), learn = !parse.GetValue(noLearn);

            using var data = SampleData.Open(spec, context.Cancellation);
            var options = new LearnerOptions { Hidden = m, Seed = parse.GetValue(seed), Threads = threadCount };
            data.CheckLearnable(options, requested);
            var report = ProgressDisplay.Run(context, !isQuiet && !asJson && context.InteractiveError,
                sink => data.Diagnose(options, requested, learn, LearningProgressAdapter.For(sink), context.Cancellation));
            context.Cancellation.ThrowIfCancellationRequested();
            var diagnosis = new Diagnosis(report, requested, options.NoiseFloorMultiple);
            if (asJson)
            {
                context.Output.WriteLine(JsonNumbers.Object(w =>
                {
                    w.WriteString("data", spec.ToString());
                    w.WriteString("dtype", data.DType);
                    w.WriteNumber("inputDim", data.Dimension);
                    DiagnosisJson.Write(w, diagnosis);
                }));
            }
            else if (!isQuiet)
            {
                Print(context.CreateOutputConsole(), context.Output, data, diagnosis, options.NoiseFloorMultiple);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IAnsiConsole console, TextWriter output, SampleData data, Diagnosis diagnosis, double multiple)
    {
        var inv = CultureInfo.InvariantCulture;
        var report = diagnosis.Report;
        var decision = report.Decision;
        output.WriteLine(string.Create(inv, $"Samples: {data.Spec}: N = {data.Count:N0}, d = {data.Dimension} ({data.DType})"));
        if (InputSummary.Line(report.Inputs) is string inputs) output.WriteLine(inputs);
        console.Write(SpectrumTables.SecondMoment(decision.SecondMomentSpectrum, decision.SecondMomentNoiseFloor, multiple, cut: null));
        output.WriteLine(string.Create(inv, $"T_2: {decision.SecondMomentRank} of {data.Dimension} eigenvalues above the threshold " +
            $"{diagnosis.SecondMomentThreshold:G3} ({multiple:G3} x the noise floor {decision.SecondMomentNoiseFloor:G3})"));
        if (decision.FlattenedSpectrum.Count > 0)
        {
            console.Write(SpectrumTables.Flattened(decision.FlattenedSpectrum, decision.FlattenedNoiseFloor, decision.FlattenedResidualFloors,
                Math.Max(decision.FlattenedRank, 0), string.Create(inv, $", {decision.FlattenedSamples:N0} samples")));
            output.WriteLine(string.Create(inv, $"Flattened: {decision.FlattenedRank} singular values above {multiple:G3} x the floor left by the " +
                $"ones before them (D = d(d+1)/2 = {decision.FlattenedSpectrum.Count})"));
        }
        else
        {
            output.WriteLine("Flattened spectrum: not computed (" + (decision.Reason.Contains("was given", StringComparison.Ordinal)
                ? "m was given, so it decides the mode" : "T_2 already settles it") + ")");
        }
        output.WriteLine($"Mode: {diagnosis.Mode} " +
            $"({(diagnosis.Requested == LearnerMode.Auto ? "auto" : "--mode " + ModeOption.Name(diagnosis.Requested))}: {diagnosis.ModeReason})");
        output.WriteLine(string.Create(inv, $"Estimated m: {report.EstimatedHidden} ({diagnosis.EstimatedHiddenSource})"));
        if (report.Learned is { } learned)
        {
            var c = report.SmallestCoefficients;
            output.WriteLine(string.Create(inv, $"sigma_min(W): {Format(report.SigmaMinW)}") +
                (report.EstimatedHidden > data.Dimension ? " (m > d: the w_i cannot be linearly independent)" : ""));
            output.WriteLine(string.Create(inv, $"sigma_min of the flattened factors svec(w_i w_i^T): {Format(report.SigmaMinFlattened)}"));
            output.WriteLine("smallest |c_k(b_i)| over the neurons: " +
                string.Join(", ", c.Select((v, i) => string.Create(inv, $"k = {i + 2}: {v:G3}"))));
            output.WriteLine(string.Create(inv, $"Held-out MSE: {learned.HeldOutMse:G4} (relative to Var y: {diagnosis.RelativeHeldOutMse:G3})"));
            if (learned.Absorbed is not null) output.WriteLine($"Linear remainder: {learned.Absorbed}");
        }
        else
        {
            output.WriteLine("Learning skipped (--no-learn): no sigma_min, coefficients or held-out error.");
        }
        if (diagnosis.Warnings.Count == 0)
        {
            output.WriteLine("No warnings: the data identify the network" +
                (report.Learned is null ? " as far as the spectra tell (run without --no-learn for the full picture)." : "."));
        }
        else
        {
            output.WriteLine(string.Create(inv, $"Warnings ({diagnosis.Warnings.Count}):"));
            foreach (string warning in diagnosis.Warnings) output.WriteLine("  warning: " + warning);
        }
    }

    private static string Format(double? value) => value is double v ? v.ToString("G3", CultureInfo.InvariantCulture) : "-";
}
