using System.Text.Json;
using ReluFast.IO;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The <c>relufast learn --json</c> object: what the learner found (mode and why, spectrum, chosen m, held-out
/// error, candidates, timings in seconds, log; for the overcomplete learner also the flattened spectrum, its noise
/// floor and what the linear remainder absorbed) and the model itself in the network JSON format.
/// </summary>
internal static class LearningSummaryJson
{
    /// <summary>Writes the fields of <paramref name="result"/> into the current JSON object.</summary>
    /// <param name="w">The writer, inside an object.</param>
    /// <param name="result">What the learner returned.</param>
    /// <param name="mode">The mode that ran and why.</param>
    /// <param name="hiddenWasEstimated">Whether m came from the data rather than <c>--hidden</c> (with auto, the mode check may
    /// pass its count to the full-rank learner, which then reports m as given).</param>
    public static void Write(Utf8JsonWriter w, LearningResult result, ModeSummary mode, bool hiddenWasEstimated)
    {
        w.WriteString("mode", mode.Mode);
        w.WriteString("requestedMode", mode.Requested);
        w.WriteString("modeReason", mode.Reason);
        w.WriteNumber("samples", result.Samples);
        w.WriteNumber("inputDim", result.Network.InputDim);
        w.WriteNumber("hidden", result.Hidden);
        w.WriteBoolean("hiddenWasEstimated", hiddenWasEstimated);
        w.WriteStartArray("spectrum");
        foreach (double v in result.Spectrum) JsonNumbers.Write(w, v);
        w.WriteEndArray();
        JsonNumbers.Write(w, "noiseFloor", result.NoiseFloor);
        InputSummary.Write(w, result.Inputs);
        if (result.Mode == LearnerMode.Overcomplete)
        {
            w.WriteStartArray("flattenedSpectrum");
            foreach (double v in result.FlattenedSpectrum) JsonNumbers.Write(w, v);
            w.WriteEndArray();
            JsonNumbers.Write(w, "flattenedNoiseFloor", result.FlattenedNoiseFloor);
            if (result.Absorbed is null) w.WriteNull("absorbed");
            else w.WriteString("absorbed", result.Absorbed);
        }
        JsonNumbers.Write(w, "heldOutMse", result.HeldOutMse);
        JsonNumbers.Write(w, "heldOutVariance", result.HeldOutVariance);
        JsonNumbers.Write(w, "relativeHeldOutMse", result.HeldOutVariance > 0 ? result.HeldOutMse / result.HeldOutVariance : double.NaN);
        JsonNumbers.Write(w, "noiseVariance", result.NoiseVariance);
        w.WriteNumber("fittedSamples", result.FittedSamples);
        WriteStandardErrors(w, result.StandardErrors);
        w.WriteNumber("chosenCandidate", result.ChosenCandidate);
        w.WriteStartArray("candidates");
        foreach (var c in result.Candidates)
        {
            w.WriteStartObject();
            w.WriteNumber("index", c.Index);
            JsonNumbers.Write(w, "relativeEigenGap", c.RelativeEigenGap);
            JsonNumbers.Write(w, "pencilResidual", c.PencilResidual);
            JsonNumbers.Write(w, "momentHeldOutMse", c.MomentHeldOutMse);
            JsonNumbers.Write(w, "refinedHeldOutMse", c.RefinedHeldOutMse);
            w.WriteNumber("refinementIterations", c.RefinementIterations);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("flipped");
        foreach (bool f in result.Flipped) w.WriteBooleanValue(f);
        w.WriteEndArray();
        var t = result.Timings;
        w.WriteStartObject("timings");
        w.WriteNumber("inputLaw", Seconds(t.InputLaw));
        w.WriteNumber("pilot", Seconds(t.Pilot));
        w.WriteNumber("secondMoments", Seconds(t.SecondMoments));
        w.WriteNumber("higherMoments", Seconds(t.HigherMoments));
        w.WriteNumber("decomposition", Seconds(t.Decomposition));
        w.WriteNumber("coefficients", Seconds(t.Coefficients));
        w.WriteNumber("refinement", Seconds(t.Refinement));
        w.WriteNumber("modeCheck", Seconds(t.ModeCheck));
        w.WriteNumber("total", Seconds(t.Total));
        w.WriteEndObject();
        w.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
        {
            w.WriteStartObject();
            w.WriteString("code", warning.Code.ToString());
            w.WriteString("message", warning.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("log");
        foreach (string line in result.Log) w.WriteStringValue(line);
        w.WriteEndArray();
        w.WritePropertyName("model");
        NetworkJson.Write(result.Network, w);
    }

    private static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 4);

    /// <summary>"standardErrors": {"a": [...], "w": [[...], ...], "b": [...], "c0": x, "c": [...]} or null.</summary>
    private static void WriteStandardErrors(Utf8JsonWriter w, StandardErrors? errors)
    {
        if (errors is null)
        {
            w.WriteNull("standardErrors");
            return;
        }
        w.WriteStartObject("standardErrors");
        Array(w, "a", errors.A);
        int m = errors.A.Count, d = errors.LinearWeights.Count;
        w.WriteStartArray("w");
        for (int i = 0; i < m; i++)
        {
            w.WriteStartArray();
            for (int k = 0; k < d; k++) JsonNumbers.Write(w, errors.W[i * d + k]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        Array(w, "b", errors.B);
        JsonNumbers.Write(w, "c0", errors.LinearBias);
        Array(w, "c", errors.LinearWeights);
        w.WriteEndObject();

        static void Array(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
        {
            w.WriteStartArray(name);
            foreach (double v in values) JsonNumbers.Write(w, v);
            w.WriteEndArray();
        }
    }
}
