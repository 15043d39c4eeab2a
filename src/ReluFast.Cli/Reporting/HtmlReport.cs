using System.Globalization;
using System.Net;
using System.Text;
using ReluFast.Model;

namespace ReluFast.Cli.Reporting;

/// <summary>A self-contained HTML report: the plots as inline PNG (base64 data URIs) and the numbers behind them as tables.</summary>
internal static class HtmlReport
{
    /// <summary>The HTML text of the report; <paramref name="plots"/> are (caption, PNG bytes) pairs.</summary>
    public static string Render(ReportContent content, IReadOnlyList<(string Caption, byte[] Png)> plots)
    {
        var inv = CultureInfo.InvariantCulture;
        var c = content.Comparison;
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>ReluFast report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
            th { background: #f3f3f3; }
            figure { display: inline-block; margin: 0.5em; }
            figcaption { font-size: 0.9em; color: #555; max-width: 640px; }
            code { background: #f6f6f6; padding: 0 0.2em; }
            </style></head><body>
            <h1>ReluFast report</h1>
            """);
        html.Append(inv, $"<p>Teacher <code>{E(content.TeacherPath)}</code> (d = {content.Teacher.InputDim}, m = {content.Teacher.Hidden}); ");
        html.Append(inv, $"model <code>{E(content.ModelPath)}</code> (m = {content.Model.Hidden}).</p>\n");
        html.Append("<h2>Errors</h2>\n<table><tr><th>w error</th><th>a error</th><th>b error</th><th>test MSE</th><th>relative test MSE</th>" +
            "<th>test samples</th></tr>\n");
        html.Append(inv, $"<tr><td>{G(c.WError)}</td><td>{G(c.AError)}</td><td>{G(c.BError)}</td><td>{G(c.TestMse)}</td><td>" +
            $"{G(c.RelativeTestMse)}</td><td>{c.TestSamples:N0}, {E(content.TestInputs)}</td></tr></table>\n");
        html.Append("<p>Errors are maxima over neurons matched by the Hungarian algorithm on |&lt;w_i, w'_j&gt;| (unit w_i); an infinite error " +
            "means a neuron is missing or extra.</p>\n");

        html.Append("<h2>Plots</h2>\n");
        foreach (var (caption, png) in plots)
            html.Append(inv, $"<figure><img width=\"640\" height=\"480\" alt=\"{E(caption)}\" " +
                $"src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"><figcaption>{E(caption)}</figcaption></figure>\n");

        html.Append("<h2>Parameters (matched)</h2>\n<table><tr><th>i</th><th>a true</th><th>a found</th><th>b true</th>" +
            "<th>b found</th><th>|w - w'|</th></tr>\n");
        ReluNetwork t = content.Teacher.Normalized(), m = content.Model.Normalized();
        for (int i = 0; i < t.Hidden; i++)
        {
            int j = c.Matching[i];
            if (j < 0)
            {
                html.Append(inv, $"<tr><td>{i}</td><td>{t.A[i]:F4}</td><td>missing</td><td>{t.B[i]:F4}</td><td>missing</td><td></td></tr>\n");
                continue;
            }
            double dw = 0;
            for (int k = 0; k < t.InputDim; k++) dw += Math.Pow(t.WeightsOf(i)[k] - m.WeightsOf(j)[k], 2);
            html.Append(inv, $"<tr><td>{i}</td><td>{t.A[i]:F4}</td><td>{m.A[j]:F4}</td><td>{t.B[i]:F4}</td><td>{m.B[j]:F4}</td><td>" +
                $"{Math.Sqrt(dw):0.00E+0}</td></tr>\n");
        }
        html.Append("</table>\n");

        var run = content.SpectrumRun;
        html.Append(inv, $"<h2>T_2 spectrum</h2>\n<p>Samples: {E(content.SpectrumSource)} (N = {run.Samples:N0}). Noise floor {run.NoiseFloor:G3}; " +
            $"chosen m = {run.Hidden} ({(run.HiddenWasEstimated ? "from the spectrum" : "given")}).</p>\n");
        html.Append("<table><tr><th>k</th><th>eigenvalue</th><th>|value| / noise floor</th></tr>\n");
        for (int k = 0; k < run.Spectrum.Count; k++)
            html.Append(inv, $"<tr><td>{k + 1}</td><td>{run.Spectrum[k]:G4}</td><td>" +
                $"{Math.Abs(run.Spectrum[k]) / Math.Max(run.NoiseFloor, 1e-300):F1}</td></tr>\n");
        html.Append("</table>\n");

        if (content.Sweep is { } sweep)
        {
            html.Append("<h2>Sample sweep</h2>\n<p>The teacher's samples streamed and learned by the method of moments alone (no " +
                "refinement) at each N.</p>\n");
            html.Append("<table><tr><th>N</th><th>w error</th><th>a error</th><th>b error</th><th>seconds</th></tr>\n");
            foreach (var p in sweep)
                html.Append(inv,
                    $"<tr><td>{p.Samples:N0}</td><td>{G(p.WError)}</td><td>{G(p.AError)}</td><td>{G(p.BError)}</td><td>{p.Seconds:F2}</td></tr>\n");
            html.Append("</table>\n");
        }
        html.Append("<p>Made by <code>relufast report</code>.</p>\n</body></html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string G(double value) => double.IsPositiveInfinity(value) ? "&infin;" : value.ToString("G3", CultureInfo.InvariantCulture);
}
