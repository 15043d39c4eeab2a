using System.CommandLine;
using System.Globalization;
using ReluFast.Cli.Infrastructure;
using ReluFast.Interop;
using ReluFast.Interop.Mpi;
using ReluFast.Learning;
using Spectre.Console;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast learn</c>: learns a network from samples on disk and writes it as <c>.json</c> or
/// <c>.safetensors</c> (by the extension of <c>--out</c>), printing what the learner found.
/// </summary>
internal static class LearnCommand
{
    public static Command Create(CliContext context)
    {
        var input = SampleInput.Create(required: true);
        var hidden = new Option<int?>("--hidden")
        {
            Description = "Number of hidden neurons m: at most d in full-rank mode, at most d(d+1)/2 in overcomplete mode " +
                "(with --mode auto, m > d selects the overcomplete learner). " +
                "Default: chosen from the spectra (the gap in the T_2 spectrum for full rank, the flattened T_4/T_5 spectrum for overcomplete) " +
                "against their noise floors.",
        };
        var mode = ModeOption.Create("Which learner runs: auto (default) chooses from the data " +
            "(the T_2 spectrum and the flattened T_4/T_5 spectrum; costs a span pass on up to 4e6 samples; pass 1 is shared with the learner), " +
            "full-rank (m <= d, linearly independent w_i; supports --device cuda and mpirun) " +
            "or overcomplete (m up to d(d+1)/2, w_i in general position; CPU, one process).");
        var assumeGaussian = CommonOptions.AssumeGaussian();
        var tensorPrecision = TensorPrecisionOption.Create();
        var noRefine = new Option<bool>("--no-refine") { Description = "Stop after the method of moments (no L-BFGS refinement of the estimate)." };
        var refineSamples = CommonOptions.RefinementSamples();
        var seed = CommonOptions.LearnerSeed();
        var threads = CommonOptions.Threads();
        var device = new Option<string>("--device")
        {
            Description = "cpu (the SIMD engine) or cuda[:N] (the moment passes on NVIDIA GPU N through ILGPU; needs only the NVIDIA driver; " +
                "the dense solves and the refinement stay on the CPU).",
            DefaultValueFactory = _ => "cpu"
        };
        var output = CommonOptions.RequiredPath("--out",
            "The model file: .json (ReluFast network JSON) or .safetensors (PyTorch nn.Sequential(Linear, ReLU, Linear) state dict). " +
            "Written only if learning succeeds.");
        var quiet = CommonOptions.Quiet();
        var json = CommonOptions.Json("the learning summary (spectrum, chosen m, held-out error, timings, model)");
        var command = new Command("learn",
            "Learn f(x) = a^T relu(W^T x + b) + c0 + <c, x> from samples x ~ N(0, I_d), y = f(x) by the method of moments (streaming passes) " +
            "and L-BFGS refinement; full rank (m <= d) or overcomplete (m > d).");
        input.AddTo(command);
        command.Options.Add(hidden);
        command.Options.Add(mode);
        command.Options.Add(noRefine);
        command.Options.Add(refineSamples);
        command.Options.Add(assumeGaussian);
        command.Options.Add(tensorPrecision);
        command.Options.Add(seed);
        command.Options.Add(threads);
        command.Options.Add(device);
        command.Options.Add(output);
        command.Options.Add(quiet);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var spec = input.Resolve(parse)!;
            string outPath = parse.GetValue(output)!;
            int? m = CommonOptions.GetHidden(parse, hidden);
            var requested = ModeOption.Parse(parse.GetValue(mode));
            bool asJson = parse.GetValue(json), isQuiet = parse.GetValue(quiet);
            int threadCount = CommonOptions.GetThreads(parse, threads);
            int refinementSamples = CommonOptions.GetRefinementSamples(parse, refineSamples);
            ModelFiles.CheckOutputPath(outPath, "--out");
            if (!ComputeDevice.TryParse(parse.GetValue(device), out var computeDevice))
                throw new CliUsageException($"--device must be cpu, cuda or cuda:N, got '{parse.GetValue(device)}'.");

            // Under mpirun every rank runs this command on its own slice of the samples and the moment sums are
            // all-reduced (docs/mpi.md); outside mpirun this is the single-process reducer and needs no MPI.
            IMomentReducer reducer = MpiSession.TryInitialize();
            try
            {
                return Learn(context, parse, spec, outPath, m, requested, asJson, isQuiet, threadCount, computeDevice, noRefine, seed, reducer,
                    assumeGaussian, refinementSamples, TensorPrecisionOption.Parse(parse.GetValue(tensorPrecision)));
            }
            catch (Exception e) when (reducer is MpiSession { Size: > 1 } session)
            {
                // Another rank may wait in a reduction: say what failed (MPI_Abort ends this process too), then end them all.
                int code = ErrorReporter.Report(e, context.Error);
                context.Error.WriteLine($"(rank {session.Rank} of {session.Size}; aborting all ranks)");
                context.Error.Flush();
                session.Abort(code);
                throw;
            }
            finally
            {
                (reducer as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    private static int Learn(CliContext context, ParseResult parse, SampleSpec spec, string outPath, int? m, LearnerMode requested, bool asJson,
        bool isQuiet, int threadCount, ComputeDevice computeDevice, Option<bool> noRefine, Option<ulong> seed, IMomentReducer reducer,
        Option<bool> assumeGaussian, int refinementSamples, TensorPrecision tensorPrecision)
    {
        {
            using var data = SampleData.Open(spec, context.Cancellation);
            var options = new LearnerOptions
            {
                Hidden = m,
                Refine = !parse.GetValue(noRefine),
                RefinementSamples = refinementSamples,
                AssumeGaussian = parse.GetValue(assumeGaussian),
                TensorPrecision = tensorPrecision,
                Seed = parse.GetValue(seed),
                Threads = threadCount,
                Device = computeDevice,
                Reducer = reducer,
            };
            data.CheckLearnable(options, requested);
            bool lead = reducer.Rank == 0;
            LearningResult result = ProgressDisplay.Run(context, lead && !isQuiet && !asJson && context.InteractiveError,
                sink => data.Learn(options, requested, LearningProgressAdapter.For(sink), context.Cancellation));
            context.Cancellation.ThrowIfCancellationRequested();
            var modeSummary = ModeSummary.Of(result, requested);
            if (!lead) return ExitCodes.Ok; // rank 0 writes the model and prints
            ModelFiles.Write(result.Network, outPath, new Dictionary<string, string>
            {
                ["learner"] = "relufast learn",
                ["samples"] = spec.ToString(),
                ["heldOutMse"] = result.HeldOutMse.ToString("R", CultureInfo.InvariantCulture),
                ["mode"] = modeSummary.Mode,
            });

            if (asJson)
            {
                context.Output.WriteLine(JsonNumbers.Object(w =>
                {
                    w.WriteString("data", spec.ToString());
                    w.WriteString("dtype", data.DType);
                    w.WriteString("output", Path.GetFullPath(outPath));
                    LearningSummaryJson.Write(w, result, modeSummary, hiddenWasEstimated: m is null);
                }));
            }
            else if (!isQuiet)
            {
                PrintSummary(context.CreateOutputConsole(), context.Output, data, result, modeSummary, m is not null, outPath);
            }
            return ExitCodes.Ok;
        }
    }

    private static void PrintSummary(IAnsiConsole console, TextWriter output, SampleData data, LearningResult result, ModeSummary mode,
        bool hiddenGiven, string outPath)
    {
        var inv = CultureInfo.InvariantCulture;
        bool overcomplete = result.Mode == LearnerMode.Overcomplete;
        double multiple = new LearnerOptions().NoiseFloorMultiple;
        SummaryWarnings.Write(output, result);
        output.WriteLine(string.Create(inv, $"Samples: {data.Spec}: N = {data.Count:N0}, d = {data.Dimension} ({data.DType})"));
        if (InputSummary.Line(result.Inputs) is string inputs) output.WriteLine(inputs);
        output.WriteLine($"Mode: {mode.Mode} ({(mode.Requested == ModeOption.Auto ? "auto" : "--mode " + mode.Requested)}: {mode.Reason})");

        // The full-rank learner keeps the leading m eigenvectors of T_2; the overcomplete one counts m in the flattened spectrum.
        console.Write(SpectrumTables.SecondMoment(result.Spectrum, result.NoiseFloor, multiple, overcomplete ? null : result.Hidden));
        if (overcomplete && result.FlattenedSpectrum.Count > 0)
            console.Write(SpectrumTables.Flattened(result.FlattenedSpectrum, result.FlattenedNoiseFloor, null, result.Hidden,
                ", the learner's last round"));

        // With auto, the mode check may hand the full-rank learner an m (T_2 undercounting): estimated, though not by the learner.
        string source = hiddenGiven ? "given by --hidden" : !result.HiddenWasEstimated ? "chosen by the mode check from the flattened spectrum"
            : overcomplete ? "chosen from the flattened spectrum" : "chosen from the spectrum";
        output.WriteLine(string.Create(inv, $"Hidden neurons: m = {result.Hidden} ({source})") +
            (result.Network.Hidden != result.Hidden
                ? string.Create(inv, $"; {result.Network.Hidden} in the returned network (the rest are left to the linear remainder)")
                : ""));
        double relative = result.HeldOutVariance > 0 ? result.HeldOutMse / result.HeldOutVariance : double.NaN;
        output.WriteLine(string.Create(inv,
            $"Held-out MSE: {result.HeldOutMse:G4} (relative to Var y: {relative:G3}), " +
            $"candidate {result.ChosenCandidate} of {result.Candidates.Count}"));
        if (result.StandardErrors is StandardErrors errors)
            output.WriteLine(string.Create(inv,
                $"Noise: variance {result.NoiseVariance:G4} (sd {Math.Sqrt(result.NoiseVariance):G4}), fitted on {result.FittedSamples} samples; " +
                $"standard errors: a {Largest(errors.A):G3}, w {Largest(errors.W):G3}, b {Largest(errors.B):G3} (largest; all in --json)"));

        if (result.Candidates.Count > 0)
        {
            // The overcomplete learner's candidates have no pencil unless its projected pass ran: drop the empty columns.
            bool pencil = result.Candidates.Any(c => !double.IsNaN(c.RelativeEigenGap) || !double.IsNaN(c.PencilResidual));
            var candidates = new Table
            {
                Border = TableBorder.Rounded,
                Title = new TableTitle(overcomplete ? "Candidates (every round)" : "Candidates")
            };
            var headers = pencil
                ? new[] { "#", "eigen-gap", "pencil residual", "moment MSE", "refined MSE", "L-BFGS its" }
                : ["#", "moment MSE", "refined MSE", "L-BFGS its"];
            foreach (string h in headers) candidates.AddColumn(new TableColumn(h).RightAligned());
            foreach (var c in result.Candidates)
            {
                var cells = new List<string> { c.Index.ToString(inv) + (c.Index == result.ChosenCandidate ? "*" : "") };
                if (pencil) cells.AddRange([c.RelativeEigenGap.ToString("G3", inv), c.PencilResidual.ToString("G3", inv)]);
                cells.AddRange([
                    c.MomentHeldOutMse.ToString("G3", inv), double.IsNaN(c.RefinedHeldOutMse) ? "-" : c.RefinedHeldOutMse.ToString("G3", inv),
                    c.RefinementIterations.ToString(inv)]);
                candidates.AddRow(cells.ToArray());
            }
            console.Write(candidates);
        }

        var t = result.Timings;
        var timings = new Table { Border = TableBorder.Rounded, Title = new TableTitle("Time") };
        timings.AddColumn("step");
        timings.AddColumn(new TableColumn("seconds").RightAligned());
        timings.AddColumn(new TableColumn("samples/s").RightAligned());
        if (t.InputLaw > TimeSpan.Zero) AddTiming(timings, "input pass: law of x (prefix + all samples)", t.InputLaw, result.Samples);
        AddTiming(timings, "pilot (in-memory subsample)", t.Pilot, 0);
        AddTiming(timings, "pass 1: t0, t1, T_2", t.SecondMoments, result.Samples);
        if (overcomplete)
        {
            // Every round runs its own span and coefficient passes: no single rate.
            AddTiming(timings, "span passes: flattened T_4, T_5 (all rounds)", t.HigherMoments, 0);
            AddTiming(timings, "rank-one search (all rounds)", t.Decomposition, 0);
            AddTiming(timings, "coefficient passes (all rounds)", t.Coefficients, 0);
        }
        else
        {
            AddTiming(timings, "pass 2: projected T_3 + T_4", t.HigherMoments, result.Samples);
            AddTiming(timings, "decomposition", t.Decomposition, 0);
            AddTiming(timings, "pass 3: coefficients", t.Coefficients, result.Samples);
        }
        AddTiming(timings, "refinement", t.Refinement, 0);
        if (t.ModeCheck > TimeSpan.Zero) AddTiming(timings, "mode check: span pass (prefix)", t.ModeCheck, 0);
        AddTiming(timings, "total", t.Total, 0);
        console.Write(timings);

        // Plain lines (not through Spectre, which wraps at 80 columns when the output is not a terminal).
        foreach (string line in SummaryWarnings.LogWithoutWarnings(result))
            if (line != result.Absorbed) output.WriteLine("  " + line);
        if (result.Absorbed is not null) output.WriteLine($"Linear remainder: {result.Absorbed}");
        output.WriteLine($"Model written to {outPath}");
    }

    private static void AddTiming(Table table, string step, TimeSpan time, long samples)
    {
        var inv = CultureInfo.InvariantCulture;
        double seconds = time.TotalSeconds;
        string rate = samples > 0 && seconds > 0 ? (samples / seconds / 1e6).ToString("F2", inv) + " M" : "";
        table.AddRow(step, seconds.ToString("F3", inv), rate);
    }

    private static double Largest(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Max();
}
