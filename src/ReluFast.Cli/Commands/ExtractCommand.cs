using System.CommandLine;
using System.Globalization;
using System.Numerics;
using ReluFast.Cli.Infrastructure;
using ReluFast.Evaluation;
using ReluFast.Interop;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast extract</c>: learns a depth-2 ReLU network from an ONNX model that it can only query. The learner draws the Gaussian
/// queries itself (<see cref="OracleSampleSource{T}"/>), ONNX Runtime answers them in batches, and the extracted network is checked on
/// fresh queries (<see cref="OracleComparison"/>): a box that is not a depth-2 network gets its best depth-2 fit and a warning first.
/// </summary>
internal static class ExtractCommand
{
    public static Command Create(CliContext context)
    {
        var onnx = CommonOptions.RequiredPath("--onnx",
            "The model to extract: an ONNX file with an input of shape [batch, d] (float or double) and an output of shape [batch] or [batch, 1].");
        var queries = new Option<long>("--queries")
            { Description = "N, the number of distinct Gaussian queries the learner draws (x ~ N(0, I_d)).", Required = true };
        var inputName = new Option<string?>("--input") { Description = "The model input to feed (needed when the model has several)." };
        var outputName = new Option<string?>("--output") { Description = "The model output to learn (needed when the model has several)." };
        var hidden = new Option<int?>("--hidden") { Description = "Number of hidden neurons m (default: chosen from the spectra)." };
        var mode = ModeOption.Create("Which learner runs: auto (default), full-rank (m <= d) or overcomplete (m up to d(d+1)/2).");
        var noRefine = new Option<bool>("--no-refine") { Description = "Stop after the method of moments (no L-BFGS refinement)." };
        var refineSamples = CommonOptions.RefinementSamples();
        var noCache = new Option<bool>("--no-cache")
            { Description = "Hold nothing of size N: every pass asks the model again (queries = passes x N) " +
                "instead of keeping each answer (8 bytes + 1 per query)." };
        var seed = CommonOptions.LearnerSeed();
        var querySeed = new Option<ulong>("--query-seed") { Description = "Seed of the query stream.", DefaultValueFactory = _ => 2 };
        var check = new Option<int>("--check-queries")
            { Description = "Fresh queries on which the extracted network is compared with the model.", DefaultValueFactory = _ => 10_000 };
        var threads = CommonOptions.Threads();
        var output = CommonOptions.RequiredPath("--out",
            "The extracted network: .json (ReluFast network JSON), .safetensors (PyTorch state dict) or .onnx (ONNX graph, float64).");
        var quiet = CommonOptions.Quiet();
        var json = CommonOptions.Json("the extraction summary (queries, held-out error, check against the model, learning summary)");
        var command = new Command("extract",
            "Extract a depth-2 ReLU network from an ONNX model by querying it on Gaussian inputs (ONNX Runtime, CPU), " +
            "and write it as .json, .safetensors or .onnx.")
        {
            onnx, queries, inputName, outputName, hidden, mode, noRefine, refineSamples, noCache, seed, querySeed, check, threads, output, quiet,
            json,
        };
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(onnx)!, outPath = parse.GetValue(output)!;
            long n = parse.GetValue(queries);
            int? m = CommonOptions.GetHidden(parse, hidden);
            int checkQueries = parse.GetValue(check);
            if (checkQueries <= 0) throw new CliUsageException($"--check-queries must be positive, got {checkQueries}.");
            if (n <= 0) throw new CliUsageException($"--queries must be positive, got {n}.");
            ModelFiles.CheckOutputPath(outPath, "--out");
            var requested = ModeOption.Parse(parse.GetValue(mode));
            var (session, signature) = OnnxModelOracle.Open(modelPath, parse.GetValue(inputName), parse.GetValue(outputName));
            var run = new Run(context, modelPath, outPath, n, m, requested, !parse.GetValue(noRefine),
                CommonOptions.GetRefinementSamples(parse, refineSamples), !parse.GetValue(noCache), parse.GetValue(seed), parse.GetValue(querySeed),
                checkQueries, CommonOptions.GetThreads(parse, threads), parse.GetValue(quiet), parse.GetValue(json));
            return signature.InputIsDouble
                ? run.Execute(new OnnxModelOracle<double>(modelPath, session, signature))
                : run.Execute(new OnnxModelOracle<float>(modelPath, session, signature));
        });
        return command;
    }

    private sealed record Run(CliContext Context, string ModelPath, string OutPath, long Queries, int? Hidden, LearnerMode Requested, bool Refine,
        int RefinementSamples, bool Cache, ulong Seed, ulong QuerySeed, int CheckQueries, int Threads, bool Quiet, bool AsJson)
    {
        public int Execute<T>(OnnxModelOracle<T> oracle) where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            using var owned = oracle;
            int d = oracle.Dimension;
            long minimum = MomentLearner.MinimumSamples(d);
            if (Queries < minimum)
                throw new CliUsageException(
                    $"--queries {Queries} is too few: the learner needs at least {minimum} for d = {d} inputs (max(1000, 2 d^2)).");
            if (Hidden is int hidden && hidden > OvercompleteLearner.MaximumHidden(d))
                throw new CliUsageException(
                    $"--hidden {hidden} is larger than d(d+1)/2 = {OvercompleteLearner.MaximumHidden(d)} for the model's d = {d}.");
            var source = new OracleSampleSource<T>(oracle, Queries, QuerySeed, Cache);
            var options = new LearnerOptions
            {
                Hidden = Hidden, Refine = Refine, RefinementSamples = RefinementSamples, Seed = Seed, Threads = Threads,
            };
            LearningResult result;
            try
            {
                result = ProgressDisplay.Run(Context, !Quiet && !AsJson && Context.InteractiveError,
                    sink => ReluLearner.Learn(source, options, Requested, LearningProgressAdapter.For(sink), Context.Cancellation));
            }
            catch (ArgumentException e)
            {
                throw new ReluFastDataException(ModelPath, $"the model's answers cannot be learned from: {e.Message}", e);
            }
            Context.Cancellation.ThrowIfCancellationRequested();
            long learningQueries = source.Queries;
            OracleComparison comparison;
            try
            {
                comparison = OracleComparison.Compare(result.Network, oracle, CheckQueries);
            }
            catch (ArgumentException e)
            {
                throw new ReluFastDataException(ModelPath, e.Message, e);
            }
            var modeSummary = ModeSummary.Of(result, Requested);
            var inv = CultureInfo.InvariantCulture;
            ModelFiles.Write(result.Network, OutPath, new Dictionary<string, string>
            {
                ["learner"] = "relufast extract",
                ["oracle"] = Path.GetFileName(ModelPath),
                ["queries"] = (learningQueries + comparison.Queries).ToString(inv),
                ["heldOutMse"] = result.HeldOutMse.ToString("R", inv),
                ["checkRelativeMse"] = comparison.RelativeMse.ToString("R", inv),
                ["mode"] = modeSummary.Mode,
            });
            if (AsJson)
            {
                Context.Output.WriteLine(JsonNumbers.Object(w =>
                {
                    w.WriteString("oracle", Path.GetFullPath(ModelPath));
                    w.WriteString("input", oracle.Signature.Input);
                    w.WriteString("outputName", oracle.Signature.Output);
                    w.WriteString("dtype", typeof(T) == typeof(double) ? "float64" : "float32");
                    w.WriteString("output", Path.GetFullPath(OutPath));
                    w.WriteNumber("distinctQueries", Queries);
                    w.WriteNumber("learningQueries", learningQueries);
                    w.WriteNumber("checkQueries", comparison.Queries);
                    w.WriteNumber("totalQueries", learningQueries + comparison.Queries);
                    w.WriteBoolean("depthTwoFit", comparison.IsDepthTwoFit);
                    JsonNumbers.Write(w, "checkRelativeMse", comparison.RelativeMse);
                    JsonNumbers.Write(w, "checkMaxAbsError", comparison.MaxAbsError);
                    // the check's own warning; the learner's typed warnings follow under "warnings" (one key each)
                    w.WriteStartArray("checkWarnings");
                    if (comparison.Warning is string warning) w.WriteStringValue(warning);
                    w.WriteEndArray();
                    LearningSummaryJson.Write(w, result, modeSummary, hiddenWasEstimated: Hidden is null);
                }));
            }
            else if (!Quiet)
            {
                PrintSummary(oracle.Signature, source, result, comparison, modeSummary);
            }
            return ExitCodes.Ok;
        }

        private void PrintSummary<T>(OnnxSignature signature, OracleSampleSource<T> source, LearningResult result, OracleComparison comparison,
            ModeSummary mode)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            var o = Context.Output;
            var inv = CultureInfo.InvariantCulture;
            if (comparison.Warning is string warning) o.WriteLine($"warning: {warning}");
            SummaryWarnings.Write(o, result);
            string dtype = signature.InputIsDouble ? "float64" : "float32";
            o.WriteLine(string.Create(inv,
                $"Oracle: {ModelPath}: input '{signature.Input}' [batch, {signature.Dimension}] ({dtype}), output '{signature.Output}'"));
            long total = source.Queries + comparison.Queries;
            string reuse = source.CachesResponses ? ", each asked once" : ", asked again on every pass";
            o.WriteLine(string.Create(inv,
                $"Queries: {source.Queries:N0} for learning ({Queries:N0} distinct x ~ N(0, I_d){reuse}) + {comparison.Queries:N0} for the check " +
                $"= {total:N0} (2^{Math.Log2(total):F1})"));
            o.WriteLine($"Mode: {mode.Mode} ({(mode.Requested == ModeOption.Auto ? "auto" : "--mode " + mode.Requested)}: {mode.Reason})");
            string linear = result.Network.HasLinearPart ? " plus a linear remainder c0 + <c, x>" : "";
            o.WriteLine(string.Create(inv, $"Hidden neurons: m = {result.Network.Hidden}{linear}"));
            double relative = result.HeldOutVariance > 0 ? result.HeldOutMse / result.HeldOutVariance : double.NaN;
            o.WriteLine(string.Create(inv, $"Held-out MSE: {result.HeldOutMse:G4} (relative to Var y: {relative:G3})"));
            string verdict = comparison.IsDepthTwoFit ? "the model is reproduced" : "NOT reproduced: see the warning";
            o.WriteLine(string.Create(inv,
                $"Check on {comparison.Queries:N0} fresh queries: relative MSE {comparison.RelativeMse:G3}, " +
                $"max |error| {comparison.MaxAbsError:G3} ({verdict})"));
            o.WriteLine(string.Create(inv, $"Time: {result.Timings.Total.TotalSeconds:F2} s"));
            foreach (string line in SummaryWarnings.LogWithoutWarnings(result)) o.WriteLine("  " + line);
            o.WriteLine($"Model written to {OutPath}");
        }
    }
}
