using System.CommandLine;
using System.Globalization;
using System.Text;
using ReluFast.Cli.Infrastructure;
using ReluFast.Cli.Reporting;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast report</c>: a self-contained HTML page or one PNG with plots (ScottPlot): recovered vs true
/// parameters, the T_2 spectrum with the chosen m, and optionally the parameter error against N.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(CliContext context)
    {
        var teacher = CommonOptions.RequiredPath("--teacher", "The true network (.json or .safetensors).");
        var model = CommonOptions.RequiredPath("--model", "The learned model (.json or .safetensors).");
        var input = SampleInput.Create(required: false);
        var samples = new Option<long>("--samples")
            { Description = "Without --x/--y, --data or --csv: samples streamed from the teacher for the spectrum; " +
                "also the largest N of the sweep.", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the streamed samples and of the learner.", DefaultValueFactory = _ => 1 };
        var noise = new Option<double>("--noise")
            { Description = "Standard deviation of Gaussian label noise added to streamed samples.", DefaultValueFactory = _ => 0 };
        var sweep = new Option<bool>("--samples-sweep")
            { Description = "Also learn the streamed teacher at several N and plot the parameter error against N " +
                "(log-log, with a 1/sqrt(N) line)." };
        var repeats = new Option<int>("--sweep-repeats")
            { Description = "Independent sample streams learned at each N of the sweep " +
                "(errors averaged geometrically).", DefaultValueFactory = _ => 3 };
        var sweepCounts = new Option<long[]>("--sweep-counts")
            { Description = "The N of the sweep (default: --samples / 2^k, k = 5..0).", AllowMultipleArgumentsPerToken = true };
        var output = CommonOptions.RequiredPath("--out",
            "The report: .html (self-contained page with plots and tables) or .png (the plots side by side).");
        var quiet = CommonOptions.Quiet();
        var command = new Command("report",
            "Write a report comparing a learned model with the true network: recovered vs true weights, the T_2 spectrum with the chosen m, " +
            "and (with --samples-sweep) parameter error vs N.");
        command.Options.Add(teacher);
        command.Options.Add(model);
        input.AddTo(command);
        command.Options.Add(samples);
        command.Options.Add(seed);
        command.Options.Add(noise);
        command.Options.Add(sweep);
        command.Options.Add(sweepCounts);
        command.Options.Add(repeats);
        command.Options.Add(output);
        command.Options.Add(quiet);
        command.SetAction(parse =>
        {
            string teacherPath = parse.GetValue(teacher)!, modelPath = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            bool png = outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase);
            if (!png && !outPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase)
                && !outPath.EndsWith(".htm", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException($"--out {outPath}: the extension chooses the format; use .html or .png.");
            OutputFile.Check(outPath);
            long n = parse.GetValue(samples);
            ulong s = parse.GetValue(seed);
            double sigma = parse.GetValue(noise);
            bool isQuiet = parse.GetValue(quiet);
            if (!(sigma >= 0) || !double.IsFinite(sigma)) throw new CliUsageException($"--noise must be finite and non-negative, got {sigma}.");
            var spec = input.Resolve(parse);

            var (truth, law, lawDescription) = ModelFiles.ReadTeacher(teacherPath);
            ReluNetwork learned = ModelFiles.Read(modelPath);
            if (learned.InputDim != truth.InputDim)
                throw new ReluFastDataException(modelPath,
                    $"the model has d = {learned.InputDim} inputs but the teacher {teacherPath} has d = {truth.InputDim}.");
            long minimum = LearnerRules.MinimumSamples(truth.InputDim);
            if (spec is null && n < minimum)
                throw new CliUsageException($"--samples {n} is too few: the learner needs at least {minimum} for d = {truth.InputDim}.");
            IReadOnlyList<long> counts = parse.GetValue(sweepCounts) is { Length: > 0 } given ? given : SampleSweep.DefaultCounts(truth.InputDim, n);
            int repeatCount = parse.GetValue(repeats);
            if (repeatCount <= 0) throw new CliUsageException($"--sweep-repeats must be positive, got {repeatCount}.");
            if (parse.GetValue(sweep) && counts.Any(c => c < minimum))
                throw new CliUsageException($"--sweep-counts: every N must be at least {minimum} for d = {truth.InputDim}.");

            var comparison = NetworkComparison.Compare(learned, truth, law is null ? 200_000 : null, NetworkComparison.DefaultSeed, law);
            bool show = !isQuiet && context.InteractiveError;
            var (source, run) = ProgressDisplay.Run(context, show, sink => SpectrumRun(spec, truth, law, n, s, sigma, sink, context.Cancellation));
            IReadOnlyList<SweepPoint>? points = null;
            if (parse.GetValue(sweep))
                points = ProgressDisplay.Run(context, show,
                    sink => SampleSweep.Run(truth, law, counts, repeatCount, truth.Hidden, s + 1, sigma, sink, context.Cancellation));
            context.Cancellation.ThrowIfCancellationRequested();

            var content = new ReportContent(teacherPath, modelPath, truth, learned, comparison, source, run, points, lawDescription);
            var plots = new List<(string, byte[])>
            {
                ("Recovered vs true parameters of the matched neurons (unit w_i); points on the dashed line are exact.",
                    ReportPlots.Png(ReportPlots.Parameters(truth, learned, comparison.Matching))),
                ($"T_2 eigenvalues by |value| (log scale) with the noise floor and the cut at the chosen m = {run.Hidden}.",
                    ReportPlots.Png(ReportPlots.Spectrum(run))),
            };
            if (points is not null)
                plots.Add(($"Max parameter error of the moment estimate (no refinement; geometric mean of {repeatCount} runs) against N, " +
                    "log-log, with the C/sqrt(N) line fitted to the w errors.",
                    ReportPlots.Png(ReportPlots.Sweep(points))));
            OutputFile.Write(outPath, stream =>
            {
                byte[] bytes = png
                    ? PngComposer.Grid(plots.Select(p => p.Item2).ToArray(), columns: plots.Count)
                    : Encoding.UTF8.GetBytes(HtmlReport.Render(content, plots));
                stream.Write(bytes);
            });
            if (!isQuiet)
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Report written to {outPath}: {plots.Count} plots; w error {comparison.WError:0.00E+0}, a error {comparison.AError:0.00E+0}, " +
                        $"b error {comparison.BError:0.00E+0}, relative test MSE {comparison.RelativeTestMse:0.00E+0}."));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Learns (without refinement) from the given samples, or from the teacher's streamed samples, for the T_2 spectrum.</summary>
    private static (string Source, LearningResult Run) SpectrumRun(SampleSpec? spec, ReluNetwork truth, InputDistribution? law, long n,
        ulong seed, double noise, IPassProgress? sink, CancellationToken cancellation)
    {
        var options = new LearnerOptions { Refine = false, Seed = seed };
        var progress = LearningProgressAdapter.For(sink, "spectrum:");
        if (spec is null)
        {
            var source = new TeacherSampleSource<double>(truth, n, seed + 1, noise, law);
            return ($"{n:N0} samples streamed from the teacher (seed {seed + 1}{(noise > 0 ? $", noise {noise}" : "")}" +
                $"{(law is null ? "" : ", x ~ N(mu, Sigma) as generated")})",
                ReluLearner.Learn(source, options, LearnerMode.Auto, progress, cancellation));
        }
        using var data = SampleData.Open(spec, cancellation);
        if (data.Dimension != truth.InputDim)
            throw new ReluFastDataException(spec.Path, $"the samples have d = {data.Dimension} inputs but the teacher has d = {truth.InputDim}.");
        data.CheckLearnable(options, LearnerMode.Auto);
        return (spec.ToString(), data.Learn(options, LearnerMode.Auto, progress, cancellation));
    }
}
