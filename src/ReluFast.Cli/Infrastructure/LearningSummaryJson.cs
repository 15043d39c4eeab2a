using System.Text.Json;
using ReluFast.IO;
using ReluFast.Learning;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// The <c>relufast learn --json</c> object: what the learner found (spectrum, chosen m, held-out error,
/// candidates, timings in seconds, log) and the model itself in the network JSON format.
/// </summary>
internal static class LearningSummaryJson
{
    /// <summary>Writes the fields of <paramref name="result"/> into the current JSON object.</summary>
    public static void Write(Utf8JsonWriter w, LearningResult result)
    {
        w.WriteNumber("samples", result.Samples);
        w.WriteNumber("inputDim", result.Network.InputDim);
        w.WriteNumber("hidden", result.Hidden);
        w.WriteBoolean("hiddenWasEstimated", result.HiddenWasEstimated);
        w.WriteStartArray("spectrum");
        foreach (double v in result.Spectrum) JsonNumbers.Write(w, v);
        w.WriteEndArray();
        JsonNumbers.Write(w, "noiseFloor", result.NoiseFloor);
        JsonNumbers.Write(w, "heldOutMse", result.HeldOutMse);
        JsonNumbers.Write(w, "heldOutVariance", result.HeldOutVariance);
        JsonNumbers.Write(w, "relativeHeldOutMse", result.HeldOutVariance > 0 ? result.HeldOutMse / result.HeldOutVariance : double.NaN);
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
        w.WriteNumber("pilot", Seconds(t.Pilot));
        w.WriteNumber("secondMoments", Seconds(t.SecondMoments));
        w.WriteNumber("projectedTensor", Seconds(t.ProjectedTensor));
        w.WriteNumber("decomposition", Seconds(t.Decomposition));
        w.WriteNumber("coefficients", Seconds(t.Coefficients));
        w.WriteNumber("refinement", Seconds(t.Refinement));
        w.WriteNumber("total", Seconds(t.Total));
        w.WriteEndObject();
        w.WriteStartArray("log");
        foreach (string line in result.Log) w.WriteStringValue(line);
        w.WriteEndArray();
        w.WritePropertyName("model");
        NetworkJson.Write(result.Network, w);
    }

    private static double Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 4);
}
